#include "SqlValues.h"

#include "StorageLogging.h"

#include "shared/Protocol.h"

#include <QJsonArray>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace switchboard::sqlvalues {

QVariant time(const QDateTime &time)
{
    if (!time.isValid())
        return QVariant(QMetaType::fromType<QString>());
    return protocol::formatTimestamp(time);
}

QVariant text(const QString &text)
{
    if (text.isEmpty())
        return QVariant(QMetaType::fromType<QString>());
    return text;
}

QVariant json(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QVariant jsonArray(const QStringList &list)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(list)).toJson(QJsonDocument::Compact));
}

QString postgresArray(const QStringList &items)
{
    QString literal = u"{"_s;
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (i > 0)
            literal += u',';
        literal += u'"';
        for (const QChar c : items.at(i)) {
            if (c == u'"' || c == u'\\')
                literal += u'\\';
            literal += c;
        }
        literal += u'"';
    }
    literal += u'}';
    return literal;
}

QDateTime toTime(const QVariant &value)
{
    if (value.isNull())
        return {};
    if (value.metaType() == QMetaType::fromType<QDateTime>())
        return value.toDateTime().toUTC();
    const QString text = value.toString();
    if (auto parsed = protocol::parseTimestamp(text))
        return *parsed;
    // PostgreSQL's text form ("2025-12-04 10:00:00.123+00") when a driver hands it over as text.
    QString iso = text;
    iso.replace(u' ', u'T');
    if (iso.size() > 3 && (iso.at(iso.size() - 3) == u'+' || iso.at(iso.size() - 3) == u'-'))
        iso += ":00"_L1;
    if (auto parsed = protocol::parseTimestamp(iso))
        return *parsed;
    qCWarning(lcStorage) << "unreadable timestamp in the database:" << text;
    return {};
}

QString toText(const QVariant &value)
{
    return value.isNull() ? QString() : value.toString();
}

QJsonObject toJsonObject(const QVariant &value)
{
    if (value.isNull())
        return {};
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(value.toString().toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        qCWarning(lcStorage) << "unreadable JSON object in the database:" << error.errorString();
        return {};
    }
    return document.object();
}

QStringList toStringList(const QVariant &value)
{
    if (value.isNull())
        return {};
    const QJsonDocument document = QJsonDocument::fromJson(value.toString().toUtf8());
    QStringList list;
    const QJsonArray array = document.array();
    list.reserve(array.size());
    for (const QJsonValue &item : array)
        list.append(item.toString());
    return list;
}

QDateTime now()
{
    return QDateTime::currentDateTimeUtc();
}

QDateTime orNow(const QDateTime &time)
{
    return time.isValid() ? time.toUTC() : now();
}

} // namespace switchboard::sqlvalues
