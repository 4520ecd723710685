// ClusterPresence: this replica's share of the cluster-wide agent directory in Redis. It keeps the
// set of agents connected here (the local truth, which keeps working while Redis is down), writes
// agent:{id}:pod / agent:{id}:connected for them with a TTL, refreshes all of them plus the
// replica's liveness key in one batched pass per interval, removes an agent's keys on disconnect
// only while they still name this replica, and answers "where is agent X" and "which agents are
// connected anywhere". See docs/DEPLOYMENT.md "Redis keys and channels".
#pragma once

#include "shared/Protocol.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <chrono>

namespace switchboard {

class RedisConnection;

class ClusterPresence : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        QString replica; // cluster::isValidReplicaName
        // Lifetime of an agent's keys: when a replica dies, its agents stop counting as connected
        // within this time (lookups also check the replica's own liveness key, which is faster).
        std::chrono::seconds agentTtl{90};
        // Lifetime of replica:{name}:alive.
        std::chrono::seconds replicaTtl{30};
        // One refresh pass per interval; keep it well below both TTLs (a third or less).
        std::chrono::milliseconds refreshInterval{10000};
        // Agents refreshed per EVAL: one round trip per this many agents.
        int refreshBatchSize = 500;
    };

    struct AgentLocation
    {
        QString replica;           // empty: the agent is registered nowhere
        bool replicaAlive = false; // its replica's liveness key exists (always true for this replica)
    };

    struct AgentDirectory
    {
        QHash<QString, QString> replicaByAgent; // agents of live replicas, this one included
        // false when Redis could not be asked: replicaByAgent then holds this replica's agents only.
        bool complete = true;
    };

    // `redis` is not owned and may be shared with other components; it must outlive this object
    // or be destroyed with it. Opening it is the owner's job.
    ClusterPresence(RedisConnection *redis, const Config &config, QObject *parent = nullptr);
    ~ClusterPresence() override;

    const QString &replica() const { return m_config.replica; }

    // Starts the refresh timer and publishes everything now (or as soon as Redis is connected).
    void start();
    void stop();

    // An agent connected here: registered at once, overwriting any previous owner (the newest
    // connection wins). Without Redis it is only remembered and published on recovery.
    void agentConnected(const QString &agentId);
    // Removes the agent locally and its keys only if they still name this replica, atomically, so
    // a late disconnect never erases the agent's registration on another replica. Without Redis
    // the removal is done by the first pass after recovery.
    void agentDisconnected(const QString &agentId);
    // A heartbeat costs no round trip: the periodic pass refreshes every local agent. An agent
    // that is not known here (e.g. its connect was never reported) is added.
    void agentHeartbeat(const QString &agentId);
    bool isLocal(const QString &agentId) const { return m_localAgents.contains(agentId); }
    QStringList localAgents() const;

    // Redis answered the last time it was asked (connected, not in an outage).
    bool isAvailable() const { return m_available; }

    // Where agent X is connected. A local agent is answered without Redis; otherwise an
    // Unavailable error while Redis is down.
    QFuture<protocol::Decoded<AgentLocation>> locate(const QString &agentId);
    // Every agent of a live replica (SCAN over agent:*:pod, then the replicas' liveness keys).
    QFuture<AgentDirectory> connectedAgents();
    // Names of replicas whose liveness key exists.
    QFuture<protocol::Decoded<QStringList>> liveReplicas();

    // Graceful shutdown: removes this replica's liveness key and the keys of all local agents that
    // still name it, and forgets them locally. The future finishes when Redis answered (false if
    // it could not).
    QFuture<bool> withdraw();

    // One refresh pass now (the timer calls it): replica liveness plus every local agent whose
    // keys are missing, name this replica or name a dead one. Skipped while one is in flight.
    void refreshNow();

Q_SIGNALS:
    // Transitions only: false once when Redis becomes unreachable (not per retry), true when it
    // answers again (also the first time).
    void availabilityChanged(bool available);
    // A pass after (re)connecting published every local agent again.
    void republished(int agents);
    // Any refresh pass finished; `agents` = local agents it wrote.
    void refreshed(int agents);
    // A refresh found the agent registered by another live replica: the agent has a newer
    // connection there, so the local one is stale (AgentHub may close it).
    void agentClaimedElsewhere(const QString &agentId, const QString &replica);

private:
    void onConnected();
    void onConnectionTrouble();
    void setAvailable(bool available);
    void registerAgent(const QString &agentId);
    void release(const QStringList &agentIds);

    QPointer<RedisConnection> m_redis;
    Config m_config;
    QString m_instance; // random per process: the value of the liveness key
    QSet<QString> m_localAgents;
    // Disconnected while Redis was unreachable: their keys still name this replica and are
    // released (guarded) by the next pass instead of lingering until their TTL.
    QSet<QString> m_pendingRelease;
    QTimer m_refreshTimer;
    bool m_started = false;
    bool m_available = false;
    bool m_availabilityKnown = false;
    bool m_passInFlight = false;
    bool m_passAgain = false;
    bool m_announceNextPass = false;
};

} // namespace switchboard
