// The JSON messages replicas exchange over Redis pub/sub, with their validation. Everything read
// from Redis is hostile input: decoders return a typed error, never throw, and bound every size.
#pragma once

#include "shared/AgentProtocol.h"
#include "shared/Protocol.h"

#include <QJsonObject>
#include <QString>

namespace switchboard::cluster {

// Larger messages are dropped unread: an agent frame is at most 512 KiB, plus the envelope.
inline constexpr qsizetype kMaxClusterMessageBytes = 1024 * 1024;

// On pod:{replica}:commands. The Go original's {"agentId","message":"<agent frame JSON>"} plus
// our "origin" (who wants the confirmation) and "requestId" (matches the confirmation). A message
// without origin (a Go replica's) is delivered and not confirmed.
struct RoutedCommand
{
    QString requestId;
    QString origin;
    QString agentId;
    protocol::agent::Command command;
};
QByteArray encodeRoutedCommand(const RoutedCommand &routed, const QDateTime &timestamp);
// The inner message must be a valid agent command frame (decodeServerFrame).
protocol::Decoded<RoutedCommand> decodeRoutedCommand(QByteArrayView json);

// On pod:{origin}:confirm: {"requestId","commandId","agentId","replica","delivered","error"?}.
struct CommandConfirmation
{
    QString requestId;
    QString commandId;
    QString agentId;
    QString replica; // who answers
    bool delivered = false;
    QString error; // why not, when not delivered
};
QByteArray encodeCommandConfirmation(const CommandConfirmation &confirmation);
protocol::Decoded<CommandConfirmation> decodeCommandConfirmation(QByteArrayView json);

// On switchboard:events: {"v":1,"origin","instance","seq","topic","orgId"?,"payload":{...}}.
// ReplicaLoad (a replica's load report, ClusterLoad) is newer than the rest: a replica older than it
// drops those messages as unreadable, which costs it nothing but the cluster view.
enum class BusTopic { SessionEvent, OrgBroadcast, SessionsChanged, AdminDelta, ReplicaLoad };
// session_event, org_broadcast, sessions_changed, admin_delta, replica_load
QString busTopicName(BusTopic topic);
std::optional<BusTopic> busTopicFromName(QStringView name);

struct BusEnvelope
{
    QString origin;   // replica name
    QString instance; // random per process: seq restarts with it
    quint64 seq = 0;  // per instance, from 1, in publish order
    BusTopic topic = BusTopic::SessionEvent;
    QString orgId; // empty = not org-scoped (e.g. a delta for platform admins)
    QJsonObject payload;
};
QByteArray encodeBusEnvelope(const BusEnvelope &envelope);
protocol::Decoded<BusEnvelope> decodeBusEnvelope(QByteArrayView json);

} // namespace switchboard::cluster
