// ClusterLoad: the cluster-wide view of the replicas' load. Each replica writes its own load
// report (agents, open streams by kind, per-org client counts, message totals) to
// replica:{name}:load with the liveness key's lifetime, publishes it on the cluster bus when a
// count changes, and reads every live replica's report on each presence refresh and metrics tick.
// A replica that dies stops refreshing its key: its numbers leave the view once its liveness key
// expired. Everything is asynchronous; while Redis cannot be asked the view holds this replica
// alone and says so (partial). See docs/ARCHITECTURE.md "Cluster mode".
#pragma once

#include "shared/AdminProtocol.h"
#include "shared/Protocol.h"

#include <QFuture>
#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>

template<class T>
class QPromise;

namespace switchboard {

class ClusterBus;
class RedisConnection;

namespace cluster {

// One replica's load as it publishes it (Redis key and bus payload):
// {"v":1,"replica","instance","version","at","agentsConnected","browserClients","messagesIn",
//  "messagesOut","clients":{"sessions":n,...},"orgs":{"acme":n,...}}
struct LoadReport
{
    QString replica;
    QString instance;    // random per process
    quint64 version = 0; // per instance, grows with each report
    qint64 atMs = 0;     // when it was sampled (ms since the epoch): orders two instances' reports
    protocol::admin::LoadCounts counts;
    QMap<QString, int> clients;     // open streams by kind: sessions, cluster, admin, logs
    QHash<QString, int> orgClients; // per org, every stream kind (Hub::clientCount); no zeros
};
// A report names at most this many organisations (larger ones are refused, not truncated).
inline constexpr qsizetype kMaxLoadReportOrgs = 20000;
QJsonObject loadReportToJson(const LoadReport &report);
// Everything read from Redis is hostile: sizes, names and counts are checked.
protocol::Decoded<LoadReport> decodeLoadReport(const QJsonObject &json);
protocol::Decoded<LoadReport> decodeLoadReport(QByteArrayView json);

} // namespace cluster

class ClusterLoad : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        QString replica;
        // Lifetime of replica:{name}:load; the replica's liveness TTL (ClusterPresence::Config).
        std::chrono::seconds ttl{30};
        // Count changes within this time go out as one report.
        std::chrono::milliseconds publishDelay{250};
        // Other replicas remembered at most (a flood of fake names cannot grow memory further).
        int maxReplicas = 256;
    };
    // This replica's numbers now; replica, instance, version and time are filled in here.
    using Sampler = std::function<cluster::LoadReport()>;

    // `redis` and `bus` are not owned and must outlive this object or be destroyed with it.
    ClusterLoad(RedisConnection *redis, ClusterBus *bus, Sampler sampler, const Config &config,
                QObject *parent = nullptr);
    ~ClusterLoad() override;

    // A local count changed: a report reaches Redis and the other replicas within publishDelay.
    void localChanged();
    // Writes this replica's report and reads every live replica's. The future finishes with true
    // once Redis answered, false at once when it cannot be asked. A call while a read is in flight
    // joins it.
    QFuture<bool> refresh();
    // ClusterPresence's view of Redis. Unavailable: other replicas' numbers are dropped (they can
    // no longer be kept up to date); available again: read at once.
    void setAvailable(bool available);
    bool isAvailable() const { return m_available; }
    // A report another replica published on the bus.
    void applyRemote(const QJsonObject &report, const QString &origin);

    // An org's browser clients on the OTHER replicas (the caller adds this replica's Hub count).
    int remoteOrgClients(const QString &orgId) const;
    // Organisations with clients on other replicas.
    QStringList remoteOrgs() const;
    // Other replicas' last reports, by replica name.
    QList<cluster::LoadReport> remoteReports() const;
    // Reports dropped as unreadable.
    int rejectedReports() const { return m_rejected; }

    // The admin stream's metrics message: this replica's numbers at the top level, the cluster
    // totals and the per-replica breakdown (`remote` empty and `partial` false for a single node).
    static protocol::admin::Metrics composeMetrics(const cluster::LoadReport &local,
                                                   const QList<cluster::LoadReport> &remote, bool partial,
                                                   const QDateTime &now);
    protocol::admin::Metrics metrics(const QDateTime &now);

Q_SIGNALS:
    // Other replicas' share of an org's client count changed (a report arrived, a replica went
    // away, Redis became unreachable).
    void remoteOrgClientsChanged(const QString &orgId);

private:
    cluster::LoadReport sample();
    void publish();
    void apply(cluster::LoadReport report);
    void remove(const QString &replica);
    void emitOrgDiff(const QHash<QString, int> &before, const QHash<QString, int> &after);
    void onRead(const QList<QByteArray> &reports, quint64 startedAt);

    struct Remote
    {
        cluster::LoadReport report;
        quint64 touched = 0; // m_generation when last confirmed by a read or a bus report
    };

    QPointer<RedisConnection> m_redis;
    QPointer<ClusterBus> m_bus;
    Sampler m_sampler;
    Config m_config;
    QString m_instance;
    quint64 m_version = 0;
    quint64 m_generation = 0;
    QHash<QString, Remote> m_remote;
    QTimer m_publishTimer;
    std::shared_ptr<QPromise<bool>> m_reading;
    bool m_available = false;
    int m_rejected = 0;
};

} // namespace switchboard
