#include "ClusterLogRelay.h"
#include "ClusterKeys.h"
#include "ClusterLog.h"
#include "ClusterMessages.h"
#include "ClusterPresence.h"

#include "redis/RedisConnection.h"
#include "redis/RedisReply.h"
#include "redis/RedisSubscriber.h"

#include <QFutureWatcher>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::logs::EndReason;
using protocol::logs::LogEnd;

namespace {

constexpr qsizetype kMaxIdLength = 256;

bool isSaneId(const QString &id)
{
    return !id.isEmpty() && id.size() <= kMaxIdLength;
}

QByteArray encodeRequest(const QString &op, const QString &from, const ClusterLogRelay::Follow &follow)
{
    return QJsonDocument(QJsonObject{{u"op"_s, op},
                                     {u"from"_s, from},
                                     {u"sessionId"_s, follow.sessionId},
                                     {u"agentId"_s, follow.agentId},
                                     {u"orgId"_s, follow.orgId},
                                     {u"tailLines"_s, follow.tailLines}})
        .toJson(QJsonDocument::Compact);
}

} // namespace

ClusterLogRelay::ClusterLogRelay(RedisConnection *redis, RedisSubscriber *subscriber,
                                 ClusterPresence *presence, const Config &config, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_subscriber(subscriber)
    , m_presence(presence)
    , m_config(config)
    , m_requestChannel(cluster::logFollowChannel(config.replica))
{
    connect(subscriber, &RedisSubscriber::message, this, &ClusterLogRelay::onMessage);
    connect(subscriber, &RedisSubscriber::subscribed, this, [this](const QByteArray &channel) {
        if (!channel.startsWith(cluster::kSessionLogChannelPrefix))
            return;
        const QString sessionId =
            QString::fromUtf8(channel.mid(qsizetype(sizeof(cluster::kSessionLogChannelPrefix)) - 1));
        const auto it = m_following.constFind(sessionId);
        if (it != m_following.cend() && !it->replica.isEmpty() && !it->requested)
            sendRequest(sessionId, true, it->follow.tailLines);
    });
    // Lines published while we were away are lost: the viewers must know their log has a gap.
    connect(subscriber, &RedisSubscriber::disconnected, this,
            [this] { endAllFollowing(u"lost the connection to Redis"_s); });
    subscriber->subscribe(m_requestChannel);
    m_timer.setInterval(m_config.renewInterval);
    connect(&m_timer, &QTimer::timeout, this, &ClusterLogRelay::tick);
    m_timer.start();
}

ClusterLogRelay::~ClusterLogRelay()
{
    if (!m_subscriber)
        return;
    m_subscriber->unsubscribe(m_requestChannel);
    for (auto it = m_following.cbegin(); it != m_following.cend(); ++it)
        m_subscriber->unsubscribe(cluster::sessionLogChannel(it.key()));
}

void ClusterLogRelay::setServing(StartServing start, StopServing stop)
{
    m_startServing = std::move(start);
    m_stopServing = std::move(stop);
}

int ClusterLogRelay::followerCount(const QString &sessionId) const
{
    const auto it = m_served.constFind(sessionId);
    return it == m_served.cend() ? 0 : int(it->leases.size());
}

bool ClusterLogRelay::redisUp() const
{
    return m_redis && m_redis->isConnected() && m_subscriber && m_subscriber->isConnected() && m_presence;
}

void ClusterLogRelay::follow(const Follow &follow)
{
    const QString sessionId = follow.sessionId;
    if (m_following.contains(sessionId))
        unfollow(sessionId);
    Following entry;
    entry.follow = follow;
    entry.generation = m_nextGeneration++;
    // Presence, the subscription and the request must all be done within one renew interval.
    entry.setupDeadline = QDeadlineTimer(m_config.renewInterval);
    m_following.insert(sessionId, entry);
    const quint64 generation = entry.generation;
    if (!redisUp()) {
        // Ended from the event loop: the caller is still setting up its stream.
        QTimer::singleShot(0, this, [this, sessionId, generation] {
            onLocated(sessionId, generation, {}, u"Redis is unavailable"_s);
        });
        return;
    }
    auto *watcher = new QFutureWatcher<protocol::Decoded<ClusterPresence::AgentLocation>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, sessionId, generation] {
        watcher->deleteLater();
        if (watcher->isCanceled() || watcher->future().resultCount() == 0)
            return onLocated(sessionId, generation, {}, u"presence lookup cancelled"_s);
        const auto location = watcher->result();
        if (!location)
            return onLocated(sessionId, generation, {}, location.error().message);
        if (location.value().replica.isEmpty() || !location.value().replicaAlive)
            return onLocated(sessionId, generation, {}, u"the agent is not connected to any replica"_s);
        onLocated(sessionId, generation, location.value().replica, {});
    });
    watcher->setFuture(m_presence->locate(follow.agentId));
}

void ClusterLogRelay::onLocated(const QString &sessionId, quint64 generation, const QString &replica,
                                const QString &error)
{
    const auto it = m_following.find(sessionId);
    if (it == m_following.end() || it->generation != generation)
        return;
    const QString agentId = it->follow.agentId;
    if (!error.isEmpty() || replica == m_config.replica) {
        endFollowing(sessionId, EndReason::AgentUnavailable,
                     u"agent %1 of session %2 cannot be followed from replica %3: %4"_s.arg(
                         agentId, sessionId, m_config.replica,
                         error.isEmpty() ? u"it is not connected here"_s : error));
        return;
    }
    it->replica = replica;
    const QByteArray channel = cluster::sessionLogChannel(sessionId);
    // Subscribed before asking, so that the tail is not published to nobody.
    if (m_subscriber->channels().contains(channel) && m_subscriber->isConnected())
        sendRequest(sessionId, true, it->follow.tailLines);
    else
        m_subscriber->subscribe(channel);
}

void ClusterLogRelay::sendRequest(const QString &sessionId, bool follow, int tailLines)
{
    const auto it = m_following.find(sessionId);
    if (it == m_following.end())
        return;
    Follow request = it->follow;
    request.tailLines = tailLines;
    const QString replica = it->replica;
    const quint64 generation = it->generation;
    if (follow)
        it->requested = true;
    if (!m_redis || !m_redis->isConnected()) {
        endFollowing(sessionId, EndReason::AgentUnavailable, u"Redis is unavailable"_s);
        return;
    }
    const QPointer<ClusterLogRelay> self(this);
    m_redis->command({"PUBLISH", cluster::logFollowChannel(replica),
                      encodeRequest(follow ? u"follow"_s : u"unfollow"_s, m_config.replica, request)},
                     [self, sessionId, generation, replica, follow](const RedisReply &reply) {
                         if (!self || !follow)
                             return;
                         const auto current = self->m_following.constFind(sessionId);
                         if (current == self->m_following.cend() || current->generation != generation)
                             return;
                         if (reply.isError())
                             self->endFollowing(sessionId, EndReason::AgentUnavailable,
                                                u"could not ask replica %1 for the log: %2"_s.arg(
                                                    replica, QString::fromUtf8(reply.toByteArray())));
                         else if (reply.isInteger() && reply.toInteger() == 0)
                             self->endFollowing(
                                 sessionId, EndReason::AgentUnavailable,
                                 u"replica %1, which holds the agent, does not answer"_s.arg(replica));
                     });
}

void ClusterLogRelay::unfollow(const QString &sessionId)
{
    const auto it = m_following.constFind(sessionId);
    if (it == m_following.cend())
        return;
    if (it->requested)
        sendRequest(sessionId, false, 0);
    m_following.remove(sessionId);
    if (m_subscriber)
        m_subscriber->unsubscribe(cluster::sessionLogChannel(sessionId));
}

void ClusterLogRelay::endFollowing(const QString &sessionId, EndReason reason, const QString &message)
{
    if (!m_following.remove(sessionId))
        return;
    if (m_subscriber)
        m_subscriber->unsubscribe(cluster::sessionLogChannel(sessionId));
    qCInfo(lcCluster) << "no longer following the log of" << sessionId << ":" << message;
    Q_EMIT followEnded({sessionId, reason, message});
}

void ClusterLogRelay::endAllFollowing(const QString &message)
{
    const QStringList sessions = m_following.keys();
    for (const QString &sessionId : sessions) {
        const auto it = m_following.constFind(sessionId);
        if (it == m_following.cend())
            continue;
        endFollowing(sessionId, EndReason::AgentUnavailable,
                     u"the log of session %1 is relayed from another replica through Redis: %2"_s.arg(
                         sessionId, message));
    }
}

void ClusterLogRelay::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    if (channel == m_requestChannel) {
        onRequest(payload);
        return;
    }
    if (!channel.startsWith(cluster::kSessionLogChannelPrefix))
        return;
    const QString sessionId =
        QString::fromUtf8(channel.mid(qsizetype(sizeof(cluster::kSessionLogChannelPrefix)) - 1));
    if (m_following.contains(sessionId))
        onSessionLog(sessionId, payload);
}

void ClusterLogRelay::onSessionLog(const QString &sessionId, const QByteArray &payload)
{
    const auto decoded = protocol::logs::decodeServerMessage(payload);
    if (!decoded) {
        ++m_rejected;
        qCDebug(lcCluster) << "dropped an unreadable log message of" << sessionId << ":"
                           << decoded.error().message;
        return;
    }
    if (const auto *lines = std::get_if<protocol::logs::LogLines>(&decoded.value())) {
        if (lines->sessionId != sessionId) {
            ++m_rejected;
            return;
        }
        Q_EMIT linesReceived(sessionId, lines->lines);
        return;
    }
    const auto &end = std::get<LogEnd>(decoded.value());
    if (end.sessionId != sessionId) {
        ++m_rejected;
        return;
    }
    endFollowing(sessionId, end.reason, end.message);
}

void ClusterLogRelay::onRequest(const QByteArray &payload)
{
    const QJsonDocument document = QJsonDocument::fromJson(payload);
    const QJsonObject json = document.object();
    const QString op = json.value(u"op"_s).toString();
    const QString from = json.value(u"from"_s).toString();
    Follow follow;
    follow.sessionId = json.value(u"sessionId"_s).toString();
    follow.agentId = json.value(u"agentId"_s).toString();
    follow.orgId = json.value(u"orgId"_s).toString();
    follow.tailLines = json.value(u"tailLines"_s).toInt(-1);
    if (payload.size() > cluster::kMaxClusterMessageBytes || !document.isObject() ||
        !cluster::isValidReplicaName(from) || !isSaneId(follow.sessionId) || !isSaneId(follow.agentId) ||
        !isSaneId(follow.orgId) || follow.tailLines < 0 || follow.tailLines > protocol::logs::kMaxTailLines ||
        (op != u"follow"_s && op != u"unfollow"_s)) {
        ++m_rejected;
        qCDebug(lcCluster) << "dropped an unreadable log follow request";
        return;
    }
    if (op == u"unfollow"_s) {
        const auto it = m_served.find(follow.sessionId);
        if (it == m_served.end() || !it->leases.remove(from))
            return;
        qCInfo(lcCluster) << "replica" << from << "no longer follows the log of" << follow.sessionId;
        if (it->leases.isEmpty())
            stopServing(follow.sessionId);
        return;
    }
    const QDeadlineTimer lease(m_config.leaseTimeout);
    const auto it = m_served.find(follow.sessionId);
    if (it != m_served.end()) {
        it->leases.insert(from, lease);
        return;
    }
    const std::optional<LogEnd> refused =
        m_startServing ? m_startServing(follow)
                       : std::optional<LogEnd>(LogEnd{follow.sessionId, EndReason::AgentUnavailable,
                                                      u"replica %1 serves no logs"_s.arg(m_config.replica)});
    if (refused) {
        if (m_redis && m_redis->isConnected())
            m_redis->command({"PUBLISH", cluster::sessionLogChannel(follow.sessionId),
                              protocol::logs::encodeLogEnd(*refused)});
        return;
    }
    qCInfo(lcCluster) << "replica" << from << "follows the log of" << follow.sessionId;
    m_served[follow.sessionId].leases.insert(from, lease);
}

void ClusterLogRelay::publishLines(const QString &sessionId, const QStringList &lines)
{
    const auto it = m_served.find(sessionId);
    if (it == m_served.end())
        return;
    if (!m_redis || !m_redis->isConnected() || it->inFlight >= m_config.maxPublishesInFlight) {
        m_droppedLines += quint64(lines.size());
        return;
    }
    ++it->inFlight;
    const QPointer<ClusterLogRelay> self(this);
    m_redis->command({"PUBLISH", cluster::sessionLogChannel(sessionId),
                      protocol::logs::encodeLogLines({sessionId, lines})},
                     [self, sessionId](const RedisReply &reply) {
                         if (!self)
                             return;
                         const auto served = self->m_served.find(sessionId);
                         if (served == self->m_served.end())
                             return;
                         --served->inFlight;
                         // Every follower subscribes before asking: nobody listening means they
                         // are all gone, whatever their leases say.
                         if (reply.isInteger() && reply.toInteger() == 0) {
                             qCInfo(lcCluster) << "nobody listens to the log of" << sessionId
                                               << "any more; no longer serving it";
                             self->stopServing(sessionId);
                         }
                     });
}

void ClusterLogRelay::publishEnd(const LogEnd &end)
{
    if (!m_served.remove(end.sessionId))
        return;
    if (m_redis && m_redis->isConnected())
        m_redis->command(
            {"PUBLISH", cluster::sessionLogChannel(end.sessionId), protocol::logs::encodeLogEnd(end)});
}

void ClusterLogRelay::stopServing(const QString &sessionId)
{
    if (!m_served.remove(sessionId))
        return;
    if (m_stopServing)
        m_stopServing(sessionId);
}

void ClusterLogRelay::tick()
{
    // Follower side: renew, and give up on a setup that never finished.
    const QStringList followed = m_following.keys();
    for (const QString &sessionId : followed) {
        const auto it = m_following.constFind(sessionId);
        if (it == m_following.cend())
            continue;
        if (it->requested)
            sendRequest(sessionId, true, 0);
        else if (it->setupDeadline.hasExpired())
            endFollowing(sessionId, EndReason::AgentUnavailable,
                         u"could not reach the replica holding agent %1 in time"_s.arg(it->follow.agentId));
    }
    // Server side: followers that stopped renewing are gone.
    const QStringList served = m_served.keys();
    for (const QString &sessionId : served) {
        auto it = m_served.find(sessionId);
        if (it == m_served.end())
            continue;
        for (auto lease = it->leases.begin(); lease != it->leases.end();) {
            if (lease.value().hasExpired()) {
                qCInfo(lcCluster) << "replica" << lease.key() << "stopped renewing its follow of"
                                  << sessionId;
                lease = it->leases.erase(lease);
            } else {
                ++lease;
            }
        }
        if (it->leases.isEmpty())
            stopServing(sessionId);
    }
}

} // namespace switchboard
