#include "RedisReply.h"

#include <QStringList>

using namespace Qt::StringLiterals;

namespace switchboard {

RedisReply RedisReply::status(const QByteArray &text)
{
    RedisReply reply;
    reply.m_type = Type::Status;
    reply.m_bytes = text;
    return reply;
}

RedisReply RedisReply::error(const QByteArray &message)
{
    RedisReply reply;
    reply.m_type = Type::Error;
    reply.m_bytes = message;
    return reply;
}

RedisReply RedisReply::integer(qint64 value)
{
    RedisReply reply;
    reply.m_type = Type::Integer;
    reply.m_integer = value;
    return reply;
}

RedisReply RedisReply::string(const QByteArray &bytes)
{
    RedisReply reply;
    reply.m_type = Type::String;
    reply.m_bytes = bytes;
    return reply;
}

RedisReply RedisReply::array(const QList<RedisReply> &elements)
{
    RedisReply reply;
    reply.m_type = Type::Array;
    reply.m_elements = elements;
    return reply;
}

QByteArray RedisReply::toByteArray() const
{
    switch (m_type) {
    case Type::Status:
    case Type::Error:
    case Type::String:
        return m_bytes;
    case Type::Integer:
        return QByteArray::number(m_integer);
    case Type::Nil:
    case Type::Array:
        break;
    }
    return {};
}

qint64 RedisReply::toInteger(bool *ok) const
{
    if (m_type == Type::Integer) {
        if (ok)
            *ok = true;
        return m_integer;
    }
    if (m_type == Type::String || m_type == Type::Status) {
        bool parsed = false;
        const qint64 value = m_bytes.toLongLong(&parsed, 10);
        // toLongLong tolerates surrounding blanks; Redis' own integer parsing does not.
        parsed = parsed && !m_bytes.isEmpty() && m_bytes.trimmed().size() == m_bytes.size();
        if (ok)
            *ok = parsed;
        return parsed ? value : 0;
    }
    if (ok)
        *ok = false;
    return 0;
}

QString RedisReply::errorMessage() const
{
    return m_type == Type::Error ? QString::fromUtf8(m_bytes) : QString();
}

QString RedisReply::toDebugString() const
{
    switch (m_type) {
    case Type::Nil:
        return u"nil"_s;
    case Type::Status:
        return QString::fromUtf8(m_bytes);
    case Type::Error:
        return u"(error) "_s + QString::fromUtf8(m_bytes);
    case Type::Integer:
        return QString::number(m_integer);
    case Type::String:
        return u"\""_s + QString::fromLatin1(m_bytes.toPercentEncoding(" !#$&'()*+,/:;=?@[]{}<>^|~")) +
               u"\""_s;
    case Type::Array: {
        QStringList parts;
        parts.reserve(m_elements.size());
        for (const RedisReply &element : m_elements)
            parts.append(element.toDebugString());
        return u"["_s + parts.join(u", "_s) + u"]"_s;
    }
    }
    return {};
}

} // namespace switchboard
