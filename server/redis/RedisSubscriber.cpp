#include "RedisSubscriber.h"

#include "RedisConnector.h"
#include "RedisLog.h"

#include <QPointer>
#include <QThread>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

// Keeps each SUBSCRIBE after a reconnect to a bounded size.
constexpr qsizetype kNamesPerCommand = 500;

bool isBulk(const RedisReply &reply)
{
    return reply.isString();
}

} // namespace

RedisSubscriber::RedisSubscriber(const RedisUrl &url, const RedisOptions &options, QObject *parent)
    : QObject(parent)
    , m_connector(new RedisConnector(url, options, u"pub/sub"_s, this))
{
    connect(m_connector, &RedisConnector::ready, this, &RedisSubscriber::onReady);
    connect(m_connector, &RedisConnector::pushReceived, this, &RedisSubscriber::onPush);
    connect(m_connector, &RedisConnector::lost, this, &RedisSubscriber::onLost);
    connect(m_connector, &RedisConnector::attemptFailed, this, &RedisSubscriber::errorOccurred);
    // Subscription commands never produce ordinary replies; anything else is not our protocol.
    connect(m_connector, &RedisConnector::replyReceived, this, [this](const RedisReply &reply) {
        qCWarning(lcRedis).noquote() << "pub/sub connection got an unexpected reply" << reply.toDebugString();
        m_connector->reset(u"unexpected reply on the pub/sub connection"_s);
    });
}

RedisSubscriber::~RedisSubscriber()
{
    m_connector->disconnect(this);
}

void RedisSubscriber::open()
{
    m_connector->start();
}

void RedisSubscriber::close()
{
    const bool wasConnected = std::exchange(m_connected, false);
    m_connector->stop();
    if (wasConnected)
        Q_EMIT disconnected();
}

bool RedisSubscriber::isConnected() const
{
    return m_connected;
}

const RedisUrl &RedisSubscriber::url() const
{
    return m_connector->url();
}

void RedisSubscriber::subscribe(const QByteArray &channel)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "RedisSubscriber", "call from the owning thread");
    if (m_channels.contains(channel))
        return;
    m_channels.insert(channel);
    if (m_connected)
        sendSubscription("SUBSCRIBE"_ba, {channel});
}

void RedisSubscriber::unsubscribe(const QByteArray &channel)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "RedisSubscriber", "call from the owning thread");
    if (!m_channels.remove(channel))
        return;
    // Always with an explicit name: hiredis 0.14 asserts on the nil channel that a bare
    // UNSUBSCRIBE gets back when nothing is subscribed.
    if (m_connected)
        sendSubscription("UNSUBSCRIBE"_ba, {channel});
}

void RedisSubscriber::psubscribe(const QByteArray &pattern)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "RedisSubscriber", "call from the owning thread");
    if (m_patterns.contains(pattern))
        return;
    m_patterns.insert(pattern);
    if (m_connected)
        sendSubscription("PSUBSCRIBE"_ba, {pattern});
}

void RedisSubscriber::punsubscribe(const QByteArray &pattern)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "RedisSubscriber", "call from the owning thread");
    if (!m_patterns.remove(pattern))
        return;
    if (m_connected)
        sendSubscription("PUNSUBSCRIBE"_ba, {pattern});
}

void RedisSubscriber::sendSubscription(const QByteArray &command, const QList<QByteArray> &names)
{
    for (qsizetype first = 0; first < names.size(); first += kNamesPerCommand) {
        QList<QByteArray> args{command};
        args.append(names.mid(first, kNamesPerCommand));
        if (!m_connector->sendSubscription(args)) {
            m_connector->reset(u"cannot send "_s + QString::fromLatin1(command));
            return;
        }
    }
}

void RedisSubscriber::onReady()
{
    if (!m_channels.isEmpty())
        sendSubscription("SUBSCRIBE"_ba, m_channels.values());
    if (m_connector->isReady() && !m_patterns.isEmpty())
        sendSubscription("PSUBSCRIBE"_ba, m_patterns.values());
    if (!m_connector->isReady())
        return; // a send failed and the connector is already retrying
    m_connected = true;
    Q_EMIT connected();
}

void RedisSubscriber::onPush(const RedisReply &push)
{
    // Server input: check the shape before trusting any element.
    const QList<RedisReply> &parts = push.elements();
    if (!push.isArray() || parts.size() < 3 || !isBulk(parts.at(0))) {
        qCWarning(lcRedis).noquote() << "ignoring malformed pub/sub push" << push.toDebugString();
        return;
    }
    const QByteArray kind = parts.at(0).toByteArray().toLower();
    const QByteArray name = parts.at(1).toByteArray();
    if (kind == "message" && isBulk(parts.at(1)) && isBulk(parts.at(2))) {
        if (m_channels.contains(name))
            Q_EMIT message(name, parts.at(2).toByteArray());
    } else if (kind == "pmessage" && parts.size() >= 4 && isBulk(parts.at(1)) && isBulk(parts.at(2)) &&
               isBulk(parts.at(3))) {
        if (m_patterns.contains(name))
            Q_EMIT patternMessage(name, parts.at(2).toByteArray(), parts.at(3).toByteArray());
    } else if (kind == "subscribe") {
        if (m_channels.contains(name))
            Q_EMIT subscribed(name);
    } else if (kind == "unsubscribe") {
        if (!m_channels.contains(name))
            Q_EMIT unsubscribed(name);
    } else if (kind == "psubscribe") {
        if (m_patterns.contains(name))
            Q_EMIT patternSubscribed(name);
    } else if (kind == "punsubscribe") {
        if (!m_patterns.contains(name))
            Q_EMIT patternUnsubscribed(name);
    } else {
        qCWarning(lcRedis).noquote() << "ignoring unknown pub/sub push" << push.toDebugString();
    }
}

void RedisSubscriber::onLost(const QString &reason)
{
    const bool wasConnected = std::exchange(m_connected, false);
    const QPointer<RedisSubscriber> alive(this);
    Q_EMIT errorOccurred(reason);
    if (alive && wasConnected)
        Q_EMIT disconnected();
}

} // namespace switchboard
