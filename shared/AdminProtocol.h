// The admin stream (/api/v1/ws/admin): snapshot, live deltas and requests with a requestId.
// Replies and errors use browser::encodeReply / browser::encodeError.
#pragma once

#include "AgentProtocol.h"
#include "BrowserProtocol.h"
#include "Records.h"

#include <QMap>

namespace switchboard::protocol::admin {

// ---- requests ----
struct CommandSend // command.send
{
    QString agentId;
    agent::Action action = agent::Action::StartSession;
    QJsonObject payload; // normalised with agent::normalizeCommandPayload
};
struct SessionStart // session.start
{
    QString orgId;
    QString userId;
    QString templateName; // "template" on the wire
    QString agentId;      // optional
    QString memory;       // optional, default 2Gi
    QString cpu;          // optional, default 1000m
};
struct SessionControl // session.stop | session.hibernate | session.wake
{
    agent::Action action = agent::Action::StopSession;
    QString sessionId;
};
struct OrgBroadcast // org.broadcast
{
    QString orgId;
    QJsonValue data; // any JSON value, at most browser::kMaxEventDataBytes encoded
};
struct AgentsBroadcast // agents.broadcast
{
    QString message;        // delivered as shutdown{reason} when shutdown is true, else as notice{message}
    QString excludeAgentId; // optional
    bool shutdown = false;
};
struct AgentDecision // agent.approve | agent.reject
{
    QString agentId;
    bool approve = true;
};
struct CommandCancel // command.cancel: a command still pending becomes cancelled
{
    QString commandId;
};
// resume: the snapshot again, then the session events missed after each listed org's seq.
struct Resume
{
    QString epoch;
    QMap<QString, qint64> since; // orgId -> last seq the client has; unlisted orgs replay nothing
};
// Credentials (admins only for tokens; PROTOCOL.md "Credentials").
struct TokenRevoke // token.revoke: refuse a JWT by its jti from now until expiresAt
{
    QString jti;
    QDateTime expiresAt; // optional: the token's exp; invalid = the longest token lifetime from now
};
struct TokenRevocationList // token.revocations: the revocations in force
{
};
struct AgentRotateKey // agent.rotate_key: a new API key; the old one works graceSeconds longer
{
    QString agentId;
    qint64 graceSeconds = 0;
};
inline constexpr qint64 kMaxKeyGraceSeconds = 30LL * 24 * 3600;
using Request =
    std::variant<CommandSend, SessionStart, SessionControl, OrgBroadcast, AgentsBroadcast, AgentDecision,
                 CommandCancel, Resume, TokenRevoke, TokenRevocationList, AgentRotateKey>;
struct RequestMessage
{
    QString requestId; // required on the admin stream
    Request request;
};
QString requestTypeName(const Request &request);
Decoded<RequestMessage> decodeRequest(QByteArrayView json);
QByteArray encodeRequest(const RequestMessage &message);

// At most this many orgs in one resume position (frame or URL).
inline constexpr qsizetype kMaxResumeOrgs = 1024;
// The URL form of a resume position, "org:seq,org:seq" (org ids may not contain ',' or ':' here).
Decoded<QMap<QString, qint64>> parseResumePositions(QStringView text);
QString formatResumePositions(const QMap<QString, qint64> &since);

// ---- server -> admin ----
// Where the session event histories of the client's orgs stand when a snapshot is taken.
struct EventPosition
{
    QString epoch;              // empty: the snapshot carries no event position
    QMap<QString, qint64> seqs; // orgId -> latest seq
};
// The sessions of a snapshot: every session of the client's orgs that has not ended (not
// terminated or failed), as they stood right after the snapshot's seqs were read, so that the
// session events after those seqs apply on top. At most kMaxSnapshotSessions; truncated says the
// server had more than it listed.
inline constexpr qsizetype kMaxSnapshotSessions = 10000;
struct SnapshotSessions
{
    QList<SessionInfo> sessions;
    bool truncated = false;
};
// {"type":"snapshot","timestamp","agents":[...],"orgs":[...],"commands":[...],"sessions":[...],
//  "sessionsTruncated"?:true,"epoch"?,"seqs"?:{...},"partial"?:true} - partial: cluster mode,
// Redis could not be asked; agents of other replicas may show as offline.
QByteArray encodeSnapshot(const QList<AgentInfo> &agents, const QList<OrgInfo> &orgs,
                          const QList<CommandInfo> &commands, const QDateTime &now,
                          const EventPosition &events = {}, bool partial = false,
                          const SnapshotSessions &sessions = {});
// The "sessions" and "sessionsTruncated" fields of a parsed snapshot. Absent means none (a server
// from before the field). Each item must be a session record with a non-empty orgId; more than
// kMaxSnapshotSessions items is an error naming "sessions".
Decoded<SnapshotSessions> decodeSnapshotSessions(const QJsonObject &snapshot);
QByteArray encodeAgentUpdated(const AgentInfo &agent);       // {"type":"agent.updated","agent":{...}}
QByteArray encodeAgentRemoved(const QString &agentId);       // {"type":"agent.removed","agentId"}
QByteArray encodeOrgUpdated(const OrgInfo &org);             // {"type":"org.updated","org":{...}}
QByteArray encodeCommandUpdated(const CommandInfo &command); // {"type":"command.updated","command":{...}}
// {"type":"cluster.status","redis":"ok"|"unavailable","timestamp"}: this replica's view of the
// cluster bus changed (only in cluster mode; PROTOCOL.md).
QByteArray encodeClusterStatus(bool redisAvailable, const QDateTime &now);

// Load counts: one replica's, or the sum over the replicas of a cluster.
struct LoadCounts
{
    int agentsConnected = 0;
    int browserClients = 0; // sessions and cluster streams; consoles and log followers not counted
    quint64 messagesIn = 0; // frames received from agents and from every client of the Hub
    quint64 messagesOut = 0;
};
// One replica's entry in a metrics message's per-replica breakdown.
struct ReplicaLoad
{
    QString replica;
    LoadCounts counts;
    QMap<QString, int> clients; // open streams by kind: sessions, cluster, admin, logs
};

// Published every metrics interval. The top-level counts are the publishing replica's (their
// meaning predates clusters); `cluster` sums every live replica and `replicas` breaks it down
// (PROTOCOL.md). The message counters are totals since the replica started (clients derive rates
// from two samples; a smaller total means a restart).
// {"type":"metrics","timestamp","replica","agentsConnected","browserClients","messagesIn","messagesOut",
//  "cluster":{...counts,"replicas"},"replicas":[{"replica",...counts,"clients"}],"partial"?}
struct Metrics
{
    QDateTime timestamp;
    QString replica;
    int agentsConnected = 0;
    int browserClients = 0; // sessions and cluster streams; consoles and log followers not counted
    quint64 messagesIn = 0; // frames received from agents and from every client of the Hub
    quint64 messagesOut = 0;
    // Absent (nullopt, replicas empty) from servers older than the cluster view.
    std::optional<LoadCounts> cluster;
    QList<ReplicaLoad> replicas;
    // Redis could not be asked: `cluster` and `replicas` hold this replica only.
    bool partial = false;
};
// A metrics message lists at most this many replicas.
inline constexpr qsizetype kMaxMetricsReplicas = 1024;
// Totals beyond this (2^53) would not survive a JSON number; encode clamps to it.
inline constexpr quint64 kMaxMetricsCounter = (quint64(1) << 53);
QByteArray encodeMetrics(const Metrics &metrics);
Decoded<Metrics> decodeMetrics(QByteArrayView json);
// The fields of an already parsed message whose type is "metrics".
Decoded<Metrics> decodeMetrics(const QJsonObject &object);

} // namespace switchboard::protocol::admin
