#include "ClusterBus.h"

#include "ClusterLog.h"

#include "redis/RedisConnection.h"
#include "redis/RedisSubscriber.h"

#include <QRandomGenerator>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {
constexpr qsizetype kMaxInstances = 4096;
} // namespace

ClusterBus::ClusterBus(RedisConnection *redis, RedisSubscriber *subscriber, const Config &config,
                       QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_subscriber(subscriber)
    , m_config(config)
    , m_instance(QString::number(QRandomGenerator::global()->generate64(), 16))
{
    connect(subscriber, &RedisSubscriber::message, this, &ClusterBus::onMessage);
    connect(subscriber, &RedisSubscriber::subscribed, this, [this](const QByteArray &channel) {
        if (channel == m_config.channel)
            setSubscribed(true);
    });
    connect(subscriber, &RedisSubscriber::disconnected, this, [this] { setSubscribed(false); });
    if (subscriber->isConnected() && subscriber->channels().contains(m_config.channel))
        setSubscribed(true);
    subscriber->subscribe(m_config.channel);
}

ClusterBus::~ClusterBus()
{
    if (m_subscriber)
        m_subscriber->unsubscribe(m_config.channel);
}

bool ClusterBus::publish(Topic topic, const QString &orgId, const QJsonObject &payload)
{
    if (!m_redis || !m_redis->isConnected())
        return false;
    cluster::BusEnvelope envelope{m_config.replica, m_instance, m_nextSeq++, topic, orgId, payload};
    const QByteArray bytes = cluster::encodeBusEnvelope(envelope);
    if (bytes.size() > cluster::kMaxClusterMessageBytes) {
        qCWarning(lcCluster) << "not publishing" << cluster::busTopicName(topic) << "of" << bytes.size()
                             << "bytes: larger than the cluster limit";
        return false;
    }
    m_redis->command({"PUBLISH", m_config.channel, bytes});
    return true;
}

bool ClusterBus::publishSessionEvent(const protocol::browser::SessionEvent &event)
{
    return publish(Topic::SessionEvent, event.orgId, protocol::browser::sessionEventToJson(event, true));
}

bool ClusterBus::publishOrgBroadcast(const QString &orgId, const QJsonValue &data)
{
    return publish(Topic::OrgBroadcast, orgId, QJsonObject{{u"data"_s, data}});
}

bool ClusterBus::publishSessionsChanged(const QString &orgId)
{
    return publish(Topic::SessionsChanged, orgId, {});
}

bool ClusterBus::publishAdminDelta(const QString &orgId, const QJsonObject &delta)
{
    return publish(Topic::AdminDelta, orgId, delta);
}

bool ClusterBus::publishReplicaLoad(const QJsonObject &report)
{
    return publish(Topic::ReplicaLoad, {}, report);
}

void ClusterBus::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    if (channel != m_config.channel)
        return;
    const auto decoded = cluster::decodeBusEnvelope(payload);
    if (!decoded) {
        ++m_rejected;
        qCDebug(lcCluster) << "dropped bus message:" << decoded.error().message;
        return;
    }
    const cluster::BusEnvelope &envelope = decoded.value();
    if (envelope.origin == m_config.replica || envelope.instance == m_instance) {
        ++m_ignored; // our own: delivered locally when it happened
        return;
    }
    const QString publisher = envelope.origin + u'/' + envelope.instance;
    auto it = m_lastSeq.find(publisher);
    if (it != m_lastSeq.end() && envelope.seq <= it.value()) {
        ++m_ignored;
        return;
    }
    if (it == m_lastSeq.end()) {
        if (m_lastSeq.size() >= kMaxInstances)
            m_lastSeq.clear(); // only a flood of fake instances gets here
        it = m_lastSeq.insert(publisher, envelope.seq);
    } else {
        it.value() = envelope.seq;
    }

    switch (envelope.topic) {
    case Topic::SessionEvent:
        Q_EMIT sessionEventReceived(envelope.orgId, envelope.payload, envelope.origin);
        break;
    case Topic::OrgBroadcast:
        Q_EMIT orgBroadcastReceived(envelope.orgId, envelope.payload.value(u"data"_s), envelope.origin);
        break;
    case Topic::SessionsChanged:
        Q_EMIT sessionsChanged(envelope.orgId, envelope.origin);
        break;
    case Topic::AdminDelta:
        Q_EMIT adminDeltaReceived(envelope.orgId, envelope.payload, envelope.origin);
        break;
    case Topic::ReplicaLoad:
        Q_EMIT replicaLoadReceived(envelope.payload, envelope.origin);
        break;
    }
}

void ClusterBus::setSubscribed(bool subscribed)
{
    if (subscribed == m_subscribed)
        return;
    m_subscribed = subscribed;
    Q_EMIT subscribedChanged(subscribed);
}

} // namespace switchboard
