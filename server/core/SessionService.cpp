#include "core/SessionService.h"

#include "cluster/ClusterPresence.h"
#include "core/AgentHub.h"
#include "core/CommandLedger.h"
#include "core/Continuation.h"
#include "storage/Store.h"

#include <QLoggingCategory>
#include <QRandomGenerator>

#include <algorithm>

Q_LOGGING_CATEGORY(lcSessions, "switchboard.sessions")

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

using protocol::AgentInfo;
using protocol::CommandInfo;
using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;
using protocol::SessionInfo;
using protocol::SessionState;
using protocol::agent::Action;
using protocol::browser::EventType;

const QString kDefaultNamespace = u"streamspace"_s;
const QString kDefaultMemory = u"2Gi"_s;
const QString kDefaultCpu = u"1000m"_s;

QString vncUrl(const QString &sessionId)
{
    return u"/api/v1/sessions/"_s + sessionId + u"/vnc"_s;
}

// "<userId>-<template>-<8 random hex digits>", as StreamSpace names them.
QString newSessionId(const QString &userId, const QString &templateName)
{
    const QString suffix =
        QString::number(QRandomGenerator::system()->generate(), 16).rightJustified(8, u'0');
    return userId + u'-' + templateName + u'-' + suffix;
}

QString nonEmptyOr(const QString &value, const QString &fallback)
{
    return value.isEmpty() ? fallback : value;
}

QString podNameIn(const QJsonObject &object)
{
    return object.value("podName"_L1).toString();
}

} // namespace

std::chrono::milliseconds SessionService::Config::effectiveGraceSweepInterval() const
{
    using std::chrono::milliseconds;
    if (graceSweepInterval > milliseconds(0))
        return graceSweepInterval;
    const milliseconds floor = agentGracePeriod >= milliseconds(4000) ? milliseconds(1000) : milliseconds(50);
    return std::clamp(agentGracePeriod / 4, floor, milliseconds(30000));
}

SessionService::SessionService(Store *store, AgentHub *agents, CommandLedger *ledger, QObject *parent)
    : SessionService(store, agents, ledger, Config{}, parent)
{}

SessionService::SessionService(Store *store, AgentHub *agents, CommandLedger *ledger, const Config &config,
                               QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_agents(agents)
    , m_ledger(ledger)
    , m_config(config)
{
    Q_ASSERT(m_store && m_agents && m_ledger);
    m_graceTimer.setInterval(m_config.effectiveGraceSweepInterval());
    connect(&m_graceTimer, &QTimer::timeout, this, &SessionService::sweepAbandonedSessions);
    m_graceTimer.start();
    connect(m_ledger, &CommandLedger::commandFinished, this, &SessionService::onCommandFinished);
    connect(m_agents, &AgentHub::statusReported, this, &SessionService::onStatusReported);
    connect(m_agents, &AgentHub::agentDisconnected, this,
            [this](const AgentInfo &agent, protocol::AgentStatus) { m_recentStarts.remove(agent.agentId); });
}

QString SessionService::unavailableReason(const AgentInfo &agent, const QString &orgId)
{
    if (agent.orgId != orgId)
        return u"agent %1 does not belong to org %2"_s.arg(agent.agentId, orgId);
    if (agent.approvalStatus != protocol::ApprovalStatus::Approved)
        return u"agent %1 is %2, not approved"_s.arg(agent.agentId,
                                                     protocol::approvalStatusName(agent.approvalStatus));
    if (agent.status != protocol::AgentStatus::Online)
        return u"agent %1 is %2"_s.arg(agent.agentId, protocol::agentStatusName(agent.status));
    // An agent that reports no limit (0) is never full.
    if (agent.capacity.maxSessions > 0 && agent.activeSessions >= agent.capacity.maxSessions)
        return u"agent %1 is full (%2 of %3 sessions)"_s.arg(agent.agentId)
            .arg(agent.activeSessions)
            .arg(agent.capacity.maxSessions);
    return {};
}

QString SessionService::selectAgent(const QList<AgentInfo> &candidates, const QString &orgId)
{
    const AgentInfo *best = nullptr;
    for (const AgentInfo &agent : candidates) {
        if (!unavailableReason(agent, orgId).isEmpty())
            continue;
        if (!best || agent.activeSessions < best->activeSessions ||
            (agent.activeSessions == best->activeSessions && agent.agentId < best->agentId))
            best = &agent;
    }
    return best ? best->agentId : QString();
}

void SessionService::setPresence(ClusterPresence *presence)
{
    m_presence = presence;
}

QList<AgentInfo> SessionService::candidatesOf(const QString &orgId) const
{
    QList<AgentInfo> candidates = m_agents->connectedAgentInfos(orgId);
    for (AgentInfo &agent : candidates)
        agent = withRecentStarts(std::move(agent));
    return candidates;
}

AgentInfo SessionService::withRecentStarts(AgentInfo agent) const
{
    const auto recent = m_recentStarts.constFind(agent.agentId);
    if (recent != m_recentStarts.cend() && recent->sinceHeartbeat == agent.lastHeartbeat)
        agent.activeSessions += recent->count;
    return agent;
}

namespace {

Decoded<SessionInfo> refusal(const protocol::admin::SessionStart &request, ErrorCode code,
                             const QString &message)
{
    qCInfo(lcSessions) << "session of user" << request.userId << "in org" << request.orgId
                       << "not started:" << message;
    return Error{code, message, {}, {}};
}

// Hands the result of `from` to `to` when it arrives.
void forward(QObject *context, const QFuture<Decoded<SessionInfo>> &from,
             const std::shared_ptr<QPromise<Decoded<SessionInfo>>> &to)
{
    whenFinished(context, from, [to](Decoded<SessionInfo> result) {
        to->addResult(std::move(result));
        to->finish();
    });
}

std::shared_ptr<QPromise<Decoded<SessionInfo>>> startedPromise()
{
    auto promise = std::make_shared<QPromise<Decoded<SessionInfo>>>();
    promise->start();
    return promise;
}

} // namespace

QFuture<Decoded<SessionInfo>>
SessionService::startOnAgentElsewhere(const protocol::admin::SessionStart &request)
{
    auto promise = startedPromise();
    auto answer = [promise](Decoded<SessionInfo> result) {
        promise->addResult(std::move(result));
        promise->finish();
    };
    onFinished(m_presence->locate(request.agentId), this,
               [this, request, promise, answer](const Decoded<ClusterPresence::AgentLocation> &where) {
                   if (!where)
                       return answer(refusal(request, ErrorCode::AgentUnavailable,
                                             u"agent %1 is not connected here and the cluster cannot be "
                                             "asked: %2"_s.arg(request.agentId, where.error().message)));
                   if (where.value().replica.isEmpty() || !where.value().replicaAlive)
                       return answer(refusal(request, ErrorCode::AgentUnavailable,
                                             u"agent %1 is not connected"_s.arg(request.agentId)));
                   whenFinished(this, m_store->getAgent(request.agentId),
                                [this, request, promise, answer](Decoded<AgentInfo> row) {
                                    // Another org's agent is reported like an unknown one.
                                    if ((!row && row.error().code == ErrorCode::NotFound) ||
                                        (row && row.value().orgId != request.orgId))
                                        return answer(refusal(request, ErrorCode::NotFound,
                                                              u"agent %1 not found in org %2"_s.arg(
                                                                  request.agentId, request.orgId)));
                                    if (!row)
                                        return answer(row.error());
                                    const AgentInfo agent = withRecentStarts(row.value());
                                    const QString reason = unavailableReason(agent, request.orgId);
                                    if (!reason.isEmpty())
                                        return answer(refusal(request, ErrorCode::AgentUnavailable, reason));
                                    forward(this, createSession(request, agent), promise);
                                });
               });
    return promise->future();
}

QFuture<Decoded<SessionInfo>> SessionService::startOnAnyReplica(const protocol::admin::SessionStart &request)
{
    auto promise = startedPromise();
    onFinished(
        m_presence->connectedAgents(), this,
        [this, request, promise](const ClusterPresence::AgentDirectory &directory) {
            QSet<QString> remote;
            for (auto it = directory.replicaByAgent.cbegin(); it != directory.replicaByAgent.cend(); ++it)
                if (!m_agents->connection(it.key()))
                    remote.insert(it.key());
            if (remote.isEmpty())
                return forward(this, pickAndCreate(request, candidatesOf(request.orgId)), promise);
            // The other replicas' agents as the shared database knows them (status, load
            // from their batched heartbeats); this replica's own come from its live view.
            whenFinished(this, m_store->listAgents(request.orgId),
                         [this, request, promise, remote](Decoded<QList<AgentInfo>> rows) {
                             QList<AgentInfo> candidates = candidatesOf(request.orgId);
                             if (!rows) {
                                 qCWarning(lcSessions)
                                     << "agents of other replicas not considered:" << rows.error().message;
                             } else {
                                 for (const AgentInfo &row : rows.value())
                                     if (remote.contains(row.agentId) && !m_agents->connection(row.agentId))
                                         candidates.append(withRecentStarts(row));
                             }
                             forward(this, pickAndCreate(request, candidates), promise);
                         });
        });
    return promise->future();
}

QFuture<Decoded<SessionInfo>> SessionService::pickAndCreate(const protocol::admin::SessionStart &request,
                                                            const QList<AgentInfo> &candidates)
{
    const QString chosen = selectAgent(candidates, request.orgId);
    if (chosen.isEmpty())
        return readyFuture(refusal(request, ErrorCode::NoAgentAvailable,
                                   u"no online agent with capacity in org %1"_s.arg(request.orgId)));
    return createSession(request,
                         *std::find_if(candidates.cbegin(), candidates.cend(),
                                       [&chosen](const AgentInfo &a) { return a.agentId == chosen; }));
}

void SessionService::noteStart(const AgentInfo &agent)
{
    RecentStarts &recent = m_recentStarts[agent.agentId];
    if (recent.sinceHeartbeat != agent.lastHeartbeat)
        recent = {agent.lastHeartbeat, 0};
    ++recent.count;
}

QFuture<Decoded<SessionInfo>> SessionService::startSession(const protocol::admin::SessionStart &request)
{
    const auto refuse = [&request](ErrorCode code, const QString &message) {
        return readyFuture(refusal(request, code, message));
    };

    if (request.agentId.isEmpty())
        return m_presence ? startOnAnyReplica(request) : pickAndCreate(request, candidatesOf(request.orgId));

    const QList<AgentInfo> candidates = candidatesOf(request.orgId);
    const AgentConnection *connection = m_agents->connection(request.agentId);
    // An agent of another org is reported like an unknown one: its existence is not the caller's
    // business.
    if (connection && connection->info.orgId != request.orgId)
        return refuse(ErrorCode::NotFound,
                      u"agent %1 not found in org %2"_s.arg(request.agentId, request.orgId));
    if (!connection && m_presence)
        return startOnAgentElsewhere(request);
    if (!connection)
        return refuse(ErrorCode::AgentUnavailable, u"agent %1 is not connected"_s.arg(request.agentId));
    const auto requested =
        std::find_if(candidates.cbegin(), candidates.cend(),
                     [&request](const AgentInfo &a) { return a.agentId == request.agentId; });
    const AgentInfo agent = requested != candidates.cend() ? *requested : connection->info;
    const QString reason = unavailableReason(agent, request.orgId);
    if (!reason.isEmpty())
        return refuse(ErrorCode::AgentUnavailable, reason);
    return createSession(request, agent);
}

QFuture<Decoded<SessionInfo>> SessionService::createSession(const protocol::admin::SessionStart &request,
                                                            const AgentInfo &agent)
{
    const auto refuse = [&request](ErrorCode code, const QString &message) {
        return readyFuture(refusal(request, code, message));
    };

    const QDateTime now = QDateTime::currentDateTimeUtc();
    SessionInfo session;
    session.sessionId = newSessionId(request.userId, request.templateName);
    session.orgId = request.orgId;
    session.userId = request.userId;
    session.templateName = request.templateName;
    session.state = SessionState::Pending;
    session.agentId = agent.agentId;
    session.platform = protocol::platformName(agent.platform);
    session.namespaceName = kDefaultNamespace;
    session.memory = nonEmptyOr(request.memory, kDefaultMemory);
    session.cpu = nonEmptyOr(request.cpu, kDefaultCpu);
    session.createdAt = now;
    session.updatedAt = now;

    Decoded<QJsonObject> payload = protocol::agent::normalizeCommandPayload(
        Action::StartSession, QJsonObject{
                                  {u"sessionId"_s, session.sessionId},
                                  {u"user"_s, session.userId},
                                  {u"template"_s, session.templateName},
                                  {u"namespace"_s, session.namespaceName},
                                  {u"memory"_s, session.memory},
                                  {u"cpu"_s, session.cpu},
                              });
    if (!payload)
        return refuse(payload.error().code, payload.error().message);

    // Counted now, before storage answers, so that the next start already sees it. A start that
    // fails later stays counted until the agent's next heartbeat tells the truth.
    noteStart(agent);

    CommandInfo command;
    command.commandId = CommandLedger::newCommandId();
    command.agentId = agent.agentId;
    command.orgId = session.orgId;
    command.sessionId = session.sessionId;
    command.action = protocol::agent::actionName(Action::StartSession);
    command.payload = std::move(payload).value();
    command.status = protocol::CommandStatus::Pending;
    command.createdAt = now;
    command.updatedAt = now;

    return continueOn(m_store->createSessionWithCommand(session, command), this,
                      [this](Decoded<std::pair<SessionInfo, CommandInfo>> created) -> Decoded<SessionInfo> {
                          if (!created) {
                              qCWarning(lcSessions)
                                  << "could not create a session:" << created.error().message;
                              return created.error();
                          }
                          const auto &[stored, startCommand] = created.value();
                          qCInfo(lcSessions) << "session" << stored.sessionId << "of user" << stored.userId
                                             << "in org" << stored.orgId << "goes to agent" << stored.agentId;
                          emitEvent(EventType::Created, stored, stored.toJson());
                          m_ledger->deliver(startCommand);
                          return stored;
                      });
}

QFuture<Decoded<CommandInfo>> SessionService::controlSession(const SessionInfo &session, Action action)
{
    std::optional<SessionState> during;
    switch (action) {
    case Action::StopSession:
        during = SessionState::Terminating;
        break;
    case Action::HibernateSession:
        during = SessionState::Hibernating;
        break;
    case Action::WakeSession:
        break;
    case Action::StartSession:
    case Action::StreamLogs:
    case Action::StopLogs:
        return readyFuture(Decoded<CommandInfo>(
            Error{ErrorCode::InvalidValue,
                  u"%1 does not control a session; use stop_session, hibernate_session or wake_session"_s.arg(
                      protocol::agent::actionName(action)),
                  u"action"_s,
                  {}}));
    }
    if (session.agentId.isEmpty())
        return readyFuture(Decoded<CommandInfo>(
            Error{ErrorCode::AgentUnavailable, u"session %1 has no agent"_s.arg(session.sessionId), {}, {}}));

    // Written before the command exists (storage runs jobs in order), so the agent's answer can
    // never be overtaken by this intermediate state.
    if (during) {
        SessionUpdate update;
        update.sessionId = session.sessionId;
        update.state = during;
        applyUpdate(update);
    }
    const QJsonObject payload{
        {u"sessionId"_s, session.sessionId},
        {u"namespace"_s, nonEmptyOr(session.namespaceName, kDefaultNamespace)},
    };
    qCInfo(lcSessions) << protocol::agent::actionName(action) << "for session" << session.sessionId
                       << "on agent" << session.agentId;
    return continueOn(
        m_ledger->issue(session.agentId, session.orgId, action, payload, session.sessionId), this,
        [this, session, action](Decoded<CommandInfo> issued) {
            if (!issued) {
                qCWarning(lcSessions) << "could not issue" << protocol::agent::actionName(action)
                                      << "for session" << session.sessionId << ":" << issued.error().message;
                emitEvent(EventType::Error, session,
                          {{u"error"_s, u"could not issue %1: %2"_s.arg(protocol::agent::actionName(action),
                                                                        issued.error().message)},
                           {u"code"_s, u"command_not_issued"_s}});
            }
            return issued;
        });
}

void SessionService::publishEvent(const protocol::browser::SessionEvent &event)
{
    Q_EMIT sessionEvent(event);
}

void SessionService::onCommandFinished(const CommandInfo &command)
{
    if (command.sessionId.isEmpty())
        return;
    const std::optional<Action> action = protocol::agent::actionFromName(command.action);
    if (!action || !protocol::agent::isSessionLifecycleAction(*action))
        return;

    SessionUpdate update;
    update.sessionId = command.sessionId;
    update.agentId = command.agentId;
    if (command.status == protocol::CommandStatus::Cancelled) {
        // The agent never saw it. A session that was never started cannot run: it fails. A
        // cancelled stop/hibernate/wake leaves the session as it is (the agent still runs it); its
        // next status report or command sets the state.
        if (*action != Action::StartSession)
            return;
        update.state = SessionState::Failed;
        update.terminationReason = kCancelledReason;
        applyUpdate(update, [this](const Decoded<SessionTransition> &transition) {
            if (transition && transition.value().stateChanged)
                emitEvent(EventType::Error, transition.value().session,
                          {{u"error"_s, u"the start_session command was cancelled"_s},
                           {u"code"_s, u"command_cancelled"_s}});
        });
        return;
    }
    if (command.status == protocol::CommandStatus::Failed) {
        update.state = SessionState::Failed;
        update.terminationReason = command.error;
        const QString error = command.error;
        applyUpdate(update, [this, error](const Decoded<SessionTransition> &transition) {
            if (transition)
                emitEvent(EventType::Error, transition.value().session,
                          {{u"error"_s, error}, {u"code"_s, u"command_failed"_s}});
        });
        return;
    }
    if (command.status != protocol::CommandStatus::Completed)
        return;
    switch (*action) {
    case Action::StartSession: {
        update.state = SessionState::Running;
        if (const QString podName = podNameIn(command.result); !podName.isEmpty())
            update.podName = podName;
        update.url = vncUrl(command.sessionId);
        break;
    }
    case Action::StopSession:
        update.state = SessionState::Terminated;
        break;
    case Action::HibernateSession:
        update.state = SessionState::Hibernated;
        break;
    case Action::WakeSession:
        update.state = SessionState::Running;
        update.url = vncUrl(command.sessionId);
        break;
    case Action::StreamLogs:
    case Action::StopLogs:
        return;
    }
    applyUpdate(update);
}

void SessionService::onStatusReported(const QString &agentId, const protocol::agent::StatusReport &status)
{
    SessionUpdate update;
    update.sessionId = status.sessionId;
    update.agentId = agentId; // only the session's own agent may report on it
    update.state = status.state;
    if (const QString podName = podNameIn(status.platformMetadata); !podName.isEmpty())
        update.podName = podName;
    if (status.state == SessionState::Running)
        update.url = vncUrl(status.sessionId);
    const QString sessionId = status.sessionId;
    applyUpdate(update, [this, agentId, sessionId](const Decoded<SessionTransition> &transition) {
        if (transition)
            return;
        const ErrorCode code = transition.error().code;
        if (code != ErrorCode::Forbidden && code != ErrorCode::NotFound)
            return;
        // Another agent's session is reported like an unknown one: agents learn nothing about each other.
        m_agents->sendError(agentId, {ErrorCode::NotFound,
                                      u"payload.sessionId: session \"%1\" is not a session of agent %2"_s.arg(
                                          sessionId, agentId),
                                      u"payload.sessionId"_s,
                                      {}});
    });
}

void SessionService::applyUpdate(const SessionUpdate &update,
                                 std::function<void(const Decoded<SessionTransition> &)> after)
{
    SessionUpdate stamped = update;
    if (!stamped.at.isValid())
        stamped.at = QDateTime::currentDateTimeUtc();
    onFinished(m_store->updateSession(stamped), this,
               [this, update, after = std::move(after)](const Decoded<SessionTransition> &transition) {
                   if (!transition) {
                       qCWarning(lcSessions)
                           << "session" << update.sessionId << "not updated"
                           << (update.agentId.isEmpty() ? QString() : u"(agent "_s + update.agentId + u')')
                           << ":" << transition.error().message;
                   } else if (transition.value().stateChanged) {
                       const SessionTransition &done = transition.value();
                       qCInfo(lcSessions)
                           << "session" << done.session.sessionId << protocol::sessionStateName(done.previous)
                           << "->" << protocol::sessionStateName(done.session.state);
                       emitEvent(EventType::StateChanged, done.session,
                                 {{u"oldState"_s, protocol::sessionStateName(done.previous)},
                                  {u"newState"_s, protocol::sessionStateName(done.session.state)}});
                   }
                   if (after)
                       after(transition);
               });
}

void SessionService::sweepAbandonedSessions()
{
    if (m_graceSweepRunning)
        return;
    m_graceSweepRunning = true;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime awayBefore = now.addMSecs(-m_config.agentGracePeriod.count());
    onFinished(m_store->failAbandonedSessions(awayBefore, kAgentUnavailableReason, now), this,
               [this](const Decoded<QList<SessionTransition>> &failed) {
                   m_graceSweepRunning = false;
                   if (!failed) {
                       qCWarning(lcSessions)
                           << "could not check for sessions of vanished agents:" << failed.error().message;
                       return;
                   }
                   const qint64 graceSeconds =
                       std::chrono::duration_cast<std::chrono::seconds>(m_config.agentGracePeriod).count();
                   for (const SessionTransition &done : failed.value()) {
                       qCWarning(lcSessions)
                           << "session" << done.session.sessionId << "failed: agent" << done.session.agentId
                           << "away for more than" << graceSeconds << "s";
                       emitEvent(EventType::StateChanged, done.session,
                                 {{u"oldState"_s, protocol::sessionStateName(done.previous)},
                                  {u"newState"_s, protocol::sessionStateName(done.session.state)}});
                       emitEvent(EventType::Error, done.session,
                                 {{u"error"_s, u"agent %1 has been unavailable for more than %2 s"_s
                                                   .arg(done.session.agentId)
                                                   .arg(graceSeconds)},
                                  {u"code"_s, kAgentUnavailableReason}});
                   }
               });
}

void SessionService::emitEvent(EventType type, const SessionInfo &session, const QJsonObject &data)
{
    protocol::browser::SessionEvent event;
    event.type = type;
    event.sessionId = session.sessionId;
    event.userId = session.userId;
    event.orgId = session.orgId;
    event.timestamp = QDateTime::currentDateTimeUtc();
    event.data = data;
    Q_EMIT sessionEvent(event);
}

} // namespace switchboard
