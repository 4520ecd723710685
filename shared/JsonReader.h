// Field-by-field validation of an untrusted JSON object. Every decoder in shared/ uses it so that
// every side reports a missing or wrongly typed field the same way, naming the field.
#pragma once

#include "Protocol.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

namespace switchboard::protocol {

// "string", "number", ...: the JSON type as named in error messages ("expected object, got number").
QLatin1StringView jsonTypeName(const QJsonValue &value);

// Reads fields of one object; the first problem is kept and later reads become no-ops.
// Usage: JsonReader r(obj, u"payload"_s); auto id = r.requiredString(u"commandId"_s);
//        if (!r.ok()) return r.error();
class JsonReader
{
public:
    explicit JsonReader(const QJsonObject &object, QString path = {});

    QString requiredString(const QString &key, qsizetype minLength = 1, qsizetype maxLength = 256);
    QString optionalString(const QString &key, const QString &fallback = {}, qsizetype maxLength = 256);
    qint64 requiredInt(const QString &key, qint64 min, qint64 max);
    qint64 optionalInt(const QString &key, qint64 fallback, qint64 min, qint64 max);
    double optionalNumber(const QString &key, double fallback);
    bool requiredBool(const QString &key);
    bool optionalBool(const QString &key, bool fallback);
    QJsonObject requiredObject(const QString &key);
    QJsonObject optionalObject(const QString &key);
    QJsonArray optionalArray(const QString &key);
    QStringList optionalStringList(const QString &key, qsizetype maxItems = 256, qsizetype maxLength = 4096);
    // An RFC 3339 string (see parseTimestamp); invalid QDateTime when absent or null.
    QDateTime optionalTimestamp(const QString &key);
    bool has(const QString &key) const;

    // Records a value problem found by the caller (e.g. an enum out of range).
    void fail(ErrorCode code, const QString &key, const QString &message);

    bool ok() const { return !m_error.has_value(); }
    const Error &error() const { return *m_error; }
    QString pathOf(const QString &key) const;

private:
    QJsonValue take(const QString &key, bool required, const char *expected);

    QJsonObject m_object;
    QString m_path;
    std::optional<Error> m_error;
};

// Parses bytes into a JSON object; invalid JSON or a non-object top level is an InvalidJson error.
Decoded<QJsonObject> parseObject(QByteArrayView json);

} // namespace switchboard::protocol
