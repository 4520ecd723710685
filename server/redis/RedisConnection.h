// An asynchronous Redis connection for commands: command() sends at once when connected and calls
// the callback with the reply on this object's thread, in order. Every callback is called exactly
// once, with the reply or with an error reply made by the client ("timeout", "not connected",
// "connection lost: ...", "connection closed"), and never after the connection is destroyed.
// Reconnects by itself with backoff; see docs/REDIS-CLIENT.md.
#pragma once

#include "RedisOptions.h"
#include "RedisReply.h"
#include "RedisUrl.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QList>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

namespace switchboard {

class RedisConnector;

class RedisConnection : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(const RedisReply &)>;

    explicit RedisConnection(const RedisUrl &url, const RedisOptions &options = {},
                             QObject *parent = nullptr);
    // Outstanding callbacks are dropped, not called.
    ~RedisConnection() override;

    // Starts connecting (and reconnecting after failures) until close().
    void open();
    // Disconnects and stops reconnecting; outstanding callbacks get "connection closed" (later,
    // from the event loop).
    void close();
    bool isConnected() const { return m_connected; }
    const RedisUrl &url() const;

    // Sends args as one command, e.g. {"SET", key, value}. While connected the command is written
    // at once (commands pipeline); while an attempt to connect is in progress it waits for it (and
    // its AUTH/SELECT); otherwise the callback gets "not connected" from the event loop. Commands
    // that change the connection's mode (SUBSCRIBE family, MONITOR, SELECT, AUTH, HELLO, RESET,
    // CLIENT REPLY, SYNC) are refused: use the URL and RedisSubscriber.
    void command(const QList<QByteArray> &args, Callback callback = {});
    // Commands waiting for their reply (sent or not yet sent).
    qsizetype pendingCount() const { return static_cast<qsizetype>(m_pending.size()); }

    // Called once per command(): the time from command() to its
    // reply and whether the reply is an error (also made by the client: timeout, not connected).
    // For metrics; set it before sending commands.
    using CommandObserver = std::function<void(std::chrono::nanoseconds elapsed, bool failed)>;
    void setCommandObserver(CommandObserver observer) { m_observer = std::move(observer); }

Q_SIGNALS:
    // Connected and logged in (AUTH/SELECT done); after every reconnect too.
    void connected();
    // A connection that had been connected() went away; emitted once per connection.
    void disconnected();
    // An attempt failed or the connection was lost, with the reason; once per failure, so up to
    // once per retry while Redis is down.
    void errorOccurred(const QString &message);

private:
    struct Pending
    {
        Callback callback;
        QDeadlineTimer deadline;
        QList<QByteArray> args; // kept until sent
        quint64 sentOn = 0;     // connection generation it was sent on; 0 = not sent yet
    };

    void onReady();
    void onReply(const RedisReply &reply);
    void onLost(const QString &reason);
    void onAttemptFailed(const QString &reason);
    void onTimeoutTimer();
    void armTimeoutTimer();
    QDeadlineTimer newDeadline() const;
    // Calls the callback; false when it destroyed this connection.
    bool invoke(const Callback &callback, const RedisReply &reply);
    // For errors detected inside a call from the user: delivered from the event loop instead.
    void deferError(Callback callback, const QByteArray &message);
    void flushDeferred();

    RedisConnector *m_connector;
    RedisOptions m_options;
    std::deque<Pending> m_pending;
    std::vector<std::pair<Callback, RedisReply>> m_deferred;
    bool m_deferredScheduled = false;
    QTimer m_timeoutTimer; // one timer for all commands: armed for the oldest deadline
    bool m_connected = false;
    quint64 m_generation = 0;
    CommandObserver m_observer;
};

} // namespace switchboard
