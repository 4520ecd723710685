#include "core/Hub.h"

#include "logging/StructuredLog.h"
#include "metrics/MessageTypes.h"
#include "metrics/ServerMetrics.h"
#include "net/NetLogging.h"
#include "shared/BrowserProtocol.h"

#include <QLoggingCategory>

#include <algorithm>
#include <utility>

Q_LOGGING_CATEGORY(lcHub, "switchboard.hub")

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

// Close code for a client that stayed silent (no frame, no pong) for longer than readTimeout.
// 4000-4999 is the private-use range of RFC 6455; 1001 would claim the server is going away and
// 1000 that all is well, neither of which tells the browser why it was dropped.
constexpr auto kCloseReadTimeout = static_cast<QWebSocketProtocol::CloseCode>(4002);

QString kindName(ClientKind kind)
{
    switch (kind) {
    case ClientKind::Sessions:
        return u"sessions"_s;
    case ClientKind::Cluster:
        return u"cluster"_s;
    case ClientKind::Admin:
        return u"admin"_s;
    case ClientKind::Logs:
        return u"logs"_s;
    }
    return {};
}

// Removes `id` from an ascending list of ids.
void removeSorted(QList<quint64> &ids, quint64 id)
{
    const auto it = std::lower_bound(ids.begin(), ids.end(), id);
    if (it != ids.end() && *it == id)
        ids.erase(it);
}

} // namespace

OutgoingMessage OutgoingMessage::fromUtf8(const QByteArray &utf8)
{
    OutgoingMessage message;
    message.m_frame = WsConnection::encodeTextFrame(utf8);
    message.m_type = metrics::topLevelMessageType(utf8).toByteArray();
    return message;
}

Hub::Hub(const Config &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
{
    m_clock.start();
    m_pingTimer.setInterval(m_config.pingInterval);
    connect(&m_pingTimer, &QTimer::timeout, this, &Hub::pingSweep);
    m_pingTimer.start();
}

Hub::~Hub()
{
    // The sockets are our children and die with us; none of their last signals may reach a
    // half-destroyed Hub.
    for (const BrowserClient &client : std::as_const(m_clients)) {
        if (client.socket)
            client.socket->disconnect(this);
    }
    for (const Closing &closing : std::as_const(m_closing)) {
        if (closing.socket)
            closing.socket->disconnect(this);
    }
}

quint64 Hub::addClient(WsConnection *socket, ClientKind kind, const OrgContext &context)
{
    Q_ASSERT(socket);
    const quint64 id = m_nextId++;
    socket->setParent(this);
    socket->setMaxMessageBytes(m_config.maxFrameBytes);

    BrowserClient client;
    client.id = id;
    client.kind = kind;
    client.context = context;
    client.socket = socket;
    client.lastSeenMs = m_clock.elapsed();
    client.messageRate = TokenBucket::perSecond(m_config.maxMessagesPerSecond);
    m_clients.insert(id, client);
    m_clientsByOrg[context.orgId].append(id);
    m_clientsByKind[std::size_t(kind)].append(id);

    connect(socket, &WsConnection::pong, this, [this, id] {
        const auto it = m_clients.find(id);
        if (it != m_clients.end())
            it->lastSeenMs = m_clock.elapsed();
    });
    connect(socket, &WsConnection::textMessageReceived, this, [this, id](const QByteArray &utf8) {
        const auto it = m_clients.find(id);
        if (it == m_clients.end())
            return;
        it->lastSeenMs = m_clock.elapsed();
        if (withinMessageRate(id)) {
            ++m_messagesReceived;
            if (m_metrics)
                m_metrics->messageReceived(metrics::ServerMetrics::Endpoint::Browser,
                                           metrics::topLevelMessageType(utf8));
            Q_EMIT messageReceived(id, utf8);
        }
    });
    connect(socket, &WsConnection::binaryMessageReceived, this, [this, id](const QByteArray &) {
        const auto it = m_clients.find(id);
        if (it == m_clients.end())
            return;
        it->lastSeenMs = m_clock.elapsed();
        if (withinMessageRate(id))
            reportBadFrame(id, {protocol::ErrorCode::BinaryFrame,
                                u"binary frames are not accepted; send JSON text"_s,
                                {},
                                {}});
    });
    QPointer<WsConnection> guard(socket);
    connect(socket, &WsConnection::disconnected, this, [this, id, guard] {
        if (m_clients.contains(id)) {
            qCDebug(lcHub) << "client" << id << "disconnected, close code"
                           << (guard ? guard->closeCode() : 0);
            removeClient(id);
        }
        if (guard)
            guard->deleteLater();
    });

    qCDebug(lcHub) << "client" << id << kindName(kind) << "org" << context.orgId << "user" << context.userId;
    Q_EMIT clientAdded(id);
    Q_EMIT orgClientCountChanged(context.orgId, clientCount(context.orgId));

    return id;
}

bool Hub::overLimits(const BrowserClient &client) const
{
    // Exact: the connection writes straight to the kernel and counts what the kernel refused.
    const int messages = client.socket ? client.socket->messagesToWrite() : 0;
    if (messages > m_config.maxUnsentMessages)
        return true;
    // One message bigger than the byte limit is not the client's fault: only a backlog is.
    return messages > 1 && client.socket->bytesToWrite() > m_config.maxUnsentBytes;
}

bool Hub::send(quint64 clientId, const OutgoingMessage &message)
{
    const auto it = m_clients.find(clientId);
    if (it == m_clients.end() || !it->socket || !it->socket->queueFrame(message.frame()))
        return false;
    ++m_messagesSent;
    if (m_metrics)
        m_metrics->messageSent(metrics::ServerMetrics::Endpoint::Browser, message.type());
    if (!it->flushPending) {
        it->flushPending = true;
        m_unflushed.append(clientId);
        if (!m_flushScheduled) {
            m_flushScheduled = true;
            QMetaObject::invokeMethod(this, &Hub::flushQueued, Qt::QueuedConnection);
        }
    }
    if (!overLimits(*it))
        return true;
    // A burst queued within one turn must not count against a client that reads fine: hand
    // the kernel what it takes now (never blocks) and judge again.
    it->socket->flush();
    if (!overLimits(*it))
        return true;

    qCWarning(lcHub) << "client" << clientId << "of org" << it->context.orgId
                     << "is too slow:" << it->socket->messagesToWrite() << "messages,"
                     << it->socket->bytesToWrite() << "bytes unsent; dropping it";
    closeClient(clientId, QWebSocketProtocol::CloseCodePolicyViolated, u"slow client"_s);
    if (m_metrics)
        m_metrics->slowClientDropped();
    Q_EMIT slowClientDropped(clientId);
    return false;
}

int Hub::broadcast(const OutgoingMessage &message)
{
    // Ids first: a send may drop a client and change m_clients.
    const QList<quint64> ids = m_clients.keys();
    int delivered = 0;
    for (quint64 id : ids) {
        if (send(id, message))
            ++delivered;
    }
    if (m_metrics)
        m_metrics->broadcast(delivered);
    return delivered;
}

int Hub::broadcastToOrg(const QString &orgId, const OutgoingMessage &message, std::optional<ClientKind> kind)
{
    const auto org = m_clientsByOrg.constFind(orgId);
    if (org == m_clientsByOrg.cend())
        return 0;
    // A shared copy: a client dropped during the loop detaches the index, not this list.
    const QList<quint64> ids = *org;
    int delivered = 0;
    for (quint64 id : ids) {
        if (kind) {
            const auto it = m_clients.constFind(id);
            if (it == m_clients.cend() || it->kind != *kind)
                continue;
        }
        if (send(id, message))
            ++delivered;
    }
    if (m_metrics)
        m_metrics->broadcast(delivered);
    return delivered;
}

int Hub::clientCount() const
{
    return int(m_clients.size());
}

int Hub::clientCount(const QString &orgId) const
{
    return int(m_clientsByOrg.value(orgId).size());
}

QList<quint64> Hub::clientsByOrg(const QString &orgId, std::optional<ClientKind> kind) const
{
    const auto org = m_clientsByOrg.constFind(orgId);
    if (org == m_clientsByOrg.cend())
        return {};
    if (!kind)
        return *org;
    QList<quint64> ids;
    for (quint64 id : *org) {
        const auto it = m_clients.constFind(id);
        if (it != m_clients.cend() && it->kind == *kind)
            ids.append(id);
    }
    return ids;
}

QList<quint64> Hub::clientsOfKind(ClientKind kind) const
{
    return m_clientsByKind[std::size_t(kind)];
}

QStringList Hub::uniqueOrgs(std::optional<ClientKind> kind) const
{
    QStringList orgs;
    for (auto it = m_clientsByOrg.cbegin(); it != m_clientsByOrg.cend(); ++it) {
        const bool any = std::any_of(it->cbegin(), it->cend(), [this, &kind](quint64 id) {
            if (!kind)
                return true;
            const auto client = m_clients.constFind(id);
            return client != m_clients.cend() && client->kind == *kind;
        });
        if (any)
            orgs.append(it.key());
    }
    orgs.sort();
    return orgs;
}

QString Hub::k8sNamespaceForOrg(const QString &orgId) const
{
    // Every client of an org carries the org's namespace; the oldest one answers, so the answer
    // does not change while it stays connected.
    const auto org = m_clientsByOrg.constFind(orgId);
    if (org == m_clientsByOrg.cend())
        return {};
    for (quint64 id : *org) {
        const auto client = m_clients.constFind(id);
        if (client != m_clients.cend() && !client->context.k8sNamespace.isEmpty())
            return client->context.k8sNamespace;
    }
    return {};
}

const BrowserClient *Hub::client(quint64 clientId) const
{
    const auto it = m_clients.constFind(clientId);
    return it == m_clients.cend() ? nullptr : &*it;
}

void Hub::reportBadFrame(quint64 clientId, const protocol::Error &error)
{
    if (!m_clients.contains(clientId))
        return;
    qCDebug(lcHub) << "client" << clientId << "sent a bad frame:" << protocol::errorCodeName(error.code)
                   << error.message;
    if (!send(clientId, protocol::browser::encodeError(error)))
        return; // gone, possibly dropped as slow
    const auto it = m_clients.find(clientId);
    if (it == m_clients.end())
        return;
    if (++it->consecutiveBadFrames >= m_config.maxBadFrames) {
        qCWarning(lcHub) << "client" << clientId << "of org" << it->context.orgId << "sent"
                         << it->consecutiveBadFrames << "bad frames in a row; closing it";
        closeClient(clientId, QWebSocketProtocol::CloseCodePolicyViolated, u"too many invalid frames"_s);
    }
}

bool Hub::withinMessageRate(quint64 clientId)
{
    const auto it = m_clients.find(clientId);
    if (it == m_clients.end())
        return false;
    const qint64 now = m_clock.elapsed();
    if (it->messageRate.take(now))
        return true;
    const QString offender = it->context.orgId + u'/' + it->context.userId + u'@' +
                             (it->socket ? it->socket->peerAddress().toString() : QString());
    if (m_limitLog.hit(u"browser_message_rate"_s, offender, now))
        logging::logWithFields(lcLimits(), QtWarningMsg,
                               u"limit browser_message_rate hit: more than %1 messages per second; closing "
                               "(logged once a minute)"_s.arg(m_config.maxMessagesPerSecond),
                               {{u"limit"_s, u"browser_message_rate"_s},
                                {u"client"_s, QString::number(clientId)},
                                {u"orgId"_s, it->context.orgId},
                                {u"userId"_s, it->context.userId},
                                {u"peer"_s, it->socket ? it->socket->peerAddress().toString() : QString()}});
    send(clientId, protocol::browser::encodeError(
                       {protocol::ErrorCode::RateLimited,
                        u"more than %1 messages per second; closing"_s.arg(m_config.maxMessagesPerSecond),
                        {},
                        {}}));
    closeClient(clientId, QWebSocketProtocol::CloseCodePolicyViolated, u"message rate exceeded"_s);
    return false;
}

void Hub::reportLimitHit(quint64 clientId, const QString &limit, const QString &detail)
{
    const auto it = m_clients.constFind(clientId);
    if (it == m_clients.cend())
        return;
    const QString offender = it->context.orgId + u'/' + it->context.userId + u'@' +
                             (it->socket ? it->socket->peerAddress().toString() : QString());
    if (m_limitLog.hit(limit, offender, m_clock.elapsed()))
        qCWarning(lcLimits).noquote() << "limit" << limit << "hit: client" << clientId << offender << detail
                                      << "(logged once a minute)";
}

void Hub::reportGoodFrame(quint64 clientId)
{
    const auto it = m_clients.find(clientId);
    if (it != m_clients.end())
        it->consecutiveBadFrames = 0;
}

void Hub::flushQueued()
{
    m_flushScheduled = false;
    const QList<quint64> ids = std::exchange(m_unflushed, {});
    for (quint64 id : ids) {
        const auto it = m_clients.find(id);
        if (it == m_clients.end())
            continue;
        it->flushPending = false;
        if (it->socket)
            it->socket->flush();
    }
}

void Hub::closeClient(quint64 clientId, QWebSocketProtocol::CloseCode code, const QString &reason)
{
    const auto it = m_clients.constFind(clientId);
    if (it == m_clients.cend())
        return;
    const QPointer<WsConnection> socket = it->socket;
    // Out of the indexes first.
    removeClient(clientId);
    if (!socket)
        return;
    // The close frame waits behind whatever is still buffered; a peer that never reads it would
    // keep the socket forever, so the sweep aborts it after closeTimeout.
    m_closing.append({socket, m_clock.elapsed() + m_config.closeTimeout.count()});
    socket->close(code, reason);
}

void Hub::closeAll(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    const QList<quint64> ids = m_clients.keys();
    for (quint64 id : ids)
        closeClient(id, code, reason);
}

void Hub::pingSweep()
{
    const qint64 now = m_clock.elapsed();

    // Sockets closed earlier whose peer never completed the close.
    for (auto it = m_closing.begin(); it != m_closing.end();) {
        if (!it->socket) {
            it = m_closing.erase(it);
        } else if (it->abortAtMs <= now || it->socket->state() == WsConnection::State::Closed) {
            const QPointer<WsConnection> socket = it->socket;
            it = m_closing.erase(it);
            socket->abort();
            if (socket)
                socket->deleteLater();
        } else {
            ++it;
        }
    }

    QList<quint64> silent;
    for (BrowserClient &client : m_clients) {
        if (!client.socket)
            continue;
        if (now - client.lastSeenMs > m_config.readTimeout.count()) {
            silent.append(client.id);
            continue;
        }
        client.socket->ping();
    }
    for (quint64 id : std::as_const(silent)) {
        qCInfo(lcHub) << "client" << id << "silent for longer than" << m_config.readTimeout.count()
                      << "ms; closing it";
        closeClient(id, kCloseReadTimeout, u"read timeout"_s);
    }
}

void Hub::removeClient(quint64 clientId)
{
    const auto it = m_clients.find(clientId);
    if (it == m_clients.end())
        return;
    const BrowserClient client = std::move(*it);
    m_clients.erase(it);
    removeSorted(m_clientsByKind[std::size_t(client.kind)], clientId);
    const auto org = m_clientsByOrg.find(client.context.orgId);
    if (org != m_clientsByOrg.end()) {
        removeSorted(*org, clientId);
        if (org->isEmpty())
            m_clientsByOrg.erase(org);
    }
    qCDebug(lcHub) << "client" << clientId << "removed from org" << client.context.orgId;
    Q_EMIT clientRemoved(clientId, client);
    Q_EMIT orgClientCountChanged(client.context.orgId, clientCount(client.context.orgId));
}

} // namespace switchboard
