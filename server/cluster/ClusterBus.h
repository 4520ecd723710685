// ClusterBus: fan-out of browser-facing traffic between replicas. Each replica publishes what
// happened locally (session events, org broadcasts, "sessions changed" hints, admin deltas, load
// reports) on one channel; every other replica emits it exactly once for its own clients. A
// replica ignores its own messages (it already delivered them locally) and any message it has seen before.
#pragma once

#include "ClusterKeys.h"
#include "ClusterMessages.h"

#include "shared/BrowserProtocol.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

namespace switchboard {

class RedisConnection;
class RedisSubscriber;

class ClusterBus : public QObject
{
    Q_OBJECT
public:
    using Topic = cluster::BusTopic;

    struct Config
    {
        QString replica;
        QByteArray channel = cluster::kEventsChannel;
    };

    // `redis` and `subscriber` are not owned and may be shared with other cluster components.
    ClusterBus(RedisConnection *redis, RedisSubscriber *subscriber, const Config &config,
               QObject *parent = nullptr);
    ~ClusterBus() override;

    // Publishes to the other replicas. While Redis is down nothing is queued: the others miss it
    // (their clients resynchronise from storage; see docs/DEPLOYMENT.md). False if not sent.
    bool publish(Topic topic, const QString &orgId, const QJsonObject &payload);
    // The event as the admin stream shows it (sessionEventToJson with orgId, so any field the
    // shared codec writes, seq/epoch included, travels as is).
    bool publishSessionEvent(const protocol::browser::SessionEvent &event);
    bool publishOrgBroadcast(const QString &orgId, const QJsonValue &data);
    // A hint: the org's sessions changed, send its sessions_update now rather than at the next tick.
    bool publishSessionsChanged(const QString &orgId);
    bool publishAdminDelta(const QString &orgId, const QJsonObject &delta);
    // This replica's load report (ClusterLoad), so that the others need not wait for their next
    // read of Redis to see a count change.
    bool publishReplicaLoad(const QJsonObject &report);

    bool isSubscribed() const { return m_subscribed; }
    // Messages dropped as unreadable (hostile input), for tests and metrics.
    int rejectedMessages() const { return m_rejected; }
    // Messages dropped as duplicates (seen before) or as our own.
    int ignoredMessages() const { return m_ignored; }

Q_SIGNALS:
    void subscribedChanged(bool subscribed);
    // One per message of another replica. The payloads are as validated as the envelope only:
    // decode them with the shared codecs before use (e.g. decodeSessionEvent).
    void sessionEventReceived(const QString &orgId, const QJsonObject &event, const QString &origin);
    void orgBroadcastReceived(const QString &orgId, const QJsonValue &data, const QString &origin);
    void sessionsChanged(const QString &orgId, const QString &origin);
    void adminDeltaReceived(const QString &orgId, const QJsonObject &delta, const QString &origin);
    void replicaLoadReceived(const QJsonObject &report, const QString &origin);

private:
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void setSubscribed(bool subscribed);

    QPointer<RedisConnection> m_redis;
    QPointer<RedisSubscriber> m_subscriber;
    Config m_config;
    QString m_instance;
    quint64 m_nextSeq = 1;
    // Highest seq seen per publishing instance ("origin/instance"): a replayed or doubly received
    // message is not delivered twice. Bounded: cleared when it grows past kMaxInstances.
    QHash<QString, quint64> m_lastSeq;
    bool m_subscribed = false;
    int m_rejected = 0;
    int m_ignored = 0;
};

} // namespace switchboard
