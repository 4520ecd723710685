#include "logging/LogFormatter.h"

#include "logging/StructuredLog.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QRegularExpression>
#include <QSet>

#include <utility>

using namespace Qt::StringLiterals;

namespace switchboard::logging {

namespace {

QString levelName(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return u"debug"_s;
    case QtInfoMsg:
        return u"info"_s;
    case QtWarningMsg:
        return u"warning"_s;
    case QtCriticalMsg:
        return u"error"_s;
    case QtFatalMsg:
        return u"fatal"_s;
    }
    return u"info"_s;
}

QString textLevel(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return u"DEBUG"_s;
    case QtInfoMsg:
        return u"INFO "_s;
    case QtWarningMsg:
        return u"WARN "_s;
    case QtCriticalMsg:
        return u"ERROR"_s;
    case QtFatalMsg:
        return u"FATAL"_s;
    }
    return u"INFO "_s;
}

// Control characters (line breaks included) as \xNN: one message, one line.
QString escapeControls(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            out += u"\\x%1"_s.arg(int(c.unicode()), 2, 16, QChar(u'0'));
        else
            out += c;
    }
    return out;
}

struct Split
{
    QString message;
    QList<std::pair<QString, QString>> fields;
};

Split splitFields(const QString &raw)
{
    const qsizetype marker = raw.lastIndexOf(kFieldMarker);
    if (marker < 0)
        return {raw, {}};
    const QJsonDocument document =
        QJsonDocument::fromJson(QStringView(raw).mid(marker + kFieldMarker.size()).toUtf8());
    if (!document.isObject())
        return {raw, {}};
    Split split{raw.left(marker), {}};
    const QJsonObject object = document.object();
    for (auto it = object.begin(); it != object.end(); ++it)
        split.fields.append(
            {it.key(),
             it.value().isString()
                 ? it.value().toString()
                 : QString::fromUtf8(
                       QJsonDocument(QJsonObject{{u"v"_s, it.value()}}).toJson(QJsonDocument::Compact))});
    return split;
}

// A JSON string literal, quotes included.
QByteArray jsonString(const QString &text)
{
    const QByteArray array = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

QString textValue(const QString &value)
{
    const bool plain = !value.isEmpty() && std::none_of(value.begin(), value.end(), [](QChar c) {
        return c.isSpace() || c == u'"' || c == u'=' || c.unicode() < 0x20;
    });
    if (plain)
        return value;
    QString quoted = value;
    quoted.replace(u'\\', "\\\\"_L1).replace(u'"', "\\\""_L1);
    return u'"' + escapeControls(quoted) + u'"';
}

} // namespace

QString logFormatName(LogFormat format)
{
    return format == LogFormat::Json ? u"json"_s : u"text"_s;
}

std::optional<LogFormat> logFormatFromName(QStringView name)
{
    if (name == "text"_L1)
        return LogFormat::Text;
    if (name == "json"_L1)
        return LogFormat::Json;
    return std::nullopt;
}

QString redactSecrets(const QString &text)
{
    // Cheap checks first: almost no line needs a regular expression.
    const bool suspicious = text.contains("token"_L1, Qt::CaseInsensitive) ||
                            text.contains("bearer"_L1, Qt::CaseInsensitive) || text.contains("eyJ"_L1) ||
                            text.contains("key="_L1, Qt::CaseInsensitive);
    if (!suspicious)
        return text;
    static const QRegularExpression query(u"((?:access_token|token|api_key|apikey|key)=)[^&\\s\"']+"_s,
                                          QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression bearer(u"(Bearer\\s+)[A-Za-z0-9._~+/=-]+"_s,
                                           QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression jwt(u"eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*"_s);
    QString redacted = text;
    redacted.replace(query, u"\\1[redacted]"_s);
    redacted.replace(bearer, u"\\1[redacted]"_s);
    redacted.replace(jwt, u"[redacted]"_s);
    return redacted;
}

QByteArray formatLogLine(LogFormat format, QtMsgType type, const char *category, const QString &message,
                         const QDateTime &time)
{
    const Split split = splitFields(message);
    const QString when = time.toUTC().toString(Qt::ISODateWithMs);
    const QString categoryName = QString::fromUtf8(category ? category : "default");
    if (format == LogFormat::Json) {
        // Written by hand so that time, level, category and message come first on every line
        // (QJsonDocument would sort the keys); values are escaped by QJsonDocument.
        QByteArray line = "{\"time\":" + jsonString(when) + ",\"level\":" + jsonString(levelName(type)) +
                          ",\"category\":" + jsonString(categoryName) +
                          ",\"message\":" + jsonString(redactSecrets(split.message));
        QSet<QString> used{u"time"_s, u"level"_s, u"category"_s, u"message"_s};
        for (const auto &[key, value] : split.fields) {
            // A field never replaces one of the four above, nor an earlier field.
            const QString name = used.contains(key) ? u"field_"_s + key : key;
            used.insert(name);
            line += ',' + jsonString(name) + ':' + jsonString(redactSecrets(value));
        }
        return line + "}\n";
    }
    QString line = when + u' ' + textLevel(type) + u' ' + categoryName + u": "_s +
                   escapeControls(redactSecrets(split.message));
    for (const auto &[key, value] : split.fields)
        line += u' ' + escapeControls(key) + u'=' + textValue(redactSecrets(value));
    return line.toUtf8() + '\n';
}

} // namespace switchboard::logging
