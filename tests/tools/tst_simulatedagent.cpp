// SimulatedAgent against a fake agent endpoint: handshake, heartbeats, every command, dedupe,
// logs, reconnects (close, abort, 4000, HTTP refusals, hung server) and clean shutdown.
#include "FakeAgentEndpoint.h"
#include "agent/SimulatedAgent.h"

#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::agentsim;
using protocol::SessionState;
using std::chrono::milliseconds;
using switchboard::testing::FakeAgentEndpoint;
namespace wire = switchboard::protocol::agent;

namespace {

const QString kKey = QString(64, u'f');

AgentConfig configFor(const FakeAgentEndpoint &fake, const QString &agentId = u"sim-1"_s)
{
    AgentConfig config;
    config.agentId = agentId;
    config.apiKey = kKey;
    QUrl url = fake.baseUrl();
    url.setScheme(u"ws"_s);
    url.setPath(u"/api/v1/agents/connect"_s);
    config.connectUrl = url;
    config.capacity.maxSessions = 4;
    config.capacity.cpu = u"4 cores"_s;
    config.capacity.memory = u"8Gi"_s;
    config.heartbeatInterval = milliseconds(5000);
    config.simulation.startDelay = milliseconds(20);
    config.simulation.stopDelay = milliseconds(20);
    config.simulation.hibernateDelay = milliseconds(20);
    config.simulation.wakeDelay = milliseconds(20);
    config.simulation.maxSessions = 4;
    config.simulation.logLineInterval = milliseconds(50);
    config.reconnect.initial = milliseconds(50);
    config.reconnect.cap = milliseconds(400);
    return config;
}

wire::Command command(const QString &id, wire::Action action, const QString &sessionId)
{
    QJsonObject payload{{u"sessionId"_s, sessionId}};
    if (action == wire::Action::StartSession) {
        payload.insert(u"user"_s, u"alice"_s);
        payload.insert(u"template"_s, u"firefox"_s);
    }
    return wire::Command{id, action, payload};
}

auto byCommand(const QString &id)
{
    return [id](const auto &frame) { return frame.commandId == id; };
}

auto bySession(const QString &id, SessionState state)
{
    return [id, state](const wire::StatusReport &s) { return s.sessionId == id && s.state == state; };
}

} // namespace

Q_DECLARE_METATYPE(switchboard::protocol::agent::Action)

class TestSimulatedAgent : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void connectsWithKeyAndPath();
    void heartbeatsPromptlyAndPeriodically();
    void startSessionAcksThenReportsRunning();
    void repeatedCommandIdTakesEffectOnce();
    void sessionLifecycle();
    void unknownSessionFails_data();
    void unknownSessionFails();
    void failureRateOneFails();
    void capacityIsEnforced();
    void undecodableCommandFails_data();
    void undecodableCommandFails();
    void pingGetsPong();
    void streamsLogsUntilStopped();
    void logStreamDefaultTailAndEndsWithConnection();
    void reconnectsAfterServerCloses();
    void reconnectsAfterReplacement();
    void keepsRetryingRefusedUpgrades_data();
    void keepsRetryingRefusedUpgrades();
    void retriesUnreachableServer();
    void detectsHungServer();
    void resultsSurviveDisconnect();
    void serverShutdownFrameCloses();
    void shutdownDrainsAndCloses();
};

void TestSimulatedAgent::connectsWithKeyAndPath()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    QSignalSpy connected(&agent, &SimulatedAgent::connected);
    agent.start();
    QTRY_COMPARE(connected.size(), 1);
    QCOMPARE(fake.upgrades.size(), 1);
    QCOMPARE(fake.upgrades.at(0).method, "GET"_ba);
    QCOMPARE(fake.upgrades.at(0).target, "/api/v1/agents/connect?agent_id=sim-1"_ba);
    QCOMPARE(fake.upgrades.at(0).header("X-Agent-API-Key"), kKey.toLatin1());
    QVERIFY(agent.isConnected());
    QCOMPARE(fake.connections, 1);
}

void TestSimulatedAgent::heartbeatsPromptlyAndPeriodically()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    AgentConfig config = configFor(fake);
    config.heartbeatInterval = milliseconds(400);
    SimulatedAgent agent(config);
    QSignalSpy connected(&agent, &SimulatedAgent::connected);
    agent.start();
    QTRY_COMPARE(connected.size(), 1);
    QElapsedTimer sinceConnect;
    sinceConnect.start();
    // Prompt: well before the first interval would have elapsed.
    QTRY_VERIFY_WITH_TIMEOUT(!fake.frames.isEmpty(), 300);
    const auto *first = std::get_if<wire::Heartbeat>(&fake.frames.constFirst());
    QVERIFY(first);
    QCOMPARE(first->status, wire::ReportedStatus::Online);
    QCOMPARE(first->activeSessions, 0);
    QCOMPARE(first->capacity, config.capacity);
    // Periodic: two more, one per interval, not sooner.
    QTRY_VERIFY(fake.framesOf<wire::Heartbeat>().size() >= 3);
    QVERIFY2(sinceConnect.elapsed() >= 2 * 400 - 100, qPrintable(QString::number(sinceConnect.elapsed())));
}

void TestSimulatedAgent::startSessionAcksThenReportsRunning()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    QSignalSpy received(&agent, &SimulatedAgent::commandReceived);
    QSignalSpy finished(&agent, &SimulatedAgent::commandFinished);
    QSignalSpy stateChanged(&agent, &SimulatedAgent::sessionStateChanged);
    agent.start();
    QTRY_VERIFY(agent.isConnected());

    fake.send(command(u"cmd-1"_s, wire::Action::StartSession, u"s1"_s));
    QTRY_VERIFY(fake.indexOf<wire::Complete>(byCommand(u"cmd-1"_s)) >= 0);
    const qsizetype ack = fake.indexOf<wire::Ack>(byCommand(u"cmd-1"_s));
    const qsizetype status = fake.indexOf<wire::StatusReport>(bySession(u"s1"_s, SessionState::Running));
    const qsizetype complete = fake.indexOf<wire::Complete>(byCommand(u"cmd-1"_s));
    QVERIFY(ack >= 0);
    QVERIFY(ack < status);
    QVERIFY(status < complete);

    const auto report = std::get<wire::StatusReport>(fake.frames.at(status));
    QVERIFY(report.vncReady);
    QCOMPARE(report.vncPort, 5900);
    QCOMPARE(report.platformMetadata.value("podName"_L1).toString(), u"sim-s1"_s);
    const QJsonObject result = std::get<wire::Complete>(fake.frames.at(complete)).result;
    QCOMPARE(result.value("sessionId"_L1).toString(), u"s1"_s);
    QCOMPARE(result.value("state"_L1).toString(), u"running"_s);
    QCOMPARE(result.value("podName"_L1).toString(), u"sim-s1"_s);
    QCOMPARE(result.value("vncPort"_L1).toInt(), 5900);

    QCOMPARE(received.size(), 1);
    QCOMPARE(received.at(0).at(0).toString(), u"cmd-1"_s);
    QCOMPARE(received.at(0).at(1).toString(), u"start_session"_s);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(1).toBool(), true);
    QCOMPARE(stateChanged.size(), 1);
    QCOMPARE(stateChanged.at(0).at(1).value<SessionState>(), SessionState::Running);
    QCOMPARE(agent.sessions()->activeSessions(), 1);
    // The scheduler learns of the new session without waiting for the next interval.
    QTRY_VERIFY(
        fake.countOf<wire::Heartbeat>([](const wire::Heartbeat &h) { return h.activeSessions == 1; }) >= 1);
}

void TestSimulatedAgent::repeatedCommandIdTakesEffectOnce()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    AgentConfig config = configFor(fake);
    config.simulation.startDelay = milliseconds(200);
    SimulatedAgent agent(config);
    QSignalSpy finished(&agent, &SimulatedAgent::commandFinished);
    agent.start();
    QTRY_VERIFY(agent.isConnected());

    const auto start = command(u"cmd-1"_s, wire::Action::StartSession, u"s1"_s);
    fake.send(start);
    fake.send(start); // redelivered while still running
    QTRY_COMPARE(fake.countOf<wire::Complete>(byCommand(u"cmd-1"_s)), 1);
    QCOMPARE(fake.countOf<wire::Ack>(byCommand(u"cmd-1"_s)), 2);

    fake.send(start); // redelivered after it finished: the result comes again
    QTRY_COMPARE(fake.countOf<wire::Complete>(byCommand(u"cmd-1"_s)), 2);
    QCOMPARE(fake.countOf<wire::Ack>(byCommand(u"cmd-1"_s)), 3);
    const auto completes = fake.framesOf<wire::Complete>();
    QCOMPARE(completes.at(0).result, completes.at(1).result);

    // The effect happened once.
    QCOMPARE(fake.countOf<wire::StatusReport>(bySession(u"s1"_s, SessionState::Running)), 1);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(agent.sessions()->sessionCount(), 1);
    QCOMPARE(agent.sessions()->activeSessions(), 1);

    // A different command for the same session is a different request, and it is refused.
    fake.send(command(u"cmd-2"_s, wire::Action::StartSession, u"s1"_s));
    QTRY_COMPARE(fake.countOf<wire::Failed>(byCommand(u"cmd-2"_s)), 1);
    QVERIFY(fake.framesOf<wire::Failed>().constFirst().error.contains(u"already exists"_s));
}

void TestSimulatedAgent::sessionLifecycle()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    agent.start();
    QTRY_VERIFY(agent.isConnected());

    // Queued back to back: the agent runs one action per session at a time, in order.
    fake.send(command(u"c-start"_s, wire::Action::StartSession, u"s1"_s));
    fake.send(command(u"c-hibernate"_s, wire::Action::HibernateSession, u"s1"_s));
    QTRY_VERIFY(fake.indexOf<wire::Complete>(byCommand(u"c-hibernate"_s)) >= 0);
    QVERIFY(fake.indexOf<wire::StatusReport>(bySession(u"s1"_s, SessionState::Hibernated)) >= 0);
    QCOMPARE(agent.sessions()->sessionState(u"s1"_s), SessionState::Hibernated);
    QCOMPARE(agent.sessions()->activeSessions(), 0);
    QCOMPARE(
        std::get<wire::Complete>(fake.frames.at(fake.indexOf<wire::Complete>(byCommand(u"c-hibernate"_s))))
            .result.value("state"_L1)
            .toString(),
        u"hibernated"_s);

    fake.send(command(u"c-wake"_s, wire::Action::WakeSession, u"s1"_s));
    QTRY_VERIFY(fake.indexOf<wire::Complete>(byCommand(u"c-wake"_s)) >= 0);
    QCOMPARE(fake.countOf<wire::StatusReport>(bySession(u"s1"_s, SessionState::Running)), 2);
    QCOMPARE(agent.sessions()->sessionState(u"s1"_s), SessionState::Running);

    fake.send(command(u"c-stop"_s, wire::Action::StopSession, u"s1"_s));
    QTRY_VERIFY(fake.indexOf<wire::Complete>(byCommand(u"c-stop"_s)) >= 0);
    const qsizetype terminated =
        fake.indexOf<wire::StatusReport>(bySession(u"s1"_s, SessionState::Terminated));
    QVERIFY(terminated >= 0);
    QVERIFY(!std::get<wire::StatusReport>(fake.frames.at(terminated)).vncReady);
    QCOMPARE(agent.sessions()->sessionCount(), 0);
    QVERIFY(fake.framesOf<wire::Failed>().isEmpty());
}

void TestSimulatedAgent::unknownSessionFails_data()
{
    QTest::addColumn<wire::Action>("action");
    QTest::newRow("stop") << wire::Action::StopSession;
    QTest::newRow("hibernate") << wire::Action::HibernateSession;
    QTest::newRow("wake") << wire::Action::WakeSession;
    QTest::newRow("stream_logs") << wire::Action::StreamLogs;
}

void TestSimulatedAgent::unknownSessionFails()
{
    QFETCH(wire::Action, action);
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    QSignalSpy finished(&agent, &SimulatedAgent::commandFinished);
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.send(command(u"c-ghost"_s, action, u"ghost"_s));
    QTRY_COMPARE(fake.countOf<wire::Failed>(byCommand(u"c-ghost"_s)), 1);
    const QString error = fake.framesOf<wire::Failed>().constFirst().error;
    QVERIFY2(error.contains(u"unknown session ghost"_s), qPrintable(error));
    QCOMPARE(fake.countOf<wire::Ack>(byCommand(u"c-ghost"_s)), 1);
    QVERIFY(fake.framesOf<wire::Complete>().isEmpty());
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(1).toBool(), false);
}

void TestSimulatedAgent::failureRateOneFails()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    AgentConfig config = configFor(fake);
    config.simulation.failureRate = 1.0;
    SimulatedAgent agent(config);
    QSignalSpy finished(&agent, &SimulatedAgent::commandFinished);
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.send(command(u"c-1"_s, wire::Action::StartSession, u"s1"_s));
    QTRY_COMPARE(fake.countOf<wire::Failed>(byCommand(u"c-1"_s)), 1);
    QVERIFY(fake.framesOf<wire::Failed>().constFirst().error.contains(u"simulated failure"_s));
    QVERIFY(fake.framesOf<wire::StatusReport>().isEmpty());
    QCOMPARE(agent.sessions()->sessionCount(), 0);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(1).toBool(), false);
}

void TestSimulatedAgent::capacityIsEnforced()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    AgentConfig config = configFor(fake);
    config.simulation.maxSessions = 1;
    SimulatedAgent agent(config);
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.send(command(u"c-1"_s, wire::Action::StartSession, u"s1"_s));
    fake.send(command(u"c-2"_s, wire::Action::StartSession, u"s2"_s));
    QTRY_COMPARE(fake.countOf<wire::Complete>(byCommand(u"c-1"_s)), 1);
    QTRY_COMPARE(fake.countOf<wire::Failed>(byCommand(u"c-2"_s)), 1);
    QVERIFY(fake.framesOf<wire::Failed>().constFirst().error.contains(u"capacity"_s));
}

void TestSimulatedAgent::undecodableCommandFails_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("errorPart");
    // Hand-written on purpose: the protocol library cannot encode invalid commands.
    QTest::newRow("missing sessionId")
        << R"({"type":"command","timestamp":"2025-12-04T10:00:00Z","payload":{"commandId":"c-bad","action":"stop_session","payload":{}}})"_ba
        << u"sessionId"_s;
    QTest::newRow("unknown action")
        << R"({"type":"command","timestamp":"2025-12-04T10:00:00Z","payload":{"commandId":"c-bad","action":"reboot","payload":{}}})"_ba
        << u"action"_s;
}

void TestSimulatedAgent::undecodableCommandFails()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, errorPart);
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.sendRaw(frame);
    QTRY_COMPARE(fake.countOf<wire::Failed>(byCommand(u"c-bad"_s)), 1);
    QCOMPARE(fake.countOf<wire::Ack>(byCommand(u"c-bad"_s)), 1);
    const QString error = fake.framesOf<wire::Failed>().constFirst().error;
    QVERIFY2(error.contains(errorPart), qPrintable(error));
    // Garbage without a command id is only logged, and the connection stays up.
    fake.sendRaw("not json");
    fake.send(wire::Ping{});
    QTRY_COMPARE(fake.framesOf<wire::Pong>().size(), 1);
    QCOMPARE(fake.connections, 1);
}

void TestSimulatedAgent::pingGetsPong()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.send(wire::Ping{});
    fake.send(wire::Notice{u"hello agents"_s});
    fake.send(wire::ErrorFrame{protocol::Error{protocol::ErrorCode::InvalidValue, u"test error"_s, {}, {}}});
    fake.send(wire::Ping{});
    QTRY_COMPARE(fake.framesOf<wire::Pong>().size(), 2);
    QVERIFY(agent.isConnected());
}

void TestSimulatedAgent::streamsLogsUntilStopped()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.send(command(u"c-start"_s, wire::Action::StartSession, u"s1"_s));
    QTRY_COMPARE(fake.countOf<wire::Complete>(byCommand(u"c-start"_s)), 1);

    fake.send(wire::Command{
        u"c-logs"_s, wire::Action::StreamLogs, {{u"sessionId"_s, u"s1"_s}, {u"tailLines"_s, 5}}});
    QTRY_VERIFY(fake.framesOf<wire::LogLines>().size() >= 4);
    const auto logs = fake.framesOf<wire::LogLines>();
    QCOMPARE(logs.at(0).sessionId, u"s1"_s);
    QCOMPARE(logs.at(0).lines.size(), 5); // the tail first
    for (qsizetype i = 1; i < logs.size(); ++i)
        QCOMPARE(logs.at(i).lines.size(), 1); // then one line at a time
    QVERIFY(logs.at(0).lines.at(0).contains(u"sim-s1"_s));
    QCOMPARE(fake.countOf<wire::Complete>(byCommand(u"c-logs"_s)), 1);
    QVERIFY(agent.sessions()->isStreamingLogs(u"s1"_s));

    fake.send(wire::Command{u"c-nologs"_s, wire::Action::StopLogs, {{u"sessionId"_s, u"s1"_s}}});
    QTRY_COMPARE(fake.countOf<wire::Complete>(byCommand(u"c-nologs"_s)), 1);
    const qsizetype afterStop = fake.framesOf<wire::LogLines>().size();
    QVERIFY(!agent.sessions()->isStreamingLogs(u"s1"_s));
    QTest::qWait(250); // five intervals: nothing more may come
    QCOMPARE(fake.framesOf<wire::LogLines>().size(), afterStop);
}

void TestSimulatedAgent::logStreamDefaultTailAndEndsWithConnection()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.send(command(u"c-start"_s, wire::Action::StartSession, u"s1"_s));
    QTRY_COMPARE(fake.countOf<wire::Complete>(byCommand(u"c-start"_s)), 1);

    // Without tailLines the agent sends the protocol's default tail of 100 lines.
    fake.send(command(u"c-logs"_s, wire::Action::StreamLogs, u"s1"_s));
    QTRY_VERIFY(!fake.framesOf<wire::LogLines>().isEmpty());
    QCOMPARE(fake.framesOf<wire::LogLines>().constFirst().lines.size(), 100);
    QTRY_VERIFY(fake.framesOf<wire::LogLines>().size() >= 3);

    // A stream belongs to its connection: the next connection starts without it.
    fake.closeClient(QWebSocketProtocol::CloseCodeGoingAway, u"restarting"_s);
    QTRY_COMPARE(fake.connections, 2);
    QTRY_VERIFY(agent.isConnected());
    QVERIFY(!agent.sessions()->isStreamingLogs(u"s1"_s));
    QTest::qWait(250); // five intervals
    for (qsizetype i = 0; i < fake.frames.size(); ++i) {
        if (fake.frameConnection.at(i) == 2)
            QVERIFY2(!std::holds_alternative<wire::LogLines>(fake.frames.at(i)),
                     "log lines after a reconnect");
    }
}

void TestSimulatedAgent::reconnectsAfterServerCloses()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    QSignalSpy connected(&agent, &SimulatedAgent::connected);
    QSignalSpy disconnected(&agent, &SimulatedAgent::disconnected);
    agent.start();
    QTRY_COMPARE(fake.connections, 1);

    fake.closeClient(QWebSocketProtocol::CloseCodeGoingAway, u"restarting"_s);
    QTRY_COMPARE(fake.connections, 2);
    QTRY_COMPARE(connected.size(), 2);
    QCOMPARE(disconnected.size(), 1);
    // Each connection starts with a heartbeat.
    QTRY_VERIFY(fake.frameConnection.indexOf(2) >= 0);
    QVERIFY(std::holds_alternative<wire::Heartbeat>(fake.frames.at(fake.frameConnection.indexOf(2))));

    fake.dropClient(); // no close handshake at all
    QTRY_COMPARE(fake.connections, 3);
    QTRY_COMPARE(connected.size(), 3);
    QCOMPARE(fake.upgrades.constLast().header("X-Agent-API-Key"), kKey.toLatin1());
}

void TestSimulatedAgent::reconnectsAfterReplacement()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    QSignalSpy scheduled(&agent, &SimulatedAgent::reconnectScheduled);
    agent.start();
    QTRY_COMPARE(fake.connections, 1);
    fake.closeClient(QWebSocketProtocol::CloseCode(4000), u"replaced"_s);
    QTRY_COMPARE(fake.connections, 2);
    QCOMPARE(scheduled.size(), 1);
    QVERIFY(scheduled.at(0).at(0).toLongLong() >= 40); // after a backoff, not at once
}

void TestSimulatedAgent::keepsRetryingRefusedUpgrades_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("401") << 401;
    QTest::newRow("403") << 403;
    QTest::newRow("404") << 404;
}

void TestSimulatedAgent::keepsRetryingRefusedUpgrades()
{
    QFETCH(int, status);
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    fake.rejectConnectStatus = status;
    SimulatedAgent agent(configFor(fake));
    QSignalSpy refused(&agent, &SimulatedAgent::connectRefused);
    QSignalSpy scheduled(&agent, &SimulatedAgent::reconnectScheduled);
    agent.start();
    QTRY_VERIFY(refused.size() >= 3);
    QCOMPARE(refused.at(0).at(0).toInt(), status);
    QVERIFY(!agent.isConnected());
    // Backing off: the delays grow.
    QVERIFY(scheduled.size() >= 2);
    QVERIFY(scheduled.at(1).at(0).toLongLong() > scheduled.at(0).at(0).toLongLong());

    fake.rejectConnectStatus = 0; // an operator approved the agent
    QTRY_VERIFY(agent.isConnected());
    QCOMPARE(fake.connections, 1);
}

void TestSimulatedAgent::retriesUnreachableServer()
{
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    const quint16 port = closed.serverPort();
    closed.close(); // nothing listens there now

    AgentConfig config;
    config.agentId = u"sim-1"_s;
    config.apiKey = kKey;
    config.connectUrl = QUrl(u"ws://127.0.0.1:%1/api/v1/agents/connect"_s.arg(port));
    config.reconnect.initial = milliseconds(20);
    config.reconnect.cap = milliseconds(100);
    SimulatedAgent agent(config);
    QSignalSpy scheduled(&agent, &SimulatedAgent::reconnectScheduled);
    agent.start();
    QTRY_VERIFY(scheduled.size() >= 4);
    for (const auto &call : scheduled)
        QVERIFY(call.at(0).toLongLong() > 0); // never spins
    QCOMPARE(agent.state(), SimulatedAgent::State::WaitingToReconnect);
}

void TestSimulatedAgent::detectsHungServer()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    fake.hangAfterUpgrade = true;
    AgentConfig config = configFor(fake);
    config.heartbeatInterval = milliseconds(50);
    config.silenceTimeout = milliseconds(200);
    SimulatedAgent agent(config);
    QSignalSpy connected(&agent, &SimulatedAgent::connected);
    QSignalSpy disconnected(&agent, &SimulatedAgent::disconnected);
    agent.start();
    QTRY_COMPARE(connected.size(), 1);
    QTRY_COMPARE(disconnected.size(), 1);
    QTRY_VERIFY(fake.hungConnections >= 2);
}

void TestSimulatedAgent::resultsSurviveDisconnect()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    AgentConfig config = configFor(fake);
    config.simulation.startDelay = milliseconds(300);
    SimulatedAgent agent(config);
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.send(command(u"c-1"_s, wire::Action::StartSession, u"s1"_s));
    QTRY_COMPARE(fake.countOf<wire::Ack>(byCommand(u"c-1"_s)), 1);
    fake.dropClient(); // the result is produced while the agent is away
    QTRY_COMPARE(fake.connections, 2);
    QTRY_COMPARE(fake.countOf<wire::Complete>(byCommand(u"c-1"_s)), 1);
    const qsizetype complete = fake.indexOf<wire::Complete>(byCommand(u"c-1"_s));
    QCOMPARE(fake.frameConnection.at(complete), 2);
}

void TestSimulatedAgent::serverShutdownFrameCloses()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    QSignalSpy requested(&agent, &SimulatedAgent::shutdownRequested);
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    fake.send(wire::Shutdown{u"maintenance"_s});
    QTRY_COMPARE(requested.size(), 1);
    QCOMPARE(requested.at(0).at(0).toString(), u"maintenance"_s);
    QTRY_COMPARE(fake.closeCodes, QList<int>{1000});
    QTRY_COMPARE(fake.connections, 2); // and it comes back later
}

void TestSimulatedAgent::shutdownDrainsAndCloses()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    SimulatedAgent agent(configFor(fake));
    QSignalSpy stopped(&agent, &SimulatedAgent::stopped);
    agent.start();
    QTRY_VERIFY(agent.isConnected());
    QElapsedTimer timer;
    timer.start();
    agent.shutdown();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, 2000);
    QVERIFY(timer.elapsed() < 2000);
    QTRY_COMPARE(fake.closeCodes, QList<int>{1000});
    const auto heartbeats = fake.framesOf<wire::Heartbeat>();
    QCOMPARE(heartbeats.constLast().status, wire::ReportedStatus::Draining);
    QCOMPARE(agent.state(), SimulatedAgent::State::Stopped);
    QTest::qWait(200);
    QCOMPARE(fake.connections, 1); // stopped means stopped

    // Shutting down while waiting to reconnect stops at once.
    FakeAgentEndpoint refusing;
    QVERIFY(refusing.listen());
    refusing.rejectConnectStatus = 403;
    SimulatedAgent waiting(configFor(refusing));
    QSignalSpy waitingStopped(&waiting, &SimulatedAgent::stopped);
    QSignalSpy scheduled(&waiting, &SimulatedAgent::reconnectScheduled);
    waiting.start();
    QTRY_VERIFY(scheduled.size() >= 1);
    waiting.shutdown();
    QCOMPARE(waitingStopped.size(), 1);
}

QTEST_GUILESS_MAIN(TestSimulatedAgent)
#include "tst_simulatedagent.moc"
