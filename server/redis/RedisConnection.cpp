#include "RedisConnection.h"

#include "RedisConnector.h"
#include "RedisLog.h"

#include <QPointer>
#include <QThread>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

// Commands that would change what the connection is (pub/sub or monitor mode, another database or
// user, RESP3, no replies, a replication stream): the reply bookkeeping and the reconnect logic
// depend on none of that ever happening.
QByteArray refusal(const QList<QByteArray> &args)
{
    static constexpr const char *kRefused[] = {
        "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR",
        "SELECT",    "AUTH",       "HELLO",      "RESET",       "SYNC",         "PSYNC"};
    const QByteArray name = args.constFirst().toUpper();
    const bool refused = std::any_of(std::begin(kRefused), std::end(kRefused),
                                     [&name](const char *candidate) { return name == candidate; });
    if (refused)
        return "command not allowed on RedisConnection: " + name;
    if (name == "CLIENT" && args.size() > 1 && args.at(1).toUpper() == "REPLY")
        return "command not allowed on RedisConnection: CLIENT REPLY";
    return {};
}

} // namespace

RedisConnection::RedisConnection(const RedisUrl &url, const RedisOptions &options, QObject *parent)
    : QObject(parent)
    , m_connector(new RedisConnector(url, options, u"commands"_s, this))
    , m_options(options)
{
    m_timeoutTimer.setSingleShot(true);
    connect(&m_timeoutTimer, &QTimer::timeout, this, &RedisConnection::onTimeoutTimer);
    connect(m_connector, &RedisConnector::ready, this, &RedisConnection::onReady);
    connect(m_connector, &RedisConnector::replyReceived, this, &RedisConnection::onReply);
    connect(m_connector, &RedisConnector::lost, this, &RedisConnection::onLost);
    connect(m_connector, &RedisConnector::attemptFailed, this, &RedisConnection::onAttemptFailed);
}

RedisConnection::~RedisConnection()
{
    m_connector->disconnect(this);
    m_timeoutTimer.stop();
    m_pending.clear();
    m_deferred.clear();
}

const RedisUrl &RedisConnection::url() const
{
    return m_connector->url();
}

void RedisConnection::open()
{
    m_connector->start();
}

void RedisConnection::close()
{
    const bool wasConnected = std::exchange(m_connected, false);
    m_connector->stop();
    m_timeoutTimer.stop();
    std::deque<Pending> closed;
    closed.swap(m_pending);
    for (Pending &pending : closed)
        deferError(std::move(pending.callback), "connection closed");
    if (wasConnected)
        Q_EMIT disconnected();
}

void RedisConnection::command(const QList<QByteArray> &args, Callback callback)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "RedisConnection::command",
               "call from the owning thread");
    if (m_observer) {
        // Every path below calls the callback exactly once, so this measures every command.
        callback = [observer = m_observer, started = std::chrono::steady_clock::now(),
                    inner = std::move(callback)](const RedisReply &reply) {
            observer(std::chrono::steady_clock::now() - started, reply.isError());
            if (inner)
                inner(reply);
        };
    }
    if (args.isEmpty()) {
        deferError(std::move(callback), "empty command");
        return;
    }
    if (const QByteArray refused = refusal(args); !refused.isEmpty()) {
        deferError(std::move(callback), refused);
        return;
    }
    if (m_connected) {
        if (!m_connector->send(args)) {
            deferError(std::move(callback), "cannot send command");
            return;
        }
        m_pending.push_back({std::move(callback), newDeadline(), {}, m_generation});
        armTimeoutTimer();
        return;
    }
    if (m_connector->isAttempting()) {
        m_pending.push_back({std::move(callback), newDeadline(), args, 0});
        armTimeoutTimer();
        return;
    }
    deferError(std::move(callback), "not connected");
}

void RedisConnection::onReady()
{
    ++m_generation;
    // Commands queued during the attempt go first, before anything a connected() slot sends.
    for (Pending &pending : m_pending) {
        if (pending.sentOn != 0)
            continue;
        if (!m_connector->send(pending.args)) {
            m_connector->reset(u"cannot send queued commands"_s);
            return;
        }
        pending.sentOn = m_generation;
        pending.args.clear();
    }
    m_connected = true;
    Q_EMIT connected();
}

void RedisConnection::onReply(const RedisReply &reply)
{
    if (m_pending.empty() || m_pending.front().sentOn != m_generation) {
        qCWarning(lcRedis) << "reply without a pending command; reconnecting";
        m_connector->reset(u"unexpected reply"_s);
        return;
    }
    const Pending answered = std::move(m_pending.front());
    m_pending.pop_front();
    invoke(answered.callback, reply);
}

void RedisConnection::onLost(const QString &reason)
{
    const bool wasConnected = std::exchange(m_connected, false);
    std::deque<Pending> lost;
    lost.swap(m_pending);
    const QPointer<RedisConnection> alive(this);
    Q_EMIT errorOccurred(reason);
    if (!alive)
        return;
    if (wasConnected) {
        Q_EMIT disconnected();
        if (!alive)
            return;
    }
    const RedisReply error = RedisReply::error("connection lost: " + reason.toUtf8());
    for (const Pending &pending : lost) {
        if (!invoke(pending.callback, error))
            return;
    }
}

void RedisConnection::onAttemptFailed(const QString &reason)
{
    std::deque<Pending> queued;
    queued.swap(m_pending);
    const QPointer<RedisConnection> alive(this);
    Q_EMIT errorOccurred(reason);
    if (!alive)
        return;
    const RedisReply error = RedisReply::error("connection failed: " + reason.toUtf8());
    for (const Pending &pending : queued) {
        if (!invoke(pending.callback, error))
            return;
    }
}

void RedisConnection::onTimeoutTimer()
{
    std::vector<Pending> expired;
    bool linkBroken = false;
    while (!m_pending.empty() && m_pending.front().deadline.hasExpired()) {
        linkBroken = linkBroken || m_pending.front().sentOn != 0;
        expired.push_back(std::move(m_pending.front()));
        m_pending.pop_front();
    }

    // hiredis cannot cancel a request: the reply may still come and would be taken for the next
    // command's. So a timeout costs the connection, and everything sent after the timed-out
    // command fails with it. The link is dropped before any callback runs, so that not even a
    // nested event loop in a callback can see a late reply.
    std::deque<Pending> behind;
    if (linkBroken) {
        behind.swap(m_pending);
        qCWarning(lcRedis) << "command timed out after" << m_options.commandTimeout.count()
                           << "ms; reconnecting";
    }
    const QPointer<RedisConnection> alive(this);
    if (linkBroken) {
        m_connector->reset(u"command timed out"_s);
        if (!alive)
            return;
    }

    const RedisReply timeout = RedisReply::error("timeout");
    for (const Pending &pending : expired) {
        if (!invoke(pending.callback, timeout))
            return;
    }
    const RedisReply lost = RedisReply::error("connection lost: command timed out");
    for (const Pending &pending : behind) {
        if (!invoke(pending.callback, lost))
            return;
    }
    armTimeoutTimer();
}

void RedisConnection::armTimeoutTimer()
{
    if (m_timeoutTimer.isActive() || m_pending.empty())
        return;
    const QDeadlineTimer &deadline = m_pending.front().deadline;
    if (deadline.isForever())
        return;
    // Lazy: the timer stays armed while replies move the front; when it fires early it re-arms
    // for the then-oldest command, so there is no timer work per reply.
    m_timeoutTimer.start(static_cast<int>(std::clamp<qint64>(deadline.remainingTime(), 0, 24 * 3600 * 1000)));
}

QDeadlineTimer RedisConnection::newDeadline() const
{
    if (m_options.commandTimeout <= std::chrono::milliseconds::zero())
        return QDeadlineTimer(QDeadlineTimer::Forever);
    return QDeadlineTimer(m_options.commandTimeout);
}

bool RedisConnection::invoke(const Callback &callback, const RedisReply &reply)
{
    if (!callback)
        return true;
    const QPointer<RedisConnection> alive(this);
    callback(reply);
    return !alive.isNull();
}

void RedisConnection::deferError(Callback callback, const QByteArray &message)
{
    if (!callback)
        return;
    m_deferred.emplace_back(std::move(callback), RedisReply::error(message));
    if (m_deferredScheduled)
        return;
    m_deferredScheduled = true;
    QMetaObject::invokeMethod(this, &RedisConnection::flushDeferred, Qt::QueuedConnection);
}

void RedisConnection::flushDeferred()
{
    m_deferredScheduled = false;
    const auto batch = std::exchange(m_deferred, {});
    for (const auto &[callback, reply] : batch) {
        if (!invoke(callback, reply))
            return;
    }
}

} // namespace switchboard
