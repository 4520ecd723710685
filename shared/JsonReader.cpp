#include "JsonReader.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

using namespace Qt::StringLiterals;

namespace switchboard::protocol {

QLatin1StringView jsonTypeName(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return "null"_L1;
    case QJsonValue::Bool:
        return "boolean"_L1;
    case QJsonValue::Double:
        return "number"_L1;
    case QJsonValue::String:
        return "string"_L1;
    case QJsonValue::Array:
        return "array"_L1;
    case QJsonValue::Object:
        return "object"_L1;
    case QJsonValue::Undefined:
        break;
    }
    return "nothing"_L1;
}

namespace {

// Beyond this a double no longer converts to qint64 safely; every range we check is far inside it.
constexpr double kSafeIntegerBound = 9.2e18;

} // namespace

JsonReader::JsonReader(const QJsonObject &object, QString path)
    : m_object(object)
    , m_path(std::move(path))
{}

QString JsonReader::pathOf(const QString &key) const
{
    if (m_path.isEmpty())
        return key;
    if (key.isEmpty())
        return m_path;
    return m_path + u'.' + key;
}

void JsonReader::fail(ErrorCode code, const QString &key, const QString &message)
{
    if (m_error)
        return;
    const QString field = pathOf(key);
    m_error = Error{code, field.isEmpty() ? message : field + u": "_s + message, field, {}};
}

bool JsonReader::has(const QString &key) const
{
    const auto it = m_object.constFind(key);
    return it != m_object.constEnd() && !it.value().isNull();
}

// null counts as absent: Go encodes nil maps and slices as null.
QJsonValue JsonReader::take(const QString &key, bool required, const char *expected)
{
    if (m_error)
        return QJsonValue(QJsonValue::Undefined);
    const auto it = m_object.constFind(key);
    if (it == m_object.constEnd() || it.value().isNull()) {
        if (required)
            fail(ErrorCode::MissingField, key,
                 u"required "_s + QLatin1StringView(expected) + u" is missing"_s);
        return QJsonValue(QJsonValue::Undefined);
    }
    return it.value();
}

namespace {

QString wrongTypeMessage(const char *expected, const QJsonValue &got)
{
    return u"expected "_s + QLatin1StringView(expected) + u", got "_s + jsonTypeName(got);
}

} // namespace

QString JsonReader::requiredString(const QString &key, qsizetype minLength, qsizetype maxLength)
{
    const QJsonValue value = take(key, true, "string");
    if (value.isUndefined())
        return {};
    if (!value.isString()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("string", value));
        return {};
    }
    QString text = value.toString();
    if (text.size() < minLength) {
        fail(ErrorCode::InvalidValue, key,
             minLength == 1 ? u"must not be empty"_s
                            : u"must be at least "_s + QString::number(minLength) + u" characters"_s);
        return {};
    }
    if (text.size() > maxLength) {
        fail(ErrorCode::InvalidValue, key,
             u"must be at most "_s + QString::number(maxLength) + u" characters"_s);
        return {};
    }
    return text;
}

QString JsonReader::optionalString(const QString &key, const QString &fallback, qsizetype maxLength)
{
    const QJsonValue value = take(key, false, "string");
    if (value.isUndefined())
        return fallback;
    if (!value.isString()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("string", value));
        return fallback;
    }
    QString text = value.toString();
    if (text.size() > maxLength) {
        fail(ErrorCode::InvalidValue, key,
             u"must be at most "_s + QString::number(maxLength) + u" characters"_s);
        return fallback;
    }
    return text;
}

qint64 JsonReader::requiredInt(const QString &key, qint64 min, qint64 max)
{
    const QJsonValue value = take(key, true, "integer");
    if (value.isUndefined())
        return min;
    return optionalInt(key, min, min, max);
}

qint64 JsonReader::optionalInt(const QString &key, qint64 fallback, qint64 min, qint64 max)
{
    const QJsonValue value = take(key, false, "integer");
    if (value.isUndefined())
        return fallback;
    if (!value.isDouble()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("integer", value));
        return fallback;
    }
    const double number = value.toDouble();
    if (!std::isfinite(number)) {
        fail(ErrorCode::InvalidValue, key, u"must be a finite number"_s);
        return fallback;
    }
    if (std::trunc(number) != number) {
        fail(ErrorCode::WrongType, key, u"expected integer, got a fraction"_s);
        return fallback;
    }
    const QString range = u"must be between "_s + QString::number(min) + u" and "_s + QString::number(max);
    if (number < -kSafeIntegerBound || number > kSafeIntegerBound) {
        fail(ErrorCode::InvalidValue, key, range);
        return fallback;
    }
    const qint64 integer = value.toInteger();
    if (integer < min || integer > max) {
        fail(ErrorCode::InvalidValue, key, range);
        return fallback;
    }
    return integer;
}

double JsonReader::optionalNumber(const QString &key, double fallback)
{
    const QJsonValue value = take(key, false, "number");
    if (value.isUndefined())
        return fallback;
    if (!value.isDouble()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("number", value));
        return fallback;
    }
    const double number = value.toDouble();
    if (!std::isfinite(number)) {
        fail(ErrorCode::InvalidValue, key, u"must be a finite number"_s);
        return fallback;
    }
    return number;
}

bool JsonReader::requiredBool(const QString &key)
{
    const QJsonValue value = take(key, true, "boolean");
    if (value.isUndefined())
        return false;
    return optionalBool(key, false);
}

bool JsonReader::optionalBool(const QString &key, bool fallback)
{
    const QJsonValue value = take(key, false, "boolean");
    if (value.isUndefined())
        return fallback;
    if (!value.isBool()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("boolean", value));
        return fallback;
    }
    return value.toBool();
}

QJsonObject JsonReader::requiredObject(const QString &key)
{
    const QJsonValue value = take(key, true, "object");
    if (value.isUndefined())
        return {};
    return optionalObject(key);
}

QJsonObject JsonReader::optionalObject(const QString &key)
{
    const QJsonValue value = take(key, false, "object");
    if (value.isUndefined())
        return {};
    if (!value.isObject()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("object", value));
        return {};
    }
    return value.toObject();
}

QJsonArray JsonReader::optionalArray(const QString &key)
{
    const QJsonValue value = take(key, false, "array");
    if (value.isUndefined())
        return {};
    if (!value.isArray()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("array", value));
        return {};
    }
    return value.toArray();
}

QStringList JsonReader::optionalStringList(const QString &key, qsizetype maxItems, qsizetype maxLength)
{
    const QJsonValue value = take(key, false, "array");
    if (value.isUndefined())
        return {};
    if (!value.isArray()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("array", value));
        return {};
    }
    const QJsonArray array = value.toArray();
    if (array.size() > maxItems) {
        fail(ErrorCode::InvalidValue, key, u"must have at most "_s + QString::number(maxItems) + u" items"_s);
        return {};
    }
    QStringList items;
    items.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonValue item = array.at(i);
        const QString itemKey = key + u'[' + QString::number(i) + u']';
        if (!item.isString()) {
            fail(ErrorCode::WrongType, itemKey, wrongTypeMessage("string", item));
            return {};
        }
        QString text = item.toString();
        if (text.size() > maxLength) {
            fail(ErrorCode::InvalidValue, itemKey,
                 u"must be at most "_s + QString::number(maxLength) + u" characters"_s);
            return {};
        }
        items.append(std::move(text));
    }
    return items;
}

QDateTime JsonReader::optionalTimestamp(const QString &key)
{
    const QJsonValue value = take(key, false, "timestamp");
    if (value.isUndefined())
        return {};
    if (!value.isString()) {
        fail(ErrorCode::WrongType, key, wrongTypeMessage("string", value));
        return {};
    }
    const std::optional<QDateTime> time = parseTimestamp(value.toString());
    if (!time) {
        fail(ErrorCode::InvalidValue, key, u"must be an RFC 3339 timestamp"_s);
        return {};
    }
    return *time;
}

Decoded<QJsonObject> parseObject(QByteArrayView json)
{
    if (json.isEmpty())
        return Error{ErrorCode::InvalidJson, u"empty message"_s, {}, {}};
    QJsonParseError parseError;
    // fromRawData: no copy; the document does not outlive this call's view.
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArray::fromRawData(json.data(), json.size()), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return Error{ErrorCode::InvalidJson,
                     u"invalid JSON at offset "_s + QString::number(parseError.offset) + u": "_s +
                         parseError.errorString(),
                     {},
                     {}};
    }
    if (!document.isObject())
        return Error{ErrorCode::InvalidJson, u"expected a JSON object"_s, {}, {}};
    return document.object();
}

} // namespace switchboard::protocol
