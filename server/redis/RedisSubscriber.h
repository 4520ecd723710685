// A Redis pub/sub connection: keeps a set of channels and patterns subscribed, across reconnects,
// and emits what is published to them. Uses its own connection, separate from RedisConnection,
// because a subscribed Redis connection can run no other commands.
#pragma once

#include "RedisOptions.h"
#include "RedisReply.h"
#include "RedisUrl.h"

#include <QByteArray>
#include <QObject>
#include <QSet>

namespace switchboard {

class RedisConnector;

class RedisSubscriber : public QObject
{
    Q_OBJECT

public:
    // options.commandTimeout is not used: a subscription waits for messages indefinitely.
    explicit RedisSubscriber(const RedisUrl &url, const RedisOptions &options = {},
                             QObject *parent = nullptr);
    ~RedisSubscriber() override;

    void open();
    // Disconnects and stops reconnecting; the subscription sets are kept for the next open().
    void close();
    bool isConnected() const;
    const RedisUrl &url() const;

    // Adding or removing takes effect at once when connected, else on the next connect; every
    // connect (re)subscribes to the whole set. Subscribing twice to the same name is a no-op.
    void subscribe(const QByteArray &channel);
    void unsubscribe(const QByteArray &channel);
    void psubscribe(const QByteArray &pattern);
    void punsubscribe(const QByteArray &pattern);
    QSet<QByteArray> channels() const { return m_channels; }
    QSet<QByteArray> patterns() const { return m_patterns; }

Q_SIGNALS:
    // Only for channels and patterns in the sets: nothing arrives after unsubscribe() returned.
    void message(const QByteArray &channel, const QByteArray &payload);
    void patternMessage(const QByteArray &pattern, const QByteArray &channel, const QByteArray &payload);
    // The server confirmed a subscription; again after every reconnect.
    void subscribed(const QByteArray &channel);
    void unsubscribed(const QByteArray &channel);
    void patternSubscribed(const QByteArray &pattern);
    void patternUnsubscribed(const QByteArray &pattern);

    void connected();
    void disconnected();
    void errorOccurred(const QString &message);

private:
    void onReady();
    void onPush(const RedisReply &push);
    void onLost(const QString &reason);
    void sendSubscription(const QByteArray &command, const QList<QByteArray> &names);

    RedisConnector *m_connector;
    QSet<QByteArray> m_channels;
    QSet<QByteArray> m_patterns;
    bool m_connected = false;
};

} // namespace switchboard
