// Live session logs over real sockets (/api/v1/ws/logs/{sessionId}): viewers of a session share one
// agent stream (one stream_logs), lines reach every viewer encoded once, the last viewer leaving
// sends stop_logs, streams end with log_end when the agent goes away, the session ends or the agent
// refuses, a slow viewer is dropped while the agent and the other viewers go on, lines of a session
// the agent does not serve are dropped, the upgrade is authorised (401/403/404/400), and the real
// switchboard-agent streams its synthetic lines end to end.
#include "TestClients.h"
#include "TestServer.h"

#include "core/AgentHub.h"
#include "core/Hub.h"
#include "core/LogRelay.h"
#include "shared/LogProtocol.h"
#include "storage/Store.h"

#include <QJsonArray>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

#include <memory>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

const QString kSession = u"alice-firefox-1"_s;

QString actionOf(const QJsonObject &frame)
{
    return frame.value("payload"_L1).toObject().value("action"_L1).toString();
}
QJsonObject commandPayloadOf(const QJsonObject &frame)
{
    return frame.value("payload"_L1).toObject().value("payload"_L1).toObject();
}
QString commandIdOf(const QJsonObject &frame)
{
    return frame.value("payload"_L1).toObject().value("commandId"_L1).toString();
}

// A viewer that completes the handshake and then never reads: the kernel buffers fill and the
// server's queue for it grows, as with a browser tab that stalled.
class StalledViewer
{
public:
    bool open(quint16 port, const QByteArray &target)
    {
        m_socket.setReadBufferSize(64);
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        if (!m_socket.waitForConnected(5000))
            return false;
        m_socket.write("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
                       "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        return true;
    }

private:
    QTcpSocket m_socket;
};

} // namespace

class TestLogRelay : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    CreatedAgent m_agent;
    CreatedAgent m_otherAgent;

    LogRelay *relay() const { return m_server->server()->logRelay(); }

    // A session of alice in acme, running on `agentId` (stored directly: no start command runs).
    void createSession(const QString &sessionId, const QString &agentId,
                       protocol::SessionState state = protocol::SessionState::Running,
                       const QString &userId = u"alice"_s)
    {
        protocol::SessionInfo session;
        session.sessionId = sessionId;
        session.orgId = u"acme"_s;
        session.userId = userId;
        session.templateName = u"firefox"_s;
        session.state = state;
        session.agentId = agentId;
        QVERIFY(m_server->createSession(session));
    }

    QUrl logsUrl(const QString &sessionId, const QString &token, const QString &query = {}) const
    {
        QUrl url = m_server->wsUrl(u"/api/v1/ws/logs/"_s + sessionId, token);
        if (!query.isEmpty()) {
            QUrlQuery items(url);
            const QUrlQuery extra(query);
            for (const auto &item : extra.queryItems())
                items.addQueryItem(item.first, item.second);
            url.setQuery(items);
        }
        return url;
    }
    QString aliceToken() const { return m_server->token(u"alice"_s, u"acme"_s, Role::User); }

    std::unique_ptr<TestAgent> connectAgent(const CreatedAgent &agent)
    {
        auto client = std::make_unique<TestAgent>();
        if (!client->connectTo(m_server->wsUrl(QString()), agent.agentId, agent.apiKey))
            return nullptr;
        client->heartbeat();
        keepAlive(client.get());
        if (!QTest::qWaitFor([&] { return m_server->server()->agentHub()->isAgentConnected(agent.agentId); },
                             5000))
            return nullptr;
        // The agent answers stream_logs / stop_logs like a real one: ack, then complete.
        TestAgent *raw = client.get();
        connect(raw, &JsonSocket::messageReceived, raw, [raw](const QJsonObject &frame) {
            if (frame.value("type"_L1) != "command"_L1)
                return;
            const QString action = actionOf(frame);
            if (action != "stream_logs"_L1 && action != "stop_logs"_L1)
                return;
            raw->sendFrame(u"ack"_s, {{"commandId"_L1, commandIdOf(frame)}});
            raw->sendFrame(u"complete"_s,
                           {{"commandId"_L1, commandIdOf(frame)},
                            {"result"_L1, QJsonObject{{"streaming"_L1, action == "stream_logs"_L1}}}});
        });
        return client;
    }

    // The test server gives up on an agent after 2 s without a heartbeat; a loaded CI machine can
    // take that long inside one test.
    static void keepAlive(TestAgent *agent)
    {
        auto *timer = new QTimer(agent);
        connect(timer, &QTimer::timeout, agent, [agent] { agent->heartbeat(); });
        timer->start(300);
    }

    static int countAction(const TestAgent &agent, const QString &action)
    {
        int count = 0;
        for (const QJsonObject &frame : agent.ofType(u"command"_s)) {
            if (actionOf(frame) == action)
                ++count;
        }
        return count;
    }

    static void sendLines(TestAgent &agent, const QString &sessionId, const QStringList &lines)
    {
        agent.sendFrame(u"log"_s,
                        {{"sessionId"_L1, sessionId}, {"lines"_L1, QJsonArray::fromStringList(lines)}});
    }

    static QJsonObject waitForLines(JsonSocket &viewer, const QString &firstLine, int timeoutMs = 5000)
    {
        return viewer.waitFor(
            [&](const QJsonObject &m) {
                return m.value("type"_L1) == "log"_L1 &&
                       m.value("lines"_L1).toArray().first().toString() == firstLine;
            },
            timeoutMs);
    }

    static QStringList linesOf(const JsonSocket &viewer)
    {
        QStringList lines;
        for (const QJsonObject &message : viewer.ofType(u"log"_s)) {
            for (const QJsonValue &line : message.value("lines"_L1).toArray())
                lines.append(line.toString());
        }
        return lines;
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        // A small queue limit, so that a stalled viewer is found out after a few MiB, not dozens.
        m_server->settings().limits.slowClientMaxMessages = 64;
        m_server->settings().limits.slowClientMaxBytes = 512 * 1024;
        QVERIFY(m_server->start());
        m_agent = m_server->createAgent(u"agent-1"_s, u"acme"_s);
        m_otherAgent = m_server->createAgent(u"agent-2"_s, u"acme"_s);
        createSession(kSession, m_agent.agentId);
    }
    void cleanup() { m_server.reset(); }

    void twoViewersShareOneStream()
    {
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        JsonSocket first;
        QVERIFY(first.open(logsUrl(kSession, aliceToken(), u"tailLines=5"_s)));
        const QJsonObject command =
            agent->waitFor([](const QJsonObject &m) { return actionOf(m) == "stream_logs"_L1; });
        QVERIFY(!command.isEmpty());
        QCOMPARE(commandPayloadOf(command).value("sessionId"_L1).toString(), kSession);
        QCOMPARE(commandPayloadOf(command).value("tailLines"_L1).toInt(), 5);

        JsonSocket second; // an operator of the org may watch too
        QVERIFY(second.open(logsUrl(kSession, m_server->token(u"olga"_s, u"acme"_s, Role::Operator))));
        QTRY_COMPARE(relay()->viewerCount(kSession), 2);

        sendLines(*agent, kSession, {u"line 1"_s, u"line 2"_s});
        const QJsonObject expected{{"type"_L1, u"log"_s},
                                   {"sessionId"_L1, kSession},
                                   {"lines"_L1, QJsonArray{u"line 1"_s, u"line 2"_s}}};
        QCOMPARE(waitForLines(first, u"line 1"_s), expected);
        QCOMPARE(waitForLines(second, u"line 1"_s), expected);

        sendLines(*agent, kSession, {u"line 3"_s});
        QVERIFY(!waitForLines(first, u"line 3"_s).isEmpty());
        QVERIFY(!waitForLines(second, u"line 3"_s).isEmpty());
        QCOMPARE(countAction(*agent, u"stream_logs"_s), 1); // shared, not one per viewer
        QCOMPARE(relay()->streamCount(), 1);
        QCOMPARE(first.badFrames() + second.badFrames(), 0);
    }

    void lastViewerLeavingStopsTheStream()
    {
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        JsonSocket first;
        QVERIFY(first.open(logsUrl(kSession, aliceToken())));
        JsonSocket second;
        QVERIFY(second.open(logsUrl(kSession, aliceToken())));
        QTRY_COMPARE(relay()->viewerCount(kSession), 2);
        QTRY_COMPARE(countAction(*agent, u"stream_logs"_s), 1);

        second.close();
        QTRY_COMPARE(relay()->viewerCount(kSession), 1);
        sendLines(*agent, kSession, {u"still streaming"_s});
        QVERIFY(!waitForLines(first, u"still streaming"_s).isEmpty());
        QCOMPARE(countAction(*agent, u"stop_logs"_s), 0);

        first.close();
        const QJsonObject stop =
            agent->waitFor([](const QJsonObject &m) { return actionOf(m) == "stop_logs"_L1; });
        QVERIFY2(!stop.isEmpty(), "the agent never got stop_logs");
        QCOMPARE(commandPayloadOf(stop).value("sessionId"_L1).toString(), kSession);
        QCOMPARE(relay()->streamCount(), 0);

        // Lines still in flight after stop_logs reach nobody.
        const quint64 dropped = relay()->droppedFrames();
        sendLines(*agent, kSession, {u"late"_s});
        QTRY_COMPARE(relay()->droppedFrames(), dropped + 1);

        // A new viewer starts a new stream.
        JsonSocket third;
        QVERIFY(third.open(logsUrl(kSession, aliceToken())));
        QTRY_COMPARE(countAction(*agent, u"stream_logs"_s), 2);
    }

    void agentDisconnectEndsTheStreams()
    {
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        JsonSocket first;
        QVERIFY(first.open(logsUrl(kSession, aliceToken())));
        JsonSocket second;
        QVERIFY(second.open(logsUrl(kSession, aliceToken())));
        QTRY_COMPARE(relay()->viewerCount(kSession), 2);
        QTRY_COMPARE(countAction(*agent, u"stream_logs"_s), 1);

        agent->close();
        for (JsonSocket *viewer : {&first, &second}) {
            const QJsonObject end = viewer->waitForType(u"log_end"_s);
            QCOMPARE(end.value("sessionId"_L1).toString(), kSession);
            QCOMPARE(end.value("reason"_L1).toString(), u"agent_disconnected"_s);
            QVERIFY(end.value("message"_L1).toString().contains(u"agent-1"_s));
            QVERIFY(viewer->waitForDisconnect());
            QCOMPARE(viewer->closeCode(), int(QWebSocketProtocol::CloseCodeNormal));
        }
        QCOMPARE(relay()->streamCount(), 0);
    }

    void slowViewerIsDroppedOthersContinue()
    {
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        JsonSocket good;
        QVERIFY(good.open(logsUrl(kSession, aliceToken(), u"tailLines=0"_s)));
        QTRY_COMPARE(countAction(*agent, u"stream_logs"_s), 1);
        StalledViewer stalled;
        QVERIFY(stalled.open(m_server->server()->serverPort(),
                             "/api/v1/ws/logs/" + kSession.toUtf8() + "?token=" + aliceToken().toUtf8()));
        QTRY_COMPARE(relay()->viewerCount(kSession), 2);

        QSignalSpy dropped(m_server->server()->hub(), &Hub::slowClientDropped);
        // 100 KB per agent frame (two viewer messages, well under the limits); each waits until the
        // good viewer has it, so only the stalled one falls behind. Loopback buffers hold a few MiB
        // before the server's queue grows.
        const QString filler(990, u'x');
        int frame = 0;
        for (; frame < 1000 && dropped.isEmpty(); ++frame) {
            QStringList lines;
            for (int i = 0; i < 100; ++i)
                lines.append(u"frame %1 line %2 "_s.arg(frame).arg(i) + filler);
            sendLines(*agent, kSession, lines);
            QVERIFY2(!waitForLines(good, lines.first(), 10000).isEmpty(), "the good viewer fell behind");
        }
        QVERIFY2(!dropped.isEmpty(), "the stalled viewer was never dropped");
        QTRY_COMPARE(relay()->viewerCount(kSession), 1);

        // The agent and the other viewer carry on; the stream was not stopped.
        QVERIFY(agent->isConnected());
        QCOMPARE(countAction(*agent, u"stop_logs"_s), 0);
        sendLines(*agent, kSession, {u"after the drop"_s});
        QVERIFY(!waitForLines(good, u"after the drop"_s).isEmpty());
        QVERIFY(good.isConnected());
        QCOMPARE(good.badFrames(), 0);
        // Every line arrived, in order, split into bounded messages.
        QCOMPARE(linesOf(good).size(), frame * 100 + 1);
        for (const QJsonObject &message : good.ofType(u"log"_s))
            QVERIFY(message.value("lines"_L1).toArray().size() <= protocol::logs::kMaxLinesPerMessage);
    }

    void linesOfAnotherAgentAreDropped()
    {
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        auto intruder = connectAgent(m_otherAgent);
        QVERIFY(intruder);
        JsonSocket viewer;
        QVERIFY(viewer.open(logsUrl(kSession, aliceToken())));
        QTRY_COMPARE(countAction(*agent, u"stream_logs"_s), 1);

        const quint64 dropped = relay()->droppedFrames();
        sendLines(*intruder, kSession, {u"forged"_s});
        QTRY_COMPARE(relay()->droppedFrames(), dropped + 1);
        sendLines(*agent, kSession, {u"genuine"_s});
        QVERIFY(!waitForLines(viewer, u"genuine"_s).isEmpty());
        QCOMPARE(linesOf(viewer), QStringList{u"genuine"_s});
        QVERIFY(intruder->isConnected()); // dropped quietly: lines racing a stop_logs are normal
    }

    void redeliveredStreamForNobodyIsStopped()
    {
        // The agent never acknowledges stream_logs, then goes away: the ledger sends the command
        // again on its next connection, and the stream it starts has no viewer left.
        auto agent = std::make_unique<TestAgent>();
        QVERIFY(agent->connectTo(m_server->wsUrl(QString()), m_agent.agentId, m_agent.apiKey));
        agent->heartbeat();
        keepAlive(agent.get());
        QTRY_VERIFY(m_server->server()->agentHub()->isAgentConnected(m_agent.agentId));
        JsonSocket viewer;
        QVERIFY(viewer.open(logsUrl(kSession, aliceToken())));
        const QJsonObject first =
            agent->waitFor([](const QJsonObject &m) { return actionOf(m) == "stream_logs"_L1; });
        QVERIFY(!first.isEmpty());
        agent->close();
        QCOMPARE(viewer.waitForType(u"log_end"_s).value("reason"_L1).toString(), u"agent_disconnected"_s);
        QTRY_VERIFY(!m_server->server()->agentHub()->isAgentConnected(m_agent.agentId));

        agent = std::make_unique<TestAgent>();
        QVERIFY(agent->connectTo(m_server->wsUrl(QString()), m_agent.agentId, m_agent.apiKey));
        agent->heartbeat();
        keepAlive(agent.get());
        const QJsonObject again =
            agent->waitFor([](const QJsonObject &m) { return actionOf(m) == "stream_logs"_L1; });
        QCOMPARE(commandIdOf(again), commandIdOf(first));
        agent->sendFrame(u"ack"_s, {{"commandId"_L1, commandIdOf(again)}});
        sendLines(*agent, kSession, {u"for nobody"_s});
        sendLines(*agent, kSession, {u"still for nobody"_s});
        const QJsonObject stop =
            agent->waitFor([](const QJsonObject &m) { return actionOf(m) == "stop_logs"_L1; });
        QVERIFY2(!stop.isEmpty(), "the orphaned stream was never stopped");
        QCOMPARE(commandPayloadOf(stop).value("sessionId"_L1).toString(), kSession);
        QTest::qWait(200);
        QCOMPARE(countAction(*agent, u"stop_logs"_s), 1); // once, not per stray frame
    }

    void streamEnds_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<QString>("reason");
        QTest::newRow("agent refuses stream_logs") << u"failed"_s << u"stream_failed"_s;
        QTest::newRow("agent reports the session terminated") << u"status"_s << u"session_ended"_s;
    }
    void streamEnds()
    {
        QFETCH(QString, how);
        QFETCH(QString, reason);
        TestAgent agent;
        QVERIFY(agent.connectTo(m_server->wsUrl(QString()), m_agent.agentId, m_agent.apiKey));
        agent.heartbeat();
        keepAlive(&agent);
        QTRY_VERIFY(m_server->server()->agentHub()->isAgentConnected(m_agent.agentId));
        JsonSocket viewer;
        QVERIFY(viewer.open(logsUrl(kSession, aliceToken())));
        const QJsonObject command =
            agent.waitFor([](const QJsonObject &m) { return actionOf(m) == "stream_logs"_L1; });
        QVERIFY(!command.isEmpty());
        agent.sendFrame(u"ack"_s, {{"commandId"_L1, commandIdOf(command)}});
        if (how == "failed"_L1) {
            agent.sendFrame(u"failed"_s, {{"commandId"_L1, commandIdOf(command)},
                                          {"error"_L1, u"unknown session alice-firefox-1"_s}});
        } else {
            agent.sendFrame(u"status"_s, {{"sessionId"_L1, kSession}, {"state"_L1, u"terminated"_s}});
        }
        const QJsonObject end = viewer.waitForType(u"log_end"_s);
        QCOMPARE(end.value("reason"_L1).toString(), reason);
        if (how == "failed"_L1)
            QVERIFY(end.value("message"_L1).toString().contains(u"unknown session alice-firefox-1"_s));
        QVERIFY(viewer.waitForDisconnect());
        QCOMPARE(viewer.closeCode(), int(QWebSocketProtocol::CloseCodeNormal));
        QCOMPARE(relay()->streamCount(), 0);
        QTest::qWait(200);
        QCOMPARE(countAction(agent, u"stop_logs"_s), 0); // the stream is already over on the agent
    }

    void unavailableStreams_data()
    {
        QTest::addColumn<QString>("sessionAgent");
        QTest::addColumn<int>("state");
        QTest::addColumn<QString>("reason");
        QTest::newRow("agent not connected")
            << u"agent-2"_s << int(protocol::SessionState::Running) << u"agent_unavailable"_s;
        QTest::newRow("session terminated")
            << u"agent-1"_s << int(protocol::SessionState::Terminated) << u"session_ended"_s;
        QTest::newRow("session failed")
            << u"agent-1"_s << int(protocol::SessionState::Failed) << u"session_ended"_s;
    }
    void unavailableStreams()
    {
        QFETCH(QString, sessionAgent);
        QFETCH(int, state);
        QFETCH(QString, reason);
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        createSession(u"s-2"_s, sessionAgent, protocol::SessionState(state));
        JsonSocket viewer;
        QVERIFY(viewer.open(logsUrl(u"s-2"_s, aliceToken())));
        const QJsonObject end = viewer.waitForType(u"log_end"_s);
        QCOMPARE(end.value("sessionId"_L1).toString(), u"s-2"_s);
        QCOMPARE(end.value("reason"_L1).toString(), reason);
        QVERIFY(!end.value("message"_L1).toString().isEmpty());
        QVERIFY(viewer.waitForDisconnect());
        QCOMPARE(viewer.closeCode(), int(QWebSocketProtocol::CloseCodeNormal));
        QCOMPARE(countAction(*agent, u"stream_logs"_s), 0);
        QCOMPARE(relay()->streamCount(), 0);
    }

    void tooManyViewers()
    {
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        const int limit = LogRelay::Config{}.maxViewersPerSession;
        std::vector<std::unique_ptr<JsonSocket>> viewers;
        for (int i = 0; i < limit; ++i) {
            viewers.push_back(std::make_unique<JsonSocket>());
            QVERIFY(viewers.back()->open(logsUrl(kSession, aliceToken())));
        }
        QTRY_COMPARE(relay()->viewerCount(kSession), limit);
        JsonSocket oneTooMany;
        QVERIFY(oneTooMany.open(logsUrl(kSession, aliceToken())));
        QCOMPARE(oneTooMany.waitForType(u"log_end"_s).value("reason"_L1).toString(), u"too_many_viewers"_s);
        QVERIFY(oneTooMany.waitForDisconnect());
        QCOMPARE(relay()->viewerCount(kSession), limit);
        QCOMPARE(countAction(*agent, u"stream_logs"_s), 1);
    }

    void viewerMayOnlyPing()
    {
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        JsonSocket viewer;
        QVERIFY(viewer.open(logsUrl(kSession, aliceToken())));
        viewer.send({{"type"_L1, u"ping"_s}, {"requestId"_L1, u"p1"_s}});
        const QJsonObject pong = viewer.waitForType(u"pong"_s);
        QCOMPARE(pong.value("requestId"_L1).toString(), u"p1"_s);
        viewer.send({{"type"_L1, u"subscribe"_s}, {"requestId"_L1, u"s1"_s}, {"userId"_L1, u"alice"_s}});
        const QJsonObject error = viewer.waitForType(u"error"_s);
        QCOMPARE(error.value("code"_L1).toString(), u"forbidden"_s);
        QCOMPARE(error.value("requestId"_L1).toString(), u"s1"_s);
        viewer.sendRaw(u"not json"_s);
        QCOMPARE(viewer.waitFor([](const QJsonObject &m) { return m.value("code"_L1) == "invalid_json"_L1; })
                     .value("type"_L1)
                     .toString(),
                 u"error"_s);
        QVERIFY(viewer.isConnected());
    }

    void upgradeIsAuthorised_data()
    {
        QTest::addColumn<QString>("target"); // after /api/v1/ws/logs/
        QTest::addColumn<QString>("userId"); // empty = no token
        QTest::addColumn<QString>("orgId");
        QTest::addColumn<int>("role");
        QTest::addColumn<int>("status");
        const int user = int(Role::User);
        QTest::newRow("no token") << kSession << QString() << QString() << user << 401;
        QTest::newRow("owner") << kSession << u"alice"_s << u"acme"_s << user << 101;
        QTest::newRow("operator of the org")
            << kSession << u"olga"_s << u"acme"_s << int(Role::Operator) << 101;
        QTest::newRow("admin of the org") << kSession << u"root"_s << u"acme"_s << int(Role::Admin) << 101;
        QTest::newRow("another user") << kSession << u"bob"_s << u"acme"_s << user << 403;
        QTest::newRow("another org") << kSession << u"alice"_s << u"other"_s << user << 404;
        QTest::newRow("operator of another org")
            << kSession << u"op"_s << u"other"_s << int(Role::Operator) << 404;
        QTest::newRow("admin of another org") << kSession << u"root"_s << u"ops"_s << int(Role::Admin) << 101;
        QTest::newRow("service") << kSession << u"api"_s << u"acme"_s << int(Role::Service) << 403;
        QTest::newRow("unknown session") << u"nope"_s << u"alice"_s << u"acme"_s << user << 404;
        QTest::newRow("no session id") << QString() << u"alice"_s << u"acme"_s << user << 404;
        QTest::newRow("encoded slash") << u"a%2Fb"_s << u"alice"_s << u"acme"_s << user << 404;
        QTest::newRow("bad tailLines")
            << kSession + u"?tailLines=lots"_s << u"alice"_s << u"acme"_s << user << 400;
        QTest::newRow("tailLines too big")
            << kSession + u"?tailLines=5000"_s << u"alice"_s << u"acme"_s << user << 400;
    }
    void upgradeIsAuthorised()
    {
        QFETCH(QString, target);
        QFETCH(QString, userId);
        QFETCH(QString, orgId);
        QFETCH(int, role);
        QFETCH(int, status);
        auto agent = connectAgent(m_agent);
        QVERIFY(agent);
        QList<QByteArray> headers;
        if (!userId.isEmpty())
            headers.append("Authorization: Bearer " + m_server->token(userId, orgId, Role(role)).toUtf8());
        const RawHttpResponse response = rawHttp(
            m_server->server()->serverPort(), upgradeRequest("/api/v1/ws/logs/" + target.toUtf8(), headers));
        QCOMPARE(response.status, status);
        if (status != 101) {
            QVERIFY2(response.body.contains("\"error\""), response.body.constData());
            QCOMPARE(countAction(*agent, u"stream_logs"_s), 0);
        }
    }

    void realAgentStreamsToAViewer()
    {
        QProcess simulator;
        simulator.setProcessChannelMode(QProcess::ForwardedChannels);
        simulator.start(QStringLiteral(SWITCHBOARD_AGENT_BINARY),
                        {u"--server"_s, u"http://127.0.0.1:%1"_s.arg(m_server->server()->serverPort()),
                         u"--agent-id"_s, m_agent.agentId, u"--api-key"_s,
                         QString::fromLatin1(m_agent.apiKey), u"--heartbeat-interval"_s, u"0.5"_s,
                         u"--start-delay"_s, u"0.1"_s, u"--log-interval"_s, u"0.1"_s, u"--quiet"_s});
        QVERIFY(simulator.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(m_server->server()->agentHub()->isAgentConnected(m_agent.agentId), 15000);

        // A session the simulator really runs: started through the admin stream.
        JsonSocket admin;
        QVERIFY(admin.open(
            m_server->wsUrl(u"/api/v1/ws/admin"_s, m_server->token(u"root"_s, u"acme"_s, Role::Admin))));
        QVERIFY(!admin.waitForType(u"snapshot"_s).isEmpty());
        admin.send({{"type"_L1, u"session.start"_s},
                    {"requestId"_L1, u"r1"_s},
                    {"orgId"_L1, u"acme"_s},
                    {"userId"_L1, u"alice"_s},
                    {"template"_L1, u"firefox"_s},
                    {"agentId"_L1, m_agent.agentId}});
        const QJsonObject reply =
            admin.waitFor([](const QJsonObject &m) { return m.value("requestId"_L1) == "r1"_L1; });
        QCOMPARE(reply.value("type"_L1).toString(), u"reply"_s);
        const QString sessionId = reply.value("result"_L1)
                                      .toObject()
                                      .value("session"_L1)
                                      .toObject()
                                      .value("sessionId"_L1)
                                      .toString();
        QVERIFY(!sessionId.isEmpty());
        const auto running = [&] {
            const auto session = m_server->server()->store()->getSession(sessionId).result();
            return session && session.value().state == protocol::SessionState::Running;
        };
        QTRY_VERIFY_WITH_TIMEOUT(running(), 15000);

        JsonSocket viewer;
        QVERIFY(viewer.open(logsUrl(sessionId, aliceToken(), u"tailLines=5"_s)));
        // The tail first (5 lines in one message), then one synthetic line every 0.1 s.
        const QJsonObject tail = viewer.waitForType(u"log"_s, 15000);
        QCOMPARE(tail.value("sessionId"_L1).toString(), sessionId);
        QCOMPARE(tail.value("lines"_L1).toArray().size(), 5);
        QTRY_VERIFY_WITH_TIMEOUT(linesOf(viewer).size() >= 7, 15000);
        QCOMPARE(viewer.badFrames(), 0);

        // Leaving stops the agent's stream: its stop_logs completes.
        viewer.close();
        const QJsonObject stopped = admin.waitFor(
            [](const QJsonObject &m) {
                const QJsonObject command = m.value("command"_L1).toObject();
                return m.value("type"_L1) == "command.updated"_L1 &&
                       command.value("action"_L1) == "stop_logs"_L1 &&
                       command.value("status"_L1) == "completed"_L1;
            },
            15000);
        QVERIFY2(!stopped.isEmpty(), "the simulator never completed stop_logs");
        QCOMPARE(stopped.value("command"_L1).toObject().value("sessionId"_L1).toString(), sessionId);

        simulator.terminate();
        QVERIFY(simulator.waitForFinished(5000));
        QCOMPARE(simulator.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestLogRelay)
#include "tst_logrelay.moc"
