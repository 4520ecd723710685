// Internal to the Redis client: one hiredis 0.14 async connection driven by the Qt event loop.
// hiredis tells us through its ev hooks when it wants to read or write, and we answer with
// QSocketNotifiers; nothing of hiredis' string-based adapters/qt.h is used.
//
// Nothing foreign ever runs inside a hiredis callback: the callbacks only record events, which are
// emitted once hiredis has returned. So a slot may send, close, or delete the link's owner.
#pragma once

#include "RedisReply.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>

#include <deque>

struct redisAsyncContext;
class QSocketNotifier;

namespace switchboard {

class RedisLink : public QObject
{
    Q_OBJECT

public:
    explicit RedisLink(QObject *parent = nullptr);
    // Frees the hiredis context without emitting anything.
    ~RedisLink() override;

    // Starts a non-blocking TCP connect to a numeric address (no name lookup happens here). The
    // outcome arrives as established() or closed(), never from inside this call.
    void open(const QHostAddress &address, quint16 port);
    bool isOpen() const { return m_context != nullptr; }
    bool isEstablished() const { return m_context != nullptr && m_established; }

    // Queues a command; its reply arrives through replyReceived() in order. False when the link is
    // not open or hiredis refused the command.
    bool send(const QList<QByteArray> &args);
    // For (P)SUBSCRIBE and (P)UNSUBSCRIBE only: their confirmations and every message arrive
    // through pushReceived().
    bool sendSubscription(const QList<QByteArray> &args);

    // Frees the context now; replies still outstanding are dropped and nothing is emitted.
    void close();

Q_SIGNALS:
    void established();
    void replyReceived(const RedisReply &reply);
    void pushReceived(const RedisReply &reply);
    // The context went away on its own (refused, reset, EOF, protocol error); not after close().
    void closed(const QString &reason);

private:
    struct Event
    {
        enum class Kind { Established, Reply, Push, Closed } kind;
        RedisReply reply;
        QString reason;
    };

    bool sendWith(void (*callback)(redisAsyncContext *, void *, void *), const QList<QByteArray> &args);
    void onSocketActivated(bool writable);
    void closeWithEvent(const QString &reason);
    void scheduleDelivery();
    // Emits recorded events; returns false when a slot destroyed this link.
    bool deliver();
    void releaseNotifiers();

    // hiredis callbacks and ev hooks (called only from inside hiredis, on this thread).
    static void onConnect(const redisAsyncContext *context, int status);
    static void onReply(redisAsyncContext *context, void *reply, void *privdata);
    static void onPush(redisAsyncContext *context, void *reply, void *privdata);
    static void hookAddRead(void *privdata);
    static void hookDelRead(void *privdata);
    static void hookAddWrite(void *privdata);
    static void hookDelWrite(void *privdata);
    static void hookCleanup(void *privdata);

    redisAsyncContext *m_context = nullptr;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    std::deque<Event> m_events;
    bool m_established = false;
    bool m_insideHiredis = false;  // a hiredis call is on the stack
    bool m_insideNotifier = false; // a notifier's activated() is on the stack
    bool m_deliveryScheduled = false;
};

} // namespace switchboard
