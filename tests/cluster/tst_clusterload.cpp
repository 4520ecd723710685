// ClusterLoad against a real redis-server, with "replicas" in one process (separate connections
// each): a count change reaches the other replica over the bus, a refresh reads only replicas
// whose liveness key exists (a dead one leaves the view and its org counts with it), older
// reports never overwrite newer ones, Redis unavailable drops the others' numbers, the metrics
// totals add up, and hostile reports are refused.
#include "ClusterTestSupport.h"

#include "cluster/ClusterBus.h"
#include "cluster/ClusterKeys.h"
#include "cluster/ClusterLoad.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

struct Node
{
    Node(const RedisUrl &url, const QString &name)
        : redis(url)
        , bus(redis.commands.get(), redis.subscriber.get(), ClusterBus::Config{name, cluster::kEventsChannel})
        , load(
              redis.commands.get(), &bus, [this] { return report; },
              ClusterLoad::Config{name, std::chrono::seconds(30), std::chrono::milliseconds(20), 256})
    {
        QObject::connect(&bus, &ClusterBus::replicaLoadReceived, &load, &ClusterLoad::applyRemote);
        QObject::connect(&load, &ClusterLoad::remoteOrgClientsChanged, &load,
                         [this](const QString &orgId) { changed.append(orgId); });
        report.counts = {1, 2, 10, 20};
        report.clients = {{u"sessions"_s, 2}, {u"admin"_s, 1}};
    }

    bool open(const QString &name)
    {
        if (!redis.open() || !QTest::qWaitFor([this] { return bus.isSubscribed(); }, 10000))
            return false;
        // Alive, as ClusterPresence would say.
        if (!runCommand(*redis.commands, {"SET", cluster::replicaAliveKey(name), "x", "EX", "60"}))
            return false;
        load.setAvailable(true); // reads at once: wait for that read
        return waitForResult(load.refresh()) == std::optional<bool>(true);
    }

    RedisPair redis;
    ClusterBus bus;
    cluster::LoadReport report;
    ClusterLoad load;
    QStringList changed;
};

} // namespace

class TestClusterLoad : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (!RedisServerProcess::isAvailable())
            QSKIP("redis-server is not installed at /usr/bin/redis-server");
        m_server = std::make_unique<RedisServerProcess>();
        QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
    }

    void init()
    {
        m_probe = std::make_unique<RedisConnection>(m_server->url(), fastOptions());
        m_probe->open();
        QTRY_VERIFY_WITH_TIMEOUT(m_probe->isConnected(), 10000);
        QVERIFY(runCommand(*m_probe, {"FLUSHALL"}).has_value());
    }

    void cleanup() { m_probe.reset(); }

    // A changes acme's count: B hears it on the bus (no refresh needed) and says which org changed.
    void countChangeReachesTheOtherReplica()
    {
        Node a(m_server->url(), u"a"_s);
        Node b(m_server->url(), u"b"_s);
        QVERIFY(a.open(u"a"_s));
        QVERIFY(b.open(u"b"_s));
        a.report.orgClients = {{u"acme"_s, 2}};
        a.load.localChanged();
        QTRY_COMPARE_WITH_TIMEOUT(b.load.remoteOrgClients(u"acme"_s), 2, 10000);
        QCOMPARE(b.changed, QStringList{u"acme"_s});
        QCOMPARE(b.load.remoteOrgs(), QStringList{u"acme"_s});
        // Written to Redis before it was announced, with the liveness TTL.
        QVERIFY(valueOf(*m_probe, cluster::replicaLoadKey(u"a"_s)).contains("\"acme\":2"));
        QVERIFY(integerOf(*m_probe, {"TTL", cluster::replicaLoadKey(u"a"_s)}) > 20);

        a.report.orgClients = {{u"beta"_s, 1}};
        a.load.localChanged();
        QTRY_COMPARE_WITH_TIMEOUT(b.load.remoteOrgClients(u"beta"_s), 1, 10000);
        QCOMPARE(b.load.remoteOrgClients(u"acme"_s), 0);
        QVERIFY(b.changed.contains(u"acme"_s));
        QCOMPARE(a.load.remoteOrgClients(u"acme"_s), 0); // nothing of its own comes back
    }

    // refresh() reads the replicas whose liveness key exists: a replica whose key is gone (it
    // died) leaves the view with its counts; the survivors stay.
    void deadReplicaLeavesOnRefresh()
    {
        Node a(m_server->url(), u"a"_s);
        Node b(m_server->url(), u"b"_s);
        Node c(m_server->url(), u"c"_s);
        QVERIFY(a.open(u"a"_s));
        QVERIFY(b.open(u"b"_s));
        QVERIFY(c.open(u"c"_s));
        a.report.orgClients = {{u"acme"_s, 3}};
        b.report.orgClients = {{u"acme"_s, 1}};
        QCOMPARE(waitForResult(a.load.refresh()), std::optional<bool>(true));
        QCOMPARE(waitForResult(b.load.refresh()), std::optional<bool>(true));
        QCOMPARE(waitForResult(c.load.refresh()), std::optional<bool>(true));
        QCOMPARE(c.load.remoteOrgClients(u"acme"_s), 4);
        QCOMPARE(c.load.remoteReports().size(), 2);

        QVERIFY(runCommand(*m_probe, {"DEL", cluster::replicaAliveKey(u"a"_s)}).has_value());
        c.changed.clear();
        QCOMPARE(waitForResult(c.load.refresh()), std::optional<bool>(true));
        QCOMPARE(c.load.remoteOrgClients(u"acme"_s), 1);
        QCOMPARE(c.load.remoteReports().size(), 1);
        QCOMPARE(c.load.remoteReports().first().replica, u"b"_s);
        QCOMPARE(c.changed, QStringList{u"acme"_s});

        const protocol::admin::Metrics metrics = c.load.metrics(QDateTime::currentDateTimeUtc());
        QCOMPARE(metrics.replica, u"c"_s);
        QCOMPARE(metrics.agentsConnected, 1); // c's own
        QVERIFY(metrics.cluster);
        QCOMPARE(metrics.cluster->agentsConnected, 2);
        QCOMPARE(metrics.cluster->browserClients, 4);
        QCOMPARE(metrics.cluster->messagesIn, quint64(20));
        QCOMPARE(metrics.replicas.size(), 2);
        QCOMPARE(metrics.replicas.at(0).replica, u"b"_s);
        QCOMPARE(metrics.replicas.at(1).replica, u"c"_s);
        QCOMPARE(metrics.replicas.at(1).clients.value(u"admin"_s), 1);
        QVERIFY(!metrics.partial);
    }

    // A report older than the one held (same instance, lower version) changes nothing; Redis
    // unavailable drops the others' numbers and marks the metrics partial.
    void olderReportsAndOutage()
    {
        Node b(m_server->url(), u"b"_s);
        QVERIFY(b.open(u"b"_s));
        cluster::LoadReport report;
        report.replica = u"a"_s;
        report.instance = u"i1"_s;
        report.version = 5;
        report.atMs = 1000;
        report.orgClients = {{u"acme"_s, 5}};
        b.load.applyRemote(cluster::loadReportToJson(report), u"a"_s);
        QCOMPARE(b.load.remoteOrgClients(u"acme"_s), 5);
        report.version = 4;
        report.orgClients = {{u"acme"_s, 1}};
        b.load.applyRemote(cluster::loadReportToJson(report), u"a"_s);
        QCOMPARE(b.load.remoteOrgClients(u"acme"_s), 5);
        // A report must come from the replica it names.
        report.version = 6;
        b.load.applyRemote(cluster::loadReportToJson(report), u"x"_s);
        QCOMPARE(b.load.remoteOrgClients(u"acme"_s), 5);
        QCOMPARE(b.load.rejectedReports(), 1);

        b.changed.clear();
        b.load.setAvailable(false);
        QCOMPARE(b.load.remoteOrgClients(u"acme"_s), 0);
        QCOMPARE(b.changed, QStringList{u"acme"_s});
        const protocol::admin::Metrics metrics = b.load.metrics(QDateTime::currentDateTimeUtc());
        QVERIFY(metrics.partial);
        QCOMPARE(metrics.replicas.size(), 1);
        QCOMPARE(metrics.cluster->agentsConnected, 1);
    }

    void hostileReports_data();

    void hostileReports()
    {
        QFETCH(QByteArray, json);
        QVERIFY(!cluster::decodeLoadReport(json));
        // Through Redis too: a refresh skips it and keeps going.
        Node b(m_server->url(), u"b"_s);
        QVERIFY(b.open(u"b"_s));
        QVERIFY(runCommand(*m_probe, {"SET", cluster::replicaAliveKey(u"a"_s), "x", "EX", "60"}).has_value());
        QVERIFY(runCommand(*m_probe, {"SET", cluster::replicaLoadKey(u"a"_s), json, "EX", "60"}).has_value());
        QCOMPARE(waitForResult(b.load.refresh()), std::optional<bool>(true));
        QCOMPARE(b.load.remoteReports().size(), 0);
        QCOMPARE(b.load.rejectedReports(), 1);
    }

private:
    std::unique_ptr<RedisServerProcess> m_server;
    std::unique_ptr<RedisConnection> m_probe;
};

void TestClusterLoad::hostileReports_data()
{
    QTest::addColumn<QByteArray>("json");
    const QByteArray head =
        R"({"v":1,"replica":"a","instance":"i","version":1,"at":1,"agentsConnected":1,"browserClients":1,)"
        R"("messagesIn":1,"messagesOut":1)";
    QTest::newRow("not json") << "{"_ba;
    QTest::newRow("other version") << QByteArray(head).replace(R"("v":1)", R"("v":2)") + "}";
    QTest::newRow("bad replica name") << QByteArray(head).replace(R"("a")", R"("a b")") + "}";
    QTest::newRow("negative count") << QByteArray(head).replace(R"("agentsConnected":1)",
                                                                R"("agentsConnected":-1)") +
                                           "}";
    QTest::newRow("unknown client kind") << head + R"(,"clients":{"robots":1}})";
    QTest::newRow("org count as text") << head + R"(,"orgs":{"acme":"1"}})";
    QTest::newRow("empty org id") << head + R"(,"orgs":{"":1}})";
    QByteArray many = head + R"(,"orgs":{)";
    for (int i = 0; i <= int(cluster::kMaxLoadReportOrgs); ++i)
        many += (i ? "," : "") + QByteArray("\"o") + QByteArray::number(i) + "\":1";
    QTest::newRow("too many orgs") << many + "}}";
    QTest::newRow("too large") << head + R"(,"pad":")" + QByteArray(2 * 1024 * 1024, 'x') + "\"}";
}

QTEST_GUILESS_MAIN(TestClusterLoad)
#include "tst_clusterload.moc"
