#include "core/LogRelay.h"
#include "core/Continuation.h"

#include "core/AgentHub.h"
#include "core/CommandLedger.h"
#include "shared/BrowserProtocol.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcLogRelay, "switchboard.logrelay")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::logs::EndReason;
using protocol::logs::LogEnd;
namespace wire = protocol::agent;

LogRelay::LogRelay(Hub *hub, AgentHub *agents, CommandLedger *ledger, const Config &config, QObject *parent)
    : QObject(parent)
    , m_hub(hub)
    , m_agents(agents)
    , m_ledger(ledger)
    , m_config(config)
{
    connect(m_agents, &AgentHub::logLinesReceived, this, &LogRelay::onLogLines);
    connect(m_agents, &AgentHub::agentConnected, this, &LogRelay::onAgentConnected);
    connect(m_agents, &AgentHub::agentDisconnected, this,
            [this](const protocol::AgentInfo &agent, protocol::AgentStatus) { onAgentDisconnected(agent); });
    connect(m_agents, &AgentHub::statusReported, this, &LogRelay::onStatusReported);
    connect(m_ledger, &CommandLedger::commandFinished, this, &LogRelay::onCommandFinished);
    connect(m_hub, &Hub::clientRemoved, this,
            [this](quint64 clientId, const BrowserClient &) { onClientRemoved(clientId); });
}

int LogRelay::viewerCount(const QString &sessionId) const
{
    const auto it = m_streams.constFind(sessionId);
    return it == m_streams.cend() ? 0 : int(it->viewers.size());
}

quint64 LogRelay::addViewer(WsConnection *socket, const OrgContext &viewer,
                            const protocol::SessionInfo &session, int tailLines)
{
    const quint64 clientId = m_hub->addClient(socket, ClientKind::Logs, viewer);
    const QString &sessionId = session.sessionId;

    auto existing = m_streams.find(sessionId);
    if (existing != m_streams.end()) {
        if (existing->viewers.size() >= m_config.maxViewersPerSession) {
            endViewer(clientId, {sessionId, EndReason::TooManyViewers,
                                 u"session %1 already has %2 log viewers"_s.arg(sessionId).arg(
                                     m_config.maxViewersPerSession)});
            return clientId;
        }
        // Later viewers share the running stream: they see lines from now on, not a tail.
        existing->viewers.append(clientId);
        m_viewerOf.insert(clientId, sessionId);
        qCDebug(lcLogRelay) << "viewer" << clientId << "joined the log stream of" << sessionId << "("
                            << existing->viewers.size() << "viewers)";
        return clientId;
    }

    if (protocol::isTerminalSessionState(session.state)) {
        endViewer(clientId, {sessionId, EndReason::SessionEnded,
                             u"session %1 is %2: it has no live log"_s.arg(
                                 sessionId, protocol::sessionStateName(session.state))});
        return clientId;
    }
    const bool remote = !session.agentId.isEmpty() && !m_agents->isAgentConnected(session.agentId) &&
                        m_remote.follow && !m_shutDown;
    if (!remote && (session.agentId.isEmpty() || !m_agents->isAgentConnected(session.agentId))) {
        const QString why = session.agentId.isEmpty() ? u"session %1 has no agent yet"_s.arg(sessionId)
                            : m_replica.isEmpty()
                                ? u"agent %1 of session %2 is not connected"_s.arg(session.agentId, sessionId)
                                : u"agent %1 of session %2 is not connected to replica %3"_s.arg(
                                      session.agentId, sessionId, m_replica);
        endViewer(clientId, {sessionId, EndReason::AgentUnavailable, why});
        return clientId;
    }
    if (m_shutDown) {
        m_hub->closeClient(clientId, QWebSocketProtocol::CloseCodeGoingAway, u"going away"_s);
        return clientId;
    }

    m_orphaned.remove(sessionId);
    Stream stream;
    stream.sessionId = sessionId;
    stream.agentId = session.agentId;
    stream.orgId = session.orgId;
    stream.viewers = {clientId};
    stream.generation = m_nextGeneration++;
    stream.remote = remote;
    m_streams.insert(sessionId, stream);
    m_viewerOf.insert(clientId, sessionId);
    if (remote) {
        qCInfo(lcLogRelay) << "log stream of" << sessionId << "follows agent" << stream.agentId
                           << "on another replica for viewer" << clientId;
        Q_EMIT streamStarted(sessionId, stream.agentId);
        m_remote.follow(sessionId, stream.agentId, stream.orgId, tailLines);
        return clientId;
    }
    qCInfo(lcLogRelay) << "log stream of" << sessionId << "starts on agent" << stream.agentId << "for viewer"
                       << clientId;
    issueStreamLogs(stream, tailLines);
    Q_EMIT streamStarted(sessionId, stream.agentId);
    return clientId;
}

void LogRelay::handleMessage(quint64 clientId, const QByteArray &utf8)
{
    const protocol::Decoded<protocol::browser::ClientMessage> message =
        protocol::browser::decodeClientMessage(utf8);
    if (!message) {
        m_hub->reportBadFrame(clientId, message.error());
        return;
    }
    if (std::holds_alternative<protocol::browser::ClientPing>(message.value().request)) {
        m_hub->reportGoodFrame(clientId);
        m_hub->send(clientId, protocol::browser::encodePong(message.value().requestId));
        return;
    }
    m_hub->reportBadFrame(clientId,
                          {protocol::ErrorCode::Forbidden, u"type: a log stream only answers ping"_s,
                           u"type"_s, message.value().requestId});
}

void LogRelay::sessionStateChanged(const QString &sessionId, protocol::SessionState state)
{
    if (protocol::isTerminalSessionState(state) && m_streams.contains(sessionId))
        endStream(sessionId, EndReason::SessionEnded,
                  u"session %1 is %2"_s.arg(sessionId, protocol::sessionStateName(state)));
}

void LogRelay::onLogLines(const QString &agentId, const wire::LogLines &log)
{
    const auto it = m_streams.constFind(log.sessionId);
    if (it == m_streams.cend() || it->agentId != agentId || it->remote) {
        // Another agent's session, or lines still in flight after stop_logs: nobody may see them.
        ++m_droppedFrames;
        qCDebug(lcLogRelay) << "dropped" << log.lines.size() << "log lines of" << log.sessionId
                            << "from agent" << agentId << "(no stream of that session on this agent)";
        const auto orphan = m_orphaned.constFind(log.sessionId);
        if (it == m_streams.cend() && orphan != m_orphaned.cend() && orphan->agentId == agentId) {
            const Stream stale = *orphan;
            m_orphaned.erase(orphan);
            qCInfo(lcLogRelay) << "agent" << agentId << "streams the log of" << log.sessionId
                               << "for nobody (a stream_logs redelivered after a reconnect); stopping it";
            issueStopLogs(stale);
        }
        return;
    }
    fanOut(log.sessionId, log.lines, true);
}

void LogRelay::fanOut(const QString &sessionId, const QStringList &lines, bool toRemote)
{
    const auto it = m_streams.constFind(sessionId);
    if (it == m_streams.cend())
        return;
    const quint64 generation = it->generation;
    const QList<QStringList> chunks =
        protocol::logs::splitLines(lines, m_config.maxLinesPerMessage, m_config.maxBytesPerMessage);
    for (const QStringList &chunk : chunks) {
        // Sending may drop a slow viewer, and with the last one the stream: look it up each time.
        const auto stream = m_streams.constFind(sessionId);
        if (stream == m_streams.cend() || stream->generation != generation)
            return;
        if (toRemote && stream->servesRemote)
            Q_EMIT remoteLines(sessionId, chunk);
        const OutgoingMessage message =
            OutgoingMessage::fromUtf8(protocol::logs::encodeLogLines({sessionId, chunk}));
        const QList<quint64> viewers = stream->viewers;
        for (quint64 viewer : viewers)
            m_hub->send(viewer, message);
    }
}

void LogRelay::deliverRemoteLines(const QString &sessionId, const QStringList &lines)
{
    const auto it = m_streams.constFind(sessionId);
    if (it == m_streams.cend() || !it->remote) {
        ++m_droppedFrames;
        return;
    }
    fanOut(sessionId, lines, false);
}

void LogRelay::endRemoteStream(const LogEnd &end)
{
    const auto it = m_streams.constFind(end.sessionId);
    if (it != m_streams.cend() && it->remote)
        endStream(end.sessionId, end.reason, end.message);
}

std::optional<LogEnd> LogRelay::serveRemote(const QString &sessionId, const QString &agentId,
                                            const QString &orgId, int tailLines)
{
    const auto it = m_streams.find(sessionId);
    if (it != m_streams.end() && !it->remote && it->agentId == agentId) {
        it->servesRemote = true;
        return std::nullopt;
    }
    if (m_shutDown || !m_agents->isAgentConnected(agentId))
        return LogEnd{
            sessionId, EndReason::AgentUnavailable,
            u"agent %1 of session %2 is not connected to replica %3"_s.arg(agentId, sessionId, m_replica)};
    if (it != m_streams.end())
        return LogEnd{sessionId, EndReason::StreamFailed,
                      u"replica %1 streams session %2 from another agent"_s.arg(m_replica, sessionId)};
    m_orphaned.remove(sessionId);
    Stream stream;
    stream.sessionId = sessionId;
    stream.agentId = agentId;
    stream.orgId = orgId;
    stream.generation = m_nextGeneration++;
    stream.servesRemote = true;
    m_streams.insert(sessionId, stream);
    qCInfo(lcLogRelay) << "log stream of" << sessionId << "starts on agent" << agentId
                       << "for other replicas";
    issueStreamLogs(stream, tailLines);
    Q_EMIT streamStarted(sessionId, agentId);
    return std::nullopt;
}

void LogRelay::releaseRemote(const QString &sessionId)
{
    const auto it = m_streams.find(sessionId);
    if (it == m_streams.end() || it->remote || !it->servesRemote)
        return;
    it->servesRemote = false;
    if (!it->viewers.isEmpty())
        return;
    const Stream last = *it;
    m_streams.erase(it);
    qCInfo(lcLogRelay) << "no replica follows" << sessionId << "any more; stopping its log stream";
    issueStopLogs(last);
}

void LogRelay::onAgentConnected(const protocol::AgentInfo &agent)
{
    // A connection that replaced another one (close code 4000) starts without the streams of the
    // old one: ask again, without a tail the viewers have already seen.
    for (const Stream &stream : std::as_const(m_streams)) {
        if (stream.agentId == agent.agentId && !stream.remote)
            issueStreamLogs(stream, 0);
    }
}

void LogRelay::onAgentDisconnected(const protocol::AgentInfo &agent)
{
    QStringList affected;
    // Bounded: a stray stream found after this many disconnections simply goes on unwatched.
    if (m_orphaned.size() > 10000)
        m_orphaned.clear();
    for (const Stream &stream : std::as_const(m_streams)) {
        if (stream.agentId == agent.agentId && !stream.remote) {
            affected.append(stream.sessionId);
            m_orphaned.insert(stream.sessionId, stream);
        }
    }
    for (const QString &sessionId : std::as_const(affected))
        endStream(sessionId, EndReason::AgentDisconnected,
                  u"agent %1 disconnected; reconnect to follow the log again"_s.arg(agent.agentId));
}

void LogRelay::onStatusReported(const QString &agentId, const wire::StatusReport &status)
{
    const auto it = m_streams.constFind(status.sessionId);
    if (it != m_streams.cend() && it->agentId == agentId && !it->remote)
        sessionStateChanged(status.sessionId, status.state);
}

void LogRelay::onCommandFinished(const protocol::CommandInfo &command)
{
    if (command.status != protocol::CommandStatus::Failed ||
        command.action != wire::actionName(wire::Action::StreamLogs))
        return;
    const auto it = m_streams.constFind(command.sessionId);
    if (it == m_streams.cend() || it->agentId != command.agentId || it->remote)
        return;
    endStream(command.sessionId, EndReason::StreamFailed,
              u"agent %1 could not stream the log: %2"_s.arg(command.agentId, command.error));
}

void LogRelay::onClientRemoved(quint64 clientId)
{
    const QString sessionId = m_viewerOf.take(clientId);
    if (sessionId.isEmpty())
        return;
    const auto it = m_streams.find(sessionId);
    if (it == m_streams.end())
        return;
    it->viewers.removeOne(clientId);
    // Other replicas' followers keep the agent's stream running (releaseRemote ends it).
    if (!it->viewers.isEmpty() || it->servesRemote)
        return;
    const Stream last = *it;
    m_streams.erase(it);
    if (last.remote) {
        qCInfo(lcLogRelay) << "last viewer of" << sessionId << "left; no longer following it";
        if (m_remote.unfollow)
            m_remote.unfollow(sessionId);
        return;
    }
    qCInfo(lcLogRelay) << "last viewer of" << sessionId << "left; stopping its log stream";
    issueStopLogs(last);
}

void LogRelay::endViewer(quint64 clientId, const LogEnd &end)
{
    m_viewerOf.remove(clientId);
    m_hub->send(clientId, protocol::logs::encodeLogEnd(end));
    m_hub->closeClient(clientId, QWebSocketProtocol::CloseCodeNormal,
                       protocol::logs::endReasonName(end.reason));
}

void LogRelay::endStream(const QString &sessionId, EndReason reason, const QString &message)
{
    const auto it = m_streams.find(sessionId);
    if (it == m_streams.end())
        return;
    const Stream ended = *it;
    m_streams.erase(it);
    qCInfo(lcLogRelay) << "log stream of" << sessionId << "ended:" << protocol::logs::endReasonName(reason)
                       << message;
    const LogEnd end{sessionId, reason, message};
    if (ended.remote && m_remote.unfollow)
        m_remote.unfollow(sessionId);
    if (ended.servesRemote)
        Q_EMIT remoteStreamEnded(end);
    for (quint64 viewer : ended.viewers)
        endViewer(viewer, end);
    Q_EMIT streamEnded(sessionId, reason);
}

void LogRelay::issueStreamLogs(const Stream &stream, int tailLines)
{
    if (m_shutDown)
        return;
    const QString sessionId = stream.sessionId;
    const quint64 generation = stream.generation;
    whenFinished(this,
                 m_ledger->issue(stream.agentId, stream.orgId, wire::Action::StreamLogs,
                                 {{u"sessionId"_s, sessionId}, {u"tailLines"_s, tailLines}}, sessionId),
                 [this, sessionId, generation](protocol::Decoded<protocol::CommandInfo> issued) {
                     if (issued)
                         return;
                     const auto it = m_streams.constFind(sessionId);
                     if (it != m_streams.cend() && it->generation == generation)
                         endStream(sessionId, EndReason::StreamFailed,
                                   u"could not ask the agent for the log: "_s + issued.error().message);
                 });
}

void LogRelay::issueStopLogs(const Stream &stream)
{
    // An agent that left has no stream to stop; a pending stop_logs would only reach its next
    // connection, which starts without streams anyway.
    if (m_shutDown || !m_agents->isAgentConnected(stream.agentId))
        return;
    const QString sessionId = stream.sessionId;
    whenFinished(this,
                 m_ledger->issue(stream.agentId, stream.orgId, wire::Action::StopLogs,
                                 {{u"sessionId"_s, sessionId}}, sessionId),
                 [sessionId](protocol::Decoded<protocol::CommandInfo> issued) {
                     if (!issued)
                         qCWarning(lcLogRelay)
                             << "could not send stop_logs for" << sessionId << ":" << issued.error().message;
                 });
}

} // namespace switchboard
