// The replica's load on the admin stream: Hub and AgentHub count the messages that really pass,
// Manager's metrics tick publishes them as `metrics` to role-admin clients after their snapshot,
// and operators (whose view is one org) get none.
#include "TestClients.h"
#include "TestServer.h"

#include "core/AgentHub.h"
#include "core/Hub.h"
#include "shared/AdminProtocol.h"

#include <QJsonDocument>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

protocol::admin::Metrics decoded(const QJsonObject &message)
{
    const auto metrics = protocol::admin::decodeMetrics(message);
    return metrics ? metrics.value() : protocol::admin::Metrics{};
}

} // namespace

class TestAdminMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Without the metrics round (huge intervals), the counters equal what the peers saw.
    void countersFollowTheTraffic()
    {
        TestServer server;
        server.settings().metricsIntervalSeconds = 3600;
        server.settings().sessionsIntervalSeconds = 3600;
        QVERIFY(server.start());
        Hub *hub = server.server()->hub();
        AgentHub *agents = server.server()->agentHub();
        const CreatedAgent created = server.createAgent(u"m-1"_s, u"acme"_s);

        TestAgent agent;
        QVERIFY(agent.connectTo(QUrl(u"ws://127.0.0.1:%1"_s.arg(server.server()->serverPort())),
                                created.agentId, created.apiKey));
        QTRY_VERIFY_WITH_TIMEOUT(agents->isAgentConnected(u"m-1"_s), 10000);
        JsonSocket admin;
        QVERIFY(
            admin.open(server.wsUrl(u"/api/v1/ws/admin"_s, server.token(u"root"_s, u"ops"_s, Role::Admin))));
        QVERIFY(!admin.waitForType(u"snapshot"_s, 10000).isEmpty());

        const quint64 agentIn = agents->framesReceived();
        for (int i = 0; i < 3; ++i)
            agent.heartbeat();
        QTRY_COMPARE_WITH_TIMEOUT(agents->framesReceived(), agentIn + 3, 10000);

        const quint64 hubIn = hub->messagesReceived();
        admin.send({{"type"_L1, u"agents.broadcast"_s}, {"requestId"_L1, u"b1"_s}, {"message"_L1, u"hi"_s}});
        admin.send({{"type"_L1, u"agent.approve"_s}, {"requestId"_L1, u"a1"_s}, {"agentId"_L1, u"nobody"_s}});
        QVERIFY(!admin.waitFor([](const QJsonObject &m) { return m.value("requestId"_L1) == "a1"_L1; }, 10000)
                     .isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(hub->messagesReceived(), hubIn + 2, 10000);
        // The admin is the Hub's only client and the agent the only agent: every message counted as
        // sent is one they received.
        QTRY_COMPARE_WITH_TIMEOUT(hub->messagesSent(), quint64(admin.received().size()), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(agents->framesSent(), quint64(agent.received().size()), 10000);
        QVERIFY(agents->framesSent() >= 1); // the broadcast's notice
    }

    void adminSeesMetricsThatMove()
    {
        TestServer server;
        QVERIFY(server.start());
        const CreatedAgent created = server.createAgent(u"m-2"_s, u"acme"_s);
        JsonSocket admin;
        QVERIFY(
            admin.open(server.wsUrl(u"/api/v1/ws/admin"_s, server.token(u"root"_s, u"ops"_s, Role::Admin))));
        const QJsonObject first = admin.waitForType(u"metrics"_s, 10000);
        QVERIFY2(!first.isEmpty(), "no metrics on the admin stream");
        // Snapshot first: nothing overtakes it.
        const auto typeAt = [&](const QString &type) {
            for (qsizetype i = 0; i < admin.received().size(); ++i) {
                if (admin.received().at(i).value("type"_L1).toString() == type)
                    return i;
            }
            return qsizetype(-1);
        };
        QVERIFY(typeAt(u"snapshot"_s) >= 0);
        QVERIFY(typeAt(u"snapshot"_s) < typeAt(u"metrics"_s));
        const auto start = protocol::admin::decodeMetrics(first);
        QVERIFY2(start.ok(), qPrintable(QString::fromUtf8(QJsonDocument(first).toJson())));
        QCOMPARE(start.value().replica, u"test-replica"_s);
        QCOMPARE(start.value().agentsConnected, 0);
        QCOMPARE(start.value().browserClients, 0);

        TestAgent agent;
        QVERIFY(agent.connectTo(QUrl(u"ws://127.0.0.1:%1"_s.arg(server.server()->serverPort())),
                                created.agentId, created.apiKey));
        JsonSocket browser;
        QVERIFY(browser.open(
            server.wsUrl(u"/api/v1/ws/sessions"_s, server.token(u"alice"_s, u"acme"_s, Role::User))));
        for (int i = 0; i < 5; ++i)
            agent.heartbeat();
        const QJsonObject later = admin.waitFor(
            [&](const QJsonObject &m) {
                if (m.value("type"_L1) != "metrics"_L1)
                    return false;
                const protocol::admin::Metrics now = decoded(m);
                return now.agentsConnected == 1 && now.browserClients == 1 &&
                       now.messagesIn >= start.value().messagesIn + 5 &&
                       now.messagesOut > start.value().messagesOut;
            },
            10000);
        QVERIFY2(!later.isEmpty(), "metrics never showed the agent, the browser and the traffic");
        QVERIFY(decoded(later).timestamp > start.value().timestamp);
    }

    void operatorGetsNoGlobalNumbers()
    {
        TestServer server;
        QVERIFY(server.start());
        JsonSocket operatorClient;
        QVERIFY(operatorClient.open(
            server.wsUrl(u"/api/v1/ws/admin"_s, server.token(u"olga"_s, u"acme"_s, Role::Operator))));
        QVERIFY(!operatorClient.waitForType(u"snapshot"_s, 10000).isEmpty());
        JsonSocket admin;
        QVERIFY(
            admin.open(server.wsUrl(u"/api/v1/ws/admin"_s, server.token(u"root"_s, u"ops"_s, Role::Admin))));
        // Several rounds went out, to the admin.
        QTRY_VERIFY_WITH_TIMEOUT(admin.ofType(u"metrics"_s).size() >= 3, 10000);
        QVERIFY(operatorClient.ofType(u"metrics"_s).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestAdminMetrics)
#include "tst_adminmetrics.moc"
