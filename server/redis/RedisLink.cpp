#include "RedisLink.h"

#include "RedisLog.h"

#include <QPointer>
#include <QSocketNotifier>
#include <QVarLengthArray>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <utility>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

// hiredis 0.14 writes with write(2), which raises SIGPIPE when the server has reset the
// connection, and SIGPIPE's default action ends the process. Block it on this thread around the
// write and swallow the one the write raised, leaving the process-wide disposition alone.
class SigpipeBlocker
{
public:
    SigpipeBlocker()
    {
        sigemptyset(&m_pipe);
        sigaddset(&m_pipe, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        m_alreadyPending = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &m_pipe, &m_previous);
    }
    ~SigpipeBlocker()
    {
        if (!m_alreadyPending) {
            sigset_t pending;
            sigemptyset(&pending);
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                const timespec zero{};
                sigtimedwait(&m_pipe, nullptr, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &m_previous, nullptr);
    }
    SigpipeBlocker(const SigpipeBlocker &) = delete;
    SigpipeBlocker &operator=(const SigpipeBlocker &) = delete;

private:
    sigset_t m_pipe;
    sigset_t m_previous;
    bool m_alreadyPending = false;
};

// Best effort: a Redis that vanished without a FIN (host down, network split) would otherwise leave
// a subscriber waiting forever, since it never sends anything. Failure here only costs that.
void tuneSocket(int fd)
{
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    const int idleSeconds = 15;
    const int intervalSeconds = 5;
    const int probes = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idleSeconds, sizeof idleSeconds);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intervalSeconds, sizeof intervalSeconds);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
}

RedisReply fromHiredis(const redisReply *reply)
{
    const auto bytes = [reply] {
        return reply->str ? QByteArray(reply->str, static_cast<qsizetype>(reply->len)) : QByteArray();
    };
    switch (reply->type) {
    case REDIS_REPLY_STRING:
        return RedisReply::string(bytes());
    case REDIS_REPLY_STATUS:
        return RedisReply::status(bytes());
    case REDIS_REPLY_ERROR:
        return RedisReply::error(bytes());
    case REDIS_REPLY_INTEGER:
        return RedisReply::integer(reply->integer);
    case REDIS_REPLY_NIL:
        return RedisReply::nil();
    case REDIS_REPLY_ARRAY: {
        // Nesting is bounded by hiredis' reader (a few levels), so recursion is safe.
        QList<RedisReply> elements;
        elements.reserve(static_cast<qsizetype>(reply->elements));
        for (size_t i = 0; i < reply->elements; ++i) {
            if (reply->element[i])
                elements.append(fromHiredis(reply->element[i]));
            else
                elements.append(RedisReply::nil());
        }
        return RedisReply::array(elements);
    }
    default:
        break;
    }
    return RedisReply::error("unsupported reply type " + QByteArray::number(reply->type));
}

void detach(redisAsyncContext *context)
{
    context->data = nullptr;
    context->ev.data = nullptr;
    context->ev.addRead = nullptr;
    context->ev.delRead = nullptr;
    context->ev.addWrite = nullptr;
    context->ev.delWrite = nullptr;
    context->ev.cleanup = nullptr;
    context->onConnect = nullptr;
    context->onDisconnect = nullptr;
}

} // namespace

RedisLink::RedisLink(QObject *parent)
    : QObject(parent)
{}

RedisLink::~RedisLink()
{
    close();
}

void RedisLink::open(const QHostAddress &address, quint16 port)
{
    close();
    const QByteArray ip = address.toString().toLatin1();
    redisAsyncContext *context = redisAsyncConnect(ip.constData(), port);
    if (!context) {
        closeWithEvent(u"out of memory"_s);
        return;
    }
    if (context->err) {
        // Refused or unreachable right away: hiredis returns the context only to carry the error.
        const QString reason = QString::fromLocal8Bit(context->errstr);
        redisAsyncFree(context);
        closeWithEvent(reason);
        return;
    }

    m_context = context;
    m_established = false;
    context->data = this;
    const int fd = context->c.fd;
    tuneSocket(fd);

    m_readNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    m_readNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, [this] { onSocketActivated(false); });
    m_writeNotifier = new QSocketNotifier(fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, [this] { onSocketActivated(true); });

    context->ev.data = this;
    context->ev.addRead = &RedisLink::hookAddRead;
    context->ev.delRead = &RedisLink::hookDelRead;
    context->ev.addWrite = &RedisLink::hookAddWrite;
    context->ev.delWrite = &RedisLink::hookDelWrite;
    context->ev.cleanup = &RedisLink::hookCleanup;
    // Also asks for the first writable event, which is how a non-blocking connect completes.
    redisAsyncSetConnectCallback(context, &RedisLink::onConnect);
}

bool RedisLink::send(const QList<QByteArray> &args)
{
    return sendWith(&RedisLink::onReply, args);
}

bool RedisLink::sendSubscription(const QList<QByteArray> &args)
{
    return sendWith(&RedisLink::onPush, args);
}

bool RedisLink::sendWith(void (*callback)(redisAsyncContext *, void *, void *), const QList<QByteArray> &args)
{
    if (!m_context || args.isEmpty())
        return false;
    QVarLengthArray<const char *, 16> argv;
    QVarLengthArray<size_t, 16> argvlen;
    argv.reserve(args.size());
    argvlen.reserve(args.size());
    for (const QByteArray &arg : args) {
        argv.append(arg.constData());
        argvlen.append(static_cast<size_t>(arg.size()));
    }
    return redisAsyncCommandArgv(m_context, callback, nullptr, static_cast<int>(argv.size()), argv.data(),
                                 argvlen.constData()) == REDIS_OK;
}

void RedisLink::close()
{
    m_events.clear();
    if (!m_context)
        return;
    Q_ASSERT(!m_insideHiredis);
    redisAsyncContext *context = std::exchange(m_context, nullptr);
    m_established = false;
    // Detach first: redisAsyncFree runs the outstanding reply callbacks with NULL replies and calls
    // the cleanup hook, and none of that may reach this object any more.
    detach(context);
    releaseNotifiers();
    redisAsyncFree(context);
}

void RedisLink::closeWithEvent(const QString &reason)
{
    close();
    m_events.push_back({Event::Kind::Closed, {}, reason});
    scheduleDelivery();
}

void RedisLink::onSocketActivated(bool writable)
{
    if (!m_context)
        return;
    m_insideNotifier = true;
    m_insideHiredis = true;
    if (writable) {
        const SigpipeBlocker blocker;
        redisAsyncHandleWrite(m_context);
    } else {
        redisAsyncHandleRead(m_context);
    }
    m_insideHiredis = false;
    if (!deliver())
        return; // a slot destroyed this link
    m_insideNotifier = false;
}

void RedisLink::scheduleDelivery()
{
    if (m_deliveryScheduled)
        return;
    m_deliveryScheduled = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_deliveryScheduled = false;
            deliver();
        },
        Qt::QueuedConnection);
}

bool RedisLink::deliver()
{
    const QPointer<RedisLink> alive(this);
    while (!m_events.empty()) {
        Event event = std::move(m_events.front());
        m_events.pop_front();
        switch (event.kind) {
        case Event::Kind::Established:
            Q_EMIT established();
            break;
        case Event::Kind::Reply:
            Q_EMIT replyReceived(event.reply);
            break;
        case Event::Kind::Push:
            Q_EMIT pushReceived(event.reply);
            break;
        case Event::Kind::Closed:
            Q_EMIT closed(event.reason);
            break;
        }
        if (!alive)
            return false;
    }
    return true;
}

void RedisLink::releaseNotifiers()
{
    for (QSocketNotifier *notifier :
         {std::exchange(m_readNotifier, nullptr), std::exchange(m_writeNotifier, nullptr)}) {
        if (!notifier)
            continue;
        notifier->setEnabled(false);
        QObject::disconnect(notifier, nullptr, this, nullptr);
        // Deleting a notifier from inside its own activated() is not safe. Unparented, the
        // deferred deletion also works when this link itself is being destroyed right now.
        if (m_insideNotifier) {
            notifier->setParent(nullptr);
            notifier->deleteLater();
        } else {
            delete notifier;
        }
    }
}

void RedisLink::onConnect(const redisAsyncContext *context, int status)
{
    auto *self = static_cast<RedisLink *>(context->data);
    // A failed connect is reported by the cleanup hook, which hiredis calls right after.
    if (!self || status != REDIS_OK)
        return;
    self->m_established = true;
    self->m_events.push_back({Event::Kind::Established, {}, {}});
}

void RedisLink::onReply(redisAsyncContext *context, void *reply, void *)
{
    auto *self = static_cast<RedisLink *>(context->data);
    // A NULL reply means the context is being freed; the owner learns that from closed().
    if (!self || !reply)
        return;
    self->m_events.push_back({Event::Kind::Reply, fromHiredis(static_cast<const redisReply *>(reply)), {}});
}

void RedisLink::onPush(redisAsyncContext *context, void *reply, void *)
{
    auto *self = static_cast<RedisLink *>(context->data);
    if (!self || !reply)
        return;
    self->m_events.push_back({Event::Kind::Push, fromHiredis(static_cast<const redisReply *>(reply)), {}});
}

void RedisLink::hookAddRead(void *privdata)
{
    if (auto *self = static_cast<RedisLink *>(privdata); self && self->m_readNotifier)
        self->m_readNotifier->setEnabled(true);
}

void RedisLink::hookDelRead(void *privdata)
{
    if (auto *self = static_cast<RedisLink *>(privdata); self && self->m_readNotifier)
        self->m_readNotifier->setEnabled(false);
}

void RedisLink::hookAddWrite(void *privdata)
{
    if (auto *self = static_cast<RedisLink *>(privdata); self && self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(true);
}

void RedisLink::hookDelWrite(void *privdata)
{
    if (auto *self = static_cast<RedisLink *>(privdata); self && self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(false);
}

void RedisLink::hookCleanup(void *privdata)
{
    // hiredis frees the context right after this hook (connect failure, EOF, reset, protocol
    // error); its error text is still readable here.
    auto *self = static_cast<RedisLink *>(privdata);
    if (!self || !self->m_context)
        return;
    const redisContext &c = self->m_context->c;
    const QString reason = c.err ? QString::fromLocal8Bit(c.errstr) : u"connection closed"_s;
    detach(std::exchange(self->m_context, nullptr));
    self->m_established = false;
    self->releaseNotifiers();
    self->m_events.push_back({Event::Kind::Closed, {}, reason});
    if (!self->m_insideHiredis)
        self->scheduleDelivery();
}

} // namespace switchboard
