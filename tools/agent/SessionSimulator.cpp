#include "SessionSimulator.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QRandomGenerator>

#include <algorithm>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcSimSessions, "switchboard.agent.sessions")

namespace switchboard::agentsim {

using protocol::SessionState;
namespace wire = protocol::agent;

SessionSimulator::SessionSimulator(QString agentId, SimulationSettings settings, RandomSource random,
                                   QObject *parent)
    : QObject(parent)
    , m_agentId(std::move(agentId))
    , m_settings(settings)
    , m_random(std::move(random))
{
    m_settings.rememberedCommands = std::max(m_settings.rememberedCommands, 1);
    m_settings.logLineInterval = std::max(m_settings.logLineInterval, std::chrono::milliseconds(10));
    if (!m_random)
        m_random = [] { return QRandomGenerator::global()->generateDouble(); };
}

std::optional<SessionSimulator::Delivery> SessionSimulator::checkDuplicate(const QString &commandId)
{
    const auto it = m_commands.constFind(commandId);
    if (it == m_commands.cend())
        return std::nullopt;
    if (!it->done)
        return Delivery::InProgress;
    // An at-least-once server resends what it has not seen finished; answering again lets it finish.
    if (it->result)
        Q_EMIT frameReady(*it->result);
    return Delivery::AlreadyDone;
}

void SessionSimulator::remember(const QString &commandId)
{
    m_commands.insert(commandId, CommandRecord{});
    m_commandOrder.enqueue(commandId);
    while (m_commandOrder.size() > m_settings.rememberedCommands)
        m_commands.remove(m_commandOrder.dequeue());
}

SessionSimulator::Delivery SessionSimulator::submit(const wire::Command &command)
{
    if (auto duplicate = checkDuplicate(command.commandId))
        return *duplicate;
    remember(command.commandId);

    auto normalized = wire::normalizeCommandPayload(command.action, command.payload);
    if (!normalized) {
        fail(command.commandId,
             u"invalid %1 payload: %2"_s.arg(wire::actionName(command.action), normalized.error().message));
        return Delivery::New;
    }
    wire::Command accepted{command.commandId, command.action, std::move(normalized).value()};
    const QString sessionId = accepted.payload.value("sessionId"_L1).toString();

    switch (accepted.action) {
    case wire::Action::StreamLogs:
        streamLogs(accepted);
        return Delivery::New;
    case wire::Action::StopLogs:
        stopLogs(accepted);
        return Delivery::New;
    case wire::Action::StartSession:
    case wire::Action::StopSession:
    case wire::Action::HibernateSession:
    case wire::Action::WakeSession:
        break;
    }
    // One action at a time per session, in arrival order, as a real runtime would serialise them.
    SessionQueue &queue = m_queues[sessionId];
    queue.commands.enqueue(std::move(accepted));
    if (!queue.busy)
        runNext(sessionId);
    return Delivery::New;
}

SessionSimulator::Delivery SessionSimulator::reject(const QString &commandId, const QString &error)
{
    if (auto duplicate = checkDuplicate(commandId))
        return *duplicate;
    remember(commandId);
    fail(commandId, error);
    return Delivery::New;
}

std::chrono::milliseconds SessionSimulator::delayFor(wire::Action action) const
{
    switch (action) {
    case wire::Action::StartSession:
        return m_settings.startDelay;
    case wire::Action::StopSession:
        return m_settings.stopDelay;
    case wire::Action::HibernateSession:
        return m_settings.hibernateDelay;
    case wire::Action::WakeSession:
        return m_settings.wakeDelay;
    case wire::Action::StreamLogs:
    case wire::Action::StopLogs:
        break;
    }
    return std::chrono::milliseconds(0);
}

void SessionSimulator::runNext(const QString &sessionId)
{
    auto it = m_queues.find(sessionId);
    if (it == m_queues.end())
        return;
    if (it->commands.isEmpty()) {
        m_queues.erase(it);
        return;
    }
    it->busy = true;
    const wire::Command command = it->commands.dequeue();
    QTimer::singleShot(delayFor(command.action), this, [this, command, sessionId] {
        execute(command);
        if (auto queue = m_queues.find(sessionId); queue != m_queues.end())
            queue->busy = false;
        runNext(sessionId);
    });
}

void SessionSimulator::execute(const wire::Command &command)
{
    switch (command.action) {
    case wire::Action::StartSession:
        return startSession(command);
    case wire::Action::StopSession:
        return stopSession(command);
    case wire::Action::HibernateSession:
        return hibernateSession(command);
    case wire::Action::WakeSession:
        return wakeSession(command);
    case wire::Action::StreamLogs:
    case wire::Action::StopLogs:
        break;
    }
}

bool SessionSimulator::simulatedFailure()
{
    // r is in [0, 1): a rate of 0 never fails, a rate of 1 always does.
    return m_random() < m_settings.failureRate;
}

void SessionSimulator::startSession(const wire::Command &command)
{
    const QString sessionId = command.payload.value("sessionId"_L1).toString();
    if (const auto it = m_sessions.constFind(sessionId); it != m_sessions.cend())
        return fail(command.commandId, u"session %1 already exists on agent %2 (state %3)"_s.arg(
                                           sessionId, m_agentId, protocol::sessionStateName(it->state)));
    if (activeSessions() >= m_settings.maxSessions)
        return fail(command.commandId,
                    u"agent %1 is at capacity (%2 of %2 sessions running)"_s.arg(m_agentId).arg(
                        m_settings.maxSessions));
    if (simulatedFailure())
        return fail(command.commandId, u"simulated failure starting session %1 (failure rate %2)"_s.arg(
                                           sessionId, QString::number(m_settings.failureRate)));

    Session session;
    session.sessionId = sessionId;
    session.podName = u"sim-"_s + sessionId;
    session.user = command.payload.value("user"_L1).toString();
    session.templateName = command.payload.value("template"_L1).toString();
    session.state = SessionState::Pending;
    Session &stored = *m_sessions.insert(sessionId, session);
    setState(stored, SessionState::Running);
    complete(command.commandId, QJsonObject{{u"sessionId"_s, sessionId},
                                            {u"state"_s, protocol::sessionStateName(SessionState::Running)},
                                            {u"podName"_s, stored.podName},
                                            {u"vncPort"_s, m_settings.vncPort}});
}

void SessionSimulator::stopSession(const wire::Command &command)
{
    const QString sessionId = command.payload.value("sessionId"_L1).toString();
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return fail(command.commandId,
                    u"unknown session %1: agent %2 has no such session"_s.arg(sessionId, m_agentId));
    if (simulatedFailure())
        return fail(command.commandId, u"simulated failure stopping session %1 (failure rate %2)"_s.arg(
                                           sessionId, QString::number(m_settings.failureRate)));
    Session session = *it;
    m_sessions.erase(it);
    stopLogStream(sessionId);
    setState(session, SessionState::Terminated);
    complete(command.commandId,
             QJsonObject{{u"sessionId"_s, sessionId},
                         {u"state"_s, protocol::sessionStateName(SessionState::Terminated)}});
}

void SessionSimulator::hibernateSession(const wire::Command &command)
{
    const QString sessionId = command.payload.value("sessionId"_L1).toString();
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return fail(command.commandId,
                    u"unknown session %1: agent %2 has no such session"_s.arg(sessionId, m_agentId));
    // Already hibernated: the desired state holds, so this succeeds without another transition.
    if (it->state != SessionState::Hibernated) {
        if (simulatedFailure())
            return fail(command.commandId,
                        u"simulated failure hibernating session %1 (failure rate %2)"_s.arg(
                            sessionId, QString::number(m_settings.failureRate)));
        setState(*it, SessionState::Hibernated);
    }
    complete(command.commandId,
             QJsonObject{{u"sessionId"_s, sessionId},
                         {u"state"_s, protocol::sessionStateName(SessionState::Hibernated)}});
}

void SessionSimulator::wakeSession(const wire::Command &command)
{
    const QString sessionId = command.payload.value("sessionId"_L1).toString();
    auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return fail(command.commandId,
                    u"unknown session %1: agent %2 has no such session"_s.arg(sessionId, m_agentId));
    if (it->state != SessionState::Running) {
        if (activeSessions() >= m_settings.maxSessions)
            return fail(command.commandId,
                        u"agent %1 is at capacity (%2 of %2 sessions running)"_s.arg(m_agentId).arg(
                            m_settings.maxSessions));
        if (simulatedFailure())
            return fail(command.commandId, u"simulated failure waking session %1 (failure rate %2)"_s.arg(
                                               sessionId, QString::number(m_settings.failureRate)));
        setState(*it, SessionState::Running);
    }
    complete(command.commandId, QJsonObject{{u"sessionId"_s, sessionId},
                                            {u"state"_s, protocol::sessionStateName(SessionState::Running)},
                                            {u"podName"_s, it->podName},
                                            {u"vncPort"_s, m_settings.vncPort}});
}

void SessionSimulator::streamLogs(const wire::Command &command)
{
    const QString sessionId = command.payload.value("sessionId"_L1).toString();
    if (!m_sessions.contains(sessionId))
        return fail(command.commandId,
                    u"unknown session %1: agent %2 has no such session"_s.arg(sessionId, m_agentId));
    const int tailLines =
        int(std::clamp<qint64>(command.payload.value("tailLines"_L1).toInteger(m_settings.defaultTailLines),
                               0, m_settings.maxTailLines));

    // A second request for the same session restarts the stream (a new viewer wants the tail).
    stopLogStream(sessionId);
    LogStream &stream = m_logStreams[sessionId];
    if (tailLines > 0) {
        wire::LogLines tail{sessionId, {}};
        tail.lines.reserve(tailLines);
        for (int i = 0; i < tailLines; ++i)
            tail.lines.append(logLine(sessionId, stream.nextLine++));
        Q_EMIT frameReady(tail);
    }
    stream.timer = new QTimer(this);
    stream.timer->setInterval(m_settings.logLineInterval);
    connect(stream.timer, &QTimer::timeout, this, [this, sessionId] {
        auto it = m_logStreams.find(sessionId);
        if (it == m_logStreams.end())
            return;
        Q_EMIT frameReady(wire::LogLines{sessionId, {logLine(sessionId, it->nextLine++)}});
    });
    stream.timer->start();
    complete(command.commandId,
             QJsonObject{{u"sessionId"_s, sessionId}, {u"streaming"_s, true}, {u"tailLines"_s, tailLines}});
}

void SessionSimulator::stopLogs(const wire::Command &command)
{
    const QString sessionId = command.payload.value("sessionId"_L1).toString();
    // Stopping a stream that is not running is not an error: the desired state holds.
    stopLogStream(sessionId);
    complete(command.commandId, QJsonObject{{u"sessionId"_s, sessionId}, {u"streaming"_s, false}});
}

void SessionSimulator::stopLogStream(const QString &sessionId)
{
    auto it = m_logStreams.find(sessionId);
    if (it == m_logStreams.end())
        return;
    if (it->timer) {
        it->timer->stop();
        it->timer->deleteLater();
    }
    m_logStreams.erase(it);
}

void SessionSimulator::stopAllLogStreams()
{
    const QStringList sessions = m_logStreams.keys();
    for (const QString &sessionId : sessions)
        stopLogStream(sessionId);
}

QString SessionSimulator::logLine(const QString &sessionId, qint64 number) const
{
    static const char *const messages[] = {
        "x11vnc: client connected, 1 viewer",        "websockify: proxying 127.0.0.1:5900",
        "desktop: frame rendered in 16 ms",          "desktop: clipboard synchronised",
        "x11vnc: framebuffer update, 12 rectangles", "session: heartbeat ok",
    };
    const auto &message = messages[number % qint64(std::size(messages))];
    return u"%1 sim-%2 [info] #%3 %4"_s.arg(protocol::formatTimestamp(QDateTime::currentDateTimeUtc()),
                                            sessionId, QString::number(number), QLatin1StringView(message));
}

void SessionSimulator::setState(Session &session, SessionState state)
{
    session.state = state;
    const bool running = state == SessionState::Running;
    wire::StatusReport status;
    status.sessionId = session.sessionId;
    status.state = state;
    status.vncReady = running;
    status.vncPort = running ? m_settings.vncPort : 0;
    status.platformMetadata = QJsonObject{{u"podName"_s, session.podName}};
    qCInfo(lcSimSessions).noquote() << m_agentId << "session" << session.sessionId << "->"
                                    << protocol::sessionStateName(state);
    Q_EMIT frameReady(status);
    Q_EMIT sessionStateChanged(session.sessionId, state);
}

void SessionSimulator::complete(const QString &commandId, QJsonObject result)
{
    finish(commandId, wire::Complete{commandId, std::move(result)}, true);
}

void SessionSimulator::fail(const QString &commandId, const QString &error)
{
    qCWarning(lcSimSessions).noquote() << m_agentId << "command" << commandId << "failed:" << error;
    finish(commandId, wire::Failed{commandId, error}, false);
}

void SessionSimulator::finish(const QString &commandId, wire::AgentFrame frame, bool ok)
{
    if (auto it = m_commands.find(commandId); it != m_commands.end()) {
        it->done = true;
        it->result = frame;
    }
    Q_EMIT frameReady(frame);
    Q_EMIT commandFinished(commandId, ok);
}

int SessionSimulator::activeSessions() const
{
    return int(std::count_if(m_sessions.cbegin(), m_sessions.cend(),
                             [](const Session &session) { return session.state == SessionState::Running; }));
}

int SessionSimulator::sessionCount() const
{
    return int(m_sessions.size());
}

std::optional<SessionState> SessionSimulator::sessionState(const QString &sessionId) const
{
    const auto it = m_sessions.constFind(sessionId);
    if (it == m_sessions.cend())
        return std::nullopt;
    return it->state;
}

bool SessionSimulator::isStreamingLogs(const QString &sessionId) const
{
    return m_logStreams.contains(sessionId);
}

} // namespace switchboard::agentsim
