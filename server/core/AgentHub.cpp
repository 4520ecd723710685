#include "core/AgentHub.h"

#include "core/Continuation.h"
#include "logging/StructuredLog.h"
#include "metrics/MessageTypes.h"
#include "metrics/ServerMetrics.h"
#include "net/NetLogging.h"
#include "storage/Store.h"

#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcAgentHub, "switchboard.agenthub")

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

using protocol::AgentStatus;

// Private-use close codes (RFC 6455 4000-4999) so that an agent can tell why it was dropped.
constexpr auto kCloseReplaced = static_cast<QWebSocketProtocol::CloseCode>(4000);
constexpr auto kCloseHeartbeatTimeout = static_cast<QWebSocketProtocol::CloseCode>(4001);
constexpr auto kCloseReadTimeout = static_cast<QWebSocketProtocol::CloseCode>(4002);
constexpr auto kCloseRejected = static_cast<QWebSocketProtocol::CloseCode>(4003);

QDateTime nowUtc()
{
    return QDateTime::currentDateTimeUtc();
}

} // namespace

AgentHub::AgentHub(Store *store, const Config &config, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_config(config)
{
    Q_ASSERT(m_store);
    m_clock.start();

    m_staleSweepTimer.setInterval(m_config.staleSweepInterval);
    connect(&m_staleSweepTimer, &QTimer::timeout, this, &AgentHub::sweepStaleAgents);
    m_staleSweepTimer.start();

    m_pingTimer.setInterval(m_config.pingInterval);
    connect(&m_pingTimer, &QTimer::timeout, this, &AgentHub::pingSweep);
    m_pingTimer.start();

    // Started by the first heartbeat after a flush, so that a quiet hub does no work.
    m_heartbeatFlushTimer.setSingleShot(true);
    m_heartbeatFlushTimer.setInterval(m_config.heartbeatFlushInterval);
    connect(&m_heartbeatFlushTimer, &QTimer::timeout, this, &AgentHub::flushHeartbeats);
}

AgentHub::~AgentHub()
{
    // Whatever was received is written (queued jobs run before the store closes).
    if (m_store)
        flushHeartbeats();
    // The sockets are our children and die with us; none of their last signals may reach a
    // half-destroyed hub.
    for (const AgentConnection &connection : std::as_const(m_connections)) {
        if (connection.socket)
            connection.socket->disconnect(this);
    }
    for (const Closing &closing : std::as_const(m_closing)) {
        if (closing.socket)
            closing.socket->disconnect(this);
    }
}

void AgentHub::acceptConnection(WsConnection *socket, const protocol::AgentInfo &agent)
{
    Q_ASSERT(socket);
    socket->setParent(this);
    const QPointer<WsConnection> guard(socket);
    connect(socket, &WsConnection::disconnected, this, [guard] {
        if (guard)
            guard->deleteLater();
    });
    if (m_shutDown) {
        closeSocket(guard, QWebSocketProtocol::CloseCodeGoingAway, u"going away"_s);
        return;
    }

    const QString agentId = agent.agentId;
    const quint64 serial = m_nextSerial++;
    socket->setMaxMessageBytes(m_config.maxFrameBytes);

    const auto previous = m_connections.find(agentId);
    if (previous != m_connections.end()) {
        qCInfo(lcAgentHub) << "agent" << agentId << "connected again; replacing connection"
                           << previous->serial;
        const QPointer<WsConnection> old = previous->socket;
        m_connections.erase(previous);
        // Its close arrives later and finds a newer serial: it never unregisters this connection.
        closeSocket(old, kCloseReplaced, u"replaced by a newer connection"_s);
    }
    // A heartbeat of the previous connection still waiting must reach storage before the new
    // connection's registration, not overwrite it afterwards.
    if (m_dirtyHeartbeats.contains(agentId))
        flushHeartbeats();

    const QDateTime now = nowUtc();
    const qint64 nowMs = m_clock.elapsed();
    AgentConnection connection;
    connection.serial = serial;
    connection.socket = socket;
    connection.info = agent;
    connection.info.status = AgentStatus::Online;
    connection.info.lastHeartbeat = now;
    connection.info.replica = m_config.replica;
    connection.lastHeartbeatMs = nowMs;
    connection.lastSeenMs = nowMs;
    connection.messageRate = TokenBucket::perSecond(m_config.maxMessagesPerSecond);
    m_connections.insert(agentId, connection);

    connect(socket, &WsConnection::pong, this, [this, serial, agentId] {
        if (AgentConnection *live = liveConnection(serial, agentId))
            live->lastSeenMs = m_clock.elapsed();
    });
    connect(socket, &WsConnection::textMessageReceived, this,
            [this, serial, agentId](const QByteArray &utf8) { onTextMessage(serial, agentId, utf8); });
    connect(socket, &WsConnection::binaryMessageReceived, this,
            [this, serial, agentId](const QByteArray &) { onBinaryMessage(serial, agentId); });
    connect(socket, &WsConnection::disconnected, this,
            [this, serial, agentId] { onDisconnected(serial, agentId); });

    onFinished(m_store->markAgentConnected(agentId, m_config.replica, now), this,
               [this, serial, agentId](const protocol::Decoded<protocol::AgentInfo> &stored) {
                   if (stored)
                       return;
                   qCWarning(lcAgentHub)
                       << "could not register agent" << agentId << "in storage:" << stored.error().message;
                   if (stored.error().code == protocol::ErrorCode::NotFound &&
                       liveConnection(serial, agentId))
                       dropAgents({agentId}, QWebSocketProtocol::CloseCodePolicyViolated, u"unknown agent"_s,
                                  AgentStatus::Offline);
               });

    logging::logWithFields(lcAgentHub(), QtInfoMsg, u"agent connected"_s,
                           {{u"agentId"_s, agentId},
                            {u"orgId"_s, agent.orgId},
                            {u"connection"_s, QString::number(serial)},
                            {u"peer"_s, socket->peerAddress().toString()}});
    Q_EMIT agentConnected(connection.info);
}

AgentConnection *AgentHub::liveConnection(quint64 serial, const QString &agentId)
{
    const auto it = m_connections.find(agentId);
    if (it == m_connections.end() || it->serial != serial)
        return nullptr;
    return &*it;
}

bool AgentHub::sendBytes(const AgentConnection &connection, const QByteArray &utf8)
{
    if (!connection.socket || !connection.socket->sendText(utf8))
        return false;
    ++m_framesSent;
    if (m_metrics)
        m_metrics->messageSent(metrics::ServerMetrics::Endpoint::Agent, metrics::topLevelMessageType(utf8));
    return true;
}

bool AgentHub::sendCommandToAgent(const QString &agentId, const protocol::agent::Command &command)
{
    const auto it = m_connections.constFind(agentId);
    if (it == m_connections.cend())
        return false;
    const bool sent = sendBytes(*it, protocol::agent::encodeServerFrame(command, nowUtc()));
    if (sent)
        qCDebug(lcAgentHub) << "sent command" << command.commandId
                            << protocol::agent::actionName(command.action) << "to agent" << agentId;
    return sent;
}

int AgentHub::broadcastToAllAgents(const protocol::agent::ServerFrame &frame, const QString &excludeAgentId,
                                   const QString &orgId)
{
    const QByteArray bytes = protocol::agent::encodeServerFrame(frame, nowUtc());
    int delivered = 0;
    for (const AgentConnection &connection : std::as_const(m_connections)) {
        if (connection.info.agentId == excludeAgentId || (!orgId.isEmpty() && connection.info.orgId != orgId))
            continue;
        if (sendBytes(connection, bytes))
            ++delivered;
    }
    return delivered;
}

QStringList AgentHub::connectedAgents() const
{
    QStringList ids = m_connections.keys();
    ids.sort();
    return ids;
}

bool AgentHub::isAgentConnected(const QString &agentId) const
{
    return m_connections.contains(agentId);
}

const AgentConnection *AgentHub::connection(const QString &agentId) const
{
    const auto it = m_connections.constFind(agentId);
    return it == m_connections.cend() ? nullptr : &*it;
}

QList<protocol::AgentInfo> AgentHub::connectedAgentInfos(const QString &orgId) const
{
    QList<protocol::AgentInfo> infos;
    for (const AgentConnection &connection : m_connections) {
        if (orgId.isEmpty() || connection.info.orgId == orgId)
            infos.append(connection.info);
    }
    std::sort(infos.begin(), infos.end(), [](const protocol::AgentInfo &a, const protocol::AgentInfo &b) {
        return a.agentId < b.agentId;
    });
    return infos;
}

void AgentHub::sendError(const QString &agentId, const protocol::Error &error)
{
    const auto it = m_connections.constFind(agentId);
    if (it == m_connections.cend())
        return;
    sendBytes(*it, protocol::agent::encodeError(error, nowUtc()));
}

void AgentHub::setApprovalStatus(const QString &agentId, protocol::ApprovalStatus status)
{
    const auto it = m_connections.find(agentId);
    if (it == m_connections.end() || it->info.approvalStatus == status)
        return;
    it->info.approvalStatus = status;
    Q_EMIT agentUpdated(it->info);
    if (status == protocol::ApprovalStatus::Rejected) {
        qCInfo(lcAgentHub) << "agent" << agentId << "was rejected; closing its connection";
        dropAgents({agentId}, kCloseRejected, u"agent rejected"_s, AgentStatus::Offline);
    }
}

void AgentHub::onTextMessage(quint64 serial, const QString &agentId, const QByteArray &utf8)
{
    AgentConnection *connection = liveConnection(serial, agentId);
    if (!connection)
        return; // a replaced or dropped connection: whatever it still says is not heard
    if (!withinMessageRate(*connection))
        return;
    connection->lastSeenMs = m_clock.elapsed();
    ++m_framesReceived;
    if (m_metrics)
        m_metrics->messageReceived(metrics::ServerMetrics::Endpoint::Agent,
                                   metrics::topLevelMessageType(utf8));
    protocol::Decoded<protocol::agent::AgentFrame> frame = protocol::agent::decodeAgentFrame(utf8);
    if (!frame) {
        rejectFrame(*connection, frame.error());
        return;
    }
    connection->consecutiveBadFrames = 0;
    handleFrame(*connection, frame.value());
}

void AgentHub::onBinaryMessage(quint64 serial, const QString &agentId)
{
    AgentConnection *connection = liveConnection(serial, agentId);
    if (connection && withinMessageRate(*connection))
        rejectFrame(*connection, {protocol::ErrorCode::BinaryFrame,
                                  u"binary frames are not accepted; send JSON text frames"_s,
                                  {},
                                  {}});
}

void AgentHub::rejectFrame(AgentConnection &connection, const protocol::Error &error)
{
    const QString agentId = connection.info.agentId;
    qCDebug(lcAgentHub) << "agent" << agentId << "sent a bad frame:" << protocol::errorCodeName(error.code)
                        << error.message;
    sendBytes(connection, protocol::agent::encodeError(error, nowUtc()));
    if (++connection.consecutiveBadFrames < m_config.maxBadFrames)
        return;
    qCWarning(lcAgentHub) << "agent" << agentId << "sent" << connection.consecutiveBadFrames
                          << "bad frames in a row; closing its connection";
    dropAgents({agentId}, QWebSocketProtocol::CloseCodePolicyViolated, u"too many invalid frames"_s,
               AgentStatus::Offline);
}

bool AgentHub::withinMessageRate(AgentConnection &connection)
{
    const qint64 now = m_clock.elapsed();
    if (connection.messageRate.take(now))
        return true;
    const QString agentId = connection.info.agentId;
    const QString offender =
        agentId + u'@' + (connection.socket ? connection.socket->peerAddress().toString() : QString());
    if (m_limitLog.hit(u"agent_message_rate"_s, offender, now))
        logging::logWithFields(lcLimits(), QtWarningMsg,
                               u"limit agent_message_rate hit: more than %1 frames per second; closing "
                               "(logged once a minute)"_s.arg(m_config.maxMessagesPerSecond),
                               {{u"limit"_s, u"agent_message_rate"_s},
                                {u"agentId"_s, agentId},
                                {u"orgId"_s, connection.info.orgId},
                                {u"peer"_s, offender.section(u'@', 1)}});
    sendBytes(connection, protocol::agent::encodeError({protocol::ErrorCode::RateLimited,
                                                        u"more than %1 frames per second; closing"_s.arg(
                                                            m_config.maxMessagesPerSecond),
                                                        {},
                                                        {}},
                                                       nowUtc()));
    dropAgents({agentId}, QWebSocketProtocol::CloseCodePolicyViolated, u"message rate exceeded"_s,
               protocol::AgentStatus::Offline);
    return false;
}

void AgentHub::handleFrame(AgentConnection &connection, const protocol::agent::AgentFrame &frame)
{
    using namespace protocol::agent;
    // Signals last: a receiver may act on the hub (send, even drop this agent) and invalidate
    // `connection`, so copy what is needed first.
    const QString agentId = connection.info.agentId;
    if (const auto *heartbeat = std::get_if<Heartbeat>(&frame)) {
        handleHeartbeat(connection, *heartbeat);
    } else if (const auto *ack = std::get_if<Ack>(&frame)) {
        Q_EMIT commandAcknowledged(agentId, ack->commandId);
    } else if (const auto *complete = std::get_if<Complete>(&frame)) {
        Q_EMIT commandCompleted(agentId, complete->commandId, complete->result);
    } else if (const auto *failed = std::get_if<Failed>(&frame)) {
        Q_EMIT commandFailed(agentId, failed->commandId, failed->error);
    } else if (const auto *status = std::get_if<StatusReport>(&frame)) {
        Q_EMIT statusReported(agentId, *status);
    } else if (const auto *lines = std::get_if<LogLines>(&frame)) {
        Q_EMIT logLinesReceived(agentId, *lines);
    }
    // Pong: liveness only, already counted when the frame arrived.
}

void AgentHub::handleHeartbeat(AgentConnection &connection, const protocol::agent::Heartbeat &heartbeat)
{
    protocol::AgentInfo &info = connection.info;
    connection.lastHeartbeatMs = m_clock.elapsed();
    // The agent's own word is the only thing that sets online or draining.
    info.status = heartbeat.status == protocol::agent::ReportedStatus::Draining ? AgentStatus::Draining
                                                                                : AgentStatus::Online;
    info.activeSessions = heartbeat.activeSessions;
    info.capacity = heartbeat.capacity;
    info.lastHeartbeat = nowUtc();

    HeartbeatRecord record;
    record.agentId = info.agentId;
    record.status = info.status;
    record.activeSessions = info.activeSessions;
    record.capacity = info.capacity;
    record.at = info.lastHeartbeat;
    m_dirtyHeartbeats.insert(info.agentId, record);
    if (!m_heartbeatFlushTimer.isActive())
        m_heartbeatFlushTimer.start();
    Q_EMIT agentUpdated(info);
}

void AgentHub::flushHeartbeats()
{
    m_heartbeatFlushTimer.stop();
    if (m_dirtyHeartbeats.isEmpty())
        return;
    const QList<HeartbeatRecord> beats = m_dirtyHeartbeats.values();
    m_dirtyHeartbeats.clear();
    const qsizetype count = beats.size();
    onFinished(m_store->recordHeartbeats(beats), this, [count](const protocol::Decoded<int> &written) {
        if (!written)
            qCWarning(lcAgentHub) << "could not record" << count << "heartbeats:" << written.error().message;
        else
            qCDebug(lcAgentHub) << "recorded" << count << "heartbeats," << written.value()
                                << "agents updated";
    });
}

void AgentHub::closeSocket(const QPointer<WsConnection> &socket, QWebSocketProtocol::CloseCode code,
                           const QString &reason)
{
    if (!socket)
        return;
    if (socket->state() == WsConnection::State::Closed) {
        socket->deleteLater();
        return;
    }
    // Nothing of what this socket still says may reach the hub; only its end is awaited.
    socket->disconnect(this);
    connect(socket, &WsConnection::disconnected, this, [socket] {
        if (socket)
            socket->deleteLater();
    });
    m_closing.append({socket, m_clock.elapsed() + m_config.closeTimeout.count()});
    socket->close(code, reason);
}

void AgentHub::abortOverdueClosings(qint64 now)
{
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
}

void AgentHub::closeClaimedElsewhere(const QString &agentId, const QString &replica)
{
    if (!m_connections.contains(agentId))
        return;
    qCInfo(lcAgentHub) << "agent" << agentId << "has a newer connection on replica" << replica
                       << "; closing the one here";
    dropAgents({agentId}, kCloseReplaced, u"replaced by a newer connection"_s, AgentStatus::Offline);
}

void AgentHub::dropAgents(const QStringList &agentIds, QWebSocketProtocol::CloseCode code,
                          const QString &reason, protocol::AgentStatus finalStatus)
{
    QList<protocol::AgentInfo> dropped;
    QStringList droppedIds;
    dropped.reserve(agentIds.size());
    droppedIds.reserve(agentIds.size());
    for (const QString &agentId : agentIds) {
        const auto it = m_connections.find(agentId);
        if (it == m_connections.end())
            continue;
        const AgentConnection connection = std::move(*it);
        m_connections.erase(it);
        closeSocket(connection.socket, code, reason);
        dropped.append(connection.info);
        droppedIds.append(agentId);
    }
    if (dropped.isEmpty())
        return;

    // Storage runs jobs in order: the agents' last heartbeats land before they go offline.
    flushHeartbeats();
    const qsizetype count = droppedIds.size();
    onFinished(m_store->markAgentsOffline(droppedIds, m_config.replica, nowUtc()), this,
               [count](const protocol::Decoded<int> &marked) {
                   if (!marked)
                       qCWarning(lcAgentHub)
                           << "could not mark" << count << "agents offline:" << marked.error().message;
               });

    for (protocol::AgentInfo &info : dropped) {
        info.replica.clear();
        info.status = finalStatus;
        Q_EMIT agentDisconnected(info, finalStatus);
        if (finalStatus != AgentStatus::Offline) {
            info.status = AgentStatus::Offline;
            Q_EMIT agentUpdated(info);
        }
    }
}

void AgentHub::onDisconnected(quint64 serial, const QString &agentId)
{
    const AgentConnection *connection = liveConnection(serial, agentId);
    if (!connection)
        return; // replaced, or already dropped by us
    logging::logWithFields(
        lcAgentHub(), QtInfoMsg, u"agent disconnected"_s,
        {{u"agentId"_s, agentId},
         {u"orgId"_s, connection->info.orgId},
         {u"closeCode"_s, QString::number(connection->socket ? int(connection->socket->closeCode()) : 0)}});
    dropAgents({agentId}, QWebSocketProtocol::CloseCodeNormal, {}, AgentStatus::Offline);
}

void AgentHub::sweepStaleAgents()
{
    const qint64 now = m_clock.elapsed();
    abortOverdueClosings(now);
    QStringList stale;
    for (const AgentConnection &connection : std::as_const(m_connections)) {
        if (now - connection.lastHeartbeatMs > m_config.heartbeatTimeout.count())
            stale.append(connection.info.agentId);
    }
    if (stale.isEmpty())
        return;
    stale.sort();
    qCWarning(lcAgentHub) << stale.size() << "agents sent no heartbeat for longer than"
                          << m_config.heartbeatTimeout.count() << "ms; marking them stale:"
                          << (stale.size() > 10 ? stale.mid(0, 10).join(u", "_s) + u", ..."_s
                                                : stale.join(u", "_s));
    dropAgents(stale, kCloseHeartbeatTimeout, u"heartbeat timeout"_s, AgentStatus::Stale);
}

void AgentHub::pingSweep()
{
    const qint64 now = m_clock.elapsed();
    abortOverdueClosings(now);
    QStringList silent;
    for (const AgentConnection &connection : std::as_const(m_connections)) {
        if (!connection.socket || !connection.socket->isOpen())
            continue;
        if (now - connection.lastSeenMs > m_config.readTimeout.count()) {
            silent.append(connection.info.agentId);
            continue;
        }
        connection.socket->ping();
    }
    if (silent.isEmpty())
        return;
    silent.sort();
    qCWarning(lcAgentHub) << silent.size() << "agents silent for longer than" << m_config.readTimeout.count()
                          << "ms; closing them";
    dropAgents(silent, kCloseReadTimeout, u"read timeout"_s, AgentStatus::Offline);
}

QFuture<protocol::Decoded<int>> AgentHub::shutdown()
{
    m_shutDown = true;
    m_staleSweepTimer.stop();
    m_pingTimer.stop();
    const QStringList ids = connectedAgents();
    qCInfo(lcAgentHub) << "shutting down;" << ids.size() << "agents connected";
    QList<protocol::AgentInfo> closed;
    closed.reserve(ids.size());
    for (const QString &agentId : ids) {
        const AgentConnection connection = m_connections.take(agentId);
        closeSocket(connection.socket, QWebSocketProtocol::CloseCodeGoingAway, u"going away"_s);
        closed.append(connection.info);
    }
    flushHeartbeats();
    QFuture<protocol::Decoded<int>> marked = m_store->markAgentsOffline(ids, m_config.replica, nowUtc());
    for (protocol::AgentInfo &info : closed) {
        info.replica.clear();
        info.status = AgentStatus::Offline;
        Q_EMIT agentDisconnected(info, AgentStatus::Offline);
    }
    return marked;
}

} // namespace switchboard
