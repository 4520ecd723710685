// Manager: periodic sessions_update / metrics_update per org with clients, each org seeing only
// its own sessions (a `user` only their own), in StreamSpace's field names; nothing queried or
// sent for orgs without clients; at most one query in flight per org and kind.
#include "CoreTestKit.h"
#include "StoreTestKit.h"

#include "core/Hub.h"
#include "core/Manager.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using protocol::SessionState;

namespace {

Hub::Config quietConfig()
{
    Hub::Config config;
    config.pingInterval = std::chrono::milliseconds(60000);
    config.readTimeout = std::chrono::milliseconds(120000);
    return config;
}

QStringList sessionNames(const QJsonObject &update)
{
    QStringList names;
    for (const QJsonValue &session : update.value("sessions"_L1).toArray())
        names.append(session.toObject().value("name"_L1).toString());
    names.sort();
    return names;
}

QSet<QString> keySet(const QJsonObject &object)
{
    const QStringList keys = object.keys();
    return QSet<QString>(keys.cbegin(), keys.cend());
}

QSet<QString> orgsIn(const QSignalSpy &spy)
{
    QSet<QString> orgs;
    for (const QList<QVariant> &call : spy)
        orgs.insert(call.at(0).toString());
    return orgs;
}

} // namespace

class ManagerTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void sessionsUpdatePerOrgAndPerUser();
    void sessionsUpdateFieldNames();
    void nothingHappensWithoutClients();
    void metricsOnlyForClusterClients();
    void oneQueryInFlightPerOrgAndKind();
    void stopStopsTheRounds();

private:
    Manager::Config fastIntervals() const
    {
        return {std::chrono::milliseconds(100), std::chrono::milliseconds(150)};
    }

    StoreFixture m_fixture;
    std::unique_ptr<Hub> m_hub;
    std::unique_ptr<HubHarness> m_harness;
};

void ManagerTest::initTestCase()
{
    QLoggingCategory::setFilterRules(u"switchboard.*.debug=false"_s);
    QVERIFY(m_fixture.open());
    QVERIFY(m_fixture.addAgent(u"agent-acme"_s, u"acme"_s));
    QVERIFY(m_fixture.addAgent(u"agent-globex"_s, u"globex"_s));
    QVERIFY(
        m_fixture.addSession(u"alice-1"_s, u"acme"_s, u"alice"_s, u"agent-acme"_s, SessionState::Running));
    QVERIFY(
        m_fixture.addSession(u"alice-2"_s, u"acme"_s, u"alice"_s, u"agent-acme"_s, SessionState::Hibernated));
    QVERIFY(m_fixture.addSession(u"bob-1"_s, u"acme"_s, u"bob"_s, u"agent-acme"_s, SessionState::Running));
    QVERIFY(m_fixture.addSession(u"bob-2"_s, u"acme"_s, u"bob"_s, u"agent-acme"_s, SessionState::Pending));
    QVERIFY(
        m_fixture.addSession(u"bob-old"_s, u"acme"_s, u"bob"_s, u"agent-acme"_s, SessionState::Terminated));
    QVERIFY(
        m_fixture.addSession(u"gary-1"_s, u"globex"_s, u"gary"_s, u"agent-globex"_s, SessionState::Running));
}

void ManagerTest::init()
{
    m_hub = std::make_unique<Hub>(quietConfig());
    m_harness = std::make_unique<HubHarness>(m_hub.get());
    QVERIFY(m_harness->listening());
}

void ManagerTest::cleanup()
{
    m_harness.reset();
    m_hub.reset();
}

void ManagerTest::sessionsUpdatePerOrgAndPerUser()
{
    Manager manager(m_fixture.store(), m_hub.get(), fastIntervals());
    quint64 id = 0;
    auto acmeOperator = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"olga"_s), &id);
    auto acmeAlice =
        m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s, Role::User), &id);
    auto acmeCarol =
        m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"carol"_s, Role::User), &id);
    auto globexAdmin =
        m_harness->connect(ClientKind::Sessions, makeContext(u"globex"_s, u"gina"_s, Role::Admin), &id);
    QVERIFY(acmeOperator && acmeAlice && acmeCarol && globexAdmin);
    QSignalSpy broadcasts(&manager, &Manager::sessionsBroadcast);

    manager.start();
    for (TestClient *client : {acmeOperator.get(), acmeAlice.get(), acmeCarol.get(), globexAdmin.get()})
        QTRY_VERIFY(client->ofType(u"sessions_update"_s).size() >= 2);
    manager.stop();

    for (const QJsonObject &update : acmeOperator->ofType(u"sessions_update"_s)) {
        QCOMPARE(update.value("org_id"_L1).toString(), u"acme"_s);
        QCOMPARE(update.value("count"_L1).toInt(), 4); // the ended one is left out
        QCOMPARE(sessionNames(update), (QStringList{u"alice-1"_s, u"alice-2"_s, u"bob-1"_s, u"bob-2"_s}));
    }
    for (const QJsonObject &update : acmeAlice->ofType(u"sessions_update"_s)) {
        QCOMPARE(update.value("org_id"_L1).toString(), u"acme"_s);
        QCOMPARE(update.value("count"_L1).toInt(), 2);
        QCOMPARE(sessionNames(update), (QStringList{u"alice-1"_s, u"alice-2"_s}));
    }
    for (const QJsonObject &update : acmeCarol->ofType(u"sessions_update"_s)) {
        QCOMPARE(update.value("count"_L1).toInt(), 0);
        QVERIFY(update.value("sessions"_L1).isArray());
        QVERIFY(update.value("sessions"_L1).toArray().isEmpty());
    }
    for (const QJsonObject &update : globexAdmin->ofType(u"sessions_update"_s)) {
        QCOMPARE(update.value("org_id"_L1).toString(), u"globex"_s);
        QCOMPARE(sessionNames(update), (QStringList{u"gary-1"_s}));
    }
    for (TestClient *client : {acmeOperator.get(), acmeAlice.get(), acmeCarol.get(), globexAdmin.get()}) {
        QCOMPARE(client->ofType(u"metrics_update"_s).size(), 0);
        QCOMPARE(client->badFrames, 0);
    }
    QCOMPARE(orgsIn(broadcasts), (QSet<QString>{u"acme"_s, u"globex"_s}));
    for (const QList<QVariant> &call : broadcasts)
        QCOMPARE(call.at(1).toInt(), call.at(0).toString() == u"acme"_s ? 3 : 1);
}

void ManagerTest::sessionsUpdateFieldNames()
{
    Manager manager(m_fixture.store(), m_hub.get(), fastIntervals());
    quint64 id = 0;
    auto client = m_harness->connect(ClientKind::Sessions, makeContext(u"globex"_s, u"gina"_s), &id);
    QVERIFY(client);
    manager.broadcastSessions();
    QTRY_COMPARE(client->ofType(u"sessions_update"_s).size(), 1);

    const QJsonObject update = client->ofType(u"sessions_update"_s).first();
    QCOMPARE(keySet(update),
             (QSet<QString>{u"type"_s, u"org_id"_s, u"count"_s, u"timestamp"_s, u"sessions"_s}));
    QCOMPARE(update.value("count"_L1).toInt(), 1);
    const auto timestamp = protocol::parseTimestamp(update.value("timestamp"_L1).toString());
    QVERIFY(timestamp.has_value());
    QVERIFY(qAbs(timestamp->msecsTo(QDateTime::currentDateTimeUtc())) < 10000);

    const QJsonObject session = update.value("sessions"_L1).toArray().first().toObject();
    QCOMPARE(session.value("name"_L1).toString(), u"gary-1"_s);
    QCOMPARE(session.value("namespace"_L1).toString(), u"ns-globex"_s);
    QCOMPARE(session.value("user"_L1).toString(), u"gary"_s);
    QCOMPARE(session.value("template"_L1).toString(), u"firefox"_s);
    QCOMPARE(session.value("state"_L1).toString(), u"running"_s);
    QCOMPARE(session.value("agent_id"_L1).toString(), u"agent-globex"_s);
    QCOMPARE(session.value("platform"_L1).toString(), u"kubernetes"_s);
    QCOMPARE(session.value("status"_L1).toObject().value("phase"_L1).toString(), u"Running"_s);
    QCOMPARE(session.value("resources"_L1).toObject(),
             (QJsonObject{{u"memory"_s, u"2Gi"_s}, {u"cpu"_s, u"1000m"_s}}));
    QVERIFY(session.contains("activeConnections"_L1));
    QVERIFY(session.contains("createdAt"_L1));
    QVERIFY(!session.contains("agentId"_L1));
}

void ManagerTest::nothingHappensWithoutClients()
{
    Manager manager(m_fixture.store(), m_hub.get(), fastIntervals());
    QSignalSpy sessionQueries(&manager, &Manager::sessionsQueried);
    QSignalSpy metricQueries(&manager, &Manager::metricsQueried);
    QSignalSpy sessionRounds(&manager, &Manager::sessionsBroadcast);
    QSignalSpy metricRounds(&manager, &Manager::metricsBroadcast);
    manager.start();
    QTest::qWait(700); // several intervals of both kinds
    QCOMPARE(sessionQueries.size(), 0);
    QCOMPARE(metricQueries.size(), 0);
    QCOMPARE(sessionRounds.size(), 0);
    QCOMPARE(metricRounds.size(), 0);

    // A sessions client of acme: sessions rounds for acme only, still no metrics anywhere.
    quint64 id = 0;
    auto client = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"olga"_s), &id);
    QVERIFY(client);
    QTRY_VERIFY(sessionRounds.size() >= 2);
    QCOMPARE(orgsIn(sessionQueries), (QSet<QString>{u"acme"_s}));
    QCOMPARE(metricQueries.size(), 0);

    // Once it leaves, the rounds stop again.
    client->socket.close();
    QTRY_COMPARE(m_hub->clientCount(), 0);
    QTest::qWait(150); // an answer to a query started before it left may still come
    const qsizetype queriesAfterLeaving = sessionQueries.size();
    QTest::qWait(500);
    QCOMPARE(sessionQueries.size(), queriesAfterLeaving);
}

void ManagerTest::metricsOnlyForClusterClients()
{
    Manager manager(m_fixture.store(), m_hub.get(), fastIntervals());
    quint64 id = 0;
    auto acmeCluster = m_harness->connect(ClientKind::Cluster, makeContext(u"acme"_s, u"olga"_s), &id);
    auto acmeSessions =
        m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s, Role::User), &id);
    auto globexCluster =
        m_harness->connect(ClientKind::Cluster, makeContext(u"globex"_s, u"gina"_s, Role::Admin), &id);
    QVERIFY(acmeCluster && acmeSessions && globexCluster);
    QSignalSpy metricQueries(&manager, &Manager::metricsQueried);

    manager.start();
    QTRY_VERIFY(acmeCluster->ofType(u"metrics_update"_s).size() >= 2);
    QTRY_VERIFY(globexCluster->ofType(u"metrics_update"_s).size() >= 2);
    QTRY_VERIFY(acmeSessions->ofType(u"sessions_update"_s).size() >= 2);
    manager.stop();

    const QJsonObject acme = acmeCluster->ofType(u"metrics_update"_s).last();
    QCOMPARE(keySet(acme), (QSet<QString>{u"type"_s, u"org_id"_s, u"metrics"_s, u"timestamp"_s}));
    QCOMPARE(acme.value("org_id"_L1).toString(), u"acme"_s);
    const QJsonObject expectedAcme{
        {u"sessions"_s, QJsonObject{{u"running"_s, 2}, {u"hibernated"_s, 1}, {u"total"_s, 4}}},
        {u"activeConnections"_s, 2}, // acme's browser clients: the cluster and the sessions one
        {u"repositories"_s, 0},
        {u"templates"_s, 0},
    };
    QCOMPARE(acme.value("metrics"_L1).toObject(), expectedAcme);
    QVERIFY(protocol::parseTimestamp(acme.value("timestamp"_L1).toString()).has_value());

    const QJsonObject globex = globexCluster->ofType(u"metrics_update"_s).last();
    QCOMPARE(globex.value("org_id"_L1).toString(), u"globex"_s);
    const QJsonObject expectedGlobex{
        {u"sessions"_s, QJsonObject{{u"running"_s, 1}, {u"hibernated"_s, 0}, {u"total"_s, 1}}},
        {u"activeConnections"_s, 1},
        {u"repositories"_s, 0},
        {u"templates"_s, 0},
    };
    QCOMPARE(globex.value("metrics"_L1).toObject(), expectedGlobex);

    // Each kind to its own clients only.
    QCOMPARE(acmeSessions->ofType(u"metrics_update"_s).size(), 0);
    QCOMPARE(acmeCluster->ofType(u"sessions_update"_s).size(), 0);
    QCOMPARE(globexCluster->ofType(u"sessions_update"_s).size(), 0);
    QCOMPARE(orgsIn(metricQueries), (QSet<QString>{u"acme"_s, u"globex"_s}));
    for (TestClient *client : {acmeCluster.get(), acmeSessions.get(), globexCluster.get()})
        QCOMPARE(client->badFrames, 0);
}

void ManagerTest::oneQueryInFlightPerOrgAndKind()
{
    Manager manager(m_fixture.store(), m_hub.get(), fastIntervals()); // not started: rounds by hand
    quint64 id = 0;
    auto acme = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"olga"_s), &id);
    auto acmeCluster = m_harness->connect(ClientKind::Cluster, makeContext(u"acme"_s, u"olga"_s), &id);
    auto globex = m_harness->connect(ClientKind::Sessions, makeContext(u"globex"_s, u"gina"_s), &id);
    QVERIFY(acme && acmeCluster && globex);
    QSignalSpy sessionQueries(&manager, &Manager::sessionsQueried);
    QSignalSpy metricQueries(&manager, &Manager::metricsQueried);
    QSignalSpy sessionRounds(&manager, &Manager::sessionsBroadcast);

    // Ticks faster than storage answers: only the first of each org goes to storage.
    for (int i = 0; i < 5; ++i) {
        manager.broadcastSessions();
        manager.broadcastMetrics();
    }
    QCOMPARE(sessionQueries.size(), 2);
    QCOMPARE(orgsIn(sessionQueries), (QSet<QString>{u"acme"_s, u"globex"_s}));
    QCOMPARE(metricQueries.size(), 1);
    QTRY_COMPARE(sessionRounds.size(), 2);
    QTRY_COMPARE(acmeCluster->ofType(u"metrics_update"_s).size(), 1);

    // Answered: the next tick queries again.
    manager.broadcastSessions();
    QCOMPARE(sessionQueries.size(), 4);
    QTRY_COMPARE(sessionRounds.size(), 4);
    QTRY_COMPARE(acme->ofType(u"sessions_update"_s).size(), 2);
    QCOMPARE(globex->ofType(u"sessions_update"_s).size(), 2);
}

void ManagerTest::stopStopsTheRounds()
{
    Manager manager(m_fixture.store(), m_hub.get(), fastIntervals());
    quint64 id = 0;
    auto client = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"olga"_s), &id);
    QVERIFY(client);
    QSignalSpy queries(&manager, &Manager::sessionsQueried);
    manager.start();
    QTRY_VERIFY(!queries.isEmpty());
    manager.stop();
    const qsizetype count = queries.size();
    QTest::qWait(400);
    QCOMPARE(queries.size(), count);
}

QTEST_GUILESS_MAIN(ManagerTest)
#include "tst_manager.moc"
