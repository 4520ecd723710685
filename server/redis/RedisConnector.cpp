#include "RedisConnector.h"

#include "RedisLink.h"
#include "RedisLog.h"

#include <QHostInfo>

using namespace Qt::StringLiterals;

namespace switchboard {

RedisConnector::RedisConnector(const RedisUrl &url, const RedisOptions &options, const QString &role,
                               QObject *parent)
    : QObject(parent)
    , m_url(url)
    , m_options(options)
    , m_role(role)
    , m_link(new RedisLink(this))
    , m_backoff(options.reconnectMinDelay, options.reconnectMaxDelay)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &RedisConnector::onTimer);
    connect(m_link, &RedisLink::established, this, &RedisConnector::onEstablished);
    connect(m_link, &RedisLink::replyReceived, this, &RedisConnector::onLinkReply);
    connect(m_link, &RedisLink::pushReceived, this, [this](const RedisReply &reply) {
        if (m_state == State::Ready)
            Q_EMIT pushReceived(reply);
    });
    connect(m_link, &RedisLink::closed, this, &RedisConnector::onLinkClosed);
}

RedisConnector::~RedisConnector()
{
    abortLookup();
    m_link->disconnect(this);
    m_link->close();
}

void RedisConnector::start()
{
    if (m_state != State::Stopped)
        return;
    m_backoff.reset();
    m_inOutage = false;
    attempt();
}

void RedisConnector::stop()
{
    abortLookup();
    dropLink();
    m_timer.stop();
    m_state = State::Stopped;
}

void RedisConnector::reset(const QString &reason)
{
    if (m_state == State::Stopped || m_state == State::Waiting)
        return;
    fail(reason);
}

bool RedisConnector::isAttempting() const
{
    return m_state == State::Resolving || m_state == State::Connecting || m_state == State::Handshaking;
}

bool RedisConnector::send(const QList<QByteArray> &args)
{
    return m_state == State::Ready && m_link->send(args);
}

bool RedisConnector::sendSubscription(const QList<QByteArray> &args)
{
    return m_state == State::Ready && m_link->sendSubscription(args);
}

void RedisConnector::attempt()
{
    m_state = State::Resolving;
    m_timer.start(m_options.connectTimeout);
    m_addresses.clear();
    m_nextAddress = 0;
    m_lastAddressError.clear();

    QHostAddress literal;
    if (literal.setAddress(m_url.host)) {
        m_addresses.append(literal);
        connectNextAddress();
        return;
    }
    // hiredis would resolve names with a blocking getaddrinfo(); QHostInfo does it off-thread.
    m_lookupId = QHostInfo::lookupHost(m_url.host, this, [this](const QHostInfo &info) { onResolved(info); });
}

void RedisConnector::onResolved(const QHostInfo &info)
{
    if (m_state != State::Resolving || info.lookupId() != m_lookupId)
        return;
    m_lookupId = -1;
    if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
        fail(u"cannot resolve %1: %2"_s.arg(m_url.host, info.errorString()));
        return;
    }
    m_addresses = info.addresses();
    connectNextAddress();
}

void RedisConnector::connectNextAddress()
{
    m_state = State::Connecting;
    if (m_nextAddress >= m_addresses.size()) {
        fail(m_lastAddressError.isEmpty() ? u"no address to connect to"_s : m_lastAddressError);
        return;
    }
    const QHostAddress address = m_addresses.at(m_nextAddress++);
    qCDebug(lcRedis).noquote() << m_role << "connecting to" << address.toString() << "port" << m_url.port;
    m_link->open(address, m_url.port);
}

void RedisConnector::onEstablished()
{
    if (m_state != State::Connecting)
        return;
    m_state = State::Handshaking;
    m_handshakeSteps.clear();
    // Sent back to back; the user's commands wait until both succeeded, so a failed SELECT can
    // never let them run against database 0.
    if (!m_url.password.isEmpty()) {
        QList<QByteArray> auth{"AUTH"_ba};
        if (!m_url.username.isEmpty())
            auth.append(m_url.username.toUtf8());
        auth.append(m_url.password.toUtf8());
        if (!m_link->send(auth)) {
            fail(u"cannot send AUTH"_s);
            return;
        }
        m_handshakeSteps.append("AUTH"_ba);
    }
    if (m_url.database != 0) {
        if (!m_link->send({"SELECT"_ba, QByteArray::number(m_url.database)})) {
            fail(u"cannot send SELECT"_s);
            return;
        }
        m_handshakeSteps.append("SELECT"_ba);
    }
    if (m_handshakeSteps.isEmpty())
        becomeReady();
}

void RedisConnector::onLinkReply(const RedisReply &reply)
{
    if (m_state == State::Ready) {
        Q_EMIT replyReceived(reply);
        return;
    }
    if (m_state != State::Handshaking || m_handshakeSteps.isEmpty())
        return;
    const QByteArray step = m_handshakeSteps.takeFirst();
    if (reply.isError()) {
        fail(QString::fromLatin1(step) + u" failed: "_s + reply.errorMessage());
        return;
    }
    if (m_handshakeSteps.isEmpty())
        becomeReady();
}

void RedisConnector::onLinkClosed(const QString &reason)
{
    if (m_state == State::Connecting) {
        m_lastAddressError = reason;
        connectNextAddress();
        return;
    }
    if (m_state == State::Handshaking || m_state == State::Ready)
        fail(reason);
}

void RedisConnector::onTimer()
{
    if (m_state == State::Waiting) {
        attempt();
        return;
    }
    if (isAttempting())
        fail(u"connect timeout after %1 ms"_s.arg(m_options.connectTimeout.count()));
}

void RedisConnector::becomeReady()
{
    m_timer.stop();
    m_state = State::Ready;
    if (m_inOutage) {
        qCInfo(lcRedis).noquote() << m_role << "connection to" << m_url.toDisplayString() << "restored after"
                                  << m_outageClock.elapsed() << "ms and" << m_backoff.failures()
                                  << "failed attempt(s)";
    } else if (!m_everReady) {
        qCInfo(lcRedis).noquote() << m_role << "connected to" << m_url.toDisplayString();
    }
    m_backoff.reset();
    m_inOutage = false;
    m_everReady = true;
    Q_EMIT ready();
}

void RedisConnector::fail(const QString &reason)
{
    const bool wasReady = m_state == State::Ready;
    abortLookup();
    dropLink();
    m_state = State::Waiting;
    const std::chrono::milliseconds delay = m_backoff.next();
    m_timer.start(delay);

    // One warning per outage; the retries in between only go to the debug log.
    if (!m_inOutage) {
        m_inOutage = true;
        m_outageClock.start();
        qCWarning(lcRedis).noquote() << m_role << "connection to" << m_url.toDisplayString()
                                     << (wasReady ? "lost:" : "failed:") << reason
                                     << "- reconnecting with backoff (up to"
                                     << m_options.reconnectMaxDelay.count() << "ms between attempts)";
    } else {
        qCDebug(lcRedis).noquote() << m_role << "attempt" << m_backoff.failures() << "failed:" << reason
                                   << "- next in" << delay.count() << "ms";
    }

    if (wasReady)
        Q_EMIT lost(reason);
    else
        Q_EMIT attemptFailed(reason);
}

void RedisConnector::dropLink()
{
    m_handshakeSteps.clear();
    m_link->close();
}

void RedisConnector::abortLookup()
{
    if (m_lookupId != -1) {
        QHostInfo::abortHostLookup(m_lookupId);
        m_lookupId = -1;
    }
}

} // namespace switchboard
