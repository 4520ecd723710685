#include "LogProtocol.h"

#include "JsonReader.h"
#include "JsonWriter.h"
#include "WireSupport.h"

#include <algorithm>
#include <array>

using namespace Qt::StringLiterals;

namespace switchboard::protocol::logs {

namespace {

using detail::JsonWriter;
using detail::nameIn;
using detail::readEnum;
using detail::valueIn;

constexpr std::array kEndReasons{
    std::pair{EndReason::AgentDisconnected, "agent_disconnected"_L1},
    std::pair{EndReason::AgentUnavailable, "agent_unavailable"_L1},
    std::pair{EndReason::SessionEnded, "session_ended"_L1},
    std::pair{EndReason::StreamFailed, "stream_failed"_L1},
    std::pair{EndReason::TooManyViewers, "too_many_viewers"_L1},
};

constexpr qsizetype kMaxIdLength = 256;
constexpr qsizetype kMaxTextLength = 4096;
// The same bounds as the agent's `log` frame: whatever an agent may send, a viewer may receive.
constexpr qsizetype kMaxLinesDecoded = 1000;
constexpr qsizetype kMaxLineLength = 16 * 1024;

// UTF-8 size without converting: the split runs once per agent frame on the socket thread.
qsizetype utf8Size(const QString &text)
{
    qsizetype bytes = 0;
    for (const QChar c : text) {
        const char16_t unit = c.unicode();
        if (unit < 0x80)
            bytes += 1;
        else if (unit < 0x800 || c.isSurrogate()) // a surrogate pair is 4 bytes: 2 per half
            bytes += 2;
        else
            bytes += 3;
    }
    return bytes;
}

} // namespace

QString endReasonName(EndReason reason)
{
    return nameIn(kEndReasons, reason);
}

std::optional<EndReason> endReasonFromName(QStringView name)
{
    return valueIn(kEndReasons, name);
}

QByteArray encodeLogLines(const LogLines &log)
{
    qsizetype reserve = 64 + log.sessionId.size();
    for (const QString &line : log.lines)
        reserve += line.size() + 3;
    JsonWriter writer(reserve);
    writer.beginObject();
    writer.field("type"_L1, "log"_L1);
    writer.field("sessionId"_L1, log.sessionId);
    writer.field("lines"_L1, log.lines);
    writer.endObject();
    return writer.take();
}

QByteArray encodeLogEnd(const LogEnd &end)
{
    JsonWriter writer(96 + end.sessionId.size() + end.message.size());
    writer.beginObject();
    writer.field("type"_L1, "log_end"_L1);
    writer.field("sessionId"_L1, end.sessionId);
    writer.field("reason"_L1, endReasonName(end.reason));
    writer.field("message"_L1, end.message);
    writer.endObject();
    return writer.take();
}

Decoded<ServerMessage> decodeServerMessage(QByteArrayView json)
{
    const Decoded<QJsonObject> parsed = parseObject(json);
    if (!parsed)
        return parsed.error();
    JsonReader reader(parsed.value());
    const QString type = reader.requiredString(u"type"_s, 1, 64);
    const QString sessionId = reader.requiredString(u"sessionId"_s, 1, kMaxIdLength);
    if (!reader.ok())
        return reader.error();
    if (type == "log"_L1) {
        if (!reader.has(u"lines"_s))
            reader.fail(ErrorCode::MissingField, u"lines"_s, u"required array is missing"_s);
        LogLines log{sessionId, reader.optionalStringList(u"lines"_s, kMaxLinesDecoded, kMaxLineLength)};
        if (!reader.ok())
            return reader.error();
        return ServerMessage{std::move(log)};
    }
    if (type == "log_end"_L1) {
        LogEnd end;
        end.sessionId = sessionId;
        end.reason = readEnum(reader, u"reason"_s, EndReason::AgentDisconnected, true, &endReasonFromName,
                              "end reason"_L1);
        end.message = reader.optionalString(u"message"_s, {}, kMaxTextLength);
        if (!reader.ok())
            return reader.error();
        return ServerMessage{std::move(end)};
    }
    return Error{ErrorCode::UnknownType, u"type: unknown message type \""_s + type + u'"', u"type"_s, {}};
}

QList<QStringList> splitLines(const QStringList &lines, qsizetype maxLines, qsizetype maxBytes)
{
    maxLines = std::max<qsizetype>(maxLines, 1);
    QList<QStringList> chunks;
    QStringList current;
    qsizetype currentBytes = 0;
    for (const QString &line : lines) {
        const qsizetype bytes = utf8Size(line);
        if (!current.isEmpty() && (current.size() >= maxLines || currentBytes + bytes > maxBytes)) {
            chunks.append(std::move(current));
            current = {};
            currentBytes = 0;
        }
        current.append(line);
        currentBytes += bytes;
    }
    if (!current.isEmpty())
        chunks.append(std::move(current));
    return chunks;
}

Decoded<int> parseTailLines(const QString &text)
{
    if (text.isEmpty())
        return kDefaultTailLines;
    bool isNumber = false;
    const qint64 value = text.toLongLong(&isNumber);
    const bool digitsOnly =
        std::all_of(text.cbegin(), text.cend(), [](QChar c) { return c >= u'0' && c <= u'9'; });
    if (!isNumber || !digitsOnly)
        return Error{ErrorCode::WrongType,
                     u"tailLines: expected integer, got \""_s + text.left(32) + u'"',
                     u"tailLines"_s,
                     {}};
    if (value < 0 || value > kMaxTailLines)
        return Error{ErrorCode::InvalidValue,
                     u"tailLines: must be between 0 and %1"_s.arg(kMaxTailLines),
                     u"tailLines"_s,
                     {}};
    return int(value);
}

} // namespace switchboard::protocol::logs
