// Browser/tool <-> server messages: flat JSON objects {"type", "requestId"?, <fields>} as
// StreamSpace's UI expects, plus the SessionEvent of the original Notifier.
#pragma once

#include "Protocol.h"
#include "Records.h"

namespace switchboard::protocol::browser {

enum class EventType {
    Created,
    Updated,
    Deleted,
    StateChanged,
    Connected,
    Disconnected,
    Heartbeat,
    Idle,
    Active,
    ResourcesUpdated,
    TagsUpdated,
    Shared,
    Unshared,
    Error,
};
QString eventTypeName(EventType type); // session.created ... session.error
std::optional<EventType> eventTypeFromName(QStringView name);

inline constexpr qsizetype kMaxEventDataBytes = 16 * 1024;

struct SessionEvent
{
    EventType type = EventType::Created;
    QString sessionId;
    QString userId;
    QDateTime timestamp;
    QJsonObject data; // omitted on the wire when empty
    QString orgId;    // routing only; on the wire only on the admin stream
};

// {"type","sessionId","userId","timestamp","data"?} (+ "orgId" when includeOrg, for admin streams)
QJsonObject sessionEventToJson(const SessionEvent &event, bool includeOrg);
QByteArray encodeSessionEvent(const SessionEvent &event, bool includeOrg = false);
// Validates an event published by a backend (POST /api/v1/events) or read by a client: type one
// of the 14, sessionId/userId non-empty, timestamp optional (now if absent), data an object of at
// most kMaxEventDataBytes whose required fields for the type are present (state.changed needs
// oldState/newState). "orgId" is read if present.
Decoded<SessionEvent> decodeSessionEvent(const QJsonObject &object, const QDateTime &now);

// ---- client -> server ----
struct Subscribe
{
    QString userId; // exactly one of userId / sessionId
    QString sessionId;
};
struct Unsubscribe
{
    QString userId;
    QString sessionId;
};
struct ClientPing
{
};
using ClientRequest = std::variant<Subscribe, Unsubscribe, ClientPing>;
struct ClientMessage
{
    QString requestId;
    ClientRequest request;
};
// Errors carry the requestId when the frame had a readable one.
Decoded<ClientMessage> decodeClientMessage(QByteArrayView json);
QByteArray encodeClientMessage(const ClientMessage &message);

// ---- server -> client ----
struct OrgMetrics
{
    int running = 0;
    int hibernated = 0;
    int total = 0;
    int activeConnections = 0;
    int repositories = 0;
    int templates = 0;
};
QByteArray encodeSessionsUpdate(const QString &orgId, const QList<SessionInfo> &sessions,
                                const QDateTime &now);
QByteArray encodeMetricsUpdate(const QString &orgId, const OrgMetrics &metrics, const QDateTime &now);
// {"type":"org.broadcast","orgId","timestamp","data"}
QByteArray encodeOrgBroadcast(const QString &orgId, const QJsonValue &data, const QDateTime &now);
// {"type":"error","code","message","requestId"?}
QByteArray encodeError(const Error &error);
// {"type":"reply","requestId","ok":true,"result":{...}}
QByteArray encodeReply(const QString &requestId, const QJsonObject &result);
// {"type":"pong","requestId"?}
QByteArray encodePong(const QString &requestId);

} // namespace switchboard::protocol::browser
