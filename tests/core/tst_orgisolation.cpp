// Tenancy end to end: two orgs with the same user names; every kind of traffic (sessions_update,
// session events, org.broadcast, published events) reaches only the org it belongs to, and a
// `user` sees only their own sessions.
#include "TestClients.h"
#include "TestServer.h"

#include "core/AgentHub.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

// Acks and completes every command it gets, like a healthy agent.
void autoComplete(TestAgent &agent)
{
    QObject::connect(&agent, &JsonSocket::messageReceived, &agent, [&agent](const QJsonObject &frame) {
        if (frame.value("type"_L1) != "command"_L1)
            return;
        const QJsonObject command = frame.value("payload"_L1).toObject();
        const QString commandId = command.value("commandId"_L1).toString();
        agent.sendFrame(u"ack"_s, {{"commandId"_L1, commandId}});
        const QString sessionId = command.value("payload"_L1).toObject().value("sessionId"_L1).toString();
        agent.sendFrame(u"complete"_s,
                        {{"commandId"_L1, commandId},
                         {"result"_L1, QJsonObject{{"sessionId"_L1, sessionId},
                                                   {"state"_L1, u"running"_s},
                                                   {"podName"_L1, QString(u"pod-"_s + sessionId)}}}});
    });
}

QStringList sessionNames(const QJsonObject &update)
{
    QStringList names;
    for (const QJsonValue &session : update.value("sessions"_L1).toArray())
        names << session.toObject().value("name"_L1).toString();
    return names;
}

} // namespace

class TestOrgIsolation : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<TestAgent> m_acmeAgent;
    std::unique_ptr<TestAgent> m_globexAgent;
    std::unique_ptr<JsonSocket> m_admin;

    QString startSession(const QString &org, const QString &user)
    {
        static int requestNumber = 0;
        const QString requestId = u"req-%1"_s.arg(++requestNumber);
        return startSessionOnAdmin(*m_admin, org, user, requestId, 5000);
    }

    std::unique_ptr<JsonSocket> client(const QString &user, const QString &org, Role role,
                                       const QString &path = u"/api/v1/ws/sessions"_s)
    {
        auto socket = std::make_unique<JsonSocket>();
        if (!socket->open(m_server->wsUrl(path, m_server->token(user, org, role))))
            return {};
        return socket;
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY(m_server->start());
        const CreatedAgent acme = m_server->createAgent(u"acme-agent"_s, u"acme"_s);
        const CreatedAgent globex = m_server->createAgent(u"globex-agent"_s, u"globex"_s);
        m_acmeAgent = std::make_unique<TestAgent>();
        m_globexAgent = std::make_unique<TestAgent>();
        QVERIFY(m_acmeAgent->connectTo(m_server->wsUrl({}), acme.agentId, acme.apiKey));
        QVERIFY(m_globexAgent->connectTo(m_server->wsUrl({}), globex.agentId, globex.apiKey));
        autoComplete(*m_acmeAgent);
        autoComplete(*m_globexAgent);
        m_acmeAgent->heartbeat();
        m_globexAgent->heartbeat();
        QTRY_VERIFY(m_server->server()->agentHub()->isAgentConnected(u"globex-agent"_s));
        m_admin = client(u"root"_s, u"ops"_s, Role::Admin, u"/api/v1/ws/admin"_s);
        QVERIFY(m_admin);
        QVERIFY(!m_admin->waitForType(u"snapshot"_s).isEmpty());
    }
    void cleanup()
    {
        m_admin.reset();
        m_acmeAgent.reset();
        m_globexAgent.reset();
        m_server.reset();
    }

    void sessionsAndEventsStayInTheirOrg()
    {
        auto acmeAlice = client(u"alice"_s, u"acme"_s, Role::User);
        auto acmeOperator = client(u"olga"_s, u"acme"_s, Role::Operator);
        auto globexAlice = client(u"alice"_s, u"globex"_s, Role::User);
        QVERIFY(acmeAlice && acmeOperator && globexAlice);

        const QString acmeSession = startSession(u"acme"_s, u"alice"_s);
        const QString acmeBobSession = startSession(u"acme"_s, u"bob"_s);
        const QString globexSession = startSession(u"globex"_s, u"alice"_s);
        QVERIFY(!acmeSession.isEmpty() && !acmeBobSession.isEmpty() && !globexSession.isEmpty());

        auto runningSeen = [](JsonSocket &socket, const QString &sessionId) {
            return !socket
                        .waitFor([&](const QJsonObject &m) {
                            return m.value("type"_L1) == "session.state.changed"_L1 &&
                                   m.value("sessionId"_L1) == sessionId &&
                                   m.value("data"_L1).toObject().value("newState"_L1) == "running"_L1;
                        })
                        .isEmpty();
        };
        QVERIFY(runningSeen(*acmeAlice, acmeSession));
        QVERIFY(runningSeen(*globexAlice, globexSession));

        // sessions_update: a user sees only their own sessions of their own org; an operator the org.
        auto latestUpdateWith = [](JsonSocket &socket, const QString &sessionId) {
            return socket.waitFor([&](const QJsonObject &m) {
                return m.value("type"_L1) == "sessions_update"_L1 && sessionNames(m).contains(sessionId);
            });
        };
        const QJsonObject aliceView = latestUpdateWith(*acmeAlice, acmeSession);
        QCOMPARE(sessionNames(aliceView), QStringList{acmeSession});
        const QJsonObject operatorView = latestUpdateWith(*acmeOperator, acmeBobSession);
        const QStringList operatorSessions = sessionNames(operatorView);
        QCOMPARE(QSet<QString>(operatorSessions.cbegin(), operatorSessions.cend()),
                 (QSet<QString>{acmeSession, acmeBobSession}));
        QCOMPARE(sessionNames(latestUpdateWith(*globexAlice, globexSession)), QStringList{globexSession});

        QTest::qWait(600); // a few more broadcast rounds
        auto mentions = [](const JsonSocket &socket, const QString &needle) {
            for (const QJsonObject &message : socket.received()) {
                if (QJsonDocument(message).toJson().contains(needle.toUtf8()))
                    return true;
            }
            return false;
        };
        QVERIFY(!mentions(*acmeAlice, globexSession));
        QVERIFY(!mentions(*acmeAlice, acmeBobSession)); // not hers, and she did not subscribe
        QVERIFY(!mentions(*acmeOperator, globexSession));
        QVERIFY(!mentions(*globexAlice, acmeSession));
        for (const QJsonObject &update : acmeAlice->ofType(u"sessions_update"_s))
            QCOMPARE(update.value("org_id"_L1).toString(), u"acme"_s);
    }

    void orgBroadcastStaysInItsOrg()
    {
        auto acmeAlice = client(u"alice"_s, u"acme"_s, Role::User);
        auto globexAlice = client(u"alice"_s, u"globex"_s, Role::User);
        QVERIFY(acmeAlice && globexAlice);
        m_admin->send({{"type"_L1, u"org.broadcast"_s},
                       {"requestId"_L1, u"b1"_s},
                       {"orgId"_L1, u"acme"_s},
                       {"data"_L1, QJsonObject{{"announcement"_L1, u"maintenance at noon"_s}}}});
        const QJsonObject received = acmeAlice->waitForType(u"org.broadcast"_s);
        QCOMPARE(received.value("data"_L1).toObject().value("announcement"_L1).toString(),
                 u"maintenance at noon"_s);
        const QJsonObject reply =
            m_admin->waitFor([](const QJsonObject &m) { return m.value("requestId"_L1) == "b1"_L1; });
        QCOMPARE(reply.value("result"_L1).toObject().value("delivered"_L1).toInt(), 1);
        QTest::qWait(300);
        QVERIFY(globexAlice->ofType(u"org.broadcast"_s).isEmpty());
    }

    void operatorCannotReachAnotherOrg()
    {
        auto acmeOperator = client(u"olga"_s, u"acme"_s, Role::Operator, u"/api/v1/ws/admin"_s);
        QVERIFY(acmeOperator);
        const QJsonObject snapshot = acmeOperator->waitForType(u"snapshot"_s);
        for (const QJsonValue &agent : snapshot.value("agents"_L1).toArray())
            QCOMPARE(agent.toObject().value("orgId"_L1).toString(), u"acme"_s);
        acmeOperator->send({{"type"_L1, u"org.broadcast"_s},
                            {"requestId"_L1, u"x1"_s},
                            {"orgId"_L1, u"globex"_s},
                            {"data"_L1, u"hello"_s}});
        QJsonObject reply =
            acmeOperator->waitFor([](const QJsonObject &m) { return m.value("requestId"_L1) == "x1"_L1; });
        QCOMPARE(reply.value("type"_L1).toString(), u"error"_s);
        QCOMPARE(reply.value("code"_L1).toString(), u"forbidden"_s);
        acmeOperator->send({{"type"_L1, u"command.send"_s},
                            {"requestId"_L1, u"x2"_s},
                            {"agentId"_L1, u"globex-agent"_s},
                            {"action"_L1, u"stop_session"_s},
                            {"payload"_L1, QJsonObject{{"sessionId"_L1, u"s"_s}}}});
        reply =
            acmeOperator->waitFor([](const QJsonObject &m) { return m.value("requestId"_L1) == "x2"_L1; });
        QCOMPARE(reply.value("code"_L1).toString(), u"forbidden"_s);
        acmeOperator->send({{"type"_L1, u"session.start"_s},
                            {"requestId"_L1, u"x3"_s},
                            {"orgId"_L1, u"globex"_s},
                            {"userId"_L1, u"alice"_s},
                            {"template"_L1, u"firefox"_s}});
        reply =
            acmeOperator->waitFor([](const QJsonObject &m) { return m.value("requestId"_L1) == "x3"_L1; });
        QCOMPARE(reply.value("code"_L1).toString(), u"forbidden"_s);
        // Its own org works.
        acmeOperator->send({{"type"_L1, u"session.start"_s},
                            {"requestId"_L1, u"x4"_s},
                            {"orgId"_L1, u"acme"_s},
                            {"userId"_L1, u"alice"_s},
                            {"template"_L1, u"firefox"_s}});
        reply =
            acmeOperator->waitFor([](const QJsonObject &m) { return m.value("requestId"_L1) == "x4"_L1; });
        QCOMPARE(reply.value("type"_L1).toString(), u"reply"_s);
        // agents.broadcast from an operator reaches its own org's agents only.
        acmeOperator->send(
            {{"type"_L1, u"agents.broadcast"_s}, {"requestId"_L1, u"x5"_s}, {"message"_L1, u"drain soon"_s}});
        reply =
            acmeOperator->waitFor([](const QJsonObject &m) { return m.value("requestId"_L1) == "x5"_L1; });
        QCOMPARE(reply.value("result"_L1).toObject().value("delivered"_L1).toInt(), 1);
        QVERIFY(!m_acmeAgent->waitForType(u"notice"_s).isEmpty());
        // Admin deltas of another org never reach it.
        QTest::qWait(300);
        QVERIFY(m_globexAgent->ofType(u"notice"_s).isEmpty());
        for (const QJsonObject &message : acmeOperator->received()) {
            if (message.value("type"_L1) == "agent.updated"_L1)
                QCOMPARE(message.value("agent"_L1).toObject().value("orgId"_L1).toString(), u"acme"_s);
            if (message.value("type"_L1).toString().startsWith("session."_L1))
                QCOMPARE(message.value("orgId"_L1).toString(), u"acme"_s);
        }
    }

    void publishedEventsReachOnlyTheirOrg()
    {
        auto acmeAlice = client(u"alice"_s, u"acme"_s, Role::User);
        auto globexAlice = client(u"alice"_s, u"globex"_s, Role::User);
        QVERIFY(acmeAlice && globexAlice);
        const QByteArray token = m_server->token(u"backend"_s, u"acme"_s, Role::Service).toUtf8();
        const QByteArray body =
            R"({"type":"session.idle","sessionId":"ext-1","userId":"alice","data":{"idleDuration":300}})";
        QCOMPARE(rawHttp(m_server->server()->serverPort(),
                         httpRequest("POST", "/api/v1/events", body, {"Authorization: Bearer " + token}))
                     .status,
                 202);
        const QJsonObject event = acmeAlice->waitForType(u"session.idle"_s);
        QCOMPARE(event.value("sessionId"_L1).toString(), u"ext-1"_s);
        QCOMPARE(event.value("data"_L1).toObject().value("idleDuration"_L1).toInt(), 300);
        QTest::qWait(300);
        QVERIFY(globexAlice->ofType(u"session.idle"_s).isEmpty());
        QCOMPARE(acmeAlice->ofType(u"session.idle"_s).size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestOrgIsolation)
#include "tst_orgisolation.moc"
