// One Redis reply as a plain value (RESP2 types): what every command callback receives. Errors made
// by the client itself (timeout, not connected, connection lost) are error replies as well, so a
// callback has a single path for "it did not work".
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace switchboard {

class RedisReply
{
public:
    enum class Type { Nil, Status, Error, Integer, String, Array };

    RedisReply() = default; // nil
    static RedisReply nil() { return {}; }
    static RedisReply status(const QByteArray &text);
    static RedisReply error(const QByteArray &message);
    static RedisReply integer(qint64 value);
    static RedisReply string(const QByteArray &bytes);
    static RedisReply array(const QList<RedisReply> &elements);

    Type type() const { return m_type; }
    bool isNil() const { return m_type == Type::Nil; }
    bool isStatus() const { return m_type == Type::Status; }
    bool isError() const { return m_type == Type::Error; }
    bool isInteger() const { return m_type == Type::Integer; }
    bool isString() const { return m_type == Type::String; }
    bool isArray() const { return m_type == Type::Array; }

    // The bytes of a string, status or error reply; an integer in decimal; empty for nil and arrays.
    QByteArray toByteArray() const;
    // An integer reply, or a string/status reply holding a decimal integer (Redis returns counters
    // as bulk strings from GET); *ok tells which. 0 otherwise.
    qint64 toInteger(bool *ok = nullptr) const;
    // The error text (UTF-8) of an error reply, empty otherwise.
    QString errorMessage() const;
    // Children of an array reply, empty otherwise.
    const QList<RedisReply> &elements() const { return m_elements; }

    // Debug text such as `["OK", 3, nil, (error) ERR x]` for logs and test failure messages.
    QString toDebugString() const;

    friend bool operator==(const RedisReply &a, const RedisReply &b)
    {
        return a.m_type == b.m_type && a.m_integer == b.m_integer && a.m_bytes == b.m_bytes &&
               a.m_elements == b.m_elements;
    }
    friend bool operator!=(const RedisReply &a, const RedisReply &b) { return !(a == b); }

private:
    Type m_type = Type::Nil;
    qint64 m_integer = 0;
    QByteArray m_bytes;
    QList<RedisReply> m_elements;
};

} // namespace switchboard
