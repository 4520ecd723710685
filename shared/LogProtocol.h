// Messages of the live session log stream (/api/v1/ws/logs/{sessionId}), server -> viewer: a
// session's log lines as flat JSON objects, and the one message that says why the stream ended.
// A viewer may only send `ping` (decoded by browser::decodeClientMessage).
#pragma once

#include "Protocol.h"

#include <QStringList>

namespace switchboard::protocol::logs {

// What a viewer may ask for with ?tailLines= (the agent's stream_logs allows more; a browser
// showing a live log does not need it).
inline constexpr int kDefaultTailLines = 100;
inline constexpr int kMaxTailLines = 1000;
// Bounds of one `log` message: an agent frame (up to 1000 lines of 16 KiB) is split, in order, so
// that a viewer never gets a message much larger than a browser may send us. A single line longer
// than the byte bound travels alone.
inline constexpr qsizetype kMaxLinesPerMessage = 500;
inline constexpr qsizetype kMaxLineBytesPerMessage = 64 * 1024;

// {"type":"log","sessionId","lines":[...]}
struct LogLines
{
    QString sessionId;
    QStringList lines;
};

enum class EndReason {
    AgentDisconnected, // agent_disconnected: the session's agent went away while streaming
    AgentUnavailable,  // agent_unavailable: the session's agent is not connected to this server
    SessionEnded,      // session_ended: the session is terminated or failed
    StreamFailed,      // stream_failed: the agent refused stream_logs, or it could not be issued
    TooManyViewers,    // too_many_viewers: the session already has the maximum number of viewers
};
QString endReasonName(EndReason reason);
std::optional<EndReason> endReasonFromName(QStringView name);

// {"type":"log_end","sessionId","reason","message"}: the last message before the server closes
// the stream with 1000.
struct LogEnd
{
    QString sessionId;
    EndReason reason = EndReason::AgentDisconnected;
    QString message; // for people; at most 4096 characters
};

using ServerMessage = std::variant<LogLines, LogEnd>;

QByteArray encodeLogLines(const LogLines &log);
QByteArray encodeLogEnd(const LogEnd &end);
// For viewers, tools and tests: lines at most 1000 per message and 16 KiB each.
Decoded<ServerMessage> decodeServerMessage(QByteArrayView json);

// Splits lines into consecutive chunks of at most maxLines lines and maxBytes of UTF-8 line text
// (a longer line gets a chunk of its own). Order is kept; no line is cut or dropped.
QList<QStringList> splitLines(const QStringList &lines, qsizetype maxLines = kMaxLinesPerMessage,
                              qsizetype maxBytes = kMaxLineBytesPerMessage);

// The ?tailLines= query value: absent (empty) = kDefaultTailLines; otherwise a decimal integer
// 0..kMaxTailLines. Errors name the field "tailLines".
Decoded<int> parseTailLines(const QString &text);

} // namespace switchboard::protocol::logs
