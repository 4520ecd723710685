#include "logging/StructuredLog.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace switchboard::logging {

QString encodeWithFields(const QString &message, const LogFields &fields)
{
    if (fields.isEmpty())
        return message;
    QJsonObject object;
    for (const auto &[key, value] : fields)
        object.insert(key, value);
    return message + kFieldMarker + QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

void logWithFields(const QLoggingCategory &category, QtMsgType type, const QString &message,
                   const LogFields &fields)
{
    if (!category.isEnabled(type))
        return;
    const QMessageLogger logger(nullptr, 0, nullptr, category.categoryName());
    const QByteArray text = encodeWithFields(message, fields).toUtf8();
    switch (type) {
    case QtDebugMsg:
        logger.debug("%s", text.constData());
        break;
    case QtInfoMsg:
        logger.info("%s", text.constData());
        break;
    case QtWarningMsg:
        logger.warning("%s", text.constData());
        break;
    case QtCriticalMsg:
    case QtFatalMsg: // never abort from a log line
        logger.critical("%s", text.constData());
        break;
    }
}

} // namespace switchboard::logging
