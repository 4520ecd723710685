// The load tool counts correctly end to end: every broadcast delivered to every client is counted
// exactly once (against the real server and against a plain broadcast hub), and the agents
// scenario sees every command it issued complete. The tool runs on its own thread (it blocks in
// epoll) while this thread serves.
#include "BenchOptions.h"
#include "BenchRunner.h"
#include "TestServer.h"

#include <QTemporaryFile>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#include <atomic>
#include <thread>

using namespace Qt::StringLiterals;
using switchboard::Role;
using switchboard::bench::BenchOptions;
using switchboard::bench::BenchResult;
using switchboard::bench::BenchRunner;
using switchboard::bench::Row;
using switchboard::bench::Scenario;

namespace {

// Runs the tool on a thread and keeps this thread's event loop (the servers) going meanwhile.
BenchResult runBench(const BenchOptions &options)
{
    BenchResult result;
    std::atomic<bool> done = false;
    std::thread thread([&] {
        BenchRunner runner(options);
        runner.setProgressSink([](const std::string &) {});
        result = runner.run();
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done.load(); }, 120000))
        qFatal("the load tool did not finish within 120 s");
    thread.join();
    return result;
}

QJsonValue field(const Row &row, const QString &key)
{
    for (const auto &[name, value] : row) {
        if (name == key)
            return value;
    }
    return {};
}

// The gorilla-hub pattern in miniature: every text message goes to every client, sender included.
class BroadcastHub : public QObject
{
public:
    BroadcastHub()
        : m_server(u"hub"_s, QWebSocketServer::NonSecureMode)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                m_clients.append(socket);
                connect(socket, &QWebSocket::textMessageReceived, this, [this](const QString &message) {
                    ++m_published;
                    for (QWebSocket *client : std::as_const(m_clients))
                        client->sendTextMessage(message);
                });
                connect(socket, &QWebSocket::disconnected, this, [this, socket] {
                    m_clients.removeOne(socket);
                    socket->deleteLater();
                });
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    int published() const { return m_published; }

private:
    QWebSocketServer m_server;
    QList<QWebSocket *> m_clients;
    int m_published = 0;
};

} // namespace

class TestBenchRun : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fanoutAgainstTheServerCountsEveryDelivery()
    {
        switchboard::test::TestServer server;
        QVERIFY(server.start());
        BenchOptions options;
        options.scenario = Scenario::Fanout;
        options.port = server.server()->serverPort();
        options.clients = 25;
        options.rates = {20, 40};
        options.durationSeconds = 1;
        options.drainSeconds = 10;
        options.messageBytes = 300;
        options.orgId = u"acme"_s;
        options.token = server.token(u"alice"_s, u"acme"_s, Role::User);
        options.adminToken = server.token(u"root"_s, u"acme"_s, Role::Admin);
        options.quiet = true;

        const BenchResult result = runBench(options);
        QVERIFY2(result.ok, qPrintable(result.error));
        QCOMPARE(field(result.summary, u"opened"_s).toInt(), 25);
        QCOMPARE(field(result.summary, u"connect_failures"_s).toInt(), 0);
        QCOMPARE(result.runs.size(), 2);
        for (const Row &run : result.runs) {
            const double published = field(run, u"published"_s).toDouble();
            QVERIFY(published >= 10);
            QCOMPARE(field(run, u"expected"_s).toDouble(), published * 25);
            QCOMPARE(field(run, u"delivered"_s).toDouble(), published * 25);
            QCOMPARE(field(run, u"delivery_ratio"_s).toDouble(), 1.0);
            QCOMPARE(field(run, u"publish_errors"_s).toDouble(), 0.0);
            QCOMPARE(field(run, u"disconnects"_s).toInt(), 0);
            QVERIFY(field(run, u"latency_p99_ms"_s).toDouble() > 0);
            QVERIFY(field(run, u"latency_max_ms"_s).toDouble() >= field(run, u"latency_p50_ms"_s).toDouble());
        }
    }

    void rawFanoutIgnoresThePublishersEcho()
    {
        BroadcastHub hub;
        BenchOptions options;
        options.scenario = Scenario::Fanout;
        options.raw = true;
        options.rawPath = "/?org=o1";
        options.port = hub.port();
        options.clients = 30;
        options.rates = {25};
        options.durationSeconds = 1;
        options.drainSeconds = 10;
        options.quiet = true;

        const BenchResult result = runBench(options);
        QVERIFY2(result.ok, qPrintable(result.error));
        QCOMPARE(result.runs.size(), 1);
        const Row &run = result.runs.first();
        const double published = field(run, u"published"_s).toDouble();
        QCOMPARE(published, double(hub.published()));
        // The hub sends 31 copies of each message (the publisher's own included); 30 count.
        QCOMPARE(field(run, u"delivered"_s).toDouble(), published * 30);
        QCOMPARE(field(run, u"delivery_ratio"_s).toDouble(), 1.0);
    }

    void connectCountsRefusals()
    {
        switchboard::test::TestServer server;
        QVERIFY(server.start());
        BenchOptions options;
        options.scenario = Scenario::Connect;
        options.port = server.server()->serverPort();
        options.clients = 40;
        options.concurrency = 8;
        options.token = u"not-a-jwt"_s; // every upgrade is refused with 401
        options.quiet = true;
        BenchResult result = runBench(options);
        QCOMPARE(field(result.summary, u"opened"_s).toInt(), 0);
        QCOMPARE(field(result.summary, u"failures"_s).toInt(), 40);
        QVERIFY(field(result.summary, u"first_failure"_s).toString().contains(u"401"_s));

        options.token = server.token(u"alice"_s, u"acme"_s, Role::User);
        result = runBench(options);
        QVERIFY2(result.ok, qPrintable(result.error));
        QCOMPARE(field(result.summary, u"opened"_s).toInt(), 40);
        QCOMPARE(field(result.summary, u"failures"_s).toInt(), 0);
    }

    void agentsCompleteEveryCommand()
    {
        switchboard::test::TestServer server;
        server.settings().heartbeatTimeoutSeconds = 5;
        QVERIFY(server.start());
        QTemporaryFile keys;
        QVERIFY(keys.open());
        for (int i = 0; i < 6; ++i) {
            const auto agent = server.createAgent(u"bench-agent-%1"_s.arg(i), u"acme"_s);
            keys.write(agent.agentId.toUtf8() + ' ' + agent.apiKey + '\n');
        }
        keys.flush();

        BenchOptions options;
        options.scenario = Scenario::Agents;
        options.port = server.server()->serverPort();
        options.clients = 6;
        options.rates = {10};
        options.durationSeconds = 1.5;
        options.drainSeconds = 15;
        options.heartbeatSeconds = 0.5;
        options.keysFile = keys.fileName();
        options.adminToken = server.token(u"root"_s, u"acme"_s, Role::Admin);
        options.quiet = true;

        const BenchResult result = runBench(options);
        QVERIFY2(result.ok, qPrintable(result.error));
        QCOMPARE(field(result.summary, u"opened"_s).toInt(), 6);
        QCOMPARE(result.runs.size(), 1);
        const Row &run = result.runs.first();
        const double sent = field(run, u"commands_sent"_s).toDouble();
        QVERIFY(sent >= 10);
        QCOMPARE(field(run, u"commands_completed"_s).toDouble(), sent);
        QCOMPARE(field(run, u"command_errors"_s).toDouble(), 0.0);
        QCOMPARE(field(run, u"stale_alarms"_s).toInt(), 0);
        QVERIFY(field(run, u"round_trip_p99_ms"_s).toDouble() > 0);
        QVERIFY(field(result.summary, u"heartbeats_sent"_s).toDouble() >= 6);
    }
};

QTEST_GUILESS_MAIN(TestBenchRun)
#include "tst_benchrun.moc"
