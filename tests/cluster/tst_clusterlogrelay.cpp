// ClusterLogRelay against a real redis-server, with three "replicas" in one process (separate
// connections each): a follower gets the serving replica's lines (after its tail request), one
// serve per session whatever the number of followers, the last unfollow stops it and only the last,
// a follower that stops renewing expires, a follower that vanished is noticed by the next publish,
// the serving replica's end and refusal reach followers as log_end, an unknown agent and Redis going
// down end a follow with agent_unavailable, a stalled Redis does not make the server buffer
// without bound, and hostile follow requests are dropped.
#include "ClusterTestSupport.h"

#include "cluster/ClusterKeys.h"
#include "cluster/ClusterLogRelay.h"
#include "cluster/ClusterPresence.h"

#include <csignal>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;
using protocol::logs::EndReason;
using protocol::logs::LogEnd;
using Follow = ClusterLogRelay::Follow;

namespace {

const QString kSession = u"alice-firefox-1"_s;
const QString kAgent = u"ag-1"_s;

struct Replica
{
    Replica(const RedisUrl &url, const QString &name, ClusterLogRelay::Config config)
        : redis(url)
    {
        ClusterPresence::Config presenceConfig;
        presenceConfig.replica = name;
        presenceConfig.refreshInterval = 1h;
        presence = std::make_unique<ClusterPresence>(redis.commands.get(), presenceConfig);
        config.replica = name;
        relay = std::make_unique<ClusterLogRelay>(redis.commands.get(), redis.subscriber.get(),
                                                  presence.get(), config);
        relay->setServing(
            [this](const Follow &follow) -> std::optional<LogEnd> {
                if (refusal)
                    return LogEnd{follow.sessionId, refusal->reason, refusal->message};
                starts.append(follow);
                return std::nullopt;
            },
            [this](const QString &sessionId) { stops.append(sessionId); });
        QObject::connect(relay.get(), &ClusterLogRelay::linesReceived, relay.get(),
                         [this](const QString &sessionId, const QStringList &received) {
                             if (sessionId == kSession)
                                 lines += received;
                         });
        QObject::connect(relay.get(), &ClusterLogRelay::followEnded, relay.get(),
                         [this](const LogEnd &end) { ends.append(end); });
    }

    bool open()
    {
        if (!redis.open())
            return false;
        presence->start();
        return QTest::qWaitFor([this] { return presence->isAvailable(); }, 10000) &&
               QTest::qWaitFor([this] { return redis.subscriber->channels().size() == 1; }, 10000) &&
               QTest::qWaitFor([this] { return redis.commands->pendingCount() == 0; }, 10000);
    }

    RedisPair redis;
    std::unique_ptr<ClusterPresence> presence;
    std::unique_ptr<ClusterLogRelay> relay;
    std::optional<LogEnd> refusal;
    QList<Follow> starts;
    QStringList stops;
    QStringList lines;
    QList<LogEnd> ends;
};

ClusterLogRelay::Config fastConfig()
{
    ClusterLogRelay::Config config;
    config.renewInterval = 200ms;
    config.leaseTimeout = 1000ms;
    return config;
}

} // namespace

class TestClusterLogRelay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void followerGetsLines();
    void oneServePerSessionUntilTheLastFollowerLeaves();
    void followerThatStopsRenewingExpires();
    void vanishedFollowerIsNoticedByThePublish();
    void servingEndReachesFollowers();
    void refusalReachesFollowers();
    void unknownAgentEndsTheFollow();
    void stalledRedisDropsInsteadOfBuffering();
    void hostileRequests_data();
    void hostileRequests();
    void redisDownEndsFollows();

private:
    std::unique_ptr<Replica> makeReplica(const QString &name, ClusterLogRelay::Config config = fastConfig())
    {
        auto replica = std::make_unique<Replica>(m_server->url(), name, config);
        return replica->open() ? std::move(replica) : nullptr;
    }
    // A follows the session for B (B's presence holds the agent); true once A serves it.
    bool followFrom(Replica &follower, Replica &server, int tailLines = 0)
    {
        const int before = server.relay->followerCount(kSession);
        follower.relay->follow({kSession, kAgent, u"acme"_s, tailLines});
        return QTest::qWaitFor([&] { return server.relay->followerCount(kSession) > before; }, 10000);
    }

    std::unique_ptr<RedisServerProcess> m_server;
    std::unique_ptr<RedisConnection> m_probe;
    std::unique_ptr<Replica> m_a; // holds the agent
    std::unique_ptr<Replica> m_b;
    std::unique_ptr<Replica> m_c;
};

void TestClusterLogRelay::initTestCase()
{
    if (!RedisServerProcess::isAvailable())
        QSKIP("redis-server is not installed at /usr/bin/redis-server");
    m_server = std::make_unique<RedisServerProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void TestClusterLogRelay::init()
{
    m_probe = std::make_unique<RedisConnection>(m_server->url(), fastOptions());
    m_probe->open();
    QTRY_VERIFY_WITH_TIMEOUT(m_probe->isConnected(), 10000);
    QVERIFY(runCommand(*m_probe, {"FLUSHALL"}));
    m_a = makeReplica(u"replica-a"_s);
    m_b = makeReplica(u"replica-b"_s);
    m_c = makeReplica(u"replica-c"_s);
    QVERIFY(m_a && m_b && m_c);
    m_a->presence->agentConnected(kAgent);
    QTRY_COMPARE_WITH_TIMEOUT(valueOf(*m_probe, cluster::agentPodKey(kAgent)), QByteArray("replica-a"),
                              10000);
}

void TestClusterLogRelay::cleanup()
{
    m_a.reset();
    m_b.reset();
    m_c.reset();
    m_probe.reset();
}

void TestClusterLogRelay::followerGetsLines()
{
    QVERIFY(followFrom(*m_b, *m_a, 7));
    QCOMPARE(m_a->starts.size(), 1);
    QCOMPARE(m_a->starts.at(0).sessionId, kSession);
    QCOMPARE(m_a->starts.at(0).agentId, kAgent);
    QCOMPARE(m_a->starts.at(0).orgId, u"acme"_s);
    QCOMPARE(m_a->starts.at(0).tailLines, 7);
    QCOMPARE(m_b->relay->followedCount(), 1);

    m_a->relay->publishLines(kSession, {u"one"_s, u"two"_s});
    m_a->relay->publishLines(kSession, {u"three"_s});
    // Lines of a session nobody follows go nowhere.
    m_a->relay->publishLines(u"other-session"_s, {u"secret"_s});
    QTRY_COMPARE_WITH_TIMEOUT(m_b->lines, (QStringList{u"one"_s, u"two"_s, u"three"_s}), 10000);
    QVERIFY(m_b->ends.isEmpty());
    QVERIFY(m_c->lines.isEmpty());
}

void TestClusterLogRelay::oneServePerSessionUntilTheLastFollowerLeaves()
{
    QVERIFY(followFrom(*m_b, *m_a));
    QVERIFY(followFrom(*m_c, *m_a));
    QCOMPARE(m_a->starts.size(), 1);
    QCOMPARE(m_a->relay->followerCount(kSession), 2);

    m_b->relay->unfollow(kSession);
    QTRY_COMPARE_WITH_TIMEOUT(m_a->relay->followerCount(kSession), 1, 10000);
    QVERIFY(m_a->stops.isEmpty());
    m_a->relay->publishLines(kSession, {u"still here"_s});
    QTRY_COMPARE_WITH_TIMEOUT(m_c->lines, QStringList{u"still here"_s}, 10000);

    m_c->relay->unfollow(kSession);
    QTRY_COMPARE_WITH_TIMEOUT(m_a->stops, QStringList{kSession}, 10000);
    QCOMPARE(m_a->relay->servedCount(), 0);
    QVERIFY(m_b->lines.isEmpty());
    QVERIFY(m_b->ends.isEmpty() && m_c->ends.isEmpty());
}

void TestClusterLogRelay::followerThatStopsRenewingExpires()
{
    // C renews, B never does (as if B hung): B's lease ends, C's is kept and the stream goes on.
    ClusterLogRelay::Config silent = fastConfig();
    silent.renewInterval = 1h;
    m_b = makeReplica(u"replica-b"_s, silent);
    QVERIFY(m_b);
    QVERIFY(followFrom(*m_b, *m_a));
    QVERIFY(followFrom(*m_c, *m_a));
    QTRY_COMPARE_WITH_TIMEOUT(m_a->relay->followerCount(kSession), 1, 10000);
    QVERIFY(m_a->stops.isEmpty());
    m_a->relay->publishLines(kSession, {u"for c"_s});
    QTRY_COMPARE_WITH_TIMEOUT(m_c->lines, QStringList{u"for c"_s}, 10000);
    // Then C dies without a word (no unfollow) and nothing is published: its lease ends too, and
    // with the last follower the stream.
    m_c.reset();
    QTRY_COMPARE_WITH_TIMEOUT(m_a->stops, QStringList{kSession}, 10000);
    QCOMPARE(m_a->relay->servedCount(), 0);
}

void TestClusterLogRelay::vanishedFollowerIsNoticedByThePublish()
{
    ClusterLogRelay::Config slowLease = fastConfig();
    slowLease.leaseTimeout = 1h;
    m_a = makeReplica(u"replica-a"_s, slowLease);
    QVERIFY(m_a);
    m_a->presence->agentConnected(kAgent);
    QTRY_COMPARE_WITH_TIMEOUT(valueOf(*m_probe, cluster::agentPodKey(kAgent)), QByteArray("replica-a"),
                              10000);
    QVERIFY(followFrom(*m_b, *m_a));
    m_b.reset(); // its connections close: nobody subscribes to the session's channel any more
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto reply =
                runCommand(*m_probe, {"PUBSUB", "NUMSUB", cluster::sessionLogChannel(kSession)});
            return reply && reply->elements().size() == 2 && reply->elements().at(1).toInteger() == 0;
        }(),
        10000);
    m_a->relay->publishLines(kSession, {u"to nobody"_s});
    QTRY_COMPARE_WITH_TIMEOUT(m_a->stops, QStringList{kSession}, 10000);
}

void TestClusterLogRelay::servingEndReachesFollowers()
{
    QVERIFY(followFrom(*m_b, *m_a));
    QVERIFY(followFrom(*m_c, *m_a));
    m_a->relay->publishEnd({kSession, EndReason::AgentDisconnected, u"agent ag-1 disconnected"_s});
    QTRY_COMPARE_WITH_TIMEOUT(m_b->ends.size(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(m_c->ends.size(), 1, 10000);
    QCOMPARE(m_b->ends.at(0).sessionId, kSession);
    QCOMPARE(m_b->ends.at(0).reason, EndReason::AgentDisconnected);
    QCOMPARE(m_b->ends.at(0).message, u"agent ag-1 disconnected"_s);
    QCOMPARE(m_b->relay->followedCount(), 0);
    QCOMPARE(m_a->relay->servedCount(), 0);
    // The stream ended on A: nothing to stop there.
    QVERIFY(m_a->stops.isEmpty());
}

void TestClusterLogRelay::refusalReachesFollowers()
{
    m_a->refusal = LogEnd{kSession, EndReason::AgentUnavailable, u"agent ag-1 is not connected here"_s};
    m_b->relay->follow({kSession, kAgent, u"acme"_s, 0});
    QTRY_COMPARE_WITH_TIMEOUT(m_b->ends.size(), 1, 10000);
    QCOMPARE(m_b->ends.at(0).reason, EndReason::AgentUnavailable);
    QCOMPARE(m_b->ends.at(0).message, u"agent ag-1 is not connected here"_s);
    QCOMPARE(m_a->relay->servedCount(), 0);
    QCOMPARE(m_b->relay->followedCount(), 0);
}

void TestClusterLogRelay::unknownAgentEndsTheFollow()
{
    m_b->relay->follow({kSession, u"nobody"_s, u"acme"_s, 0});
    QTRY_COMPARE_WITH_TIMEOUT(m_b->ends.size(), 1, 10000);
    QCOMPARE(m_b->ends.at(0).reason, EndReason::AgentUnavailable);
    QVERIFY2(m_b->ends.at(0).message.contains(u"nobody"_s), qPrintable(m_b->ends.at(0).message));
    QCOMPARE(m_b->relay->followedCount(), 0);
}

void TestClusterLogRelay::stalledRedisDropsInsteadOfBuffering()
{
    QVERIFY(followFrom(*m_b, *m_a));
    const auto pid = static_cast<pid_t>(m_server->processId());
    QVERIFY(pid > 0);
    ::kill(pid, SIGSTOP);
    const int cap = fastConfig().maxPublishesInFlight;
    const int published = cap + 500;
    for (int i = 0; i < published; ++i)
        m_a->relay->publishLines(kSession, {u"line %1"_s.arg(i), u"more"_s});
    QVERIFY2(m_a->redis.commands->pendingCount() <= cap,
             qPrintable(QString::number(m_a->redis.commands->pendingCount())));
    QCOMPARE(m_a->relay->droppedLines(), quint64(2 * 500));
    ::kill(pid, SIGCONT);
    // What was in flight arrives, in order; nothing of the dropped rest.
    QTRY_COMPARE_WITH_TIMEOUT(m_b->lines.size(), 2 * cap, 15000);
    QCOMPARE(m_b->lines.first(), u"line 0"_s);
    QCOMPARE(m_b->lines.at(2 * cap - 2), u"line %1"_s.arg(cap - 1));
    // The publishes answered: room again.
    QTRY_COMPARE_WITH_TIMEOUT(m_a->redis.commands->pendingCount(), 0, 10000);
    m_a->relay->publishLines(kSession, {u"after"_s});
    QTRY_COMPARE_WITH_TIMEOUT(m_b->lines.last(), u"after"_s, 10000);
}

void TestClusterLogRelay::hostileRequests_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("not json") << QByteArray("follow me");
    QTest::newRow("array") << QByteArray(R"(["follow"])");
    QTest::newRow("unknown op") << QByteArray(
        R"({"op":"start","from":"replica-b","sessionId":"s","agentId":"ag-1","orgId":"acme","tailLines":0})");
    QTest::newRow("no from") << QByteArray(
        R"({"op":"follow","sessionId":"s","agentId":"ag-1","orgId":"acme","tailLines":0})");
    QTest::newRow("bad replica name") << QByteArray(
        R"({"op":"follow","from":"a b","sessionId":"s","agentId":"ag-1","orgId":"acme","tailLines":0})");
    QTest::newRow("no session") << QByteArray(
        R"({"op":"follow","from":"replica-b","agentId":"ag-1","orgId":"acme","tailLines":0})");
    QTest::newRow("session not a string") << QByteArray(
        R"({"op":"follow","from":"replica-b","sessionId":7,"agentId":"ag-1","orgId":"acme","tailLines":0})");
    QTest::newRow("no org") << QByteArray(
        R"({"op":"follow","from":"replica-b","sessionId":"s","agentId":"ag-1","tailLines":0})");
    QTest::newRow("tail too long") << QByteArray(
        R"({"op":"follow","from":"replica-b","sessionId":"s","agentId":"ag-1","orgId":"acme","tailLines":100000})");
    QTest::newRow("negative tail") << QByteArray(
        R"({"op":"follow","from":"replica-b","sessionId":"s","agentId":"ag-1","orgId":"acme","tailLines":-1})");
}

void TestClusterLogRelay::hostileRequests()
{
    QFETCH(QByteArray, payload);
    const auto published =
        runCommand(*m_probe, {"PUBLISH", cluster::logFollowChannel(u"replica-a"_s), payload});
    QVERIFY(published && published->toInteger() == 1);
    QTRY_COMPARE_WITH_TIMEOUT(m_a->relay->rejectedMessages(), 1, 10000);
    QVERIFY(m_a->starts.isEmpty());
    QCOMPARE(m_a->relay->servedCount(), 0);
    // Hostile lines on a followed session's channel are dropped too.
    QVERIFY(followFrom(*m_b, *m_a));
    QVERIFY(runCommand(*m_probe, {"PUBLISH", cluster::sessionLogChannel(kSession), payload}));
    QTRY_COMPARE_WITH_TIMEOUT(m_b->relay->rejectedMessages(), 1, 10000);
    QVERIFY(m_b->lines.isEmpty() && m_b->ends.isEmpty());
}

void TestClusterLogRelay::redisDownEndsFollows()
{
    QVERIFY(followFrom(*m_b, *m_a));
    m_server->kill();
    QTRY_COMPARE_WITH_TIMEOUT(m_b->ends.size(), 1, 10000);
    QCOMPARE(m_b->ends.at(0).reason, EndReason::AgentUnavailable);
    QVERIFY2(m_b->ends.at(0).message.contains(u"Redis"_s), qPrintable(m_b->ends.at(0).message));
    QCOMPARE(m_b->relay->followedCount(), 0);
    // A new follow while Redis is down ends at once, from the event loop.
    m_c->relay->follow({kSession, kAgent, u"acme"_s, 0});
    QVERIFY(m_c->ends.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(m_c->ends.size(), 1, 10000);
    QCOMPARE(m_c->ends.at(0).reason, EndReason::AgentUnavailable);
    // A's served session: nobody renews; it stops once the lease is over (no busy loop meanwhile).
    QTRY_COMPARE_WITH_TIMEOUT(m_a->stops, QStringList{kSession}, 10000);
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

QTEST_GUILESS_MAIN(TestClusterLogRelay)
#include "tst_clusterlogrelay.moc"
