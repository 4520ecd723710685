#include "JsonWriter.h"

#include "Protocol.h"

#include <QLocale>
#include <QVariant>

#include <cmath>

namespace switchboard::protocol::detail {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Above 2^53 a QJsonValue may hold an exact integer or a double; below it every integral number
// is stored as an integer.
constexpr double kExactDoubleLimit = 9007199254740992.0;

} // namespace

void JsonWriter::key(QLatin1StringView name)
{
    separate();
    m_out.append('"');
    m_out.append(name.data(), name.size());
    m_out.append("\":", 2);
}

void JsonWriter::value(const QString &text)
{
    separate();
    appendString(text);
}

void JsonWriter::value(QLatin1StringView text)
{
    separate();
    m_out.append('"');
    m_out.append(text.data(), text.size());
    m_out.append('"');
}

void JsonWriter::value(qint64 number)
{
    separate();
    // Digits into a stack buffer: QByteArray::number would allocate a temporary.
    char buffer[24];
    char *end = buffer + sizeof buffer;
    char *p = end;
    quint64 magnitude = number < 0 ? 0 - quint64(number) : quint64(number);
    do {
        *--p = char('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (number < 0)
        *--p = '-';
    m_out.append(p, end - p);
}

void JsonWriter::value(bool flag)
{
    separate();
    if (flag)
        m_out.append("true", 4);
    else
        m_out.append("false", 5);
}

void JsonWriter::null()
{
    separate();
    m_out.append("null", 4);
}

void JsonWriter::value(const QJsonValue &json)
{
    switch (json.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        null();
        return;
    case QJsonValue::Bool:
        value(json.toBool());
        return;
    case QJsonValue::Double: {
        const double number = json.toDouble();
        if (std::isfinite(number) && std::trunc(number) == number &&
            (std::fabs(number) < kExactDoubleLimit || json.toVariant().typeId() == QMetaType::LongLong)) {
            value(json.toInteger());
            return;
        }
        separate();
        appendDouble(number);
        return;
    }
    case QJsonValue::String:
        separate();
        appendString(json.toString());
        return;
    case QJsonValue::Array:
        value(json.toArray());
        return;
    case QJsonValue::Object:
        value(json.toObject());
        return;
    }
}

void JsonWriter::value(const QJsonObject &object)
{
    beginObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        separate();
        appendString(it.key());
        m_out.append(':');
        value(it.value());
    }
    endObject();
}

void JsonWriter::value(const QJsonArray &array)
{
    beginArray();
    for (const QJsonValue &item : array)
        value(item);
    endArray();
}

void JsonWriter::value(const QStringList &strings)
{
    beginArray();
    for (const QString &text : strings)
        value(text);
    endArray();
}

void JsonWriter::timestamp(const QDateTime &time)
{
    char buffer[24];
    if (formatTimestampAscii(time, buffer)) {
        separate();
        m_out.append('"');
        m_out.append(buffer, sizeof buffer);
        m_out.append('"');
    } else if (time.isValid()) {
        value(formatTimestamp(time));
    } else {
        null();
    }
}

void JsonWriter::appendDouble(double number)
{
    if (!std::isfinite(number)) {
        m_out.append("null", 4); // JSON has no NaN or infinity
        return;
    }
    m_out.append(QByteArray::number(number, 'g', QLocale::FloatingPointShortest));
}

// RFC 8259 string: quotes, backslash and control characters escaped, everything else as UTF-8;
// an unpaired surrogate, which UTF-8 cannot carry, is written as its \u escape.
void JsonWriter::appendString(QStringView text)
{
    m_out.append('"');
    const char16_t *p = text.utf16();
    const char16_t *end = p + text.size();
    while (p < end) {
        const char16_t c = *p++;
        if (c >= 0x20 && c < 0x80 && c != u'"' && c != u'\\') {
            m_out.append(char(c));
            continue;
        }
        if (c < 0x80) {
            m_out.append('\\');
            switch (c) {
            case u'"':
                m_out.append('"');
                break;
            case u'\\':
                m_out.append('\\');
                break;
            case u'\b':
                m_out.append('b');
                break;
            case u'\f':
                m_out.append('f');
                break;
            case u'\n':
                m_out.append('n');
                break;
            case u'\r':
                m_out.append('r');
                break;
            case u'\t':
                m_out.append('t');
                break;
            default:
                m_out.append("u00", 3);
                m_out.append(kHexDigits[c >> 4]);
                m_out.append(kHexDigits[c & 0xf]);
                break;
            }
            continue;
        }
        if (c < 0x800) {
            m_out.append(char(0xc0 | (c >> 6)));
            m_out.append(char(0x80 | (c & 0x3f)));
            continue;
        }
        const bool high = c >= 0xd800 && c < 0xdc00;
        const bool low = c >= 0xdc00 && c < 0xe000;
        if (high && p < end && *p >= 0xdc00 && *p < 0xe000) {
            const char32_t codePoint = 0x10000 + ((char32_t(c) - 0xd800) << 10) + (char32_t(*p++) - 0xdc00);
            m_out.append(char(0xf0 | (codePoint >> 18)));
            m_out.append(char(0x80 | ((codePoint >> 12) & 0x3f)));
            m_out.append(char(0x80 | ((codePoint >> 6) & 0x3f)));
            m_out.append(char(0x80 | (codePoint & 0x3f)));
            continue;
        }
        if (high || low) {
            m_out.append("\\u", 2);
            m_out.append(kHexDigits[c >> 12]);
            m_out.append(kHexDigits[(c >> 8) & 0xf]);
            m_out.append(kHexDigits[(c >> 4) & 0xf]);
            m_out.append(kHexDigits[c & 0xf]);
            continue;
        }
        m_out.append(char(0xe0 | (c >> 12)));
        m_out.append(char(0x80 | ((c >> 6) & 0x3f)));
        m_out.append(char(0x80 | (c & 0x3f)));
    }
    m_out.append('"');
}

} // namespace switchboard::protocol::detail
