// The simulator's registration against the real server (not the fake endpoint): agents of a
// --count fleet register with the bootstrap key, wait while pending, connect once an admin
// approves them on the admin stream, and come back after a restart with the keys from --key-file.
#include "TestClients.h"
#include "TestServer.h"
#include "agent/AgentFleet.h"
#include "agent/SimulatedAgent.h"

#include "core/AgentHub.h"
#include "storage/Store.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::agentsim;
using namespace switchboard::test;
using std::chrono::milliseconds;

namespace {

AgentOptions optionsFor(const TestServer &server, const QString &keyFile)
{
    AgentOptions options;
    options.server = server.httpUrl(QString());
    options.agentId = u"edge"_s;
    options.count = 2;
    options.keyFile = keyFile;
    options.heartbeatInterval = milliseconds(500);
    options.approvalPoll = milliseconds(100);
    return options;
}

void speedUp(AgentFleet &fleet)
{
    BackoffPolicy fast;
    fast.initial = milliseconds(30);
    fast.cap = milliseconds(200);
    fleet.setReconnectPolicy(fast);
    fleet.setRegistrationRetryPolicy(fast);
}

bool allConnected(const AgentFleet &fleet)
{
    const auto agents = fleet.agents();
    return !agents.isEmpty() &&
           std::all_of(agents.cbegin(), agents.cend(), [](auto *a) { return a->isConnected(); });
}

std::optional<protocol::ApprovalStatus> approvalOf(TestServer &server, const QString &agentId)
{
    const auto agent = server.server()->store()->getAgent(agentId).result();
    if (!agent)
        return std::nullopt;
    return agent.value().approvalStatus;
}

} // namespace

class TestAgentAgainstServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bootstrapApprovalAndRestart()
    {
        TestServer server;
        QVERIFY(server.start());
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        AgentOptions options = optionsFor(server, dir.filePath(u"keys"_s));
        options.bootstrapKey = server.settings().bootstrapKey;

        auto fleet = std::make_unique<AgentFleet>(options);
        speedUp(*fleet);
        QSignalSpy issued(fleet.get(), &AgentFleet::keyIssued);
        QVERIFY2(fleet->start(), qPrintable(fleet->errorString()));
        QTRY_COMPARE(issued.size(), 2);
        for (const QString &agentId : {u"edge-1"_s, u"edge-2"_s})
            QTRY_COMPARE(approvalOf(server, agentId), std::optional(protocol::ApprovalStatus::Pending));

        // Pending agents keep polling and never get a connection.
        QTest::qWait(400);
        QVERIFY(server.server()->agentHub()->connectedAgents().isEmpty());

        JsonSocket admin;
        QVERIFY(
            admin.open(server.wsUrl(u"/api/v1/ws/admin"_s, server.token(u"root"_s, u"ops"_s, Role::Admin))));
        QVERIFY(!admin.waitForType(u"snapshot"_s).isEmpty());
        for (const QString &agentId : {u"edge-1"_s, u"edge-2"_s}) {
            admin.send({{"type"_L1, u"agent.approve"_s}, {"requestId"_L1, agentId}, {"agentId"_L1, agentId}});
            const QJsonObject reply =
                admin.waitFor([&](const QJsonObject &m) { return m.value("requestId"_L1) == agentId; });
            QCOMPARE(reply.value("type"_L1).toString(), u"reply"_s);
        }
        QTRY_VERIFY_WITH_TIMEOUT(allConnected(*fleet), 10000);
        QTRY_VERIFY(server.server()->agentHub()->isAgentConnected(u"edge-1"_s));
        QTRY_VERIFY(server.server()->agentHub()->isAgentConnected(u"edge-2"_s));

        QSignalSpy finished(fleet.get(), &AgentFleet::finished);
        fleet->shutdown();
        QTRY_COMPARE(finished.size(), 1);
        QTRY_VERIFY(server.server()->agentHub()->connectedAgents().isEmpty());

        // The restarted process needs no bootstrap key: the key file holds both keys.
        QFile file(options.keyFile);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll().count('\n'), 2);
        AgentOptions restartOptions = options;
        restartOptions.bootstrapKey.clear();
        AgentFleet restarted(restartOptions);
        speedUp(restarted);
        QVERIFY2(restarted.start(), qPrintable(restarted.errorString()));
        QTRY_VERIFY_WITH_TIMEOUT(allConnected(restarted), 10000);
        QTRY_VERIFY(server.server()->agentHub()->isAgentConnected(u"edge-2"_s));
    }

    void wrongBootstrapKeyIsRefused()
    {
        TestServer server;
        QVERIFY(server.start());
        AgentOptions options = optionsFor(server, QString());
        options.count = 1;
        options.agentId = u"edge-9"_s;
        options.bootstrapKey = u"not-the-bootstrap-key"_s;
        AgentFleet fleet(options);
        speedUp(fleet);
        QSignalSpy finished(&fleet, &AgentFleet::finished);
        QVERIFY(fleet.start());
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(finished.at(0).at(0).toInt(), AgentFleet::kExitRefused);
        QVERIFY(!approvalOf(server, u"edge-9"_s)); // nothing was created
    }
};

QTEST_GUILESS_MAIN(TestAgentAgainstServer)
#include "tst_agentagainstserver.moc"
