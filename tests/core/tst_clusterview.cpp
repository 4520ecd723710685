// The admin stream's cluster-wide view, with real processes: three switchboard-server replicas
// sharing one PostgreSQL and one redis-server. An agent on A and browsers on A and B are counted
// by an admin on C (metrics totals, per-replica breakdown, org.updated and snapshot client
// counts); with Redis down C says its numbers are its own (partial); after A is killed with
// SIGKILL its numbers leave C's view within the liveness TTL.
#include "../redis/RedisTestSupport.h"
#include "PostgresProcess.h"
#include "ProgramTestSupport.h"
#include "ServerProcess.h"
#include "TestClients.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <array>
#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;
using namespace switchboard::test;

namespace {

constexpr int kLong = 30000; // anything that involves processes, Redis or a refresh tick
// A killed replica's liveness key lives 30 s (ClusterPresence), then one metrics tick (5 s).
constexpr int kReplicaDeath = 75000;

const QString kSecret = u"clusterview-test-secret-0123456789abcdef01234567"_s;

QJsonObject replicaIn(const QJsonObject &metrics, const QString &name)
{
    for (const QJsonValue &entry : metrics.value(u"replicas"_s).toArray()) {
        if (entry[u"replica"_s].toString() == name)
            return entry.toObject();
    }
    return {};
}

int clusterCount(const QJsonObject &metrics, const QString &field)
{
    return metrics[u"cluster"_s][field].toInt(-1);
}

} // namespace

class TestClusterView : public QObject
{
    Q_OBJECT

private:
    PostgresProcess m_postgres;
    std::unique_ptr<RedisServerProcess> m_redis;
    std::array<Replica, 3> m_replicas;
    QString m_adminToken; // admin of org acme
    QString m_userToken;  // alice, a user of org acme
    QHash<QString, QByteArray> m_apiKeys;

    Replica &a() { return m_replicas[0]; }
    Replica &b() { return m_replicas[1]; }
    Replica &c() { return m_replicas[2]; }

    QStringList common() const { return {u"--database"_s, m_postgres.url(), u"--jwt-secret"_s, kSecret}; }

    QString runCli(const QStringList &arguments)
    {
        QTemporaryDir dataDir;
        return runServerCommand(arguments + common() + QStringList{u"--data-dir"_s, dataDir.path()});
    }

    QByteArray addAgent(const QString &agentId) { return agentKeyFrom(runCli(agentAddArguments(agentId))); }

    QString token(const QString &user, const QString &org, const QString &role)
    {
        return runCli({u"token"_s, u"issue"_s, u"--user"_s, user, u"--org"_s, org, u"--role"_s, role})
            .trimmed();
    }

    bool startReplica(Replica &replica)
    {
        return switchboard::test::startReplica(replica, m_redis->port(), common(), kLong);
    }

    std::unique_ptr<JsonSocket> openAdmin(const Replica &replica, QJsonObject *snapshot = nullptr)
    {
        auto admin = std::make_unique<JsonSocket>();
        if (!admin->open(replica.ws(u"/api/v1/ws/admin"_s, m_adminToken), 10000))
            return nullptr;
        const QJsonObject first = admin->waitForType(u"snapshot"_s, 15000);
        if (first.isEmpty())
            return nullptr;
        if (snapshot)
            *snapshot = first;
        return admin;
    }

    std::unique_ptr<JsonSocket> openBrowser(const Replica &replica)
    {
        auto browser = std::make_unique<JsonSocket>();
        if (!browser->open(replica.ws(u"/api/v1/ws/sessions"_s, m_userToken), 10000))
            return nullptr;
        return browser;
    }

    // The latest metrics message on `admin` (from index `from`) that satisfies `match`.
    static bool sawMetrics(const JsonSocket &admin, const std::function<bool(const QJsonObject &)> &match,
                           qsizetype from = 0)
    {
        const QList<QJsonObject> &all = admin.received();
        for (qsizetype i = all.size() - 1; i >= from; --i) {
            if (all.at(i).value(u"type"_s).toString() == u"metrics"_s)
                return match(all.at(i));
        }
        return false;
    }

    static int lastOrgClients(const JsonSocket &admin, const QString &orgId, qsizetype from = 0)
    {
        const QList<QJsonObject> &all = admin.received();
        for (qsizetype i = all.size() - 1; i >= from; --i) {
            const QJsonObject &m = all.at(i);
            if (m.value(u"type"_s).toString() == u"org.updated"_s &&
                m[u"org"_s][u"orgId"_s].toString() == orgId)
                return m[u"org"_s][u"clients"_s].toInt(-1);
        }
        return -1;
    }

    static int snapshotOrgClients(const QJsonObject &snapshot, const QString &orgId)
    {
        for (const QJsonValue &org : snapshot.value(u"orgs"_s).toArray()) {
            if (org[u"orgId"_s].toString() == orgId)
                return org[u"clients"_s].toInt(-1);
        }
        return -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (PostgresProcess::findBinaries().isEmpty())
            QSKIP("PostgreSQL server binaries not found (initdb, pg_ctl): the cluster view tests need a real "
                  "PostgreSQL; install postgresql or set SWITCHBOARD_PG_BINDIR");
        QVERIFY2(RedisServerProcess::isAvailable(), "redis-server is not installed (/usr/bin/redis-server)");
        QVERIFY2(m_postgres.start(), qPrintable(m_postgres.errorString()));
        m_redis = std::make_unique<RedisServerProcess>();
        QVERIFY2(m_redis->start(), qPrintable(m_redis->errorString()));
        const QByteArray key = addAgent(u"ag-1"_s);
        QVERIFY(!key.isEmpty());
        m_apiKeys.insert(u"ag-1"_s, key);
        m_adminToken = token(u"root"_s, u"acme"_s, u"admin"_s);
        m_userToken = token(u"alice"_s, u"acme"_s, u"user"_s);
        QVERIFY(!m_adminToken.isEmpty() && !m_userToken.isEmpty());
        a().name = u"replica-a"_s;
        b().name = u"replica-b"_s;
        c().name = u"replica-c"_s;
        for (Replica &replica : m_replicas)
            QVERIFY2(startReplica(replica), qPrintable(replica.name));
    }

    void cleanupTestCase()
    {
        for (Replica &replica : m_replicas)
            killReplica(replica);
        m_redis.reset();
        m_postgres.stop();
    }

    // One scenario, in order: counted everywhere, Redis down (partial), Redis back, A killed.
    void clusterWideLoad()
    {
        // The admin on C counts itself: acme has one client so far, on C.
        QJsonObject snapshot;
        auto adminC = openAdmin(c(), &snapshot);
        QVERIFY(adminC);
        QCOMPARE(snapshotOrgClients(snapshot, u"acme"_s), 1);

        auto agent = std::make_unique<TestAgent>();
        QVERIFY(agent->connectTo(a().wsBase(), u"ag-1"_s, m_apiKeys.value(u"ag-1"_s), 10000));
        agent->heartbeat();
        // The scenario outlasts the heartbeat timeout (45 s): keep the agent fresh.
        QTimer heartbeats;
        connect(&heartbeats, &QTimer::timeout, agent.get(), [&agent] { agent->heartbeat(); });
        heartbeats.start(10000);
        auto browserA = openBrowser(a());
        QVERIFY(browserA);
        auto browserB = openBrowser(b());
        QVERIFY(browserB);

        // org.updated on C carries acme's clients on every replica: C's admin, A's and B's browsers.
        QTRY_COMPARE_WITH_TIMEOUT(lastOrgClients(*adminC, u"acme"_s), 3, kLong);
        // metrics on C: C's own counts at the top level (unchanged meaning), the cluster's in
        // `cluster`, each replica's in `replicas`.
        QTRY_VERIFY_WITH_TIMEOUT(sawMetrics(*adminC,
                                            [&](const QJsonObject &m) {
                                                return m.value(u"replica"_s).toString() == c().name &&
                                                       m.value(u"agentsConnected"_s).toInt(-1) == 0 &&
                                                       m.value(u"browserClients"_s).toInt(-1) == 0 &&
                                                       clusterCount(m, u"agentsConnected"_s) == 1 &&
                                                       clusterCount(m, u"browserClients"_s) == 2 &&
                                                       m[u"cluster"_s][u"replicas"_s].toInt() == 3 &&
                                                       !m.value(u"partial"_s).toBool();
                                            }),
                                 kLong);
        const QList<QJsonObject> metrics = adminC->ofType(u"metrics"_s);
        const QJsonObject last = metrics.last();
        QCOMPARE(replicaIn(last, a().name)[u"agentsConnected"_s].toInt(-1), 1);
        QCOMPARE(replicaIn(last, a().name)[u"browserClients"_s].toInt(-1), 1);
        QCOMPARE(replicaIn(last, b().name)[u"browserClients"_s].toInt(-1), 1);
        QCOMPARE(replicaIn(last, b().name)[u"clients"_s][u"sessions"_s].toInt(-1), 1);
        QCOMPARE(replicaIn(last, c().name)[u"clients"_s][u"admin"_s].toInt(-1), 1);
        // A new admin's snapshot on B counts acme's clients everywhere: 3 plus itself.
        QJsonObject snapshotB;
        auto adminB = openAdmin(b(), &snapshotB);
        QVERIFY(adminB);
        QCOMPARE(snapshotOrgClients(snapshotB, u"acme"_s), 4);
        // Counted on C too (B's new admin), and gone again when it leaves.
        QTRY_COMPARE_WITH_TIMEOUT(lastOrgClients(*adminC, u"acme"_s), 4, kLong);
        adminB.reset();
        QTRY_COMPARE_WITH_TIMEOUT(lastOrgClients(*adminC, u"acme"_s), 3, kLong);

        // Redis down: C's numbers are its own, and it says so.
        m_redis->kill();
        const qsizetype beforeOutage = adminC->received().size();
        QTRY_VERIFY_WITH_TIMEOUT(sawMetrics(
                                     *adminC,
                                     [&](const QJsonObject &m) {
                                         return m.value(u"partial"_s).toBool() &&
                                                clusterCount(m, u"agentsConnected"_s) == 0 &&
                                                clusterCount(m, u"browserClients"_s) == 0 &&
                                                m.value(u"replicas"_s).toArray().size() == 1 &&
                                                !replicaIn(m, c().name).isEmpty();
                                     },
                                     beforeOutage),
                                 kLong);
        QTRY_COMPARE_WITH_TIMEOUT(lastOrgClients(*adminC, u"acme"_s, beforeOutage), 1, kLong);
        QVERIFY(c().process->state() == QProcess::Running);

        // Redis back (empty): every replica writes its load again.
        QVERIFY2(m_redis->start(), qPrintable(m_redis->errorString()));
        for (Replica &replica : m_replicas)
            QTRY_VERIFY_WITH_TIMEOUT(redisOk(replica), kLong);
        QTRY_VERIFY_WITH_TIMEOUT(sawMetrics(*adminC,
                                            [&](const QJsonObject &m) {
                                                return !m.value(u"partial"_s).toBool() &&
                                                       clusterCount(m, u"agentsConnected"_s) == 1 &&
                                                       clusterCount(m, u"browserClients"_s) == 2;
                                            }),
                                 kLong);
        QTRY_COMPARE_WITH_TIMEOUT(lastOrgClients(*adminC, u"acme"_s), 3, kLong);

        // A dies without a word: its agent and browser leave C's numbers once its liveness
        // key expired.
        const qsizetype beforeKill = adminC->received().size();
        killReplica(a());
        QTRY_VERIFY_WITH_TIMEOUT(sawMetrics(
                                     *adminC,
                                     [&](const QJsonObject &m) {
                                         return replicaIn(m, a().name).isEmpty() &&
                                                clusterCount(m, u"agentsConnected"_s) == 0 &&
                                                clusterCount(m, u"browserClients"_s) == 1 &&
                                                m[u"cluster"_s][u"replicas"_s].toInt() == 2;
                                     },
                                     beforeKill),
                                 kReplicaDeath);
        QTRY_COMPARE_WITH_TIMEOUT(lastOrgClients(*adminC, u"acme"_s, beforeKill), 2, kLong);
    }
};

QTEST_GUILESS_MAIN(TestClusterView)
#include "tst_clusterview.moc"
