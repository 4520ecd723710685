#include "metrics/MessageTypes.h"

#include <algorithm>
#include <array>

using namespace Qt::StringLiterals;

namespace switchboard::metrics {

namespace {

// Every type of docs/PROTOCOL.md in either direction (agents, browsers, admin and log streams),
// sorted for binary search. A new wire type shows as "other" until it is added here.
constexpr std::array kKnownTypes{
    "ack"_L1,
    "agent.approve"_L1,
    "agent.reject"_L1,
    "agent.removed"_L1,
    "agent.updated"_L1,
    "agents.broadcast"_L1,
    "cluster.status"_L1,
    "command"_L1,
    "command.cancel"_L1,
    "command.send"_L1,
    "command.updated"_L1,
    "complete"_L1,
    "error"_L1,
    "failed"_L1,
    "heartbeat"_L1,
    "log"_L1,
    "log_end"_L1,
    "metrics"_L1,
    "metrics_update"_L1,
    "notice"_L1,
    "org.broadcast"_L1,
    "org.updated"_L1,
    "ping"_L1,
    "pong"_L1,
    "reply"_L1,
    "resume"_L1,
    "resync_required"_L1,
    "session.active"_L1,
    "session.connected"_L1,
    "session.created"_L1,
    "session.deleted"_L1,
    "session.disconnected"_L1,
    "session.error"_L1,
    "session.heartbeat"_L1,
    "session.hibernate"_L1,
    "session.idle"_L1,
    "session.resources.updated"_L1,
    "session.shared"_L1,
    "session.start"_L1,
    "session.state.changed"_L1,
    "session.stop"_L1,
    "session.tags.updated"_L1,
    "session.unshared"_L1,
    "session.updated"_L1,
    "session.wake"_L1,
    "sessions_update"_L1,
    "shutdown"_L1,
    "snapshot"_L1,
    "status"_L1,
    "subscribe"_L1,
    "unsubscribe"_L1,
};

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Index just past the string that starts (with its opening quote) at `from`; -1 if unterminated.
qsizetype skipString(QByteArrayView json, qsizetype from)
{
    for (qsizetype i = from + 1; i < json.size(); ++i) {
        if (json[i] == '\\')
            ++i;
        else if (json[i] == '"')
            return i + 1;
    }
    return -1;
}

} // namespace

QByteArrayView topLevelMessageType(QByteArrayView json)
{
    qsizetype i = 0;
    while (i < json.size() && isBlank(json[i]))
        ++i;
    if (i >= json.size() || json[i] != '{')
        return {};
    int depth = 0;
    bool expectKey = false;
    for (; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '{' || c == '[') {
            ++depth;
            expectKey = depth == 1 && c == '{';
        } else if (c == '}' || c == ']') {
            if (--depth <= 0)
                return {};
        } else if (c == ',') {
            expectKey = depth == 1;
        } else if (c == '"') {
            const qsizetype end = skipString(json, i);
            if (end < 0)
                return {};
            if (depth == 1 && expectKey) {
                expectKey = false;
                const bool isType = json.sliced(i, end - i) == "\"type\""_L1;
                qsizetype j = end;
                while (j < json.size() && isBlank(json[j]))
                    ++j;
                if (j >= json.size() || json[j] != ':')
                    return {};
                ++j;
                while (j < json.size() && isBlank(json[j]))
                    ++j;
                if (isType) {
                    if (j >= json.size() || json[j] != '"')
                        return {};
                    const qsizetype valueEnd = skipString(json, j);
                    if (valueEnd < 0)
                        return {};
                    return json.sliced(j + 1, valueEnd - j - 2);
                }
                i = j - 1;
                continue;
            }
            i = end - 1;
        }
    }
    return {};
}

qsizetype messageTypeIndex(QByteArrayView type)
{
    const QLatin1StringView name(type.data(), type.size());
    const auto it = std::lower_bound(kKnownTypes.begin(), kKnownTypes.end(), name);
    if (it != kKnownTypes.end() && *it == name)
        return it - kKnownTypes.begin();
    return qsizetype(kKnownTypes.size());
}

qsizetype knownMessageTypeCount()
{
    return qsizetype(kKnownTypes.size());
}

QLatin1StringView messageTypeLabel(qsizetype index)
{
    if (index >= 0 && index < qsizetype(kKnownTypes.size()))
        return kKnownTypes[std::size_t(index)];
    return "other"_L1;
}

} // namespace switchboard::metrics
