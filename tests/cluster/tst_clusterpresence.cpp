// ClusterPresence against a real redis-server: registration with TTL, refresh that brings lost
// keys back, expiry when a replica stops refreshing, the guarded delete (a late disconnect on one
// replica never erases another's registration), replica liveness, batched refresh of thousands
// of agents, and a Redis kill/restart (outage signalled once, spaced reconnects, presence
// re-published).
#include "ClusterTestSupport.h"

#include "cluster/ClusterKeys.h"
#include "cluster/ClusterPresence.h"

#include <QElapsedTimer>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

class TestClusterPresence : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void connectRegistersWithTtl();
    void refreshBringsLostKeysBack();
    void keysExpireWhenReplicaStopsRefreshing();
    void lateDisconnectKeepsOtherReplicasRegistration();
    void disconnectRemovesOwnRegistration();
    void disconnectDuringOutageIsReleasedOnRecovery();
    void refreshRespectsNewerOwner_data();
    void refreshRespectsNewerOwner();
    void replicaLiveness();
    void connectedAgentsAcrossReplicas();
    void batchedRefreshOfManyAgents();
    void heartbeatsCostNoRoundTrip();
    void withdrawRemovesOnlyOwnKeys();
    void redisKilledAndRestarted();

private:
    std::unique_ptr<ClusterPresence> makePresence(RedisConnection *redis, const QString &replica,
                                                  std::chrono::seconds agentTtl = 60s,
                                                  std::chrono::seconds replicaTtl = 60s);
    // Waits until every command sent on `redis` got its reply.
    static bool drained(RedisConnection &redis)
    {
        return QTest::qWaitFor([&] { return redis.pendingCount() == 0; }, 10000);
    }

    std::unique_ptr<RedisServerProcess> m_server;
    std::unique_ptr<RedisConnection> m_probe; // the test's own view of Redis
    std::unique_ptr<RedisConnection> m_redisA;
    std::unique_ptr<RedisConnection> m_redisB;
};

std::unique_ptr<ClusterPresence> TestClusterPresence::makePresence(RedisConnection *redis,
                                                                   const QString &replica,
                                                                   std::chrono::seconds agentTtl,
                                                                   std::chrono::seconds replicaTtl)
{
    ClusterPresence::Config config;
    config.replica = replica;
    config.agentTtl = agentTtl;
    config.replicaTtl = replicaTtl;
    config.refreshInterval = 1h; // the tests run passes with refreshNow()
    return std::make_unique<ClusterPresence>(redis, config);
}

void TestClusterPresence::initTestCase()
{
    if (!RedisServerProcess::isAvailable())
        QSKIP("redis-server is not installed at /usr/bin/redis-server");
    m_server = std::make_unique<RedisServerProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void TestClusterPresence::init()
{
    for (auto *redis : {&m_probe, &m_redisA, &m_redisB}) {
        *redis = std::make_unique<RedisConnection>(m_server->url(), fastOptions());
        (*redis)->open();
        QTRY_VERIFY_WITH_TIMEOUT((*redis)->isConnected(), 10000);
    }
    QCOMPARE(runCommand(*m_probe, {"FLUSHALL"})->toByteArray(), QByteArray("OK"));
}

void TestClusterPresence::cleanup()
{
    m_redisB.reset();
    m_redisA.reset();
    m_probe.reset();
}

void TestClusterPresence::connectRegistersWithTtl()
{
    auto presence = makePresence(m_redisA.get(), u"replica-a"_s, 90s);
    presence->agentConnected(u"k8s-1"_s);
    QVERIFY(presence->isLocal(u"k8s-1"_s));
    QVERIFY(drained(*m_redisA));

    QCOMPARE(valueOf(*m_probe, "agent:k8s-1:pod"), QByteArray("replica-a"));
    QCOMPARE(valueOf(*m_probe, "agent:k8s-1:connected"), QByteArray("true"));
    for (const QByteArray key : {"agent:k8s-1:pod", "agent:k8s-1:connected"}) {
        const qint64 ttl = integerOf(*m_probe, {"TTL", key});
        QVERIFY2(ttl > 80 && ttl <= 90, qPrintable(QString::number(ttl)));
    }
}

void TestClusterPresence::refreshBringsLostKeysBack()
{
    auto presence = makePresence(m_redisA.get(), u"replica-a"_s, 90s);
    QSignalSpy refreshed(presence.get(), &ClusterPresence::refreshed);
    presence->agentConnected(u"k8s-1"_s);
    QVERIFY(drained(*m_redisA));
    // The Go original only EXPIREd on heartbeat, so a key lost once (eviction, FLUSHDB, a Redis
    // restart) never came back. A pass SETs it again.
    QCOMPARE(integerOf(*m_probe, {"DEL", "agent:k8s-1:pod", "agent:k8s-1:connected"}), 2);
    QCOMPARE(integerOf(*m_probe, {"EXPIRE", "agent:k8s-1:pod", "1"}), 0);
    presence->refreshNow();
    QTRY_COMPARE(refreshed.count(), 1);
    QCOMPARE(refreshed.at(0).at(0).toInt(), 1);
    QCOMPARE(valueOf(*m_probe, "agent:k8s-1:pod"), QByteArray("replica-a"));
    QCOMPARE(valueOf(*m_probe, "agent:k8s-1:connected"), QByteArray("true"));
    QVERIFY(integerOf(*m_probe, {"TTL", "agent:k8s-1:connected"}) > 80);
}

void TestClusterPresence::keysExpireWhenReplicaStopsRefreshing()
{
    {
        auto presence = makePresence(m_redisA.get(), u"replica-a"_s, 1s, 1s);
        presence->start();
        presence->agentConnected(u"k8s-1"_s);
        QVERIFY(drained(*m_redisA));
        QCOMPARE(valueOf(*m_probe, "agent:k8s-1:pod"), QByteArray("replica-a"));
        QCOMPARE(valueOf(*m_probe, "replica:replica-a:alive").isEmpty(), false);
    } // the replica "dies": no withdraw, no more refreshes
    QTRY_COMPARE_WITH_TIMEOUT(integerOf(*m_probe, {"EXISTS", "agent:k8s-1:pod", "agent:k8s-1:connected",
                                                   "replica:replica-a:alive"}),
                              0, 10000);

    auto other = makePresence(m_redisB.get(), u"replica-b"_s);
    const auto location = waitForResult(other->locate(u"k8s-1"_s));
    QVERIFY(location && location->ok());
    QVERIFY(location->value().replica.isEmpty());
}

void TestClusterPresence::lateDisconnectKeepsOtherReplicasRegistration()
{
    auto a = makePresence(m_redisA.get(), u"replica-a"_s);
    auto b = makePresence(m_redisB.get(), u"replica-b"_s);
    a->agentConnected(u"k8s-1"_s);
    QVERIFY(drained(*m_redisA));
    // The agent reconnects to B before A noticed that its old connection is gone.
    b->agentConnected(u"k8s-1"_s);
    QVERIFY(drained(*m_redisB));
    QCOMPARE(valueOf(*m_probe, "agent:k8s-1:pod"), QByteArray("replica-b"));

    a->agentDisconnected(u"k8s-1"_s);
    QVERIFY(!a->isLocal(u"k8s-1"_s));
    QVERIFY(drained(*m_redisA));
    QCOMPARE(valueOf(*m_probe, "agent:k8s-1:pod"), QByteArray("replica-b"));
    QCOMPARE(valueOf(*m_probe, "agent:k8s-1:connected"), QByteArray("true"));
}

void TestClusterPresence::disconnectRemovesOwnRegistration()
{
    auto a = makePresence(m_redisA.get(), u"replica-a"_s);
    a->agentConnected(u"k8s-1"_s);
    a->agentConnected(u"k8s-2"_s);
    QVERIFY(drained(*m_redisA));
    a->agentDisconnected(u"k8s-1"_s);
    QVERIFY(drained(*m_redisA));
    QCOMPARE(integerOf(*m_probe, {"EXISTS", "agent:k8s-1:pod", "agent:k8s-1:connected"}), 0);
    QCOMPARE(integerOf(*m_probe, {"EXISTS", "agent:k8s-2:pod", "agent:k8s-2:connected"}), 2);
    QCOMPARE(a->localAgents(), QStringList{u"k8s-2"_s});
}

void TestClusterPresence::disconnectDuringOutageIsReleasedOnRecovery()
{
    auto a = makePresence(m_redisA.get(), u"replica-a"_s);
    QSignalSpy republished(a.get(), &ClusterPresence::republished);
    a->start();
    a->agentConnected(u"gone"_s);
    a->agentConnected(u"stays"_s);
    QVERIFY(drained(*m_redisA));
    m_redisA->close(); // an outage as this replica sees it; the keys stay in Redis
    QVERIFY(!a->isAvailable());
    a->agentDisconnected(u"gone"_s);
    QCOMPARE(valueOf(*m_probe, "agent:gone:pod"), QByteArray("replica-a"));

    republished.clear();
    m_redisA->open();
    QTRY_COMPARE_WITH_TIMEOUT(republished.count(), 1, 10000);
    QCOMPARE(republished.at(0).at(0).toInt(), 1);
    QVERIFY(drained(*m_redisA));
    // Not left to its TTL: other replicas would route the agent's commands here meanwhile.
    QCOMPARE(integerOf(*m_probe, {"EXISTS", "agent:gone:pod", "agent:gone:connected"}), 0);
    QCOMPARE(valueOf(*m_probe, "agent:stays:pod"), QByteArray("replica-a"));
}

void TestClusterPresence::refreshRespectsNewerOwner_data()
{
    QTest::addColumn<bool>("ownerAlive");
    QTest::addColumn<QByteArray>("expectedOwner");
    QTest::newRow("owner alive: keep its registration") << true << QByteArray("replica-b");
    QTest::newRow("owner dead: take the agent back") << false << QByteArray("replica-a");
}

void TestClusterPresence::refreshRespectsNewerOwner()
{
    QFETCH(bool, ownerAlive);
    QFETCH(QByteArray, expectedOwner);

    auto a = makePresence(m_redisA.get(), u"replica-a"_s);
    QSignalSpy claimed(a.get(), &ClusterPresence::agentClaimedElsewhere);
    QSignalSpy refreshed(a.get(), &ClusterPresence::refreshed);
    a->agentConnected(u"k8s-1"_s);
    QVERIFY(drained(*m_redisA));
    // Another replica registered the agent since (a newer connection).
    QCOMPARE(runCommand(*m_probe, {"SET", "agent:k8s-1:pod", "replica-b", "EX", "60"})->toByteArray(),
             QByteArray("OK"));
    if (ownerAlive)
        QVERIFY(runCommand(*m_probe, {"SET", "replica:replica-b:alive", "x", "EX", "60"}));

    a->refreshNow();
    QTRY_COMPARE(refreshed.count(), 1);
    QCOMPARE(valueOf(*m_probe, "agent:k8s-1:pod"), expectedOwner);
    if (ownerAlive) {
        QCOMPARE(refreshed.at(0).at(0).toInt(), 0);
        QCOMPARE(claimed.count(), 1);
        QCOMPARE(claimed.at(0), (QList<QVariant>{u"k8s-1"_s, u"replica-b"_s}));
    } else {
        QCOMPARE(refreshed.at(0).at(0).toInt(), 1);
        QCOMPARE(claimed.count(), 0);
    }
}

void TestClusterPresence::replicaLiveness()
{
    ClusterPresence::Config config;
    config.replica = u"replica-a"_s;
    config.replicaTtl = 2s;
    config.refreshInterval = 250ms; // keeps the 2 s liveness key alive however slow the machine
    auto a = std::make_unique<ClusterPresence>(m_redisA.get(), config);
    auto b = makePresence(m_redisB.get(), u"replica-b"_s, 60s, 60s);
    a->start();
    b->start();
    a->agentConnected(u"k8s-1"_s);
    QVERIFY(drained(*m_redisA));
    QVERIFY(drained(*m_redisB));
    const qint64 ttl = integerOf(*m_probe, {"TTL", "replica:replica-a:alive"});
    QVERIFY2(ttl >= 0 && ttl <= 2, qPrintable(QString::number(ttl)));

    auto live = waitForResult(b->liveReplicas());
    QVERIFY(live && live->ok());
    QCOMPARE(live->value(), (QStringList{u"replica-a"_s, u"replica-b"_s}));

    auto location = waitForResult(b->locate(u"k8s-1"_s));
    QVERIFY(location && location->ok());
    QCOMPARE(location->value().replica, u"replica-a"_s);
    QVERIFY(location->value().replicaAlive);

    // A stops refreshing (hangs or dies): its liveness key goes first, long before the agents'.
    a->stop();
    QTRY_VERIFY_WITH_TIMEOUT(integerOf(*m_probe, {"EXISTS", "replica:replica-a:alive"}) == 0, 10000);
    location = waitForResult(b->locate(u"k8s-1"_s));
    QVERIFY(location && location->ok());
    QCOMPARE(location->value().replica, u"replica-a"_s);
    QVERIFY(!location->value().replicaAlive);
    const auto directory = waitForResult(b->connectedAgents());
    QVERIFY(directory && directory->complete);
    QVERIFY(directory->replicaByAgent.isEmpty());
    live = waitForResult(b->liveReplicas());
    QCOMPARE(live->value(), QStringList{u"replica-b"_s});

    // A local agent is answered without asking Redis.
    QCOMPARE(waitForResult(a->locate(u"k8s-1"_s))->value().replica, u"replica-a"_s);
}

void TestClusterPresence::connectedAgentsAcrossReplicas()
{
    auto a = makePresence(m_redisA.get(), u"replica-a"_s);
    auto b = makePresence(m_redisB.get(), u"replica-b"_s);
    a->start();
    b->start();
    for (int i = 0; i < 1500; ++i)
        (i % 3 ? a : b)->agentConnected(u"agent-%1"_s.arg(i));
    // An agent of a replica that is not alive (no liveness key) does not count.
    QVERIFY(runCommand(*m_probe, {"SET", "agent:ghost:pod", "replica-dead", "EX", "60"}));
    QVERIFY(drained(*m_redisA));
    QVERIFY(drained(*m_redisB));

    const auto directory = waitForResult(a->connectedAgents());
    QVERIFY(directory);
    QVERIFY(directory->complete);
    QCOMPARE(directory->replicaByAgent.size(), 1500);
    QCOMPARE(directory->replicaByAgent.value(u"agent-1"_s), u"replica-a"_s);
    QCOMPARE(directory->replicaByAgent.value(u"agent-3"_s), u"replica-b"_s);
    QVERIFY(!directory->replicaByAgent.contains(u"ghost"_s));
}

void TestClusterPresence::batchedRefreshOfManyAgents()
{
    constexpr int kAgents = 5000;
    ClusterPresence::Config config;
    config.replica = u"replica-a"_s;
    config.refreshInterval = 1h;
    config.refreshBatchSize = 500;
    ClusterPresence presence(m_redisA.get(), config);
    QSignalSpy refreshed(&presence, &ClusterPresence::refreshed);
    for (int i = 0; i < kAgents; ++i)
        presence.agentConnected(u"agent-%1"_s.arg(i));
    QVERIFY(drained(*m_redisA));
    QVERIFY(runCommand(*m_probe, {"FLUSHALL"}));
    QVERIFY(runCommand(*m_probe, {"CONFIG", "RESETSTAT"}));

    presence.refreshNow();
    presence.refreshNow(); // while one is in flight: coalesced into one more pass, not queued twice
    QTRY_COMPARE_WITH_TIMEOUT(refreshed.count(), 2, 20000);
    QCOMPARE(refreshed.at(0).at(0).toInt(), kAgents);
    // One EVAL per 500 agents, per pass: 2 x 10 round trips, not 2 x 10,000.
    QCOMPARE(commandCalls(*m_probe, "eval"), 20);
    QCOMPARE(integerOf(*m_probe, {"DBSIZE"}), 2 * kAgents + 1);
    QCOMPARE(valueOf(*m_probe, "agent:agent-4999:pod"), QByteArray("replica-a"));
    QCOMPARE(valueOf(*m_probe, "agent:agent-0:connected"), QByteArray("true"));
}

void TestClusterPresence::heartbeatsCostNoRoundTrip()
{
    auto a = makePresence(m_redisA.get(), u"replica-a"_s);
    for (int i = 0; i < 1000; ++i)
        a->agentConnected(u"agent-%1"_s.arg(i));
    QVERIFY(drained(*m_redisA));
    QVERIFY(runCommand(*m_probe, {"CONFIG", "RESETSTAT"}));
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 1000; ++i)
            a->agentHeartbeat(u"agent-%1"_s.arg(i));
    }
    QCOMPARE(m_redisA->pendingCount(), 0);
    QCOMPARE(
        commandCalls(*m_probe, "set") + commandCalls(*m_probe, "eval") + commandCalls(*m_probe, "expire"), 0);

    // A heartbeat of an agent presence did not know registers it.
    a->agentHeartbeat(u"late"_s);
    QVERIFY(a->isLocal(u"late"_s));
    QVERIFY(drained(*m_redisA));
    QCOMPARE(valueOf(*m_probe, "agent:late:pod"), QByteArray("replica-a"));
}

void TestClusterPresence::withdrawRemovesOnlyOwnKeys()
{
    auto a = makePresence(m_redisA.get(), u"replica-a"_s);
    auto b = makePresence(m_redisB.get(), u"replica-b"_s);
    a->start();
    a->agentConnected(u"mine"_s);
    a->agentConnected(u"moved"_s);
    QVERIFY(drained(*m_redisA));
    b->agentConnected(u"moved"_s);
    QVERIFY(drained(*m_redisB));

    const auto done = waitForResult(a->withdraw());
    QVERIFY(done && *done);
    QVERIFY(a->localAgents().isEmpty());
    QCOMPARE(
        integerOf(*m_probe, {"EXISTS", "agent:mine:pod", "agent:mine:connected", "replica:replica-a:alive"}),
        0);
    QCOMPARE(valueOf(*m_probe, "agent:moved:pod"), QByteArray("replica-b"));
}

void TestClusterPresence::redisKilledAndRestarted()
{
    QList<qint64> attempts; // declared before the connection that appends to it
    QElapsedTimer clock;
    RedisServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    RedisConnection redis(server.url(), fastOptions()); // reconnect delays 50..400 ms
    RedisConnection probe(server.url(), fastOptions());
    redis.open();
    probe.open();
    QTRY_VERIFY_WITH_TIMEOUT(redis.isConnected() && probe.isConnected(), 10000);

    ClusterPresence::Config config;
    config.replica = u"replica-a"_s;
    config.refreshInterval = 300ms;
    ClusterPresence presence(&redis, config);
    QSignalSpy availability(&presence, &ClusterPresence::availabilityChanged);
    QSignalSpy republished(&presence, &ClusterPresence::republished);
    presence.start();
    presence.agentConnected(u"k8s-1"_s);
    presence.agentConnected(u"k8s-2"_s);
    QTRY_COMPARE(republished.count(), 1);
    QTRY_COMPARE(valueOf(probe, "agent:k8s-2:pod"), QByteArray("replica-a"));

    clock.start();
    connect(&redis, &RedisConnection::errorOccurred, this, [&] { attempts.append(clock.elapsed()); });
    availability.clear();
    server.kill();
    QTRY_COMPARE_WITH_TIMEOUT(availability.count(), 1, 10000);
    QCOMPARE(availability.at(0).at(0).toBool(), false);
    QVERIFY(!presence.isAvailable());

    // Local state keeps working without Redis.
    presence.agentConnected(u"k8s-3"_s);
    presence.agentDisconnected(u"k8s-1"_s);
    presence.refreshNow();
    QVERIFY(presence.isLocal(u"k8s-3"_s));
    const auto local = waitForResult(presence.locate(u"k8s-3"_s));
    QVERIFY(local && local->ok() && local->value().replica == u"replica-a"_s);
    const auto directory = waitForResult(presence.connectedAgents());
    QVERIFY(directory && !directory->complete);
    QCOMPARE(directory->replicaByAgent.size(), 2);
    const auto remote = waitForResult(presence.locate(u"elsewhere"_s));
    QVERIFY(remote && !remote->ok());
    QCOMPARE(remote->error().code, protocol::ErrorCode::Unavailable);

    // Reconnect attempts are spaced by the backoff (50 ms minus jitter at least), not a busy loop,
    // and the outage is signalled once, not per attempt.
    QTest::qWait(1500); // an observation window, not an assertion on timing
    QVERIFY2(attempts.size() >= 3, qPrintable(QString::number(attempts.size())));
    QVERIFY2(attempts.size() <= 40, qPrintable(QString::number(attempts.size())));
    for (qsizetype i = 2; i < attempts.size(); ++i)
        QVERIFY2(attempts.at(i) - attempts.at(i - 1) >= 30,
                 qPrintable(u"attempts %1 ms apart"_s.arg(attempts.at(i) - attempts.at(i - 1))));
    QCOMPARE(availability.count(), 1);

    republished.clear();
    QVERIFY2(server.start(), qPrintable(server.errorString())); // same port, empty data set
    QTRY_COMPARE_WITH_TIMEOUT(availability.count(), 2, 15000);
    QCOMPARE(availability.at(1).at(0).toBool(), true);
    QTRY_VERIFY_WITH_TIMEOUT(republished.count() >= 1, 15000);
    QCOMPARE(republished.at(0).at(0).toInt(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(probe.isConnected(), 15000);
    QCOMPARE(valueOf(probe, "agent:k8s-2:pod"), QByteArray("replica-a"));
    QCOMPARE(valueOf(probe, "agent:k8s-3:pod"), QByteArray("replica-a"));
    QCOMPARE(valueOf(probe, "agent:k8s-3:connected"), QByteArray("true"));
    QCOMPARE(integerOf(probe, {"EXISTS", "agent:k8s-1:pod", "replica:replica-a:alive"}), 1);
}

QTEST_GUILESS_MAIN(TestClusterPresence)
#include "tst_clusterpresence.moc"
