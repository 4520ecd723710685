// ClusterBus against a real redis-server, with two and three "replicas" in one process (separate
// connections each): every message reaches every OTHER replica exactly once, a replica never
// re-delivers its own messages, replayed messages are dropped, hostile messages are dropped
// without effect, and each topic's payload arrives intact.
#include "ClusterTestSupport.h"

#include "cluster/ClusterBus.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

struct Received
{
    QString topic;
    QString orgId;
    QJsonValue payload;
    QString origin;
};

struct Replica
{
    Replica(const RedisUrl &url, const QString &name)
        : redis(url)
        , bus(redis.commands.get(), redis.subscriber.get(), ClusterBus::Config{name, cluster::kEventsChannel})
    {
        QObject::connect(&bus, &ClusterBus::sessionEventReceived, &bus,
                         [this](const QString &orgId, const QJsonObject &event, const QString &origin) {
                             received.append({u"session_event"_s, orgId, event, origin});
                         });
        QObject::connect(&bus, &ClusterBus::orgBroadcastReceived, &bus,
                         [this](const QString &orgId, const QJsonValue &data, const QString &origin) {
                             received.append({u"org_broadcast"_s, orgId, data, origin});
                         });
        QObject::connect(&bus, &ClusterBus::sessionsChanged, &bus,
                         [this](const QString &orgId, const QString &origin) {
                             received.append({u"sessions_changed"_s, orgId, {}, origin});
                         });
        QObject::connect(&bus, &ClusterBus::adminDeltaReceived, &bus,
                         [this](const QString &orgId, const QJsonObject &delta, const QString &origin) {
                             received.append({u"admin_delta"_s, orgId, delta, origin});
                         });
    }

    bool open()
    {
        return redis.open() && QTest::qWaitFor([this] { return bus.isSubscribed(); }, 10000);
    }

    int countFrom(const QString &origin) const
    {
        return int(std::count_if(received.cbegin(), received.cend(),
                                 [&origin](const Received &r) { return r.origin == origin; }));
    }

    RedisPair redis;
    ClusterBus bus;
    QList<Received> received;
};

} // namespace

class TestClusterBus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void exactlyOnceBetweenReplicas_data();
    void exactlyOnceBetweenReplicas();
    void topicsArriveIntact();
    void replayedMessageIsDroppedOnce();
    void hostileMessages_data();
    void hostileMessages();
    void publishWithoutRedisIsRefused();

private:
    qint64 publish(const QByteArray &payload)
    {
        const auto reply = runCommand(*m_probe, {"PUBLISH", cluster::kEventsChannel, payload});
        return reply && reply->isInteger() ? reply->toInteger() : -1;
    }

    std::unique_ptr<RedisServerProcess> m_server;
    std::unique_ptr<RedisConnection> m_probe;
};

void TestClusterBus::initTestCase()
{
    if (!RedisServerProcess::isAvailable())
        QSKIP("redis-server is not installed at /usr/bin/redis-server");
    m_server = std::make_unique<RedisServerProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void TestClusterBus::init()
{
    m_probe = std::make_unique<RedisConnection>(m_server->url(), fastOptions());
    m_probe->open();
    QTRY_VERIFY_WITH_TIMEOUT(m_probe->isConnected(), 10000);
}

void TestClusterBus::cleanup()
{
    m_probe.reset();
}

void TestClusterBus::exactlyOnceBetweenReplicas_data()
{
    QTest::addColumn<int>("replicas");
    QTest::newRow("two replicas") << 2;
    QTest::newRow("three replicas") << 3;
}

void TestClusterBus::exactlyOnceBetweenReplicas()
{
    QFETCH(int, replicas);
    constexpr int kPerReplica = 200;
    std::vector<std::unique_ptr<Replica>> nodes;
    for (int i = 0; i < replicas; ++i) {
        nodes.push_back(std::make_unique<Replica>(m_server->url(), u"replica-%1"_s.arg(i)));
        QVERIFY(nodes.back()->open());
    }
    // Interleaved publishing from every replica.
    for (int n = 0; n < kPerReplica; ++n) {
        for (int i = 0; i < replicas; ++i) {
            QVERIFY(nodes[i]->bus.publishOrgBroadcast(u"org-1"_s, QJsonObject{{u"n"_s, n}, {u"from"_s, i}}));
        }
    }
    const int expected = (replicas - 1) * kPerReplica;
    for (const auto &node : nodes)
        QTRY_COMPARE_WITH_TIMEOUT(node->received.size(), expected, 15000);
    // Give any duplicate a chance to show up: a marker published after everything else arrives
    // after every earlier message (one connection, in order).
    QVERIFY(nodes[0]->bus.publishSessionsChanged(u"marker"_s));
    for (std::size_t i = 1; i < nodes.size(); ++i)
        QTRY_COMPARE(nodes[i]->received.size(), expected + 1);
    QCOMPARE(nodes[0]->received.size(), expected); // never its own

    for (int i = 0; i < replicas; ++i) {
        const Replica &node = *nodes[i];
        QCOMPARE(node.countFrom(u"replica-%1"_s.arg(i)), 0);
        for (int j = 0; j < replicas; ++j) {
            if (j == i)
                continue;
            // Each message of j exactly once, in j's order.
            QList<int> numbers;
            for (const Received &r : node.received) {
                if (r.origin == u"replica-%1"_s.arg(j) && r.topic == u"org_broadcast"_s)
                    numbers.append(r.payload.toObject().value(u"n"_s).toInt());
            }
            QCOMPARE(numbers.size(), kPerReplica);
            for (int n = 0; n < kPerReplica; ++n)
                QCOMPARE(numbers.at(n), n);
        }
        QVERIFY(node.bus.ignoredMessages() >= kPerReplica); // its own came back and were ignored
        QCOMPARE(node.bus.rejectedMessages(), 0);
    }
}

void TestClusterBus::topicsArriveIntact()
{
    Replica a(m_server->url(), u"replica-a"_s);
    Replica b(m_server->url(), u"replica-b"_s);
    QVERIFY(a.open());
    QVERIFY(b.open());

    protocol::browser::SessionEvent event;
    event.type = protocol::browser::EventType::StateChanged;
    event.sessionId = u"sess-1"_s;
    event.userId = u"alice"_s;
    event.orgId = u"org-1"_s;
    event.timestamp = QDateTime::fromMSecsSinceEpoch(1'700'000'000'123, Qt::UTC);
    event.data = QJsonObject{{u"oldState"_s, u"pending"_s}, {u"newState"_s, u"running"_s}};
    QVERIFY(a.bus.publishSessionEvent(event));
    QVERIFY(a.bus.publishOrgBroadcast(u"org-2"_s, QJsonArray{1, u"two"_s}));
    QVERIFY(a.bus.publishSessionsChanged(u"org-3"_s));
    const QJsonObject delta{{u"type"_s, u"agent.updated"_s},
                            {u"agent"_s, QJsonObject{{u"agentId"_s, u"k8s-1"_s}}}};
    QVERIFY(a.bus.publishAdminDelta(QString(), delta));

    QTRY_COMPARE(b.received.size(), 4);
    QCOMPARE(b.received.at(0).topic, u"session_event"_s);
    QCOMPARE(b.received.at(0).orgId, u"org-1"_s);
    QCOMPARE(b.received.at(0).origin, u"replica-a"_s);
    // The shared codec reads back what it wrote.
    const auto decoded = protocol::browser::decodeSessionEvent(b.received.at(0).payload.toObject(),
                                                               QDateTime::currentDateTimeUtc());
    QVERIFY(decoded.ok());
    QCOMPARE(decoded.value().sessionId, u"sess-1"_s);
    QCOMPARE(decoded.value().orgId, u"org-1"_s);
    QCOMPARE(decoded.value().timestamp, event.timestamp);
    QCOMPARE(decoded.value().data, event.data);

    QCOMPARE(b.received.at(1).topic, u"org_broadcast"_s);
    QCOMPARE(b.received.at(1).orgId, u"org-2"_s);
    QCOMPARE(b.received.at(1).payload, QJsonValue(QJsonArray{1, u"two"_s}));
    QCOMPARE(b.received.at(2).topic, u"sessions_changed"_s);
    QCOMPARE(b.received.at(2).orgId, u"org-3"_s);
    QCOMPARE(b.received.at(3).topic, u"admin_delta"_s);
    QCOMPARE(b.received.at(3).orgId, QString());
    QCOMPARE(b.received.at(3).payload, QJsonValue(delta));
    QVERIFY(a.received.isEmpty());
}

void TestClusterBus::replayedMessageIsDroppedOnce()
{
    Replica b(m_server->url(), u"replica-b"_s);
    QVERIFY(b.open());
    const auto envelope = [](quint64 seq, const QString &instance) {
        return cluster::encodeBusEnvelope(cluster::BusEnvelope{
            u"replica-x"_s, instance, seq, cluster::BusTopic::SessionsChanged, u"org-1"_s, {}});
    };
    QCOMPARE(publish(envelope(1, u"i1"_s)), 1);
    QCOMPARE(publish(envelope(1, u"i1"_s)), 1); // replayed
    QCOMPARE(publish(envelope(2, u"i1"_s)), 1);
    QCOMPARE(publish(envelope(2, u"i1"_s)), 1); // replayed
    QCOMPARE(publish(envelope(1, u"i2"_s)), 1); // the replica restarted: a new instance starts at 1
    QTRY_COMPARE(b.bus.ignoredMessages(), 2);
    QTRY_COMPARE(b.received.size(), 3);
    // Also a message claiming to come from this replica (another instance with the same name).
    QCOMPARE(publish(cluster::encodeBusEnvelope(cluster::BusEnvelope{
                 u"replica-b"_s, u"other"_s, 1, cluster::BusTopic::SessionsChanged, u"org-1"_s, {}})),
             1);
    QTRY_COMPARE(b.bus.ignoredMessages(), 3);
    QCOMPARE(b.received.size(), 3);
}

void TestClusterBus::hostileMessages_data()
{
    QTest::addColumn<QByteArray>("payload");
    const auto envelope = [](const QJsonObject &changes) {
        QJsonObject object{{u"v"_s, 1},
                           {u"origin"_s, u"replica-x"_s},
                           {u"instance"_s, u"i"_s},
                           {u"seq"_s, 1},
                           {u"topic"_s, u"org_broadcast"_s},
                           {u"orgId"_s, u"org"_s},
                           {u"payload"_s, QJsonObject{{u"data"_s, 1}}}};
        for (auto it = changes.begin(); it != changes.end(); ++it)
            object.insert(it.key(), it.value()); // null reads as absent
        return protocol::toJsonBytes(object);
    };
    QTest::newRow("not json") << QByteArray("nope");
    QTest::newRow("binary") << QByteArray("\0\x01\x02\xff", 4);
    QTest::newRow("array") << QByteArray("[]");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("huge") << QByteArray(2 * 1024 * 1024, ' ');
    QTest::newRow("deep nesting") << QByteArray(100000, '[') + QByteArray(100000, ']');
    QTest::newRow("unknown version") << envelope({{u"v"_s, 2}});
    QTest::newRow("unknown topic") << envelope({{u"topic"_s, u"shutdown_everything"_s}});
    QTest::newRow("no origin") << envelope({{u"origin"_s, QJsonValue(QJsonValue::Null)}});
    QTest::newRow("origin with spaces") << envelope({{u"origin"_s, u"a b"_s}});
    QTest::newRow("seq zero") << envelope({{u"seq"_s, 0}});
    QTest::newRow("seq negative") << envelope({{u"seq"_s, -5}});
    QTest::newRow("seq fraction") << envelope({{u"seq"_s, 1.5}});
    QTest::newRow("seq string") << envelope({{u"seq"_s, u"1"_s}});
    QTest::newRow("payload array") << envelope({{u"payload"_s, QJsonArray{1}}});
    QTest::newRow("orgId number") << envelope({{u"orgId"_s, 5}});
}

void TestClusterBus::hostileMessages()
{
    QFETCH(QByteArray, payload);
    Replica b(m_server->url(), u"replica-b"_s);
    QVERIFY(b.open());
    QCOMPARE(publish(payload), 1);
    QTRY_COMPARE(b.bus.rejectedMessages(), 1);
    QVERIFY(b.received.isEmpty());

    // Still working afterwards.
    QCOMPARE(publish(cluster::encodeBusEnvelope(cluster::BusEnvelope{
                 u"replica-x"_s, u"i"_s, 1, cluster::BusTopic::SessionsChanged, u"org"_s, {}})),
             1);
    QTRY_COMPARE(b.received.size(), 1);
}

void TestClusterBus::publishWithoutRedisIsRefused()
{
    RedisPair offline(m_server->url());
    ClusterBus bus(offline.commands.get(), offline.subscriber.get(), ClusterBus::Config{u"replica-z"_s});
    QVERIFY(!bus.publishSessionsChanged(u"org"_s)); // never opened
    QVERIFY(!bus.isSubscribed());
}

QTEST_GUILESS_MAIN(TestClusterBus)
#include "tst_clusterbus.moc"
