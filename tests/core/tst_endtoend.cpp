// The whole loop with the real agent simulator process: an admin starts a session, the server
// picks the agent, the agent starts it, and a browser of the org sees session.state.changed and
// the session in sessions_update; a browser of another org sees none of it.
#include "TestClients.h"
#include "TestServer.h"

#include "core/AgentHub.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

class TestEndToEnd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sessionStartReachesBrowser()
    {
        TestServer server;
        QVERIFY(server.start());
        const CreatedAgent agent = server.createAgent(u"sim-1"_s, u"acme"_s);

        QProcess simulator;
        simulator.setProcessChannelMode(QProcess::ForwardedChannels);
        simulator.start(QStringLiteral(SWITCHBOARD_AGENT_BINARY),
                        {u"--server"_s, u"http://127.0.0.1:%1"_s.arg(server.server()->serverPort()),
                         u"--agent-id"_s, agent.agentId, u"--api-key"_s, QString::fromLatin1(agent.apiKey),
                         u"--heartbeat-interval"_s, u"0.5"_s, u"--start-delay"_s, u"0.1"_s, u"--quiet"_s});
        QVERIFY(simulator.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(server.server()->agentHub()->isAgentConnected(u"sim-1"_s), 10000);

        JsonSocket browser;
        QVERIFY(browser.open(
            server.wsUrl(u"/api/v1/ws/sessions"_s, server.token(u"alice"_s, u"acme"_s, Role::User))));
        JsonSocket stranger;
        QVERIFY(stranger.open(
            server.wsUrl(u"/api/v1/ws/sessions"_s, server.token(u"alice"_s, u"other"_s, Role::Operator))));
        JsonSocket admin;
        QVERIFY(
            admin.open(server.wsUrl(u"/api/v1/ws/admin"_s, server.token(u"root"_s, u"ops"_s, Role::Admin))));
        QVERIFY(!admin.waitForType(u"snapshot"_s).isEmpty());

        admin.send({{"type"_L1, u"session.start"_s},
                    {"requestId"_L1, u"r1"_s},
                    {"orgId"_L1, u"acme"_s},
                    {"userId"_L1, u"alice"_s},
                    {"template"_L1, u"firefox"_s}});
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

        const QJsonObject running = browser.waitFor(
            [&](const QJsonObject &m) {
                return m.value("type"_L1) == "session.state.changed"_L1 &&
                       m.value("sessionId"_L1) == sessionId &&
                       m.value("data"_L1).toObject().value("newState"_L1) == "running"_L1;
            },
            10000);
        QVERIFY2(!running.isEmpty(), "the browser never saw the session running");
        QCOMPARE(running.value("userId"_L1).toString(), u"alice"_s);
        QVERIFY(!running.contains("orgId"_L1)); // the SessionEvent of the original, exactly

        const QJsonObject update = browser.waitFor(
            [&](const QJsonObject &m) {
                if (m.value("type"_L1) != "sessions_update"_L1)
                    return false;
                for (const QJsonValue &session : m.value("sessions"_L1).toArray()) {
                    if (session.toObject().value("name"_L1) == sessionId &&
                        session.toObject().value("state"_L1) == "running"_L1)
                        return true;
                }
                return false;
            },
            10000);
        QVERIFY2(!update.isEmpty(), "sessions_update never listed the running session");
        QCOMPARE(update.value("org_id"_L1).toString(), u"acme"_s);
        const QJsonObject listed = update.value("sessions"_L1).toArray().first().toObject();
        QCOMPARE(listed.value("agent_id"_L1).toString(), u"sim-1"_s);
        QCOMPARE(listed.value("status"_L1).toObject().value("phase"_L1).toString(), u"Running"_s);

        // The admin saw the command complete.
        QVERIFY(!admin
                     .waitFor([](const QJsonObject &m) {
                         return m.value("type"_L1) == "command.updated"_L1 &&
                                m.value("command"_L1).toObject().value("status"_L1) == "completed"_L1;
                     })
                     .isEmpty());

        // The other org saw nothing of it.
        QTest::qWait(500);
        for (const QJsonObject &message : stranger.received()) {
            QVERIFY2(!QJsonDocument(message).toJson().contains(sessionId.toUtf8()),
                     "another org saw the session");
            if (message.value("type"_L1) == "sessions_update"_L1)
                QCOMPARE(message.value("org_id"_L1).toString(), u"other"_s);
        }

        simulator.terminate();
        QVERIFY(simulator.waitForFinished(5000));
    }
};

QTEST_GUILESS_MAIN(TestEndToEnd)
#include "tst_endtoend.moc"
