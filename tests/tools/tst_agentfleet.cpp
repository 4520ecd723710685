// AgentFleet: registration with the agent's own key, the bootstrap approval loop, refusals,
// retries, fleets from a key file, and shutting everything down.
#include "FakeAgentEndpoint.h"
#include "agent/AgentFleet.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::agentsim;
using std::chrono::milliseconds;
using switchboard::testing::CannedResponse;
using switchboard::testing::FakeAgentEndpoint;
namespace wire = switchboard::protocol::agent;

namespace {

const QString kOwnKey = QString(64, u'a');
const QString kBootstrapKey = QString(64, u'b');
const QString kIssuedKey = QString(64, u'c');

AgentOptions optionsFor(const FakeAgentEndpoint &fake, const QString &agentId)
{
    AgentOptions options;
    options.server = fake.baseUrl();
    options.agentId = agentId;
    options.region = u"eu-west-1"_s;
    options.org = u"acme"_s;
    options.heartbeatInterval = milliseconds(5000);
    options.approvalPoll = milliseconds(100);
    options.startDelay = options.stopDelay = options.hibernateDelay = options.wakeDelay = milliseconds(10);
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

} // namespace

class TestAgentFleet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ownKeyRegistersOnceThenConnects();
    void bootstrapWaitsForApproval();
    void bootstrapWithoutIssuedKeyIsRefused();
    void rejectedRegistrationEnds();
    void serverErrorsAreRetried();
    void fleetFromKeyFile();
    void fleetNeedsAKeyForEveryAgent();
    void shutdownDrainsEveryAgent();
};

void TestAgentFleet::ownKeyRegistersOnceThenConnects()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    AgentOptions options = optionsFor(fake, u"own-1"_s);
    options.apiKey = kOwnKey;
    AgentFleet fleet(options);
    speedUp(fleet);
    QVERIFY2(fleet.start(), qPrintable(fleet.errorString()));
    QTRY_VERIFY(allConnected(fleet));

    QCOMPARE(fake.registrations.size(), 1);
    const auto &registration = fake.registrations.constFirst();
    QCOMPARE(registration.header("X-Agent-API-Key"), kOwnKey.toLatin1());
    QVERIFY(registration.header("Content-Type").startsWith("application/json"));
    const QJsonObject body = registration.json();
    QCOMPARE(body.value("agentId"_L1).toString(), u"own-1"_s);
    QCOMPARE(body.value("platform"_L1).toString(), u"docker"_s);
    QCOMPARE(body.value("region"_L1).toString(), u"eu-west-1"_s);
    const QJsonObject capacity = body.value("capacity"_L1).toObject();
    QCOMPARE(capacity.value("maxSessions"_L1).toInt(), 10);
    QVERIFY(!capacity.value("cpu"_L1).toString().isEmpty());
    QVERIFY(!capacity.value("memory"_L1).toString().isEmpty());
    QCOMPARE(body.value("metadata"_L1).toObject().value("org"_L1).toString(), u"acme"_s);

    QCOMPARE(fake.upgrades.size(), 1);
    QCOMPARE(fake.upgrades.constFirst().target, "/api/v1/agents/connect?agent_id=own-1"_ba);
    QCOMPARE(fake.upgrades.constFirst().header("X-Agent-API-Key"), kOwnKey.toLatin1());
}

void TestAgentFleet::bootstrapWaitsForApproval()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    fake.registerResponses = {
        CannedResponse{202, QJsonObject{{u"apiKey"_s, kIssuedKey},
                                        {u"approvalStatus"_s, u"pending"_s},
                                        {u"message"_s, u"waiting for approval"_s}}},
        CannedResponse{202, QJsonObject{{u"approvalStatus"_s, u"pending"_s}}},
        CannedResponse{202, QJsonObject{{u"approvalStatus"_s, u"pending"_s}}},
        CannedResponse{200, QJsonObject{{u"approvalStatus"_s, u"approved"_s}}},
    };
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    AgentOptions options = optionsFor(fake, u"boot-1"_s);
    options.bootstrapKey = kBootstrapKey;
    options.keyFile = dir.filePath(u"keys"_s);
    AgentFleet fleet(options);
    speedUp(fleet);
    QSignalSpy issued(&fleet, &AgentFleet::keyIssued);
    QVERIFY2(fleet.start(), qPrintable(fleet.errorString()));
    QTRY_VERIFY(allConnected(fleet));

    QCOMPARE(issued.size(), 1);
    QCOMPARE(issued.at(0).at(1).toString(), kIssuedKey);
    QCOMPARE(fake.registrations.size(), 4);
    QCOMPARE(fake.registrations.at(0).header("X-Agent-API-Key"), kBootstrapKey.toLatin1());
    for (qsizetype i = 1; i < fake.registrations.size(); ++i)
        QCOMPARE(fake.registrations.at(i).header("X-Agent-API-Key"), kIssuedKey.toLatin1());
    // No connection attempt before approval, then one with the issued key.
    QCOMPARE(fake.upgrades.size(), 1);
    QCOMPARE(fake.upgrades.constFirst().header("X-Agent-API-Key"), kIssuedKey.toLatin1());

    QFile file(options.keyFile);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), "boot-1 " + kIssuedKey.toLatin1() + '\n');
    QVERIFY(!(file.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther)));

    // After a restart, the stored key is used instead of the bootstrap key.
    AgentFleet restarted(options);
    speedUp(restarted);
    QVERIFY(restarted.start());
    QTRY_VERIFY(allConnected(restarted));
    QCOMPARE(fake.registrations.constLast().header("X-Agent-API-Key"), kIssuedKey.toLatin1());
}

void TestAgentFleet::bootstrapWithoutIssuedKeyIsRefused()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    fake.registerResponses = {CannedResponse{202, QJsonObject{{u"approvalStatus"_s, u"pending"_s}}}};
    AgentOptions options = optionsFor(fake, u"boot-2"_s);
    options.bootstrapKey = kBootstrapKey;
    AgentFleet fleet(options);
    QSignalSpy finished(&fleet, &AgentFleet::finished);
    QVERIFY(fleet.start());
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).toInt(), AgentFleet::kExitRefused);
    QVERIFY(fake.upgrades.isEmpty());
}

void TestAgentFleet::rejectedRegistrationEnds()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    fake.registerResponses = {CannedResponse{403, QJsonObject{{u"error"_s, u"Agent rejected"_s}}}};
    AgentOptions options = optionsFor(fake, u"own-2"_s);
    options.apiKey = kOwnKey;
    AgentFleet fleet(options);
    QSignalSpy finished(&fleet, &AgentFleet::finished);
    QVERIFY(fleet.start());
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).toInt(), AgentFleet::kExitRefused);
    QCOMPARE(fake.registrations.size(), 1);
    QVERIFY(fake.upgrades.isEmpty());
}

void TestAgentFleet::serverErrorsAreRetried()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    fake.registerResponses = {
        CannedResponse{503, QJsonObject{{u"error"_s, u"database unavailable"_s}}},
        CannedResponse{500, {}},
        CannedResponse{200, QJsonObject{{u"approvalStatus"_s, u"approved"_s}}},
    };
    AgentOptions options = optionsFor(fake, u"own-3"_s);
    options.apiKey = kOwnKey;
    AgentFleet fleet(options);
    speedUp(fleet);
    QVERIFY(fleet.start());
    QTRY_VERIFY(allConnected(fleet));
    QCOMPARE(fake.registrations.size(), 3);
}

void TestAgentFleet::fleetFromKeyFile()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    QTemporaryDir dir;
    const QString path = dir.filePath(u"fleet-keys"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# demo fleet\nload-1 key-one\nload-2 key-two\nload-3 key-three\n");
    file.close();

    AgentOptions options = optionsFor(fake, u"load"_s);
    options.count = 3;
    options.apiKeyFile = path;
    AgentFleet fleet(options);
    speedUp(fleet);
    QVERIFY2(fleet.start(), qPrintable(fleet.errorString()));
    QTRY_VERIFY(allConnected(fleet));
    QCOMPARE(fleet.agents().size(), 3);
    QCOMPARE(fake.connections, 3);
    QHash<QByteArray, QByteArray> keyByTarget;
    for (const auto &upgrade : std::as_const(fake.upgrades))
        keyByTarget.insert(upgrade.target, upgrade.header("X-Agent-API-Key"));
    QCOMPARE(keyByTarget.value("/api/v1/agents/connect?agent_id=load-1"), "key-one"_ba);
    QCOMPARE(keyByTarget.value("/api/v1/agents/connect?agent_id=load-2"), "key-two"_ba);
    QCOMPARE(keyByTarget.value("/api/v1/agents/connect?agent_id=load-3"), "key-three"_ba);
}

void TestAgentFleet::fleetNeedsAKeyForEveryAgent()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    QTemporaryDir dir;
    const QString path = dir.filePath(u"fleet-keys"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("load-1 key-one\n");
    file.close();

    AgentOptions options = optionsFor(fake, u"load"_s);
    options.count = 2;
    options.apiKeyFile = path;
    AgentFleet fleet(options);
    QVERIFY(!fleet.start());
    QVERIFY2(fleet.errorString().contains(u"load-2"_s), qPrintable(fleet.errorString()));

    options.apiKeyFile = dir.filePath(u"absent"_s);
    AgentFleet missing(options);
    QVERIFY(!missing.start());
    QVERIFY(missing.errorString().contains(u"absent"_s));
    QVERIFY(fake.registrations.isEmpty());
}

void TestAgentFleet::shutdownDrainsEveryAgent()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    AgentOptions options = optionsFor(fake, u"drain"_s);
    options.count = 3;
    options.bootstrapKey = kBootstrapKey;
    // Every agent is issued its key and approved at once.
    fake.registerResponses = {
        CannedResponse{200, QJsonObject{{u"apiKey"_s, kIssuedKey}, {u"approvalStatus"_s, u"approved"_s}}}};
    AgentFleet fleet(options);
    speedUp(fleet);
    QSignalSpy finished(&fleet, &AgentFleet::finished);
    QVERIFY(fleet.start());
    QTRY_VERIFY(allConnected(fleet));

    QElapsedTimer timer;
    timer.start();
    fleet.shutdown();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 2000);
    QVERIFY(timer.elapsed() < 2000);
    QCOMPARE(finished.at(0).at(0).toInt(), AgentFleet::kExitOk);
    // The agents may be gone before the fake endpoint has read their last frames.
    QTRY_COMPARE(fake.countOf<wire::Heartbeat>(
                     [](const wire::Heartbeat &h) { return h.status == wire::ReportedStatus::Draining; }),
                 3);
    QTRY_COMPARE(fake.closeCodes, (QList<int>{1000, 1000, 1000}));
}

QTEST_GUILESS_MAIN(TestAgentFleet)
#include "tst_agentfleet.moc"
