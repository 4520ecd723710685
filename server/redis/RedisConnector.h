// Internal to the Redis client: keeps one logged-in hiredis link to the server up. An attempt is
// name lookup, TCP connect (trying each address), AUTH and SELECT, all under one connect timeout;
// a failed attempt or a lost link is retried with exponential backoff. Used by RedisConnection and
// RedisSubscriber, which add commands and subscriptions on top.
#pragma once

#include "RedisBackoff.h"
#include "RedisOptions.h"
#include "RedisReply.h"
#include "RedisUrl.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QTimer>

class QHostInfo;

namespace switchboard {

class RedisLink;

class RedisConnector : public QObject
{
    Q_OBJECT

public:
    // role names the connection in logs ("commands", "pub/sub").
    RedisConnector(const RedisUrl &url, const RedisOptions &options, const QString &role,
                   QObject *parent = nullptr);
    // Drops the link without emitting anything.
    ~RedisConnector() override;

    // Starts connecting unless already started.
    void start();
    // Drops the link and cancels retries; emits nothing.
    void stop();
    // The link broke above this layer (e.g. a command timed out): drop it, report it like any
    // other loss and retry with backoff.
    void reset(const QString &reason);

    bool isStarted() const { return m_state != State::Stopped; }
    bool isAttempting() const;
    bool isReady() const { return m_state == State::Ready; }
    const RedisUrl &url() const { return m_url; }

    // Only while ready: a command whose reply comes as replyReceived(), or a subscription command
    // whose confirmations and messages come as pushReceived().
    bool send(const QList<QByteArray> &args);
    bool sendSubscription(const QList<QByteArray> &args);

Q_SIGNALS:
    void ready();
    void replyReceived(const RedisReply &reply);
    void pushReceived(const RedisReply &reply);
    // A ready link went away; a retry is scheduled.
    void lost(const QString &reason);
    // An attempt failed before becoming ready; a retry is scheduled.
    void attemptFailed(const QString &reason);

private:
    enum class State { Stopped, Resolving, Connecting, Handshaking, Ready, Waiting };

    void attempt();
    void onResolved(const QHostInfo &info);
    void connectNextAddress();
    void onEstablished();
    void onLinkReply(const RedisReply &reply);
    void onLinkClosed(const QString &reason);
    void onTimer();
    void becomeReady();
    // Drops the link, schedules a retry and emits lost() or attemptFailed().
    void fail(const QString &reason);
    void dropLink();
    void abortLookup();

    RedisUrl m_url;
    RedisOptions m_options;
    QString m_role;
    State m_state = State::Stopped;
    RedisLink *m_link = nullptr;
    // Connect timeout while attempting, retry delay while waiting: never both at once.
    QTimer m_timer;
    RedisBackoff m_backoff;
    int m_lookupId = -1;
    QList<QHostAddress> m_addresses;
    qsizetype m_nextAddress = 0;
    QString m_lastAddressError;
    QList<QByteArray> m_handshakeSteps; // names of AUTH/SELECT still awaiting their reply
    bool m_everReady = false;
    bool m_inOutage = false;
    QElapsedTimer m_outageClock;
};

} // namespace switchboard
