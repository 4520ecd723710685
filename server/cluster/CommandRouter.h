// CommandRouter: delivers a command to an agent connected to another replica, and tells the
// caller whether it really arrived. The command goes out on pod:{replica}:commands; the replica
// holding the agent hands it to its local delivery function and answers on pod:{origin}:confirm.
// Only that answer resolves a delivery as delivered: PUBLISH reaching no subscriber, a refusal, no
// answer within the timeout or Redis being down all resolve it as not delivered, so the caller
// keeps the command pending and never reports it sent when it was not.
#pragma once

#include "shared/AgentProtocol.h"

#include <QDeadlineTimer>
#include <QFuture>
#include <QObject>
#include <QPointer>
#include <QPromise>
#include <QTimer>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

namespace switchboard {

class ClusterPresence;
class RedisConnection;
class RedisSubscriber;

struct RouteResult
{
    enum class Status {
        Delivered,    // the replica holding the agent handed the command to it
        NotConnected, // presence knows no live replica for the agent
        NoSubscriber, // PUBLISH reached nobody: that replica is gone
        Refused,      // the replica answered, but the agent is not (or no longer) connected there
        Timeout,      // no answer within confirmTimeout
        Unavailable,  // Redis down, or this router not subscribed yet
    };
    Status status = Status::Unavailable;
    QString replica; // where it was sent, when known
    QString error;   // human-readable reason when not delivered

    bool delivered() const { return status == Status::Delivered; }
};
QString routeStatusName(RouteResult::Status status);

class CommandRouter : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        QString replica;
        std::chrono::milliseconds confirmTimeout{5000};
    };
    // Hands a routed command to an agent connected here; true if it went out on the agent's socket
    // (AgentHub::sendCommandToAgent has exactly this shape).
    using LocalDelivery =
        std::function<bool(const QString &agentId, const protocol::agent::Command &command)>;

    // `redis` and `subscriber` are not owned and may be shared with other cluster components
    // (the subscriber gets this replica's commands and confirm channels added). `presence` is
    // needed by deliver() only.
    CommandRouter(RedisConnection *redis, RedisSubscriber *subscriber, ClusterPresence *presence,
                  const Config &config, QObject *parent = nullptr);
    ~CommandRouter() override;

    void setLocalDelivery(LocalDelivery delivery) { m_localDelivery = std::move(delivery); }

    // Finds the agent's replica through presence, then deliverTo(). An agent registered on this
    // replica goes straight to the local delivery function.
    QFuture<RouteResult> deliver(const QString &agentId, const protocol::agent::Command &command);
    QFuture<RouteResult> deliverTo(const QString &replica, const QString &agentId,
                                   const protocol::agent::Command &command);

    // Subscribed to both channels: deliveries can be confirmed.
    bool isReady() const { return m_commandsSubscribed && m_confirmSubscribed; }
    // Deliveries waiting for their confirmation.
    qsizetype pendingCount() const { return qsizetype(m_pending.size()); }
    // Messages on our channels that were unreadable or did not match a delivery (hostile input).
    int rejectedMessages() const { return m_rejected; }

Q_SIGNALS:
    void readyChanged(bool ready);
    // A command routed to this replica was handed to the local delivery function (or refused).
    void commandReceived(const QString &agentId, const QString &commandId, bool delivered);

private:
    struct Pending
    {
        std::shared_ptr<QPromise<RouteResult>> promise;
        QDeadlineTimer deadline;
        QString requestId;
        QString replica;
        QString agentId;
        QString commandId;
    };

    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onCommand(const QByteArray &payload);
    void onConfirmation(const QByteArray &payload);
    void onSubscriberDown();
    void updateReady();
    void resolve(quint64 key, RouteResult result);
    void expire();
    void armTimer();
    void reject(const QString &what);

    QPointer<RedisConnection> m_redis;
    QPointer<RedisSubscriber> m_subscriber;
    QPointer<ClusterPresence> m_presence;
    Config m_config;
    QByteArray m_commandsChannel;
    QByteArray m_confirmChannel;
    QString m_instance;
    LocalDelivery m_localDelivery;
    std::map<quint64, Pending> m_pending; // by creation, hence by deadline
    quint64 m_nextKey = 1;
    QTimer m_timeoutTimer; // one timer for all deliveries, armed for the oldest
    bool m_commandsSubscribed = false;
    bool m_confirmSubscribed = false;
    bool m_ready = false;
    int m_rejected = 0;
};

} // namespace switchboard
