// The front door end to end: every HTTP status an agent or browser can get before the upgrade,
// agent registration (own key, bootstrap key), event publishing and health endpoints.
#include "TestClients.h"
#include "TestServer.h"

#include "core/AgentHub.h"
#include "storage/Store.h"

#include <QJsonDocument>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

class TestGateway : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;
    CreatedAgent m_agent;
    CreatedAgent m_pending;
    CreatedAgent m_rejected;

    quint16 port() const { return m_server->server()->serverPort(); }
    static QJsonObject json(const QByteArray &body) { return QJsonDocument::fromJson(body).object(); }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY(m_server->start());
        m_agent = m_server->createAgent(u"agent-ok"_s, u"acme"_s);
        m_pending = m_server->createAgent(u"agent-pending"_s, u"acme"_s, protocol::ApprovalStatus::Pending);
        m_rejected =
            m_server->createAgent(u"agent-rejected"_s, u"acme"_s, protocol::ApprovalStatus::Rejected);
    }
    void cleanup() { m_server.reset(); }

    void agentConnect_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QString>("key"); // "ok", "pending", "rejected", "wrong", "malformed", "none"
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        QTest::newRow("accepted") << QByteArray("/api/v1/agents/connect?agent_id=agent-ok") << u"ok"_s << 101
                                  << QString();
        QTest::newRow("missing agent_id")
            << QByteArray("/api/v1/agents/connect") << u"ok"_s << 400 << u"Missing agent_id"_s;
        QTest::newRow("missing key") << QByteArray("/api/v1/agents/connect?agent_id=agent-ok") << u"none"_s
                                     << 401 << u"Missing API key"_s;
        QTest::newRow("malformed key") << QByteArray("/api/v1/agents/connect?agent_id=agent-ok")
                                       << u"malformed"_s << 401 << u"Invalid API key format"_s;
        QTest::newRow("wrong key") << QByteArray("/api/v1/agents/connect?agent_id=agent-ok") << u"wrong"_s
                                   << 403 << u"Invalid API key"_s;
        QTest::newRow("another agent's key") << QByteArray("/api/v1/agents/connect?agent_id=agent-ok")
                                             << u"pending"_s << 403 << u"Invalid API key"_s;
        QTest::newRow("pending agent") << QByteArray("/api/v1/agents/connect?agent_id=agent-pending")
                                       << u"pending"_s << 403 << u"Agent not approved"_s;
        QTest::newRow("rejected agent") << QByteArray("/api/v1/agents/connect?agent_id=agent-rejected")
                                        << u"rejected"_s << 403 << u"Agent not approved"_s;
        QTest::newRow("unknown agent")
            << QByteArray("/api/v1/agents/connect?agent_id=nobody") << u"ok"_s << 404 << u"Agent not found"_s;
        QTest::newRow("bootstrap key is no agent key")
            << QByteArray("/api/v1/agents/connect?agent_id=agent-ok") << u"bootstrap"_s << 401
            << u"Invalid API key format"_s;
    }
    void agentConnect()
    {
        QFETCH(QByteArray, target);
        QFETCH(QString, key);
        QFETCH(int, status);
        QFETCH(QString, error);
        QList<QByteArray> headers;
        if (key == "ok"_L1)
            headers << "X-Agent-API-Key: " + m_agent.apiKey;
        else if (key == "pending"_L1)
            headers << "X-Agent-API-Key: " + m_pending.apiKey;
        else if (key == "rejected"_L1)
            headers << "X-Agent-API-Key: " + m_rejected.apiKey;
        else if (key == "wrong"_L1)
            headers << "X-Agent-API-Key: " + QByteArray(64, 'a');
        else if (key == "malformed"_L1)
            headers << "X-Agent-API-Key: not-hex";
        else if (key == "bootstrap"_L1)
            headers << "X-Agent-API-Key: " + m_server->settings().bootstrapKey.toUtf8();
        const RawHttpResponse response = rawHttp(port(), upgradeRequest(target, headers));
        QCOMPARE(response.status, status);
        if (status != 101)
            QCOMPARE(json(response.body).value("error"_L1).toString(), error);
        else
            QTRY_VERIFY(m_server->server()->agentHub()->isAgentConnected(u"agent-ok"_s));
    }

    void browserEndpoints_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("role"); // "" = no token, "bad" = garbage, "expired"
        QTest::addColumn<int>("status");
        const QString sessions = u"/api/v1/ws/sessions"_s;
        const QString cluster = u"/api/v1/ws/cluster"_s;
        const QString admin = u"/api/v1/ws/admin"_s;
        QTest::newRow("sessions no token") << sessions << QString() << 401;
        QTest::newRow("sessions garbage token") << sessions << u"bad"_s << 401;
        QTest::newRow("sessions expired token") << sessions << u"expired"_s << 401;
        QTest::newRow("sessions user") << sessions << u"user"_s << 101;
        QTest::newRow("sessions service") << sessions << u"service"_s << 403;
        QTest::newRow("cluster user") << cluster << u"user"_s << 403;
        QTest::newRow("cluster operator") << cluster << u"operator"_s << 101;
        QTest::newRow("admin user") << admin << u"user"_s << 403;
        QTest::newRow("admin operator") << admin << u"operator"_s << 101;
        QTest::newRow("admin admin") << admin << u"admin"_s << 101;
        QTest::newRow("unknown path") << u"/api/v1/ws/nothing"_s << u"admin"_s << 404;
    }
    void browserEndpoints()
    {
        QFETCH(QString, path);
        QFETCH(QString, role);
        QFETCH(int, status);
        QByteArray target = path.toUtf8();
        if (role == "bad"_L1)
            target += "?token=abc.def.ghi";
        else if (role == "expired"_L1)
            target += "?token=" + m_server->token(u"u1"_s, u"acme"_s, Role::Admin, -3600).toUtf8();
        else if (!role.isEmpty())
            target += "?token=" + m_server->token(u"u1"_s, u"acme"_s, *roleFromName(role)).toUtf8();
        QCOMPARE(rawHttp(port(), upgradeRequest(target)).status, status);
    }

    void tokenSources()
    {
        const QByteArray token = m_server->token(u"u1"_s, u"acme"_s, Role::User).toUtf8();
        QCOMPARE(
            rawHttp(port(), upgradeRequest("/api/v1/ws/sessions", {"Authorization: Bearer " + token})).status,
            101);
        QCOMPARE(rawHttp(port(), upgradeRequest("/api/v1/ws/sessions",
                                                {"Cookie: a=b; streamspace_proxy_token=" + token}))
                     .status,
                 101);
    }

    void registerWithOwnKey()
    {
        const QByteArray body = R"({"agentId":"agent-ok","platform":"kubernetes","region":"eu-west-1",
            "capacity":{"maxSessions":50,"cpu":"64 cores","memory":"256Gi"},"metadata":{"kubernetes":true}})";
        RawHttpResponse response = rawHttp(port(), httpRequest("POST", "/api/v1/agents/register", body,
                                                               {"X-Agent-API-Key: " + m_agent.apiKey}));
        QCOMPARE(response.status, 200);
        QCOMPARE(json(response.body).value("approvalStatus"_L1).toString(), u"approved"_s);
        const auto stored = m_server->server()->store()->getAgent(u"agent-ok"_s).result();
        QVERIFY(stored);
        QCOMPARE(stored.value().region, u"eu-west-1"_s);
        QCOMPARE(stored.value().capacity.maxSessions, 50);

        const QByteArray pendingBody = R"({"agentId":"agent-pending","platform":"docker"})";
        response = rawHttp(port(), httpRequest("POST", "/api/v1/agents/register", pendingBody,
                                               {"X-Agent-API-Key: " + m_pending.apiKey}));
        QCOMPARE(response.status, 202);
        const QByteArray rejectedBody = R"({"agentId":"agent-rejected","platform":"docker"})";
        response = rawHttp(port(), httpRequest("POST", "/api/v1/agents/register", rejectedBody,
                                               {"X-Agent-API-Key: " + m_rejected.apiKey}));
        QCOMPARE(response.status, 403);
        response = rawHttp(port(), httpRequest("POST", "/api/v1/agents/register", body,
                                               {"X-Agent-API-Key: " + m_pending.apiKey}));
        QCOMPARE(response.status, 403);
    }

    void registerWithBootstrapKey()
    {
        const QByteArray bootstrap = "X-Agent-API-Key: " + m_server->settings().bootstrapKey.toUtf8();
        const QByteArray body = R"({"agentId":"new-agent","platform":"vm","region":"us"})";
        RawHttpResponse response =
            rawHttp(port(), httpRequest("POST", "/api/v1/agents/register", body, {bootstrap}));
        QCOMPARE(response.status, 202);
        const QJsonObject reply = json(response.body);
        QCOMPARE(reply.value("approvalStatus"_L1).toString(), u"pending"_s);
        const QByteArray newKey = reply.value("apiKey"_L1).toString().toLatin1();
        QCOMPARE(newKey.size(), 64);

        // Pending: its own key registers (202) but cannot connect.
        response = rawHttp(
            port(), httpRequest("POST", "/api/v1/agents/register", body, {"X-Agent-API-Key: " + newKey}));
        QCOMPARE(response.status, 202);
        QCOMPARE(rawHttp(port(), upgradeRequest("/api/v1/agents/connect?agent_id=new-agent",
                                                {"X-Agent-API-Key: " + newKey}))
                     .status,
                 403);

        // The bootstrap key never speaks for an existing agent.
        QCOMPARE(rawHttp(port(), httpRequest("POST", "/api/v1/agents/register", body, {bootstrap})).status,
                 409);
        QCOMPARE(rawHttp(port(), httpRequest("POST", "/api/v1/agents/register",
                                             R"({"agentId":"agent-ok","platform":"docker"})", {bootstrap}))
                     .status,
                 409);

        // Approved: it connects with its own key.
        QVERIFY(m_server->server()
                    ->store()
                    ->setAgentApproval(u"new-agent"_s, protocol::ApprovalStatus::Approved, u"test"_s,
                                       QDateTime::currentDateTimeUtc())
                    .result());
        QCOMPARE(rawHttp(port(), upgradeRequest("/api/v1/agents/connect?agent_id=new-agent",
                                                {"X-Agent-API-Key: " + newKey}))
                     .status,
                 101);
    }

    void registerBadInput_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<int>("status");
        const QByteArray good = R"({"agentId":"agent-x","platform":"docker"})";
        QTest::newRow("no key") << good << QByteArray() << 401;
        QTest::newRow("malformed key") << good << QByteArray("X-Agent-API-Key: 1234") << 401;
        QTest::newRow("invalid json") << QByteArray("{nope") << QByteArray("bootstrap") << 400;
        QTest::newRow("missing agentId")
            << QByteArray(R"({"platform":"docker"})") << QByteArray("bootstrap") << 400;
        QTest::newRow("bad platform") << QByteArray(R"({"agentId":"agent-x","platform":"mainframe"})")
                                      << QByteArray("bootstrap") << 400;
        QTest::newRow("short id") << QByteArray(R"({"agentId":"ab","platform":"docker"})")
                                  << QByteArray("bootstrap") << 400;
        QTest::newRow("wrong type") << QByteArray(R"({"agentId":7,"platform":"docker"})")
                                    << QByteArray("bootstrap") << 400;
        QTest::newRow("unknown agent own key")
            << good << QByteArray("X-Agent-API-Key: " + QByteArray(64, 'b')) << 404;
    }
    void registerBadInput()
    {
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, header);
        QFETCH(int, status);
        QList<QByteArray> headers;
        if (header == "bootstrap")
            headers << "X-Agent-API-Key: " + m_server->settings().bootstrapKey.toUtf8();
        else if (!header.isEmpty())
            headers << header;
        const RawHttpResponse response =
            rawHttp(port(), httpRequest("POST", "/api/v1/agents/register", body, headers));
        QCOMPARE(response.status, status);
        QVERIFY(!json(response.body).value("error"_L1).toString().isEmpty());
        // Nothing half-written.
        QCOMPARE(m_server->server()->store()->getAgent(u"agent-x"_s).result().ok(), false);
    }

    void health()
    {
        RawHttpResponse response = rawHttp(port(), httpRequest("GET", "/healthz"));
        QCOMPARE(response.status, 200);
        QCOMPARE(json(response.body).value("status"_L1).toString(), u"ok"_s);
        response = rawHttp(port(), httpRequest("GET", "/readyz"));
        QCOMPARE(response.status, 200);
        QCOMPARE(json(response.body).value("database"_L1).toString(), u"ok"_s);
        QCOMPARE(rawHttp(port(), httpRequest("GET", "/nothing-here")).status, 404);
        QCOMPARE(rawHttp(port(), httpRequest("POST", "/healthz")).status, 405);
    }

    void readyzReportsDatabaseDown()
    {
        m_server->server()->store()->close();
        // /readyz answers from the database probe, which notices on its next round.
        QTRY_COMPARE_WITH_TIMEOUT(rawHttp(port(), httpRequest("GET", "/readyz")).status, 503, 10000);
        const RawHttpResponse response = rawHttp(port(), httpRequest("GET", "/readyz"));
        QCOMPARE(response.status, 503);
        QCOMPARE(json(response.body).value("status"_L1).toString(), u"unavailable"_s);
    }

    void publishEvent_data()
    {
        QTest::addColumn<QString>("role");
        QTest::addColumn<QString>("tokenOrg");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        const QByteArray good =
            R"({"type":"session.idle","sessionId":"s-1","userId":"alice","orgId":"acme","data":{"idleDuration":120}})";
        QTest::newRow("admin") << u"admin"_s << u"ops"_s << good << 202;
        QTest::newRow("service own org") << u"service"_s << u"acme"_s << good << 202;
        QTest::newRow("service other org") << u"service"_s << u"other"_s << good << 403;
        QTest::newRow("operator refused") << u"operator"_s << u"acme"_s << good << 403;
        QTest::newRow("no token") << QString() << QString() << good << 401;
        QTest::newRow("unknown type")
            << u"admin"_s << u"acme"_s
            << QByteArray(R"({"type":"session.exploded","sessionId":"s","userId":"u","orgId":"acme"})")
            << 400;
        QTest::newRow("state change without states")
            << u"admin"_s << u"acme"_s
            << QByteArray(R"({"type":"session.state.changed","sessionId":"s","userId":"u","orgId":"acme"})")
            << 400;
        QTest::newRow("unknown session without org")
            << u"admin"_s << u"acme"_s
            << QByteArray(R"({"type":"session.active","sessionId":"s","userId":"u"})") << 400;
        QTest::newRow("invalid json") << u"admin"_s << u"acme"_s << QByteArray("[1,2") << 400;
    }
    void publishEvent()
    {
        QFETCH(QString, role);
        QFETCH(QString, tokenOrg);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QList<QByteArray> headers;
        if (!role.isEmpty())
            headers << "Authorization: Bearer " +
                           m_server->token(u"svc"_s, tokenOrg, *roleFromName(role)).toUtf8();
        QCOMPARE(rawHttp(port(), httpRequest("POST", "/api/v1/events", body, headers)).status, status);
    }
};

QTEST_GUILESS_MAIN(TestGateway)
#include "tst_gateway.moc"
