#include "CommandRouter.h"

#include "ClusterKeys.h"
#include "ClusterLog.h"
#include "ClusterMessages.h"
#include "ClusterPresence.h"

#include "redis/RedisConnection.h"
#include "redis/RedisSubscriber.h"

#include <QFutureWatcher>
#include <QRandomGenerator>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

QFuture<RouteResult> resolved(RouteResult::Status status, const QString &replica, const QString &error)
{
    QPromise<RouteResult> promise;
    promise.start();
    promise.addResult(RouteResult{status, replica, error});
    promise.finish();
    return promise.future();
}

} // namespace

QString routeStatusName(RouteResult::Status status)
{
    switch (status) {
    case RouteResult::Status::Delivered:
        return u"delivered"_s;
    case RouteResult::Status::NotConnected:
        return u"not_connected"_s;
    case RouteResult::Status::NoSubscriber:
        return u"no_subscriber"_s;
    case RouteResult::Status::Refused:
        return u"refused"_s;
    case RouteResult::Status::Timeout:
        return u"timeout"_s;
    case RouteResult::Status::Unavailable:
        return u"unavailable"_s;
    }
    return {};
}

CommandRouter::CommandRouter(RedisConnection *redis, RedisSubscriber *subscriber, ClusterPresence *presence,
                             const Config &config, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_subscriber(subscriber)
    , m_presence(presence)
    , m_config(config)
    , m_commandsChannel(cluster::commandChannel(config.replica))
    , m_confirmChannel(cluster::confirmChannel(config.replica))
    , m_instance(QString::number(QRandomGenerator::global()->generate64(), 16))
{
    m_timeoutTimer.setSingleShot(true);
    connect(&m_timeoutTimer, &QTimer::timeout, this, &CommandRouter::expire);
    connect(subscriber, &RedisSubscriber::message, this, &CommandRouter::onMessage);
    connect(subscriber, &RedisSubscriber::subscribed, this, [this](const QByteArray &channel) {
        if (channel == m_commandsChannel)
            m_commandsSubscribed = true;
        else if (channel == m_confirmChannel)
            m_confirmSubscribed = true;
        updateReady();
    });
    connect(subscriber, &RedisSubscriber::disconnected, this, &CommandRouter::onSubscriberDown);
    connect(subscriber, &RedisSubscriber::errorOccurred, this, &CommandRouter::onSubscriberDown);
    if (subscriber->isConnected() && subscriber->channels().contains(m_commandsChannel) &&
        subscriber->channels().contains(m_confirmChannel)) {
        // Already subscribed by someone sharing the subscriber: no confirmation will come again.
        m_commandsSubscribed = m_confirmSubscribed = true;
        updateReady();
    }
    subscriber->subscribe(m_commandsChannel);
    subscriber->subscribe(m_confirmChannel);
}

CommandRouter::~CommandRouter()
{
    if (m_subscriber) {
        m_subscriber->unsubscribe(m_commandsChannel);
        m_subscriber->unsubscribe(m_confirmChannel);
    }
    // Outstanding futures are cancelled by their promises' destructors: never "delivered".
}

QFuture<RouteResult> CommandRouter::deliver(const QString &agentId, const protocol::agent::Command &command)
{
    if (!m_presence)
        return resolved(RouteResult::Status::Unavailable, {}, u"no presence directory"_s);
    auto promise = std::make_shared<QPromise<RouteResult>>();
    promise->start();
    auto *watcher = new QFutureWatcher<protocol::Decoded<ClusterPresence::AgentLocation>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, promise, agentId, command] {
        watcher->deleteLater();
        auto forward = [promise](const RouteResult &result) {
            promise->addResult(result);
            promise->finish();
        };
        if (watcher->isCanceled() || watcher->future().resultCount() == 0)
            return forward({RouteResult::Status::Unavailable, {}, u"presence lookup cancelled"_s});
        const auto location = watcher->result();
        if (!location)
            return forward({RouteResult::Status::Unavailable, {}, location.error().message});
        const auto &where = location.value();
        if (where.replica.isEmpty())
            return forward({RouteResult::Status::NotConnected, {}, u"agent not connected to any replica"_s});
        if (!where.replicaAlive)
            return forward({RouteResult::Status::NotConnected, where.replica,
                            u"replica "_s + where.replica + u" is not alive"_s});
        if (where.replica == m_config.replica) {
            const bool sent = m_localDelivery && m_localDelivery(agentId, command);
            return forward({sent ? RouteResult::Status::Delivered : RouteResult::Status::Refused,
                            where.replica, sent ? QString() : u"agent not connected here"_s});
        }
        auto *inner = new QFutureWatcher<RouteResult>(this);
        connect(inner, &QFutureWatcherBase::finished, this, [inner, forward, replica = where.replica] {
            inner->deleteLater();
            if (inner->isCanceled() || inner->future().resultCount() == 0)
                return forward({RouteResult::Status::Unavailable, replica, u"router stopped"_s});
            forward(inner->result());
        });
        inner->setFuture(deliverTo(where.replica, agentId, command));
    });
    watcher->setFuture(m_presence->locate(agentId));
    return promise->future();
}

QFuture<RouteResult> CommandRouter::deliverTo(const QString &replica, const QString &agentId,
                                              const protocol::agent::Command &command)
{
    if (!m_redis || !m_redis->isConnected())
        return resolved(RouteResult::Status::Unavailable, replica, u"redis not connected"_s);
    if (!m_ready)
        return resolved(RouteResult::Status::Unavailable, replica, u"not subscribed to confirmations yet"_s);
    if (!cluster::isValidReplicaName(replica))
        return resolved(RouteResult::Status::NotConnected, replica, u"invalid replica name"_s);

    const quint64 key = m_nextKey++;
    Pending pending;
    pending.promise = std::make_shared<QPromise<RouteResult>>();
    pending.promise->start();
    pending.deadline = QDeadlineTimer(m_config.confirmTimeout);
    pending.requestId = m_instance + u'-' + QString::number(key);
    pending.replica = replica;
    pending.agentId = agentId;
    pending.commandId = command.commandId;
    QFuture<RouteResult> future = pending.promise->future();

    cluster::RoutedCommand routed{pending.requestId, m_config.replica, agentId, command};
    const QByteArray message = cluster::encodeRoutedCommand(routed, QDateTime::currentDateTimeUtc());
    m_pending.emplace(key, std::move(pending));
    armTimer();

    QPointer<CommandRouter> self(this);
    m_redis->command({"PUBLISH", cluster::commandChannel(replica), message}, [self, key, replica](
                                                                                 const RedisReply &reply) {
        if (!self)
            return;
        if (reply.isError())
            return self->resolve(
                key, {RouteResult::Status::Unavailable, replica, u"redis: "_s + reply.errorMessage()});
        if (reply.isInteger() && reply.toInteger() == 0)
            return self->resolve(
                key, {RouteResult::Status::NoSubscriber, replica,
                      u"no replica listens on "_s + QString::fromUtf8(cluster::commandChannel(replica))});
        // Otherwise the confirmation (possibly already processed) or the timeout decides.
    });
    return future;
}

void CommandRouter::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    if (channel == m_commandsChannel)
        onCommand(payload);
    else if (channel == m_confirmChannel)
        onConfirmation(payload);
}

void CommandRouter::onCommand(const QByteArray &payload)
{
    const auto decoded = cluster::decodeRoutedCommand(payload);
    if (!decoded)
        return reject(u"routed command: "_s + decoded.error().message);
    const cluster::RoutedCommand &routed = decoded.value();
    const bool delivered = m_localDelivery && m_localDelivery(routed.agentId, routed.command);
    Q_EMIT commandReceived(routed.agentId, routed.command.commandId, delivered);
    if (routed.origin.isEmpty() || !m_redis)
        return; // a Go replica's message: nobody waits for an answer
    cluster::CommandConfirmation confirmation{
        routed.requestId, routed.command.commandId,
        routed.agentId,   m_config.replica,
        delivered,        delivered ? QString() : u"agent not connected here"_s};
    m_redis->command({"PUBLISH", cluster::confirmChannel(routed.origin),
                      cluster::encodeCommandConfirmation(confirmation)});
}

void CommandRouter::onConfirmation(const QByteArray &payload)
{
    const auto decoded = cluster::decodeCommandConfirmation(payload);
    if (!decoded)
        return reject(u"confirmation: "_s + decoded.error().message);
    const cluster::CommandConfirmation &confirmation = decoded.value();
    const QString prefix = m_instance + u'-';
    bool ok = false;
    const quint64 key = confirmation.requestId.startsWith(prefix)
                            ? confirmation.requestId.mid(prefix.size()).toULongLong(&ok)
                            : 0;
    const auto it = ok ? m_pending.find(key) : m_pending.end();
    if (it == m_pending.end())
        return reject(u"confirmation for unknown request "_s + confirmation.requestId);
    // Only the replica we sent to can confirm, and only for what we sent.
    if (confirmation.replica != it->second.replica || confirmation.commandId != it->second.commandId ||
        confirmation.agentId != it->second.agentId)
        return reject(u"confirmation does not match request "_s + confirmation.requestId);
    if (confirmation.delivered)
        resolve(key, {RouteResult::Status::Delivered, confirmation.replica, {}});
    else
        resolve(key, {RouteResult::Status::Refused, confirmation.replica, confirmation.error});
}

void CommandRouter::onSubscriberDown()
{
    m_commandsSubscribed = m_confirmSubscribed = false;
    updateReady();
    // Their confirmations can no longer reach us.
    while (!m_pending.empty())
        resolve(m_pending.begin()->first,
                {RouteResult::Status::Unavailable, m_pending.begin()->second.replica,
                 u"confirmation channel lost"_s});
}

void CommandRouter::updateReady()
{
    const bool ready = isReady();
    if (ready == m_ready)
        return;
    m_ready = ready;
    Q_EMIT readyChanged(ready);
}

void CommandRouter::resolve(quint64 key, RouteResult result)
{
    const auto it = m_pending.find(key);
    if (it == m_pending.end())
        return; // already resolved (e.g. confirmed before the PUBLISH reply came back)
    const auto promise = it->second.promise;
    if (!result.delivered())
        qCDebug(lcCluster) << "command" << it->second.commandId << "for agent" << it->second.agentId
                           << "not delivered via" << it->second.replica << ":"
                           << routeStatusName(result.status) << result.error;
    m_pending.erase(it);
    armTimer();
    promise->addResult(std::move(result));
    promise->finish();
}

void CommandRouter::expire()
{
    while (!m_pending.empty() && m_pending.begin()->second.deadline.hasExpired()) {
        const Pending &oldest = m_pending.begin()->second;
        resolve(m_pending.begin()->first,
                {RouteResult::Status::Timeout, oldest.replica,
                 u"no confirmation within %1 ms"_s.arg(m_config.confirmTimeout.count())});
    }
    armTimer();
}

void CommandRouter::armTimer()
{
    if (m_pending.empty()) {
        m_timeoutTimer.stop();
        return;
    }
    const qint64 remaining = m_pending.begin()->second.deadline.remainingTime();
    m_timeoutTimer.start(std::chrono::milliseconds(qMax<qint64>(0, remaining) + 1));
}

void CommandRouter::reject(const QString &what)
{
    ++m_rejected;
    qCDebug(lcCluster) << "dropped message on" << m_config.replica << "channels:" << what;
}

} // namespace switchboard
