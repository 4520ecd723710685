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
    // Position in the org's event history, given by the EventJournal when the event is recorded;
    // 0 (and no epoch) until then. On the wire only when recorded.
    qint64 seq = 0;
    QString epoch;
};

// {"type","sessionId","userId","timestamp","data"?,"seq"?,"epoch"?} (+ "orgId" when includeOrg,
// for admin streams); seq/epoch are written when seq > 0.
QJsonObject sessionEventToJson(const SessionEvent &event, bool includeOrg);
QByteArray encodeSessionEvent(const SessionEvent &event, bool includeOrg = false);
// Validates an event published by a backend (POST /api/v1/events) or read by a client: type one
// of the 14, sessionId/userId non-empty, timestamp optional (now if absent), data an object of at
// most kMaxEventDataBytes whose required fields for the type are present (state.changed needs
// oldState/newState). "orgId", "seq" (integer >= 0) and "epoch" are read if present; the server
// ignores seq/epoch of published events and gives its own.
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
// {"type":"resume","since":<seq>,"epoch":"<epoch>"}: replay what was missed after `since`.
struct Resume
{
    qint64 since = 0;
    QString epoch;
};
using ClientRequest = std::variant<Subscribe, Unsubscribe, ClientPing, Resume>;
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
// {"type":"resync_required","orgId"?,"epoch","seq"}: the history cannot fill the client's gap; its
// state comes again in full (sessions_update, or the admin snapshot). orgId only when non-empty
// (the admin stream, which spans several orgs).
QByteArray encodeResyncRequired(const QString &epoch, qint64 latestSeq, const QString &orgId = {});

// Limits of resume positions, shared by the frame and URL forms.
inline constexpr qint64 kMaxSeq = (qint64(1) << 53) - 1; // exact in a JSON number
inline constexpr qsizetype kMaxEpochLength = 64;
// A "since" URL value or frame field: an integer 0..kMaxSeq, else nullopt.
std::optional<qint64> parseSeq(QStringView text);

} // namespace switchboard::protocol::browser
