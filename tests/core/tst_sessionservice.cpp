// SessionService with a real AgentHub, CommandLedger, sockets and a Store on a SQLite file: agent
// selection, session start (all or nothing), command outcomes (completed, failed, timed out,
// cancelled) turned into session state and events, status reports accepted only from the
// session's own agent, and sessions failed when their agent stays away beyond the grace period.
#include "AgentTestKit.h"

#include "core/AgentHub.h"
#include "core/CommandLedger.h"
#include "core/SessionService.h"
#include "storage/Store.h"

#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using protocol::AgentInfo;
using protocol::AgentStatus;
using protocol::SessionInfo;
using protocol::SessionState;
using protocol::agent::Action;
using protocol::browser::EventType;
using protocol::browser::SessionEvent;

namespace {

// "id,org,status,approval,active/max" -> AgentInfo
AgentInfo agentFrom(const QString &spec)
{
    const QStringList parts = spec.split(u',');
    AgentInfo agent;
    agent.agentId = parts.value(0);
    agent.orgId = parts.value(1);
    agent.status = protocol::agentStatusFromName(parts.value(2)).value_or(AgentStatus::Offline);
    agent.approvalStatus =
        protocol::approvalStatusFromName(parts.value(3)).value_or(protocol::ApprovalStatus::Pending);
    const QStringList load = parts.value(4).split(u'/');
    agent.activeSessions = load.value(0).toInt();
    agent.capacity.maxSessions = load.value(1).toInt();
    return agent;
}

} // namespace

class TestSessionService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void selectAgent_data();
    void selectAgent();
    void startPicksLeastLoadedOnlineAgentOfOrg();
    void burstOfStartsIsSpread();
    void startWithoutSuitableAgentWritesNothing_data();
    void startWithoutSuitableAgentWritesNothing();
    void completionMakesSessionRunning();
    void stopEndsTerminated();
    void hibernateAndWake();
    void failureMakesSessionFailed();
    void statusReportOfOwnAgentIsApplied();
    void statusReportForAnotherAgentsSessionIsRefused();

    void lifecycleClosesTheLoop_data();
    void lifecycleClosesTheLoop();
    void cancelledStartFailsTheSession();
    void agentAwayLongerThanGracePeriodFailsItsSessions();
    void reconnectWithinGracePeriodKeepsTheSession();
    void gracePeriodCountsFromStoredAgentState();

private:
    // Rebuilds the ledger and the service with these deadlines.
    void rebuild(const CommandLedger::Config &commands, const SessionService::Config &sessions);
    // Answers the session's newest command of `action` with complete/failed; false if none arrived.
    bool answer(AgentClient &agent, const QString &sessionId, const QString &action, const QString &how);
    // Connects an agent of `orgId` and makes the hub know its load and status.
    std::unique_ptr<AgentClient> connectAgent(const QString &agentId, const QString &orgId,
                                              const QString &status = u"online"_s, int activeSessions = 0);
    SessionInfo startOk(const QString &userId = u"alice"_s, const QString &templateName = u"firefox"_s);
    QList<SessionEvent> eventsOf(const QString &sessionId, EventType type) const;
    // The command frame (payload of the envelope) the agent got for the session, or {}.
    static QJsonObject commandFor(const AgentClient &agent, const QString &sessionId, const QString &action);

    std::unique_ptr<TempStore> m_db;
    std::unique_ptr<AgentHub> m_hub;
    std::unique_ptr<CommandLedger> m_ledger;
    std::unique_ptr<SessionService> m_sessions;
    std::unique_ptr<AgentHarness> m_harness;
    QList<SessionEvent> m_events;
};

void TestSessionService::init()
{
    m_db = std::make_unique<TempStore>();
    QVERIFY(m_db->opened());
    m_hub = std::make_unique<AgentHub>(m_db->store(), quietConfig());
    m_harness = std::make_unique<AgentHarness>(m_hub.get());
    QVERIFY(m_harness->listening());
    rebuild(CommandLedger::Config{}, SessionService::Config{});
}

void TestSessionService::rebuild(const CommandLedger::Config &commands,
                                 const SessionService::Config &sessions)
{
    m_sessions.reset();
    m_ledger.reset();
    m_ledger = std::make_unique<CommandLedger>(m_db->store(), m_hub.get(), commands);
    m_sessions = std::make_unique<SessionService>(m_db->store(), m_hub.get(), m_ledger.get(), sessions);
    m_events.clear();
    connect(m_sessions.get(), &SessionService::sessionEvent, this,
            [this](const SessionEvent &event) { m_events.append(event); });
}

bool TestSessionService::answer(AgentClient &agent, const QString &sessionId, const QString &action,
                                const QString &how)
{
    if (!QTest::qWaitFor([&] { return !commandFor(agent, sessionId, action).isEmpty(); }, 5000))
        return false;
    const QString commandId = commandFor(agent, sessionId, action).value(u"commandId"_s).toString();
    QJsonObject payload{{u"commandId"_s, commandId}};
    if (how == u"failed"_s)
        payload.insert(u"error"_s, u"agent says no"_s);
    agent.send(how, payload);
    return true;
}

void TestSessionService::cleanup()
{
    m_harness.reset();
    m_sessions.reset();
    m_ledger.reset();
    m_hub.reset();
    m_db.reset();
}

std::unique_ptr<AgentClient> TestSessionService::connectAgent(const QString &agentId, const QString &orgId,
                                                              const QString &status, int activeSessions)
{
    auto client = m_harness->connect(m_db->createAgent(agentId, orgId));
    if (!client)
        return nullptr;
    client->heartbeat(status, activeSessions, 10);
    const bool heard = QTest::qWaitFor(
        [&] {
            const AgentConnection *connection = m_hub->connection(agentId);
            return connection && connection->info.activeSessions == activeSessions &&
                   protocol::agentStatusName(connection->info.status) == status;
        },
        5000);
    return heard ? std::move(client) : nullptr;
}

SessionInfo TestSessionService::startOk(const QString &userId, const QString &templateName)
{
    protocol::admin::SessionStart request;
    request.orgId = u"acme"_s;
    request.userId = userId;
    request.templateName = templateName;
    const std::optional<protocol::Decoded<SessionInfo>> started =
        awaitResult(m_sessions->startSession(request));
    if (!started || !*started) {
        qWarning() << "start failed:" << (started ? started->error().message : u"timeout"_s);
        return {};
    }
    return started->value();
}

QList<SessionEvent> TestSessionService::eventsOf(const QString &sessionId, EventType type) const
{
    QList<SessionEvent> found;
    for (const SessionEvent &event : m_events) {
        if (event.sessionId == sessionId && event.type == type)
            found.append(event);
    }
    return found;
}

QJsonObject TestSessionService::commandFor(const AgentClient &agent, const QString &sessionId,
                                           const QString &action)
{
    for (const QJsonObject &frame : agent.ofType(u"command"_s)) {
        const QJsonObject command = frame.value(u"payload"_s).toObject();
        if (command.value(u"action"_s).toString() == action &&
            command.value(u"payload"_s).toObject().value(u"sessionId"_s).toString() == sessionId)
            return command;
    }
    return {};
}

void TestSessionService::selectAgent_data()
{
    QTest::addColumn<QStringList>("candidates"); // id,org,status,approval,active/max
    QTest::addColumn<QString>("expected");

    QTest::newRow("fewest active sessions")
        << QStringList{u"a,acme,online,approved,3/10"_s, u"b,acme,online,approved,1/10"_s,
                       u"c,acme,online,approved,2/10"_s}
        << u"b"_s;
    QTest::newRow("tie goes to the first id")
        << QStringList{u"c,acme,online,approved,1/10"_s, u"a,acme,online,approved,1/10"_s,
                       u"b,acme,online,approved,1/10"_s}
        << u"a"_s;
    QTest::newRow("draining is skipped")
        << QStringList{u"a,acme,draining,approved,0/10"_s, u"b,acme,online,approved,5/10"_s} << u"b"_s;
    QTest::newRow("stale and offline are skipped")
        << QStringList{u"a,acme,stale,approved,0/10"_s, u"b,acme,offline,approved,0/10"_s,
                       u"c,acme,online,approved,9/10"_s}
        << u"c"_s;
    QTest::newRow("other org is skipped")
        << QStringList{u"a,other,online,approved,0/10"_s, u"b,acme,online,approved,4/10"_s} << u"b"_s;
    QTest::newRow("unapproved is skipped")
        << QStringList{u"a,acme,online,pending,0/10"_s, u"b,acme,online,rejected,0/10"_s,
                       u"c,acme,online,approved,7/10"_s}
        << u"c"_s;
    QTest::newRow("full is skipped") << QStringList{u"a,acme,online,approved,10/10"_s,
                                                    u"b,acme,online,approved,11/20"_s}
                                     << u"b"_s;
    QTest::newRow("no limit reported is never full")
        << QStringList{u"a,acme,online,approved,50/0"_s} << u"a"_s;
    QTest::newRow("only draining") << QStringList{u"a,acme,draining,approved,0/10"_s} << QString();
    QTest::newRow("only other orgs") << QStringList{u"a,other,online,approved,0/10"_s} << QString();
    QTest::newRow("nobody") << QStringList{} << QString();
}

void TestSessionService::selectAgent()
{
    QFETCH(QStringList, candidates);
    QFETCH(QString, expected);
    QList<AgentInfo> agents;
    for (const QString &spec : std::as_const(candidates))
        agents.append(agentFrom(spec));
    QCOMPARE(SessionService::selectAgent(agents, u"acme"_s), expected);
}

void TestSessionService::startPicksLeastLoadedOnlineAgentOfOrg()
{
    auto busy = connectAgent(u"k8s-busy"_s, u"acme"_s, u"online"_s, 4);
    auto draining = connectAgent(u"k8s-draining"_s, u"acme"_s, u"draining"_s, 0);
    auto light = connectAgent(u"k8s-light"_s, u"acme"_s, u"online"_s, 1);
    auto foreign = connectAgent(u"k8s-foreign"_s, u"globex"_s, u"online"_s, 0);
    QVERIFY(busy && draining && light && foreign);

    const SessionInfo session = startOk(u"alice"_s, u"firefox"_s);
    QVERIFY2(QRegularExpression(u"^alice-firefox-[0-9a-f]{8}$"_s).match(session.sessionId).hasMatch(),
             qPrintable(session.sessionId));
    QCOMPARE(session.agentId, u"k8s-light"_s);
    QCOMPARE(session.state, SessionState::Pending);
    QCOMPARE(session.orgId, u"acme"_s);
    QCOMPARE(session.namespaceName, u"streamspace"_s);
    QCOMPARE(session.memory, u"2Gi"_s);
    QCOMPARE(session.cpu, u"1000m"_s);
    QCOMPARE(session.platform, u"kubernetes"_s);

    const std::optional<SessionInfo> stored = m_db->session(session.sessionId);
    QVERIFY(stored);
    QCOMPARE(stored->agentId, u"k8s-light"_s);
    const QList<protocol::CommandInfo> commands =
        m_db->store()->commandsForAgent(u"k8s-light"_s, {}).result().value();
    QCOMPARE(commands.size(), 1);
    QCOMPARE(commands.first().action, u"start_session"_s);
    QCOMPARE(commands.first().sessionId, session.sessionId);

    QTRY_VERIFY(!commandFor(*light, session.sessionId, u"start_session"_s).isEmpty());
    const QJsonObject payload =
        commandFor(*light, session.sessionId, u"start_session"_s).value(u"payload"_s).toObject();
    QCOMPARE(payload.value(u"user"_s).toString(), u"alice"_s);
    QCOMPARE(payload.value(u"template"_s).toString(), u"firefox"_s);
    QCOMPARE(payload.value(u"namespace"_s).toString(), u"streamspace"_s);
    QCOMPARE(payload.value(u"memory"_s).toString(), u"2Gi"_s);
    QCOMPARE(payload.value(u"cpu"_s).toString(), u"1000m"_s);
    QCOMPARE(payload.value(u"persistentHome"_s).toBool(), true);
    QVERIFY(busy->ofType(u"command"_s).isEmpty());
    QVERIFY(draining->ofType(u"command"_s).isEmpty());
    QVERIFY(foreign->ofType(u"command"_s).isEmpty());
    QTRY_COMPARE(m_db->command(commands.first().commandId)->status, protocol::CommandStatus::Sent);

    const QList<SessionEvent> created = eventsOf(session.sessionId, EventType::Created);
    QCOMPARE(created.size(), 1);
    QCOMPARE(created.first().orgId, u"acme"_s);
    QCOMPARE(created.first().userId, u"alice"_s);
    QCOMPARE(created.first().data.value(u"agentId"_s).toString(), u"k8s-light"_s);
    QCOMPARE(created.first().data.value(u"state"_s).toString(), u"pending"_s);

    // An explicit choice is honoured when the agent qualifies.
    protocol::admin::SessionStart request;
    request.orgId = u"acme"_s;
    request.userId = u"bob"_s;
    request.templateName = u"chrome"_s;
    request.agentId = u"k8s-busy"_s;
    request.memory = u"4Gi"_s;
    const auto explicitStart = awaitResult(m_sessions->startSession(request));
    QVERIFY(explicitStart && *explicitStart);
    QCOMPARE(explicitStart->value().agentId, u"k8s-busy"_s);
    QCOMPARE(explicitStart->value().memory, u"4Gi"_s);
}

void TestSessionService::burstOfStartsIsSpread()
{
    auto a = connectAgent(u"k8s-a"_s, u"acme"_s, u"online"_s, 0);
    auto b = connectAgent(u"k8s-b"_s, u"acme"_s, u"online"_s, 1);
    QVERIFY(a && b);

    // Issued together, before any heartbeat could report the new load.
    QList<QFuture<protocol::Decoded<SessionInfo>>> starts;
    for (int i = 0; i < 5; ++i) {
        protocol::admin::SessionStart request;
        request.orgId = u"acme"_s;
        request.userId = u"user%1"_s.arg(i);
        request.templateName = u"firefox"_s;
        starts.append(m_sessions->startSession(request));
    }
    QStringList chosen;
    for (const auto &start : std::as_const(starts)) {
        const auto started = awaitResult(start);
        QVERIFY(started && *started);
        chosen.append(started->value().agentId);
    }
    const QStringList expected{u"k8s-a"_s, u"k8s-a"_s, u"k8s-b"_s, u"k8s-a"_s, u"k8s-b"_s};
    QCOMPARE(chosen, expected);

    // A heartbeat is the agent's own truth again: b reports itself empty and is picked.
    b->heartbeat(u"online"_s, 0, 10);
    QTRY_COMPARE(m_hub->connection(u"k8s-b"_s)->info.activeSessions, 0);
    QCOMPARE(startOk().agentId, u"k8s-b"_s);
}

void TestSessionService::startWithoutSuitableAgentWritesNothing_data()
{
    QTest::addColumn<QString>("requestedAgent");
    QTest::addColumn<protocol::ErrorCode>("code");
    QTest::addColumn<QString>("message");

    QTest::newRow("none online") << QString() << protocol::ErrorCode::NoAgentAvailable
                                 << u"no online agent with capacity in org acme"_s;
    QTest::newRow("requested draining")
        << u"k8s-draining"_s << protocol::ErrorCode::AgentUnavailable << u"agent k8s-draining is draining"_s;
    QTest::newRow("requested not connected")
        << u"k8s-away"_s << protocol::ErrorCode::AgentUnavailable << u"agent k8s-away is not connected"_s;
    QTest::newRow("requested of another org")
        << u"k8s-foreign"_s << protocol::ErrorCode::NotFound << u"agent k8s-foreign not found in org acme"_s;
}

void TestSessionService::startWithoutSuitableAgentWritesNothing()
{
    QFETCH(QString, requestedAgent);
    QFETCH(protocol::ErrorCode, code);
    QFETCH(QString, message);

    auto draining = connectAgent(u"k8s-draining"_s, u"acme"_s, u"draining"_s, 0);
    auto foreign = connectAgent(u"k8s-foreign"_s, u"globex"_s, u"online"_s, 0);
    QVERIFY(draining && foreign);
    m_db->createAgent(u"k8s-away"_s, u"acme"_s);

    protocol::admin::SessionStart request;
    request.orgId = u"acme"_s;
    request.userId = u"alice"_s;
    request.templateName = u"firefox"_s;
    request.agentId = requestedAgent;
    const auto started = awaitResult(m_sessions->startSession(request));
    QVERIFY(started);
    QVERIFY(!*started);
    QCOMPARE(started->error().code, code);
    QCOMPARE(started->error().message, message);

    m_db->settle();
    QVERIFY(m_db->store()->sessionsForOrg(u"acme"_s, true).result().value().isEmpty());
    QVERIFY(m_db->store()->sessionsForOrg(u"globex"_s, true).result().value().isEmpty());
    QVERIFY(m_db->store()->recentCommands({}, 100).result().value().isEmpty());
    QVERIFY(m_events.isEmpty());
    QVERIFY(draining->ofType(u"command"_s).isEmpty());
    QVERIFY(foreign->ofType(u"command"_s).isEmpty());
}

void TestSessionService::completionMakesSessionRunning()
{
    auto agent = connectAgent(u"k8s-1"_s, u"acme"_s);
    QVERIFY(agent);
    const SessionInfo session = startOk();
    QTRY_VERIFY(!commandFor(*agent, session.sessionId, u"start_session"_s).isEmpty());
    const QString commandId =
        commandFor(*agent, session.sessionId, u"start_session"_s).value(u"commandId"_s).toString();

    agent->send(u"ack"_s, {{u"commandId"_s, commandId}});
    agent->send(u"complete"_s, {{u"commandId"_s, commandId},
                                {u"result"_s, QJsonObject{{u"sessionId"_s, session.sessionId},
                                                          {u"podName"_s, u"pod-alice-1"_s},
                                                          {u"state"_s, u"running"_s}}}});
    QTRY_COMPARE(eventsOf(session.sessionId, EventType::StateChanged).size(), 1);
    const SessionEvent changed = eventsOf(session.sessionId, EventType::StateChanged).first();
    QCOMPARE(changed.data.value(u"oldState"_s).toString(), u"pending"_s);
    QCOMPARE(changed.data.value(u"newState"_s).toString(), u"running"_s);
    QCOMPARE(changed.orgId, u"acme"_s);
    QCOMPARE(changed.userId, u"alice"_s);
    QVERIFY(changed.timestamp.isValid());

    // created first, then the state change, and nothing else
    QCOMPARE(m_events.size(), 2);
    QCOMPARE(m_events.at(0).type, EventType::Created);
    QCOMPARE(m_events.at(1).type, EventType::StateChanged);

    const std::optional<SessionInfo> stored = m_db->session(session.sessionId);
    QCOMPARE(stored->state, SessionState::Running);
    QCOMPARE(stored->podName, u"pod-alice-1"_s);
    QCOMPARE(stored->url, u"/api/v1/sessions/%1/vnc"_s.arg(session.sessionId));
}

void TestSessionService::stopEndsTerminated()
{
    auto agent = connectAgent(u"k8s-1"_s, u"acme"_s);
    QVERIFY(agent);
    const SessionInfo started = startOk();
    QTRY_VERIFY(!commandFor(*agent, started.sessionId, u"start_session"_s).isEmpty());
    agent->send(
        u"complete"_s,
        {{u"commandId"_s,
          commandFor(*agent, started.sessionId, u"start_session"_s).value(u"commandId"_s).toString()}});
    QTRY_COMPARE(eventsOf(started.sessionId, EventType::StateChanged).size(), 1);

    const SessionInfo running = *m_db->session(started.sessionId);
    const auto stop = awaitResult(m_sessions->controlSession(running, protocol::agent::Action::StopSession));
    QVERIFY(stop && *stop);
    QCOMPARE(stop->value().action, u"stop_session"_s);
    QCOMPARE(stop->value().sessionId, started.sessionId);
    QTRY_COMPARE(eventsOf(started.sessionId, EventType::StateChanged).size(), 2);
    QCOMPARE(eventsOf(started.sessionId, EventType::StateChanged).last().data.value(u"newState"_s).toString(),
             u"terminating"_s);

    QTRY_VERIFY(!commandFor(*agent, started.sessionId, u"stop_session"_s).isEmpty());
    const QJsonObject command = commandFor(*agent, started.sessionId, u"stop_session"_s);
    QCOMPARE(command.value(u"payload"_s).toObject().value(u"namespace"_s).toString(), u"streamspace"_s);
    agent->send(u"complete"_s, {{u"commandId"_s, command.value(u"commandId"_s).toString()}});
    QTRY_COMPARE(eventsOf(started.sessionId, EventType::StateChanged).size(), 3);
    const SessionEvent last = eventsOf(started.sessionId, EventType::StateChanged).last();
    QCOMPARE(last.data.value(u"oldState"_s).toString(), u"terminating"_s);
    QCOMPARE(last.data.value(u"newState"_s).toString(), u"terminated"_s);
    QCOMPARE(m_db->session(started.sessionId)->state, SessionState::Terminated);

    // Starting a session is not a control action.
    const auto wrong =
        awaitResult(m_sessions->controlSession(running, protocol::agent::Action::StartSession));
    QVERIFY(wrong && !*wrong);
    QCOMPARE(wrong->error().code, protocol::ErrorCode::InvalidValue);
}

void TestSessionService::hibernateAndWake()
{
    auto agent = connectAgent(u"k8s-1"_s, u"acme"_s);
    QVERIFY(agent);
    const SessionInfo started = startOk();
    QTRY_VERIFY(!commandFor(*agent, started.sessionId, u"start_session"_s).isEmpty());
    agent->send(
        u"complete"_s,
        {{u"commandId"_s,
          commandFor(*agent, started.sessionId, u"start_session"_s).value(u"commandId"_s).toString()}});
    QTRY_COMPARE(m_db->session(started.sessionId)->state, SessionState::Running);

    // The agent answers each command the moment it arrives.
    agent->onMessage = [&agent](const QJsonObject &message) {
        if (message.value(u"type"_s).toString() == u"command"_s)
            agent->send(
                u"complete"_s,
                {{u"commandId"_s, message.value(u"payload"_s).toObject().value(u"commandId"_s).toString()}});
    };
    QVERIFY(awaitResult(m_sessions->controlSession(*m_db->session(started.sessionId),
                                                   protocol::agent::Action::HibernateSession))
                ->ok());
    QTRY_COMPARE(m_db->session(started.sessionId)->state, SessionState::Hibernated);
    QVERIFY(awaitResult(m_sessions->controlSession(*m_db->session(started.sessionId),
                                                   protocol::agent::Action::WakeSession))
                ->ok());
    QTRY_COMPARE(m_db->session(started.sessionId)->state, SessionState::Running);

    QStringList transitions;
    QTRY_COMPARE(eventsOf(started.sessionId, EventType::StateChanged).size(), 4);
    for (const SessionEvent &event : eventsOf(started.sessionId, EventType::StateChanged))
        transitions.append(event.data.value(u"newState"_s).toString());
    const QStringList expected{u"running"_s, u"hibernating"_s, u"hibernated"_s, u"running"_s};
    QCOMPARE(transitions, expected);
}

void TestSessionService::failureMakesSessionFailed()
{
    auto agent = connectAgent(u"k8s-1"_s, u"acme"_s);
    QVERIFY(agent);
    const SessionInfo session = startOk();
    QTRY_VERIFY(!commandFor(*agent, session.sessionId, u"start_session"_s).isEmpty());
    agent->send(u"failed"_s,
                {{u"commandId"_s,
                  commandFor(*agent, session.sessionId, u"start_session"_s).value(u"commandId"_s).toString()},
                 {u"error"_s, u"image pull failed"_s}});

    QTRY_COMPARE(eventsOf(session.sessionId, EventType::Error).size(), 1);
    const SessionEvent error = eventsOf(session.sessionId, EventType::Error).first();
    QCOMPARE(error.data.value(u"error"_s).toString(), u"image pull failed"_s);
    QCOMPARE(error.data.value(u"code"_s).toString(), u"command_failed"_s);
    QCOMPARE(error.orgId, u"acme"_s);
    QCOMPARE(error.userId, u"alice"_s);
    const QList<SessionEvent> changed = eventsOf(session.sessionId, EventType::StateChanged);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().data.value(u"oldState"_s).toString(), u"pending"_s);
    QCOMPARE(changed.first().data.value(u"newState"_s).toString(), u"failed"_s);

    const std::optional<SessionInfo> stored = m_db->session(session.sessionId);
    QCOMPARE(stored->state, SessionState::Failed);
    QCOMPARE(stored->terminationReason, u"image pull failed"_s);
}

void TestSessionService::statusReportOfOwnAgentIsApplied()
{
    auto agent = connectAgent(u"k8s-1"_s, u"acme"_s);
    QVERIFY(agent);
    const SessionInfo session = startOk();
    agent->send(u"status"_s, {{u"sessionId"_s, session.sessionId},
                              {u"state"_s, u"running"_s},
                              {u"vncReady"_s, true},
                              {u"vncPort"_s, 3000},
                              {u"platformMetadata"_s, QJsonObject{{u"podName"_s, u"pod-from-status"_s}}}});
    QTRY_COMPARE(eventsOf(session.sessionId, EventType::StateChanged).size(), 1);
    const std::optional<SessionInfo> stored = m_db->session(session.sessionId);
    QCOMPARE(stored->state, SessionState::Running);
    QCOMPARE(stored->podName, u"pod-from-status"_s);
    QCOMPARE(stored->url, u"/api/v1/sessions/%1/vnc"_s.arg(session.sessionId));

    // The same state again is no change and no event.
    agent->send(u"status"_s, {{u"sessionId"_s, session.sessionId}, {u"state"_s, u"running"_s}});
    agent->send(u"pong"_s, {});
    m_db->settle();
    QTest::qWait(50);
    QCOMPARE(eventsOf(session.sessionId, EventType::StateChanged).size(), 1);
    QVERIFY(agent->ofType(u"error"_s).isEmpty());
}

void TestSessionService::statusReportForAnotherAgentsSessionIsRefused()
{
    auto owner = connectAgent(u"k8s-1"_s, u"acme"_s, u"online"_s, 0);
    auto intruder = connectAgent(u"k8s-2"_s, u"acme"_s, u"online"_s, 5);
    QVERIFY(owner && intruder);
    const SessionInfo session = startOk();
    QCOMPARE(session.agentId, u"k8s-1"_s);
    const qsizetype eventsBefore = m_events.size();

    intruder->send(u"status"_s, {{u"sessionId"_s, session.sessionId},
                                 {u"state"_s, u"terminated"_s},
                                 {u"platformMetadata"_s, QJsonObject{{u"podName"_s, u"evil"_s}}}});
    intruder->send(u"status"_s, {{u"sessionId"_s, u"no-such-session"_s}, {u"state"_s, u"running"_s}});
    QTRY_COMPARE(intruder->ofType(u"error"_s).size(), 2);
    const QJsonObject refused = intruder->ofType(u"error"_s).first().value(u"payload"_s).toObject();
    QCOMPARE(refused.value(u"code"_s).toString(), u"not_found"_s);
    QVERIFY2(refused.value(u"message"_s).toString().contains(session.sessionId),
             qPrintable(refused.value(u"message"_s).toString()));
    QVERIFY(intruder->ofType(u"error"_s)
                .last()
                .value(u"payload"_s)
                .toObject()
                .value(u"message"_s)
                .toString()
                .contains(u"no-such-session"_s));

    const std::optional<SessionInfo> stored = m_db->session(session.sessionId);
    QCOMPARE(stored->state, SessionState::Pending);
    QVERIFY(stored->podName.isEmpty());
    QCOMPARE(m_events.size(), eventsBefore);
    QVERIFY(owner->ofType(u"error"_s).isEmpty());
    QVERIFY(m_hub->isAgentConnected(u"k8s-2"_s));
}

void TestSessionService::lifecycleClosesTheLoop_data()
{
    QTest::addColumn<QString>("action");  // what is done to a running session ("start": the start itself)
    QTest::addColumn<QString>("outcome"); // complete | failed | none (the deadline expires)
    QTest::addColumn<QStringList>("newStates"); // session.state.changed newState values, in order
    QTest::addColumn<QString>("reason");        // termination reason afterwards

    QTest::newRow("start completed") << u"start"_s << u"complete"_s << QStringList{u"running"_s} << QString();
    QTest::newRow("start failed") << u"start"_s << u"failed"_s << QStringList{u"failed"_s}
                                  << u"agent says no"_s;
    QTest::newRow("start timed out") << u"start"_s << u"none"_s << QStringList{u"failed"_s} << u"timeout"_s;
    QTest::newRow("stop completed") << u"stop"_s << u"complete"_s
                                    << QStringList{u"terminating"_s, u"terminated"_s} << QString();
    QTest::newRow("stop failed") << u"stop"_s << u"failed"_s << QStringList{u"terminating"_s, u"failed"_s}
                                 << u"agent says no"_s;
    QTest::newRow("stop timed out") << u"stop"_s << u"none"_s << QStringList{u"terminating"_s, u"failed"_s}
                                    << u"timeout"_s;
    QTest::newRow("hibernate completed")
        << u"hibernate"_s << u"complete"_s << QStringList{u"hibernating"_s, u"hibernated"_s} << QString();
    QTest::newRow("hibernate failed")
        << u"hibernate"_s << u"failed"_s << QStringList{u"hibernating"_s, u"failed"_s} << u"agent says no"_s;
    QTest::newRow("wake completed") << u"wake"_s << u"complete"_s << QStringList{u"running"_s} << QString();
    QTest::newRow("wake failed") << u"wake"_s << u"failed"_s << QStringList{u"failed"_s}
                                 << u"agent says no"_s;
}

void TestSessionService::lifecycleClosesTheLoop()
{
    QFETCH(QString, action);
    QFETCH(QString, outcome);
    QFETCH(QStringList, newStates);
    QFETCH(QString, reason);

    CommandLedger::Config commands;
    commands.ackTimeout = std::chrono::hours(1);
    // Long enough for an answering agent on a loaded machine, short enough to wait for.
    const std::chrono::milliseconds deadline(outcome == u"none"_s ? 800 : 60000);
    commands.startCompleteTimeout = deadline;
    commands.stopCompleteTimeout = deadline;
    commands.hibernateCompleteTimeout = deadline;
    commands.wakeCompleteTimeout = deadline;
    rebuild(commands, SessionService::Config{});

    auto agent = connectAgent(u"k8s-1"_s, u"acme"_s);
    QVERIFY(agent);
    const SessionInfo session = startOk();
    QVERIFY(!session.sessionId.isEmpty());
    const Action control = action == u"stop"_s        ? Action::StopSession
                           : action == u"hibernate"_s ? Action::HibernateSession
                                                      : Action::WakeSession;
    if (action != u"start"_s) {
        QVERIFY(answer(*agent, session.sessionId, u"start_session"_s, u"complete"_s));
        QTRY_COMPARE(m_db->session(session.sessionId)->state, SessionState::Running);
        if (action == u"wake"_s) {
            QVERIFY(awaitResult(m_sessions->controlSession(*m_db->session(session.sessionId),
                                                           Action::HibernateSession))
                        ->ok());
            QVERIFY(answer(*agent, session.sessionId, u"hibernate_session"_s, u"complete"_s));
            QTRY_COMPARE(m_db->session(session.sessionId)->state, SessionState::Hibernated);
        }
    }
    // The setup's last event is out before counting.
    QTRY_COMPARE(eventsOf(session.sessionId, EventType::StateChanged).isEmpty()
                     ? u"pending"_s
                     : eventsOf(session.sessionId, EventType::StateChanged)
                           .last()
                           .data.value(u"newState"_s)
                           .toString(),
                 protocol::sessionStateName(m_db->session(session.sessionId)->state));
    const qsizetype before = eventsOf(session.sessionId, EventType::StateChanged).size();
    QString previous = protocol::sessionStateName(m_db->session(session.sessionId)->state);

    QString commandAction = u"start_session"_s;
    if (action != u"start"_s) {
        QVERIFY(awaitResult(m_sessions->controlSession(*m_db->session(session.sessionId), control))->ok());
        commandAction = protocol::agent::actionName(control);
    }
    if (outcome != u"none"_s)
        QVERIFY(answer(*agent, session.sessionId, commandAction, outcome));

    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(session.sessionId, EventType::StateChanged).size(),
                              before + newStates.size(), 10000);
    const QList<SessionEvent> changes = eventsOf(session.sessionId, EventType::StateChanged).mid(before);
    for (int i = 0; i < newStates.size(); ++i) {
        QCOMPARE(changes.at(i).data.value(u"oldState"_s).toString(), previous);
        QCOMPARE(changes.at(i).data.value(u"newState"_s).toString(), newStates.at(i));
        previous = newStates.at(i);
    }
    const std::optional<SessionInfo> stored = m_db->session(session.sessionId);
    QCOMPARE(protocol::sessionStateName(stored->state), newStates.last());
    QCOMPARE(stored->terminationReason, reason);
    if (newStates.last() == u"failed"_s) {
        QTRY_COMPARE(eventsOf(session.sessionId, EventType::Error).size(), 1);
        QCOMPARE(eventsOf(session.sessionId, EventType::Error).first().data.value(u"error"_s).toString(),
                 reason);
    }
}

void TestSessionService::cancelledStartFailsTheSession()
{
    // A session whose start_session is still pending: its agent is not connected.
    const AgentInfo agent = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    SessionInfo session;
    session.sessionId = u"alice-firefox-1"_s;
    session.orgId = u"acme"_s;
    session.userId = u"alice"_s;
    session.templateName = u"firefox"_s;
    session.agentId = agent.agentId;
    protocol::CommandInfo start;
    start.commandId = CommandLedger::newCommandId();
    start.agentId = agent.agentId;
    start.action = u"start_session"_s;
    start.payload = {
        {u"sessionId"_s, session.sessionId}, {u"user"_s, u"alice"_s}, {u"template"_s, u"firefox"_s}};
    QVERIFY(m_db->store()->createSessionWithCommand(session, start).result().ok());

    const auto cancelled = awaitResult(m_ledger->cancel(start.commandId));
    QVERIFY(cancelled && *cancelled);
    QTRY_COMPARE(eventsOf(session.sessionId, EventType::StateChanged).size(), 1);
    const SessionEvent changed = eventsOf(session.sessionId, EventType::StateChanged).first();
    QCOMPARE(changed.data.value(u"oldState"_s).toString(), u"pending"_s);
    QCOMPARE(changed.data.value(u"newState"_s).toString(), u"failed"_s);
    QTRY_COMPARE(eventsOf(session.sessionId, EventType::Error).size(), 1);
    QCOMPARE(eventsOf(session.sessionId, EventType::Error).first().data.value(u"code"_s).toString(),
             u"command_cancelled"_s);
    QCOMPARE(m_db->session(session.sessionId)->state, SessionState::Failed);
    QCOMPARE(m_db->session(session.sessionId)->terminationReason, u"cancelled"_s);

    // The agent connecting later gets nothing to start.
    auto client = m_harness->connect(agent);
    QVERIFY(client);
    QTest::qWait(100);
    m_db->settle();
    QVERIFY(client->commandIds().isEmpty());
}

void TestSessionService::agentAwayLongerThanGracePeriodFailsItsSessions()
{
    SessionService::Config config;
    config.agentGracePeriod = std::chrono::milliseconds(500);
    rebuild(CommandLedger::Config{}, config);
    auto agent = connectAgent(u"k8s-1"_s, u"acme"_s);
    QVERIFY(agent);
    const SessionInfo running = startOk(u"alice"_s);
    QVERIFY(answer(*agent, running.sessionId, u"start_session"_s, u"complete"_s));
    QTRY_COMPARE(m_db->session(running.sessionId)->state, SessionState::Running);
    const SessionInfo pending = startOk(u"bob"_s);
    QVERIFY(!pending.sessionId.isEmpty());

    agent->socket.close();
    QTRY_VERIFY_WITH_TIMEOUT(m_db->session(running.sessionId)->state == SessionState::Failed, 10000);
    QTRY_COMPARE(m_db->session(pending.sessionId)->state, SessionState::Failed);
    for (const SessionInfo &session : {running, pending}) {
        QTRY_COMPARE(eventsOf(session.sessionId, EventType::Error).size(), 1);
        QCOMPARE(m_db->session(session.sessionId)->terminationReason, u"agent_unavailable"_s);
        const QList<SessionEvent> changes = eventsOf(session.sessionId, EventType::StateChanged);
        QCOMPARE(changes.last().data.value(u"newState"_s).toString(), u"failed"_s);
        QCOMPARE(changes.last().data.value(u"oldState"_s).toString(),
                 session.sessionId == running.sessionId ? u"running"_s : u"pending"_s);
        QCOMPARE(eventsOf(session.sessionId, EventType::Error).last().data.value(u"code"_s).toString(),
                 u"agent_unavailable"_s);
    }
    // Once: later sweeps find nothing more to do.
    QTest::qWait(500);
    QCOMPARE(eventsOf(running.sessionId, EventType::StateChanged).size(), 2);
}

void TestSessionService::reconnectWithinGracePeriodKeepsTheSession()
{
    SessionService::Config config;
    config.agentGracePeriod = std::chrono::milliseconds(800);
    config.graceSweepInterval = std::chrono::hours(1); // swept by hand below
    rebuild(CommandLedger::Config{}, config);
    const AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    auto agent = connectAgent(u"k8s-1"_s, u"acme"_s);
    QVERIFY(agent);
    const SessionInfo session = startOk();
    QVERIFY(answer(*agent, session.sessionId, u"start_session"_s, u"complete"_s));
    QTRY_COMPARE(m_db->session(session.sessionId)->state, SessionState::Running);

    agent->socket.close();
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Offline);
    auto again = m_harness->connect(info);
    QVERIFY(again);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);
    QTest::qWait(1000); // past the grace period since the disconnect
    m_sessions->sweepAbandonedSessions();
    m_db->settle();
    QTest::qWait(50);
    QCOMPARE(m_db->session(session.sessionId)->state, SessionState::Running);
    QCOMPARE(eventsOf(session.sessionId, EventType::StateChanged).size(), 1);
}

void TestSessionService::gracePeriodCountsFromStoredAgentState()
{
    // What a previous run left behind: k8s-gone went offline two hours ago, k8s-back is online
    // again, k8s-recent left a minute ago. The new run's first sweep decides from those rows alone.
    const QDateTime longAgo = QDateTime::currentDateTimeUtc().addSecs(-7200);
    QStringList sessionIds;
    for (const QString &agentId : {u"k8s-gone"_s, u"k8s-back"_s, u"k8s-recent"_s}) {
        m_db->createAgent(agentId, u"acme"_s);
        SessionInfo session;
        session.sessionId = u"s-"_s + agentId;
        session.orgId = u"acme"_s;
        session.userId = u"alice"_s;
        session.templateName = u"firefox"_s;
        session.agentId = agentId;
        session.state = SessionState::Running;
        protocol::CommandInfo start;
        start.commandId = CommandLedger::newCommandId();
        start.agentId = agentId;
        start.action = u"start_session"_s;
        start.status = protocol::CommandStatus::Completed;
        QVERIFY(m_db->store()->createSessionWithCommand(session, start).result().ok());
        sessionIds.append(session.sessionId);
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QVERIFY(m_db->store()->markAgentConnected(u"k8s-gone"_s, u"old"_s, longAgo).result().ok());
    QVERIFY(m_db->store()->markAgentsOffline({u"k8s-gone"_s}, u"old"_s, longAgo).result().ok());
    QVERIFY(m_db->store()->markAgentConnected(u"k8s-back"_s, u"old"_s, now).result().ok());
    QVERIFY(m_db->store()->markAgentConnected(u"k8s-recent"_s, u"old"_s, longAgo).result().ok());
    QVERIFY(m_db->store()->markAgentsOffline({u"k8s-recent"_s}, u"old"_s, now.addSecs(-60)).result().ok());

    SessionService::Config config;
    config.agentGracePeriod = std::chrono::hours(1);
    rebuild(CommandLedger::Config{}, config);
    m_sessions->sweepAbandonedSessions();
    QTRY_COMPARE(m_db->session(u"s-k8s-gone"_s)->state, SessionState::Failed);
    QCOMPARE(m_db->session(u"s-k8s-gone"_s)->terminationReason, u"agent_unavailable"_s);
    QTRY_COMPARE(eventsOf(u"s-k8s-gone"_s, EventType::StateChanged).size(), 1);
    m_db->settle();
    QCOMPARE(m_db->session(u"s-k8s-back"_s)->state, SessionState::Running);
    QCOMPARE(m_db->session(u"s-k8s-recent"_s)->state, SessionState::Running);
    QCOMPARE(m_events.size(), 2); // state change and error of the one failed session
}

QTEST_GUILESS_MAIN(TestSessionService)
#include "tst_sessionservice.moc"
