// Internal to switchboard-protocol (not part of its API): a compact JSON writer that appends
// straight to UTF-8 bytes. The broadcast encoders (sessions_update, events, ...) use it because
// building a QJsonObject costs about a microsecond per key; its output parses to exactly what the
// QJsonObject-based form of the same message would give (tests check that equivalence).
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QString>
#include <QStringList>

namespace switchboard::protocol {
struct SessionInfo;
}

namespace switchboard::protocol::detail {

class JsonWriter
{
public:
    explicit JsonWriter(qsizetype reserve = 256) { m_out.reserve(reserve); }

    void beginObject()
    {
        separate();
        m_out.append('{');
    }
    void endObject() { m_out.append('}'); }
    void beginArray()
    {
        separate();
        m_out.append('[');
    }
    void endArray() { m_out.append(']'); }

    // Keys are ASCII literals chosen by us, so they need no escaping.
    void key(QLatin1StringView name);

    void value(const QString &text);
    void value(QLatin1StringView text); // ASCII only
    void value(const char *) = delete;  // would silently become a bool; use "..."_L1
    void value(qint64 number);
    void value(int number) { value(qint64(number)); }
    void value(bool flag);
    void value(const QJsonValue &json);
    void value(const QJsonObject &object);
    void value(const QJsonArray &array);
    void value(const QStringList &strings);
    // formatTimestamp() of the time, or null for an invalid one.
    void timestamp(const QDateTime &time);
    void null();

    template<class T>
    void field(QLatin1StringView name, const T &fieldValue)
    {
        key(name);
        value(fieldValue);
    }
    void timestampField(QLatin1StringView name, const QDateTime &time)
    {
        key(name);
        timestamp(time);
    }

    const QByteArray &bytes() const { return m_out; }
    QByteArray take() { return std::move(m_out); }

private:
    // Values and keys after the first in their container need a comma; a value after a key none.
    void separate()
    {
        if (!m_out.isEmpty()) {
            const char last = m_out.back();
            if (last != '{' && last != '[' && last != ':')
                m_out.append(',');
        }
    }
    void appendString(QStringView text);
    void appendDouble(double number);

    QByteArray m_out;
};

// Writes RFC 3339 UTC with milliseconds into `out` (24 characters); false for an invalid time or
// a year outside 1..9999.
bool formatTimestampAscii(const QDateTime &time, char (&out)[24]);

// The same object as SessionInfo::toSessionsUpdateJson(now), written directly.
void writeSessionsUpdateItem(JsonWriter &writer, const SessionInfo &session, const QDateTime &now);

} // namespace switchboard::protocol::detail
