// Observability end to end against a real server: GET /metrics moves with agent, browser and admin
// traffic and is refused to callers the configuration does not admit; /readyz answers from the
// cached database probe and turns 503 when PostgreSQL goes away; structured log lines carry ids
// and never a token.
#include "PostgresProcess.h"
#include "TestClients.h"
#include "TestServer.h"

#include "core/AgentHub.h"
#include "logging/LogHandler.h"
#include "metrics/PrometheusText.h"
#include "metrics/ServerMetrics.h"
#include "storage/Store.h"

#include <QJsonDocument>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

// The value of one sample ("name" or "name{labels}" exactly as rendered); -1 when absent.
double sample(const QByteArray &text, const QByteArray &series)
{
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(QByteArray(series + ' ')))
            return line.mid(series.size() + 1).toDouble();
    }
    return -1;
}

RawHttpResponse scrape(quint16 port, const QList<QByteArray> &headers = {})
{
    return rawHttp(port, httpRequest("GET", "/metrics", {}, headers), 10000);
}

// The registry as /metrics would render it, without asking over HTTP (and without counting).
QByteArray scrapeFromInside(const TestServer &server)
{
    return metrics::renderPrometheusText(server.server()->metrics()->registry());
}

QJsonObject json(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object();
}

// Collects the JSON log lines of the whole process while it exists.
class LogCapture
{
public:
    LogCapture()
        : m_handler(logging::LogFormat::Json, [this](QByteArrayView line) {
            const QMutexLocker lock(&m_mutex);
            m_lines.append(line.toByteArray());
        })
    {
        m_handler.install();
    }
    QList<QByteArray> lines() const
    {
        const QMutexLocker lock(&m_mutex);
        return m_lines;
    }
    // The first line whose message is `message` (and whose fields match), parsed; empty if none.
    QJsonObject find(const QString &message, const QJsonObject &fields = {}) const
    {
        for (const QByteArray &line : lines()) {
            const QJsonObject object = json(line);
            if (object.value("message"_L1).toString() != message)
                continue;
            bool all = true;
            for (auto it = fields.begin(); it != fields.end(); ++it)
                all = all && object.value(it.key()) == it.value();
            if (all)
                return object;
        }
        return {};
    }

private:
    mutable QMutex m_mutex;
    QList<QByteArray> m_lines;
    logging::LogHandler m_handler;
};

} // namespace

class TestObservability : public QObject
{
    Q_OBJECT

private:
    static QUrl wsBase(const TestServer &server)
    {
        return QUrl(u"ws://127.0.0.1:%1"_s.arg(server.server()->serverPort()));
    }

private Q_SLOTS:
    void metricsFollowTraffic()
    {
        LogCapture logs;
        TestServer server;
        QVERIFY(server.start());
        const quint16 port = server.server()->serverPort();
        const CreatedAgent created = server.createAgent(u"obs-agent"_s, u"acme"_s);

        TestAgent agent;
        QVERIFY(agent.connectTo(wsBase(server), created.agentId, created.apiKey));
        agent.heartbeat();
        JsonSocket browser;
        QVERIFY(browser.open(
            server.wsUrl(u"/api/v1/ws/sessions"_s, server.token(u"alice"_s, u"acme"_s, Role::User))));
        browser.send({{"type"_L1, u"ping"_s}});
        QVERIFY(!browser.waitForType(u"pong"_s).isEmpty());
        browser.send({{"type"_L1, u"no-such-type-\"{}"_s}}); // counted as "other", never as a label
        QVERIFY(!browser.waitForType(u"error"_s).isEmpty());
        JsonSocket admin;
        QVERIFY(
            admin.open(server.wsUrl(u"/api/v1/ws/admin"_s, server.token(u"root"_s, u"ops"_s, Role::Admin))));
        QVERIFY(!admin.waitForType(u"snapshot"_s).isEmpty());

        // A command, issued and completed.
        admin.send({{"type"_L1, u"command.send"_s},
                    {"requestId"_L1, u"c1"_s},
                    {"agentId"_L1, created.agentId},
                    {"action"_L1, u"stop_session"_s},
                    {"payload"_L1, QJsonObject{{"sessionId"_L1, u"s-1"_s}}}});
        const QJsonObject command = agent.waitForType(u"command"_s, 10000);
        const QString commandId = command.value("payload"_L1).toObject().value("commandId"_L1).toString();
        QVERIFY(!commandId.isEmpty());
        agent.sendFrame(u"ack"_s, {{"commandId"_L1, commandId}});
        agent.sendFrame(u"complete"_s, {{"commandId"_L1, commandId}});
        QVERIFY(!admin
                     .waitFor(
                         [&](const QJsonObject &m) {
                             const QJsonObject c = m.value("command"_L1).toObject();
                             return m.value("type"_L1) == "command.updated"_L1 &&
                                    c.value("commandId"_L1) == commandId &&
                                    c.value("status"_L1) == "completed"_L1;
                         },
                         10000)
                     .isEmpty());
        // A broadcast to acme's one browser.
        admin.send({{"type"_L1, u"org.broadcast"_s},
                    {"requestId"_L1, u"b1"_s},
                    {"orgId"_L1, u"acme"_s},
                    {"data"_L1, QJsonObject{{"note"_L1, u"hello"_s}}}});
        QVERIFY(!browser.waitForType(u"org.broadcast"_s).isEmpty());

        RawHttpResponse response = scrape(port);
        QCOMPARE(response.status, 200);
        QVERIFY2(response.head.contains("Content-Type: text/plain; version=0.0.4"),
                 response.head.constData());
        QByteArray text = response.body;
        QCOMPARE(sample(text, R"(switchboard_connections{kind="agent"})"), 1.0);
        QCOMPARE(sample(text, R"(switchboard_connections{kind="sessions"})"), 1.0);
        QCOMPARE(sample(text, R"(switchboard_connections{kind="admin"})"), 1.0);
        QCOMPARE(sample(text, R"(switchboard_connections{kind="logs"})"), 0.0);
        QCOMPARE(sample(text, "switchboard_orgs_connected"), 2.0); // acme (agent, browser) and ops (admin)
        QVERIFY(sample(text, R"(switchboard_messages_received_total{endpoint="agent",type="heartbeat"})") >=
                1);
        QCOMPARE(sample(text, R"(switchboard_messages_received_total{endpoint="agent",type="ack"})"), 1.0);
        QCOMPARE(sample(text, R"(switchboard_messages_received_total{endpoint="agent",type="complete"})"),
                 1.0);
        QCOMPARE(sample(text, R"(switchboard_messages_received_total{endpoint="browser",type="ping"})"), 1.0);
        QCOMPARE(sample(text, R"(switchboard_messages_received_total{endpoint="browser",type="other"})"),
                 1.0);
        QCOMPARE(
            sample(text, R"(switchboard_messages_received_total{endpoint="browser",type="command.send"})"),
            1.0);
        QCOMPARE(sample(text, R"(switchboard_messages_sent_total{endpoint="agent",type="command"})"), 1.0);
        QVERIFY(sample(text, R"(switchboard_messages_sent_total{endpoint="browser",type="pong"})") >= 1);
        QVERIFY(sample(text, R"(switchboard_messages_sent_total{endpoint="browser",type="snapshot"})") >= 1);
        QVERIFY(!text.contains("no-such-type"));
        QVERIFY(sample(text, "switchboard_broadcasts_total") >= 1);
        QVERIFY(sample(text, "switchboard_broadcast_deliveries_total") >= 1);
        QCOMPARE(sample(text, R"(switchboard_command_duration_seconds_count{status="completed"})"), 1.0);
        QCOMPARE(sample(text, R"(switchboard_command_duration_seconds_bucket{status="completed",le="+Inf"})"),
                 1.0);
        QVERIFY(sample(text, "switchboard_database_operation_duration_seconds_count") > 0);
        QCOMPARE(sample(text, "switchboard_database_up"), 1.0);
        QCOMPARE(sample(text, R"(switchboard_replica_info{replica="test-replica",version="unknown"})"), 1.0);
        QVERIFY(sample(text, "process_start_time_seconds") > 1.7e9);
        QCOMPARE(sample(text, R"(switchboard_limit_hits_total{limit="handshakes_per_ip"})"), 0.0);
        // The command counts come from the storage thread: the first scrape asked, a later one shows them.
        QTRY_COMPARE_WITH_TIMEOUT(sample(scrape(port).body, R"(switchboard_commands{status="completed"})"),
                                  1.0, 10000);

        // The status changes were logged with their ids.
        QTRY_VERIFY(
            !logs.find(u"command status changed"_s,
                       {{"commandId"_L1, commandId}, {"status"_L1, u"completed"_s}, {"orgId"_L1, u"acme"_s}})
                 .isEmpty());
        QVERIFY(!logs.find(u"agent connected"_s, {{"agentId"_L1, created.agentId}, {"orgId"_L1, u"acme"_s}})
                     .isEmpty());
    }

    void tokenCacheIsCounted()
    {
        TestServer server;
        QVERIFY(server.start());
        const quint16 port = server.server()->serverPort();
        const QByteArray before = scrape(port).body;
        const double hits = sample(before, R"(switchboard_token_cache_lookups_total{result="hit"})");
        const double misses = sample(before, R"(switchboard_token_cache_lookups_total{result="miss"})");
        QVERIFY(hits >= 0 && misses >= 0);

        // The same token twice: verified once, then answered from the cache.
        const QString token = server.token(u"carol"_s, u"acme"_s, Role::User);
        JsonSocket first;
        QVERIFY(first.open(server.wsUrl(u"/api/v1/ws/sessions"_s, token)));
        JsonSocket second;
        QVERIFY(second.open(server.wsUrl(u"/api/v1/ws/sessions"_s, token)));
        const QByteArray after = scrape(port).body;
        QCOMPARE(sample(after, R"(switchboard_token_cache_lookups_total{result="miss"})"), misses + 1);
        QCOMPARE(sample(after, R"(switchboard_token_cache_lookups_total{result="hit"})"), hits + 1);
        QVERIFY(sample(after, "switchboard_token_cache_entries") >= 1);
    }

    void limitHitsAndAuthFailuresAreCounted()
    {
        TestServer server;
        server.settings().limits.browserMessagesPerSecond = 1; // bursts of 2
        QVERIFY(server.start());
        const quint16 port = server.server()->serverPort();

        JsonSocket flooder;
        QVERIFY(flooder.open(
            server.wsUrl(u"/api/v1/ws/sessions"_s, server.token(u"bob"_s, u"acme"_s, Role::User))));
        for (int i = 0; i < 6; ++i)
            flooder.send({{"type"_L1, u"ping"_s}});
        QVERIFY(flooder.waitForDisconnect(10000));
        QCOMPARE(rawHttp(port, upgradeRequest("/api/v1/ws/sessions?token=not-a-token")).status, 401);
        QCOMPARE(rawHttp(port, upgradeRequest("/api/v1/agents/connect?agent_id=nobody",
                                              {"X-Agent-API-Key: not-hex"}))
                     .status,
                 401);

        QTRY_VERIFY_WITH_TIMEOUT(
            sample(scrape(port).body, R"(switchboard_limit_hits_total{limit="browser_message_rate"})") >= 1,
            10000);
        const QByteArray text = scrape(port).body;
        QCOMPARE(sample(text, R"(switchboard_auth_failures_total{endpoint="sessions"})"), 1.0);
        QCOMPARE(sample(text, R"(switchboard_auth_failures_total{endpoint="agent"})"), 1.0);
    }

    void metricsAccess_data()
    {
        QTest::addColumn<bool>("enabled");
        QTest::addColumn<QStringList>("allowed");
        QTest::addColumn<QString>("token");
        QTest::addColumn<QByteArray>("authorization");
        QTest::addColumn<int>("status");
        const QStringList loopback{u"127.0.0.0/8"_s, u"::1/128"_s};
        const QString token = u"scrape-token-0123456789"_s;
        QTest::newRow("default: loopback") << true << loopback << QString() << QByteArray() << 200;
        QTest::newRow("address not allowed")
            << true << QStringList{u"10.9.9.9/32"_s} << QString() << QByteArray() << 403;
        QTest::newRow("not allowed, token required") << true << QStringList() << token << QByteArray() << 401;
        QTest::newRow("not allowed, right token")
            << true << QStringList() << token << QByteArray("Bearer " + token.toUtf8()) << 200;
        QTest::newRow("not allowed, wrong token")
            << true << QStringList() << token << QByteArray("Bearer scrape-token-0123456780") << 401;
        QTest::newRow("allowed address, wrong token")
            << true << loopback << token << QByteArray("Bearer nope-nope-nope-nope") << 401;
        QTest::newRow("token but no token configured")
            << true << QStringList() << QString() << QByteArray("Bearer " + token.toUtf8()) << 403;
        QTest::newRow("disabled") << false << loopback << QString() << QByteArray() << 404;
    }
    void metricsAccess()
    {
        QFETCH(bool, enabled);
        QFETCH(QStringList, allowed);
        QFETCH(QString, token);
        QFETCH(QByteArray, authorization);
        QFETCH(int, status);
        TestServer server;
        server.settings().metrics.enabled = enabled;
        server.settings().metrics.allowedSubnets = allowed;
        server.settings().metrics.token = token;
        QVERIFY(server.start());
        QList<QByteArray> headers;
        if (!authorization.isEmpty())
            headers << "Authorization: " + authorization;
        const RawHttpResponse response = scrape(server.server()->serverPort(), headers);
        QCOMPARE(response.status, status);
        QCOMPARE(response.body.contains("switchboard_"), status == 200);
        if (status == 401)
            QVERIFY(response.head.contains("WWW-Authenticate: Bearer"));
        if (status == 401 || status == 403) {
            QCOMPARE(
                sample(scrapeFromInside(server), R"(switchboard_auth_failures_total{endpoint="metrics"})"),
                1.0);
        }
    }

    // /readyz reads the probe's cached answer: requests cost no database work.
    void readyzDoesNotQueryPerRequest()
    {
        TestServer server;
        server.settings().probeIntervalSeconds = 3600;
        QVERIFY(server.start());
        const quint16 port = server.server()->serverPort();
        QTRY_VERIFY(databaseJobs(server) > 0); // the first probe
        QTest::qWait(200);
        const double before = databaseJobs(server);
        for (int i = 0; i < 30; ++i)
            QCOMPARE(rawHttp(port, httpRequest("GET", "/readyz")).status, 200);
        // A background job may run meanwhile; thirty pings would not go unnoticed.
        QVERIFY2(databaseJobs(server) - before < 10,
                 qPrintable(QString::number(databaseJobs(server) - before)));
    }

    void readyzFollowsPostgres()
    {
        PostgresProcess postgres;
        if (!postgres.start())
            QSKIP(qPrintable(u"PostgreSQL is not available: "_s + postgres.errorString()));
        TestServer server;
        server.settings().databaseUrl = postgres.url();
        QVERIFY(server.start());
        const quint16 port = server.server()->serverPort();
        RawHttpResponse ready = rawHttp(port, httpRequest("GET", "/readyz"));
        QCOMPARE(ready.status, 200);
        QCOMPARE(json(ready.body).value("database"_L1).toString(), u"ok"_s);

        postgres.stop();
        QTRY_VERIFY_WITH_TIMEOUT(rawHttp(port, httpRequest("GET", "/readyz")).status == 503, 20000);
        ready = rawHttp(port, httpRequest("GET", "/readyz"));
        QCOMPARE(json(ready.body).value("status"_L1).toString(), u"unavailable"_s);
        QVERIFY(json(ready.body).value("database"_L1).toString() != u"ok"_s);
        QCOMPARE(rawHttp(port, httpRequest("GET", "/healthz")).status, 200); // the process is fine
        const QByteArray text = scrape(port).body;
        QCOMPARE(sample(text, "switchboard_database_up"), 0.0);
        QVERIFY(sample(text, R"(switchboard_database_errors_total{code="unavailable"})") >= 1);
    }

    void authFailureLogsNoToken()
    {
        LogCapture logs;
        TestServer server;
        QVERIFY(server.start());
        // A well-formed token with a broken signature, in the URL where browsers put it.
        const QString token = server.token(u"mallory"_s, u"acme"_s, Role::Admin) + u"x"_s;
        const RawHttpResponse response = rawHttp(server.server()->serverPort(),
                                                 upgradeRequest("/api/v1/ws/admin?token=" + token.toUtf8()));
        QCOMPARE(response.status, 401);
        QTRY_VERIFY(!logs.find(u"authentication failed (logged once a minute per address)"_s,
                               {{"endpoint"_L1, u"admin"_s}, {"peer"_L1, u"127.0.0.1"_s}})
                         .isEmpty());
        const QString signature = token.section(u'.', 2);
        for (const QByteArray &line : logs.lines()) {
            QVERIFY2(!line.contains(token.toUtf8()), line.constData());
            QVERIFY2(!line.contains(signature.toUtf8()), line.constData());
        }
    }

    // An operator's request and its refusal are found in the log by the request id the console
    // saw, with who asked and what failed.
    void adminRequestsLogTheirRequestId()
    {
        LogCapture logs;
        TestServer server;
        QVERIFY(server.start());
        JsonSocket admin;
        QVERIFY(admin.open(
            server.wsUrl(u"/api/v1/ws/admin"_s, server.token(u"olga"_s, u"acme"_s, Role::Operator))));
        QVERIFY(!admin.waitForType(u"snapshot"_s).isEmpty());
        admin.send({{"type"_L1, u"org.broadcast"_s},
                    {"requestId"_L1, u"req-42"_s},
                    {"orgId"_L1, u"beta"_s},
                    {"data"_L1, QJsonObject{{"note"_L1, u"hello"_s}}}});
        const QJsonObject error = admin.waitForType(u"error"_s);
        QCOMPARE(error.value("requestId"_L1).toString(), u"req-42"_s);
        QTRY_VERIFY(!logs.find(u"admin request"_s, {{"requestId"_L1, u"req-42"_s},
                                                    {"type"_L1, u"org.broadcast"_s},
                                                    {"orgId"_L1, u"acme"_s},
                                                    {"userId"_L1, u"olga"_s}})
                         .isEmpty());
        QTRY_VERIFY(!logs.find(u"admin request refused"_s,
                               {{"requestId"_L1, u"req-42"_s}, {"code"_L1, u"forbidden"_s}})
                         .isEmpty());
    }

    // main installs the handler: with --log-format json every stderr line of the real binary is
    // one JSON object.
    void serverBinaryLogsJson()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QProcess server;
        server.start(
            QStringLiteral(SWITCHBOARD_SERVER_BINARY),
            {u"--data-dir"_s, dir.path(), u"--listen"_s, u"127.0.0.1:0"_s, u"--log-format"_s, u"json"_s});
        QVERIFY(server.waitForStarted());
        QByteArray standardOutput;
        QByteArray standardError;
        QTRY_VERIFY2_WITH_TIMEOUT((standardOutput += server.readAllStandardOutput()).contains("listening"),
                                  (standardError += server.readAllStandardError()).constData(), 20000);
        server.terminate(); // SIGTERM: graceful shutdown, which logs too
        QVERIFY(server.waitForFinished(20000));
        standardError += server.readAllStandardError();
        const QList<QByteArray> lines = standardError.split('\n');
        int objects = 0;
        for (const QByteArray &line : lines) {
            if (line.isEmpty())
                continue;
            const QJsonObject object = json(line);
            QVERIFY2(object.contains("time"_L1) && object.contains("level"_L1) &&
                         object.contains("category"_L1) && object.contains("message"_L1),
                     line.constData());
            ++objects;
        }
        QVERIFY(objects >= 2); // at least "opened" and "shutting down"
    }

private:
    static double databaseJobs(const TestServer &server)
    {
        return sample(scrapeFromInside(server), "switchboard_database_operation_duration_seconds_count");
    }
};

QTEST_GUILESS_MAIN(TestObservability)
#include "tst_observability.moc"
