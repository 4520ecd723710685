// CommandRouter against a real redis-server, with two "replicas" in one process (separate
// connections each): delivered only on confirmation; no subscriber, refusal, a silent replica
// (timeout), an unknown agent and Redis down all resolve as not delivered; hostile messages on
// the command and confirm channels are dropped without effect.
#include "ClusterTestSupport.h"

#include "cluster/ClusterKeys.h"
#include "cluster/ClusterMessages.h"
#include "cluster/ClusterPresence.h"
#include "cluster/CommandRouter.h"

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;
using protocol::agent::Action;
using protocol::agent::Command;
using Status = RouteResult::Status;

namespace {

struct Replica
{
    Replica(const RedisUrl &url, const QString &name, std::chrono::milliseconds confirmTimeout = 3000ms)
        : redis(url)
    {
        ClusterPresence::Config presenceConfig;
        presenceConfig.replica = name;
        presenceConfig.refreshInterval = 1h;
        presence = std::make_unique<ClusterPresence>(redis.commands.get(), presenceConfig);
        router = std::make_unique<CommandRouter>(redis.commands.get(), redis.subscriber.get(), presence.get(),
                                                 CommandRouter::Config{name, confirmTimeout});
        router->setLocalDelivery([this](const QString &agentId, const Command &command) {
            if (!localAgents.contains(agentId))
                return false;
            delivered.append({agentId, command});
            return true;
        });
    }

    bool open()
    {
        if (!redis.open())
            return false;
        presence->start();
        return QTest::qWaitFor([this] { return router->isReady() && presence->isAvailable(); }, 10000) &&
               QTest::qWaitFor([this] { return redis.commands->pendingCount() == 0; }, 10000);
    }

    void connectAgent(const QString &agentId)
    {
        localAgents.insert(agentId);
        presence->agentConnected(agentId);
    }

    RedisPair redis;
    std::unique_ptr<ClusterPresence> presence;
    std::unique_ptr<CommandRouter> router;
    QSet<QString> localAgents;
    QList<std::pair<QString, Command>> delivered;
};

Command startCommand(const QString &commandId)
{
    return Command{commandId, Action::StartSession,
                   QJsonObject{{u"sessionId"_s, u"sess-1"_s},
                               {u"user"_s, u"alice"_s},
                               {u"template"_s, u"firefox"_s},
                               {u"namespace"_s, u"streamspace"_s}}};
}

} // namespace

class TestCommandRouter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void deliveredOnlyOnConfirmation();
    void refusedWhenAgentNotThere();
    void unknownAgentIsNotConnected();
    void replicaWithoutLivenessIsNotConnected();
    void noSubscriberIsNotDelivered();
    void silentReplicaTimesOut();
    void agentOnThisReplicaIsDeliveredLocally();
    void goReplicaMessageIsDeliveredWithoutConfirmation();
    void hostileCommandMessages_data();
    void hostileCommandMessages();
    void hostileConfirmations_data();
    void hostileConfirmations();
    void redisDownIsUnavailable();

private:
    qint64 publish(const QByteArray &channel, const QByteArray &payload)
    {
        const auto reply = runCommand(*m_probe, {"PUBLISH", channel, payload});
        return reply && reply->isInteger() ? reply->toInteger() : -1;
    }

    std::unique_ptr<RedisServerProcess> m_server;
    std::unique_ptr<RedisConnection> m_probe;
    std::unique_ptr<Replica> m_a;
    std::unique_ptr<Replica> m_b;
};

void TestCommandRouter::initTestCase()
{
    if (!RedisServerProcess::isAvailable())
        QSKIP("redis-server is not installed at /usr/bin/redis-server");
    m_server = std::make_unique<RedisServerProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void TestCommandRouter::init()
{
    m_probe = std::make_unique<RedisConnection>(m_server->url(), fastOptions());
    m_probe->open();
    QTRY_VERIFY_WITH_TIMEOUT(m_probe->isConnected(), 10000);
    QVERIFY(runCommand(*m_probe, {"FLUSHALL"}));
    m_a = std::make_unique<Replica>(m_server->url(), u"replica-a"_s);
    m_b = std::make_unique<Replica>(m_server->url(), u"replica-b"_s);
    QVERIFY(m_a->open());
    QVERIFY(m_b->open());
}

void TestCommandRouter::cleanup()
{
    m_a.reset();
    m_b.reset();
    m_probe.reset();
}

void TestCommandRouter::deliveredOnlyOnConfirmation()
{
    QSignalSpy received(m_b->router.get(), &CommandRouter::commandReceived);
    m_b->connectAgent(u"k8s-1"_s);
    QTRY_COMPARE(m_b->redis.commands->pendingCount(), 0);

    const auto result = waitForResult(m_a->router->deliver(u"k8s-1"_s, startCommand(u"cmd-1"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::Delivered);
    QVERIFY(result->delivered());
    QCOMPARE(result->replica, u"replica-b"_s);
    QCOMPARE(m_b->delivered.size(), 1);
    QCOMPARE(m_b->delivered.at(0).first, u"k8s-1"_s);
    QCOMPARE(m_b->delivered.at(0).second.commandId, u"cmd-1"_s);
    QCOMPARE(m_b->delivered.at(0).second.action, Action::StartSession);
    QCOMPARE(m_b->delivered.at(0).second.payload.value(u"template"_s).toString(), u"firefox"_s);
    QCOMPARE(received.count(), 1);
    QCOMPARE(m_a->router->pendingCount(), 0);
    QCOMPARE(m_a->router->rejectedMessages(), 0);
}

void TestCommandRouter::refusedWhenAgentNotThere()
{
    // B's presence says it holds the agent, but the agent is gone from B's sockets.
    m_b->presence->agentConnected(u"k8s-1"_s);
    QTRY_COMPARE(m_b->redis.commands->pendingCount(), 0);
    const auto result = waitForResult(m_a->router->deliver(u"k8s-1"_s, startCommand(u"cmd-1"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::Refused);
    QVERIFY(!result->delivered());
    QVERIFY(m_b->delivered.isEmpty());
}

void TestCommandRouter::unknownAgentIsNotConnected()
{
    const auto result = waitForResult(m_a->router->deliver(u"nobody"_s, startCommand(u"cmd-1"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::NotConnected);
}

void TestCommandRouter::replicaWithoutLivenessIsNotConnected()
{
    // The Go original published to a dead replica and reported the command sent.
    QVERIFY(runCommand(*m_probe, {"SET", "agent:k8s-1:pod", "replica-dead", "EX", "60"}));
    const auto result = waitForResult(m_a->router->deliver(u"k8s-1"_s, startCommand(u"cmd-1"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::NotConnected);
    QCOMPARE(result->replica, u"replica-dead"_s);
}

void TestCommandRouter::noSubscriberIsNotDelivered()
{
    // The liveness key is still there (replica died a moment ago), but nobody listens.
    QVERIFY(runCommand(*m_probe, {"SET", "agent:k8s-1:pod", "replica-gone", "EX", "60"}));
    QVERIFY(runCommand(*m_probe, {"SET", "replica:replica-gone:alive", "x", "EX", "60"}));
    const auto result = waitForResult(m_a->router->deliver(u"k8s-1"_s, startCommand(u"cmd-1"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::NoSubscriber);
    QCOMPARE(m_a->router->pendingCount(), 0);
}

void TestCommandRouter::silentReplicaTimesOut()
{
    // Something listens on the replica's channel but never confirms (a hung replica).
    RedisSubscriber silent(m_server->url(), fastOptions());
    QSignalSpy subscribed(&silent, &RedisSubscriber::subscribed);
    QSignalSpy messages(&silent, &RedisSubscriber::message);
    silent.subscribe(cluster::commandChannel(u"replica-hung"_s));
    silent.open();
    QTRY_COMPARE(subscribed.count(), 1);

    Replica sender(m_server->url(), u"replica-s"_s, 2000ms);
    QVERIFY(sender.open());
    auto future = sender.router->deliverTo(u"replica-hung"_s, u"k8s-1"_s, startCommand(u"cmd-1"_s));
    QTRY_COMPARE(messages.count(), 1);
    QVERIFY(!future.isFinished());
    QCOMPARE(sender.router->pendingCount(), 1);
    const auto result = waitForResult(future);
    QVERIFY(result);
    QCOMPARE(result->status, Status::Timeout);
    QCOMPARE(sender.router->pendingCount(), 0);

    // The message was the Go original's shape plus origin/requestId.
    const auto routed = cluster::decodeRoutedCommand(messages.at(0).at(1).toByteArray());
    QVERIFY(routed.ok());
    QCOMPARE(routed.value().origin, u"replica-s"_s);
    QCOMPARE(routed.value().agentId, u"k8s-1"_s);
    QCOMPARE(routed.value().command.commandId, u"cmd-1"_s);
}

void TestCommandRouter::agentOnThisReplicaIsDeliveredLocally()
{
    m_a->connectAgent(u"k8s-1"_s);
    const auto result = waitForResult(m_a->router->deliver(u"k8s-1"_s, startCommand(u"cmd-1"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::Delivered);
    QCOMPARE(m_a->delivered.size(), 1);
}

void TestCommandRouter::goReplicaMessageIsDeliveredWithoutConfirmation()
{
    QSignalSpy received(m_b->router.get(), &CommandRouter::commandReceived);
    m_b->localAgents.insert(u"k8s-1"_s);
    const QByteArray frame =
        protocol::agent::encodeServerFrame(startCommand(u"cmd-go"_s), QDateTime::currentDateTimeUtc());
    const QJsonObject message{{u"agentId"_s, u"k8s-1"_s}, {u"message"_s, QString::fromUtf8(frame)}};
    QCOMPARE(publish("pod:replica-b:commands", protocol::toJsonBytes(message)), 1);
    QTRY_COMPARE(received.count(), 1);
    QCOMPARE(m_b->delivered.size(), 1);
    QCOMPARE(m_b->delivered.at(0).second.commandId, u"cmd-go"_s);
}

void TestCommandRouter::hostileCommandMessages_data()
{
    const QByteArray frame =
        protocol::agent::encodeServerFrame(startCommand(u"cmd-x"_s), QDateTime::currentDateTimeUtc());
    const auto withMessage = [](const QJsonValue &message) {
        return protocol::toJsonBytes(QJsonObject{{u"agentId"_s, u"k8s-1"_s},
                                                 {u"message"_s, message},
                                                 {u"origin"_s, u"replica-a"_s},
                                                 {u"requestId"_s, u"r-1"_s}});
    };
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("not json") << QByteArray("{{{not json");
    QTest::newRow("binary") << QByteArray("\0\xff\xfe\r\n", 5);
    QTest::newRow("array") << QByteArray("[1,2,3]");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("no agentId") << protocol::toJsonBytes(
        QJsonObject{{u"message"_s, QString::fromUtf8(frame)}});
    QTest::newRow("agentId number") << protocol::toJsonBytes(
        QJsonObject{{u"agentId"_s, 7}, {u"message"_s, QString::fromUtf8(frame)}});
    QTest::newRow("message object") << withMessage(QJsonObject{{u"type"_s, u"command"_s}});
    QTest::newRow("message not json") << withMessage(u"nope"_s);
    QTest::newRow("message a ping frame") << withMessage(QString::fromUtf8(
        protocol::agent::encodeServerFrame(protocol::agent::Ping{}, QDateTime::currentDateTimeUtc())));
    QTest::newRow("command without payload fields") << withMessage(
        uR"({"type":"command","timestamp":"2025-01-01T00:00:00Z","payload":{"commandId":"c","action":"start_session","payload":{}}})"_s);
    QTest::newRow("unknown action") << withMessage(
        uR"({"type":"command","timestamp":"2025-01-01T00:00:00Z","payload":{"commandId":"c","action":"rm_rf","payload":{}}})"_s);
    QTest::newRow("bad origin") << protocol::toJsonBytes(QJsonObject{{u"agentId"_s, u"k8s-1"_s},
                                                                     {u"message"_s, QString::fromUtf8(frame)},
                                                                     {u"origin"_s, u"a b*"_s},
                                                                     {u"requestId"_s, u"r"_s}});
    QTest::newRow("origin without requestId") << protocol::toJsonBytes(QJsonObject{
        {u"agentId"_s, u"k8s-1"_s}, {u"message"_s, QString::fromUtf8(frame)}, {u"origin"_s, u"replica-a"_s}});
    QTest::newRow("huge") << QByteArray(2 * 1024 * 1024, '{');
    QTest::newRow("deep nesting") << QByteArray(100000, '[') + QByteArray(100000, ']');
}

void TestCommandRouter::hostileCommandMessages()
{
    QFETCH(QByteArray, payload);
    m_b->localAgents.insert(u"k8s-1"_s);
    QSignalSpy received(m_b->router.get(), &CommandRouter::commandReceived);
    QCOMPARE(publish("pod:replica-b:commands", payload), 1);
    QTRY_COMPARE(m_b->router->rejectedMessages(), 1);
    QCOMPARE(received.count(), 0);
    QVERIFY(m_b->delivered.isEmpty());

    // Still working afterwards.
    m_b->connectAgent(u"k8s-1"_s);
    QTRY_COMPARE(m_b->redis.commands->pendingCount(), 0);
    const auto result = waitForResult(m_a->router->deliver(u"k8s-1"_s, startCommand(u"cmd-ok"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::Delivered);
}

void TestCommandRouter::hostileConfirmations_data()
{
    QTest::addColumn<QString>("replica");
    QTest::addColumn<QString>("commandId");
    QTest::addColumn<bool>("matchingRequest");
    QTest::newRow("spoofed by another replica") << u"replica-evil"_s << u"cmd-1"_s << true;
    QTest::newRow("wrong command") << u"replica-hung"_s << u"cmd-other"_s << true;
    QTest::newRow("unknown request") << u"replica-hung"_s << u"cmd-1"_s << false;
}

void TestCommandRouter::hostileConfirmations()
{
    QFETCH(QString, replica);
    QFETCH(QString, commandId);
    QFETCH(bool, matchingRequest);

    RedisSubscriber hung(m_server->url(), fastOptions());
    QSignalSpy subscribed(&hung, &RedisSubscriber::subscribed);
    QSignalSpy messages(&hung, &RedisSubscriber::message);
    hung.subscribe(cluster::commandChannel(u"replica-hung"_s));
    hung.open();
    QTRY_COMPARE(subscribed.count(), 1);

    Replica sender(m_server->url(), u"replica-s"_s, 3000ms);
    QVERIFY(sender.open());
    auto future = sender.router->deliverTo(u"replica-hung"_s, u"k8s-1"_s, startCommand(u"cmd-1"_s));
    QTRY_COMPARE(messages.count(), 1);
    const auto routed = cluster::decodeRoutedCommand(messages.at(0).at(1).toByteArray());
    QVERIFY(routed.ok());

    cluster::CommandConfirmation forged{
        matchingRequest ? routed.value().requestId : u"zzz-1"_s, commandId, u"k8s-1"_s, replica, true, {}};
    QCOMPARE(publish(cluster::confirmChannel(u"replica-s"_s), cluster::encodeCommandConfirmation(forged)), 1);
    QCOMPARE(publish(cluster::confirmChannel(u"replica-s"_s), "garbage"), 1);
    QTRY_COMPARE(sender.router->rejectedMessages(), 2);
    const auto result = waitForResult(future);
    QVERIFY(result);
    QCOMPARE(result->status, Status::Timeout);
}

void TestCommandRouter::redisDownIsUnavailable()
{
    RedisServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Replica a(server.url(), u"replica-a"_s);
    Replica b(server.url(), u"replica-b"_s);
    QVERIFY(a.open());
    QVERIFY(b.open());
    b.connectAgent(u"k8s-1"_s);
    QTRY_COMPARE(b.redis.commands->pendingCount(), 0);

    server.kill();
    QTRY_VERIFY_WITH_TIMEOUT(!a.router->isReady(), 10000);
    auto result = waitForResult(a.router->deliver(u"k8s-1"_s, startCommand(u"cmd-1"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::Unavailable);
    result = waitForResult(a.router->deliverTo(u"replica-b"_s, u"k8s-1"_s, startCommand(u"cmd-1"_s)));
    QVERIFY(result);
    QCOMPARE(result->status, Status::Unavailable);
    QVERIFY(b.delivered.isEmpty());

    // Routing resumes after the restart (presence re-published, subscriptions renewed).
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(a.router->isReady() && b.router->isReady(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(b.presence->isAvailable() && a.redis.commands->isConnected(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto retry = waitForResult(a.router->deliver(u"k8s-1"_s, startCommand(u"cmd-1"_s)));
            return retry && retry->delivered();
        }(),
        15000);
    QVERIFY(!b.delivered.isEmpty());
}

QTEST_GUILESS_MAIN(TestCommandRouter)
#include "tst_commandrouter.moc"
