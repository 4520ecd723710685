// The Redis key and channel names shared by every replica: the one place they are spelled.
// agent:{id}:pod and agent:{id}:connected and pod:{replica}:commands are the Go original's names
// (a Go replica and ours read each other's presence); the rest are Switchboard's own.
// docs/DEPLOYMENT.md "Redis keys and channels" lists them with their values and lifetimes.
#pragma once

#include <QByteArray>
#include <QString>

namespace switchboard::cluster {

inline QByteArray agentPodKey(const QString &agentId)
{
    return "agent:" + agentId.toUtf8() + ":pod";
}
inline QByteArray agentConnectedKey(const QString &agentId)
{
    return "agent:" + agentId.toUtf8() + ":connected";
}
inline constexpr char kAgentPodPattern[] = "agent:*:pod";
inline constexpr char kAgentKeyPrefix[] = "agent:";
inline constexpr char kAgentPodSuffix[] = ":pod";
inline constexpr char kAgentConnectedValue[] = "true";

inline constexpr char kReplicaKeyPrefix[] = "replica:";
inline constexpr char kReplicaAliveSuffix[] = ":alive";
inline QByteArray replicaAliveKey(const QString &replica)
{
    return kReplicaKeyPrefix + replica.toUtf8() + kReplicaAliveSuffix;
}
// This replica's load report (ClusterLoad), JSON, with the liveness key's lifetime.
inline constexpr char kReplicaLoadSuffix[] = ":load";
inline QByteArray replicaLoadKey(const QString &replica)
{
    return kReplicaKeyPrefix + replica.toUtf8() + kReplicaLoadSuffix;
}

// Commands for agents connected to `replica`, published by any replica.
inline QByteArray commandChannel(const QString &replica)
{
    return "pod:" + replica.toUtf8() + ":commands";
}
// Delivery confirmations for commands that `replica` routed to another one.
inline QByteArray confirmChannel(const QString &replica)
{
    return "pod:" + replica.toUtf8() + ":confirm";
}
// Requests to `replica` to follow (and keep following) or to stop following a session's live log
// for another replica's viewers (ClusterLogRelay).
inline QByteArray logFollowChannel(const QString &replica)
{
    return "pod:" + replica.toUtf8() + ":logs";
}
// A session's live log, published by the replica holding its agent while other replicas follow it:
// the viewers' own `log` / `log_end` messages.
inline constexpr char kSessionLogChannelPrefix[] = "logs:";
inline QByteArray sessionLogChannel(const QString &sessionId)
{
    return kSessionLogChannelPrefix + sessionId.toUtf8();
}
// Browser traffic fanned out to every replica.
inline constexpr char kEventsChannel[] = "switchboard:events";

// Replica names end up in key and channel names: 1..200 visible ASCII characters, no whitespace
// (the rule of --replica-name in server/config, checked again here for names read from Redis).
bool isValidReplicaName(const QString &name);

} // namespace switchboard::cluster
