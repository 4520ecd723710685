// RedisSubscriber against a real redis-server started by the test on a free port; a
// RedisConnection publishes.
#include "RedisTestSupport.h"
#include "redis/RedisConnection.h"
#include "redis/RedisSubscriber.h"

#include <QPointer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

class TestRedisSubscriber : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void roundTrip_data();
    void roundTrip();
    void messagesArriveInOrder();
    void patternSubscription();
    void unsubscribeStopsMessages();
    void subscriptionsMadeBeforeConnecting();
    void resubscribesAfterServerRestart();
    void authenticatesFromUrl();
    void destroyWhileSubscribing();

private:
    qint64 publish(const QByteArray &channel, const QByteArray &payload);

    std::unique_ptr<RedisServerProcess> m_server;
    std::unique_ptr<RedisConnection> m_publisher;
    std::unique_ptr<RedisSubscriber> m_subscriber;
};

qint64 TestRedisSubscriber::publish(const QByteArray &channel, const QByteArray &payload)
{
    const auto reply = runCommand(*m_publisher, {"PUBLISH", channel, payload});
    return reply && reply->isInteger() ? reply->toInteger() : -1;
}

void TestRedisSubscriber::initTestCase()
{
    if (!RedisServerProcess::isAvailable())
        QSKIP("redis-server is not installed at /usr/bin/redis-server");
    m_server = std::make_unique<RedisServerProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void TestRedisSubscriber::init()
{
    m_publisher = std::make_unique<RedisConnection>(m_server->url(), fastOptions());
    QSignalSpy publisherConnected(m_publisher.get(), &RedisConnection::connected);
    m_publisher->open();
    QVERIFY(publisherConnected.wait(5000));

    m_subscriber = std::make_unique<RedisSubscriber>(m_server->url(), fastOptions());
    QSignalSpy connected(m_subscriber.get(), &RedisSubscriber::connected);
    m_subscriber->open();
    QVERIFY(connected.wait(5000));
    QVERIFY(m_subscriber->isConnected());
}

void TestRedisSubscriber::cleanup()
{
    m_subscriber.reset();
    m_publisher.reset();
}

void TestRedisSubscriber::roundTrip_data()
{
    QTest::addColumn<QByteArray>("channel");
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("text") << QByteArray("news") << QByteArray("hello");
    QTest::newRow("json") << QByteArray("pod:replica-1:commands")
                          << QByteArray(R"({"agentId":"k8s-1","message":"{\"type\":\"ping\"}"})");
    QTest::newRow("binary") << QByteArray("bin\0chan", 8) << QByteArray("\0\r\n\xff*1\r\n", 8);
    QTest::newRow("empty payload") << QByteArray("empty") << QByteArray();
    QTest::newRow("large payload") << QByteArray("large") << QByteArray(256 * 1024, 'z');
}

void TestRedisSubscriber::roundTrip()
{
    QFETCH(QByteArray, channel);
    QFETCH(QByteArray, payload);

    QSignalSpy subscribed(m_subscriber.get(), &RedisSubscriber::subscribed);
    QSignalSpy messages(m_subscriber.get(), &RedisSubscriber::message);
    m_subscriber->subscribe(channel);
    QTRY_COMPARE(subscribed.count(), 1);
    QCOMPARE(subscribed.at(0).at(0).toByteArray(), channel);

    QCOMPARE(publish(channel, payload), 1);
    QTRY_COMPARE(messages.count(), 1);
    QCOMPARE(messages.at(0).at(0).toByteArray(), channel);
    QVERIFY(messages.at(0).at(1).toByteArray() == payload);
}

void TestRedisSubscriber::messagesArriveInOrder()
{
    QSignalSpy subscribed(m_subscriber.get(), &RedisSubscriber::subscribed);
    auto received = std::make_shared<QList<QByteArray>>();
    connect(m_subscriber.get(), &RedisSubscriber::message, this,
            [received](const QByteArray &, const QByteArray &payload) { received->append(payload); });
    m_subscriber->subscribe("a");
    m_subscriber->subscribe("b");
    m_subscriber->subscribe("a"); // already subscribed: no second confirmation
    QTRY_COMPARE(subscribed.count(), 2);

    constexpr int kCount = 2000;
    for (int i = 0; i < kCount; ++i)
        m_publisher->command({"PUBLISH", i % 2 ? "a" : "b", QByteArray::number(i)});
    QTRY_COMPARE_WITH_TIMEOUT(received->size(), kCount, 10000);
    for (int i = 0; i < kCount; ++i)
        QCOMPARE(received->at(i), QByteArray::number(i));
    QCOMPARE(subscribed.count(), 2);
}

void TestRedisSubscriber::patternSubscription()
{
    QSignalSpy patternSubscribed(m_subscriber.get(), &RedisSubscriber::patternSubscribed);
    QSignalSpy patternMessages(m_subscriber.get(), &RedisSubscriber::patternMessage);
    QSignalSpy messages(m_subscriber.get(), &RedisSubscriber::message);
    m_subscriber->psubscribe("pod:*:commands");
    QTRY_COMPARE(patternSubscribed.count(), 1);
    QCOMPARE(m_subscriber->patterns(), QSet<QByteArray>{"pod:*:commands"});

    QCOMPARE(publish("pod:r1:commands", "one"), 1);
    QCOMPARE(publish("pod:r1:events", "not matched"), 0);
    QTRY_COMPARE(patternMessages.count(), 1);
    QCOMPARE(patternMessages.at(0), (QList<QVariant>{QByteArray("pod:*:commands"),
                                                     QByteArray("pod:r1:commands"), QByteArray("one")}));
    QCOMPARE(messages.count(), 0);

    QSignalSpy patternUnsubscribed(m_subscriber.get(), &RedisSubscriber::patternUnsubscribed);
    m_subscriber->punsubscribe("pod:*:commands");
    QTRY_COMPARE(patternUnsubscribed.count(), 1);
    QCOMPARE(publish("pod:r1:commands", "two"), 0);
}

void TestRedisSubscriber::unsubscribeStopsMessages()
{
    QSignalSpy subscribed(m_subscriber.get(), &RedisSubscriber::subscribed);
    QSignalSpy unsubscribed(m_subscriber.get(), &RedisSubscriber::unsubscribed);
    QSignalSpy messages(m_subscriber.get(), &RedisSubscriber::message);
    m_subscriber->subscribe("keep");
    m_subscriber->subscribe("drop");
    QTRY_COMPARE(subscribed.count(), 2);

    // Published before the unsubscribe reaches the server, but dropped: nothing for a channel
    // arrives after unsubscribe() returned.
    m_publisher->command({"PUBLISH", "drop", "late"});
    m_subscriber->unsubscribe("drop");
    m_subscriber->unsubscribe("never-subscribed"); // no-op
    QTRY_COMPARE(unsubscribed.count(), 1);
    QCOMPARE(unsubscribed.at(0).at(0).toByteArray(), QByteArray("drop"));
    QCOMPARE(m_subscriber->channels(), QSet<QByteArray>{"keep"});

    QCOMPARE(publish("drop", "gone"), 0);
    QCOMPARE(publish("keep", "still here"), 1);
    QTRY_COMPARE(messages.count(), 1);
    QCOMPARE(messages.at(0).at(1).toByteArray(), QByteArray("still here"));

    // Unsubscribing from the last channel leaves the connection usable for new subscriptions.
    m_subscriber->unsubscribe("keep");
    QTRY_COMPARE(unsubscribed.count(), 2);
    m_subscriber->subscribe("again");
    QTRY_COMPARE(subscribed.count(), 3);
    QCOMPARE(publish("again", "x"), 1);
    QTRY_COMPARE(messages.count(), 2);
}

void TestRedisSubscriber::subscriptionsMadeBeforeConnecting()
{
    RedisSubscriber subscriber(m_server->url(), fastOptions());
    subscriber.subscribe("early");
    subscriber.psubscribe("early.*");
    QSignalSpy subscribed(&subscriber, &RedisSubscriber::subscribed);
    QSignalSpy patternSubscribed(&subscriber, &RedisSubscriber::patternSubscribed);
    QSignalSpy messages(&subscriber, &RedisSubscriber::message);
    QSignalSpy patternMessages(&subscriber, &RedisSubscriber::patternMessage);
    subscriber.open();
    QTRY_COMPARE(subscribed.count(), 1);
    QTRY_COMPARE(patternSubscribed.count(), 1);
    QCOMPARE(publish("early", "1"), 1);
    QCOMPARE(publish("early.x", "2"), 1);
    QTRY_COMPARE(messages.count(), 1);
    QTRY_COMPARE(patternMessages.count(), 1);
}

void TestRedisSubscriber::resubscribesAfterServerRestart()
{
    RedisServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    RedisConnection publisher(server.url(), fastOptions());
    RedisSubscriber subscriber(server.url(), fastOptions());
    QSignalSpy connected(&subscriber, &RedisSubscriber::connected);
    QSignalSpy disconnected(&subscriber, &RedisSubscriber::disconnected);
    QSignalSpy subscribed(&subscriber, &RedisSubscriber::subscribed);
    QSignalSpy patternSubscribed(&subscriber, &RedisSubscriber::patternSubscribed);
    QSignalSpy messages(&subscriber, &RedisSubscriber::message);
    QSignalSpy patternMessages(&subscriber, &RedisSubscriber::patternMessage);
    publisher.open();
    subscriber.open();
    subscriber.subscribe("first");
    subscriber.subscribe("second");
    subscriber.psubscribe("events.*");
    QTRY_COMPARE(subscribed.count(), 2);
    QTRY_COMPARE(patternSubscribed.count(), 1);
    QCOMPARE(connected.count(), 1);

    server.kill();
    QTRY_COMPARE(disconnected.count(), 1);
    QVERIFY(!subscriber.isConnected());
    // Changes while down are applied on reconnect.
    subscriber.unsubscribe("second");
    subscriber.subscribe("third");

    QVERIFY2(server.start(), qPrintable(server.errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 2, 5000);
    QTRY_COMPARE(subscribed.count(), 4); // first and third again
    QTRY_COMPARE(patternSubscribed.count(), 2);
    QSet<QByteArray> resubscribed{subscribed.at(2).at(0).toByteArray(), subscribed.at(3).at(0).toByteArray()};
    QCOMPARE(resubscribed, (QSet<QByteArray>{"first", "third"}));

    QTRY_VERIFY(publisher.isConnected());
    const auto toFirst = runCommand(publisher, {"PUBLISH", "first", "after restart"});
    QVERIFY(toFirst);
    QCOMPARE(*toFirst, RedisReply::integer(1));
    const auto toSecond = runCommand(publisher, {"PUBLISH", "second", "unsubscribed"});
    QVERIFY(toSecond);
    QCOMPARE(*toSecond, RedisReply::integer(0));
    const auto toPattern = runCommand(publisher, {"PUBLISH", "events.1", "pattern"});
    QVERIFY(toPattern);
    QCOMPARE(*toPattern, RedisReply::integer(1));
    QTRY_COMPARE(messages.count(), 1);
    QCOMPARE(messages.at(0).at(1).toByteArray(), QByteArray("after restart"));
    QTRY_COMPARE(patternMessages.count(), 1);
}

void TestRedisSubscriber::authenticatesFromUrl()
{
    const QString password = u"pubsub-secret"_s;
    RedisServerProcess server({u"--requirepass"_s, password});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    RedisConnection publisher(server.url(password), fastOptions());
    RedisSubscriber subscriber(server.url(password, 2), fastOptions());
    QSignalSpy subscribed(&subscriber, &RedisSubscriber::subscribed);
    QSignalSpy messages(&subscriber, &RedisSubscriber::message);
    publisher.open();
    subscriber.subscribe("secured");
    subscriber.open();
    QTRY_COMPARE(subscribed.count(), 1);
    QTRY_VERIFY(publisher.isConnected());
    const auto published = runCommand(publisher, {"PUBLISH", "secured", "ok"});
    QVERIFY(published);
    QCOMPARE(*published, RedisReply::integer(1));
    QTRY_COMPARE(messages.count(), 1);

    RedisOptions options = fastOptions();
    options.reconnectMinDelay = std::chrono::milliseconds(2000);
    RedisSubscriber rejected(server.url(u"wrong"_s), options);
    QSignalSpy errors(&rejected, &RedisSubscriber::errorOccurred);
    QSignalSpy rejectedConnected(&rejected, &RedisSubscriber::connected);
    rejected.subscribe("secured");
    rejected.open();
    QTRY_COMPARE(errors.count(), 1);
    QVERIFY2(errors.at(0).at(0).toString().startsWith(u"AUTH failed"_s),
             qPrintable(errors.at(0).at(0).toString()));
    QCOMPARE(rejectedConnected.count(), 0);
}

void TestRedisSubscriber::destroyWhileSubscribing()
{
    auto *subscriber = new RedisSubscriber(m_server->url(), fastOptions());
    const QPointer<RedisSubscriber> watch(subscriber);
    auto calls = std::make_shared<int>(0);
    connect(subscriber, &RedisSubscriber::message, this,
            [calls, &subscriber](const QByteArray &, const QByteArray &) {
                ++*calls;
                delete std::exchange(subscriber, nullptr); // from inside the message signal
            });
    QSignalSpy subscribed(subscriber, &RedisSubscriber::subscribed);
    subscriber->open();
    for (int i = 0; i < 50; ++i)
        subscriber->subscribe("ch" + QByteArray::number(i));
    QTRY_COMPARE(subscribed.count(), 50);
    for (int i = 0; i < 50; ++i)
        m_publisher->command({"PUBLISH", "ch" + QByteArray::number(i), "x"});
    QTRY_VERIFY(!watch);
    const auto barrier = runCommand(*m_publisher, {"PING"});
    QVERIFY(barrier);
    QCOMPARE(*calls, 1);

    // Destroyed while its SUBSCRIBE is still in flight.
    auto *early = new RedisSubscriber(m_server->url(), fastOptions());
    QSignalSpy earlyConnected(early, &RedisSubscriber::connected);
    early->open();
    QVERIFY(earlyConnected.wait(5000));
    early->subscribe("in-flight");
    delete early;
    QVERIFY(runCommand(*m_publisher, {"PUBLISH", "in-flight", "x"}));
}

QTEST_GUILESS_MAIN(TestRedisSubscriber)
#include "tst_redissubscriber.moc"
