// RedisConnection against a real redis-server started by the test on a free port.
#include "RedisTestSupport.h"
#include "redis/RedisConnection.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using Args = QList<QByteArray>;

namespace switchboard {
// Lets QCOMPARE print replies.
char *toString(const RedisReply &reply)
{
    return qstrdup(reply.toDebugString().toUtf8().constData());
}
} // namespace switchboard

class TestRedisClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void replies_data();
    void replies();
    void binarySafeValues_data();
    void binarySafeValues();
    void errorRepliesKeepConnectionUsable_data();
    void errorRepliesKeepConnectionUsable();
    void arrays();
    void pipelinesTenThousandCommandsInOrder();
    void resolvesHostNames();
    void authAndSelectFromUrl_data();
    void authAndSelectFromUrl();
    void queuedCommandsRunInTheUrlsDatabase();
    void commandsFailFastWhileDisconnected();
    void refusesModeChangingCommands_data();
    void refusesModeChangingCommands();
    void queuesCommandsWhileConnecting();
    void commandTimeoutResetsConnection();
    void connectTimeout();
    void nonRedisServerFailsCleanly();
    void reconnectsWithBackoffAfterRestart();
    void backsOffWhileRedisIsDown();
    void closeFailsPendingCommands();
    void destroyWithPendingCommands_data();
    void destroyWithPendingCommands();

private:
    bool connectAndWait(RedisConnection &connection);

    std::unique_ptr<RedisServerProcess> m_server;
    std::unique_ptr<RedisServerProcess> m_authServer;
    std::unique_ptr<RedisConnection> m_connection;
};

static const QString kPassword = u"s3cret pass"_s;

bool TestRedisClient::connectAndWait(RedisConnection &connection)
{
    QSignalSpy connected(&connection, &RedisConnection::connected);
    connection.open();
    return connection.isConnected() || connected.wait(5000);
}

void TestRedisClient::initTestCase()
{
    if (!RedisServerProcess::isAvailable())
        QSKIP("redis-server is not installed at /usr/bin/redis-server");
    m_server = std::make_unique<RedisServerProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void TestRedisClient::init()
{
    m_connection = std::make_unique<RedisConnection>(m_server->url(), fastOptions());
    QVERIFY(connectAndWait(*m_connection));
    const auto flushed = runCommand(*m_connection, {"FLUSHALL"});
    QVERIFY(flushed);
    QCOMPARE(*flushed, RedisReply::status("OK"));
}

void TestRedisClient::cleanup()
{
    m_connection.reset();
}

void TestRedisClient::replies_data()
{
    QTest::addColumn<QList<Args>>("setup");
    QTest::addColumn<Args>("command");
    QTest::addColumn<RedisReply>("expected");

    const auto ok = RedisReply::status("OK");
    QTest::newRow("set") << QList<Args>{} << Args{"SET", "k", "v"} << ok;
    QTest::newRow("get") << QList<Args>{{"SET", "k", "hello"}} << Args{"GET", "k"}
                         << RedisReply::string("hello");
    QTest::newRow("get missing is nil") << QList<Args>{} << Args{"GET", "missing"} << RedisReply::nil();
    QTest::newRow("del") << QList<Args>{{"SET", "k", "x"}} << Args{"DEL", "k", "missing"}
                         << RedisReply::integer(1);
    QTest::newRow("expire") << QList<Args>{{"SET", "k", "x"}} << Args{"EXPIRE", "k", "100"}
                            << RedisReply::integer(1);
    QTest::newRow("expire missing") << QList<Args>{} << Args{"EXPIRE", "missing", "100"}
                                    << RedisReply::integer(0);
    QTest::newRow("ttl") << QList<Args>{{"SET", "k", "x"}, {"EXPIRE", "k", "100"}} << Args{"TTL", "k"}
                         << RedisReply::integer(100);
    QTest::newRow("incr") << QList<Args>{{"SET", "k", "41"}} << Args{"INCR", "k"} << RedisReply::integer(42);
    QTest::newRow("incr new key") << QList<Args>{} << Args{"INCR", "k"} << RedisReply::integer(1);
    QTest::newRow("incrby negative") << QList<Args>{} << Args{"INCRBY", "k", "-5"} << RedisReply::integer(-5);
    QTest::newRow("mget with nil") << QList<Args>{{"SET", "a", "1"}, {"SET", "c", "3"}}
                                   << Args{"MGET", "a", "b", "c"}
                                   << RedisReply::array({RedisReply::string("1"), RedisReply::nil(),
                                                         RedisReply::string("3")});
    QTest::newRow("nested array") << QList<Args>{} << Args{"EVAL", "return {1, {2, 'x'}, 'y'}", "0"}
                                  << RedisReply::array({RedisReply::integer(1),
                                                        RedisReply::array({RedisReply::integer(2),
                                                                           RedisReply::string("x")}),
                                                        RedisReply::string("y")});
    QTest::newRow("empty array") << QList<Args>{} << Args{"KEYS", "nothing*"} << RedisReply::array({});
    QTest::newRow("status from script")
        << QList<Args>{} << Args{"EVAL", "return redis.status_reply('FINE')", "0"}
        << RedisReply::status("FINE");
    QTest::newRow("error from script")
        << QList<Args>{} << Args{"EVAL", "return redis.error_reply('MINE went wrong')", "0"}
        << RedisReply::error("MINE went wrong");
}

void TestRedisClient::replies()
{
    QFETCH(QList<Args>, setup);
    QFETCH(Args, command);
    QFETCH(RedisReply, expected);

    for (const Args &step : setup) {
        const auto reply = runCommand(*m_connection, step);
        QVERIFY(reply);
        QVERIFY2(!reply->isError(), qPrintable(reply->toDebugString()));
    }
    const auto reply = runCommand(*m_connection, command);
    QVERIFY(reply);
    QCOMPARE(*reply, expected);
}

void TestRedisClient::binarySafeValues_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("value");

    QByteArray allBytes;
    for (int i = 0; i < 512; ++i)
        allBytes.append(static_cast<char>(i % 256));
    QTest::newRow("all byte values") << QByteArray("bytes") << allBytes;
    QTest::newRow("protocol characters")
        << QByteArray("k\r\n$3\r\n", 7) << QByteArray("\r\n\0*2\r\n+OK\r\n-ERR\r\n", 17);
    QTest::newRow("nul in key and value") << QByteArray("a\0b", 3) << QByteArray("\0\0\0", 3);
    QTest::newRow("empty value") << QByteArray("empty") << QByteArray("");
    QTest::newRow("utf-8") << u"schlüssel"_s.toUtf8() << u"wert ✓ 値"_s.toUtf8();
    QTest::newRow("one MiB") << QByteArray("big") << QByteArray(1024 * 1024, '\xAB');
}

void TestRedisClient::binarySafeValues()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, value);

    const auto set = runCommand(*m_connection, {"SET", key, value});
    QVERIFY(set);
    QCOMPARE(*set, RedisReply::status("OK"));
    const auto get = runCommand(*m_connection, {"GET", key});
    QVERIFY(get);
    QVERIFY(get->isString());
    QCOMPARE(get->toByteArray().size(), value.size());
    QVERIFY(get->toByteArray() == value);
    const auto length = runCommand(*m_connection, {"STRLEN", key});
    QVERIFY(length);
    QCOMPARE(length->toInteger(), value.size());
}

void TestRedisClient::errorRepliesKeepConnectionUsable_data()
{
    QTest::addColumn<QList<Args>>("setup");
    QTest::addColumn<Args>("command");
    QTest::addColumn<QString>("errorStart");

    QTest::newRow("not an integer") << QList<Args>{{"SET", "k", "abc"}} << Args{"INCR", "k"}
                                    << u"ERR value is not an integer"_s;
    QTest::newRow("wrong type") << QList<Args>{{"LPUSH", "list", "x"}} << Args{"GET", "list"}
                                << u"WRONGTYPE"_s;
    QTest::newRow("unknown command") << QList<Args>{} << Args{"NOSUCHCOMMAND", "x"}
                                     << u"ERR unknown command"_s;
    QTest::newRow("wrong arity") << QList<Args>{} << Args{"GET"} << u"ERR wrong number of arguments"_s;
}

void TestRedisClient::errorRepliesKeepConnectionUsable()
{
    QFETCH(QList<Args>, setup);
    QFETCH(Args, command);
    QFETCH(QString, errorStart);

    for (const Args &step : setup)
        QVERIFY(runCommand(*m_connection, step));
    QSignalSpy disconnected(m_connection.get(), &RedisConnection::disconnected);
    const auto reply = runCommand(*m_connection, command);
    QVERIFY(reply);
    QVERIFY(reply->isError());
    QVERIFY2(reply->errorMessage().startsWith(errorStart), qPrintable(reply->errorMessage()));

    const auto pong = runCommand(*m_connection, {"PING"});
    QVERIFY(pong);
    QCOMPARE(*pong, RedisReply::status("PONG"));
    QCOMPARE(disconnected.count(), 0);
}

void TestRedisClient::arrays()
{
    for (const QByteArray key : {"user:1", "user:2", "user:3", "other"})
        QVERIFY(runCommand(*m_connection, {"SET", key, key + "-value"}));

    const auto keys = runCommand(*m_connection, {"KEYS", "user:*"});
    QVERIFY(keys);
    QVERIFY(keys->isArray());
    QList<QByteArray> names;
    for (const RedisReply &element : keys->elements())
        names.append(element.toByteArray());
    std::sort(names.begin(), names.end());
    QCOMPARE(names, (QList<QByteArray>{"user:1", "user:2", "user:3"}));

    QVERIFY(runCommand(*m_connection, {"RPUSH", "list", "a", "b", "c"}));
    const auto range = runCommand(*m_connection, {"LRANGE", "list", "0", "-1"});
    QVERIFY(range);
    QCOMPARE(range->elements().size(), 3);
    QCOMPARE(range->elements().at(2).toByteArray(), "c");

    QVERIFY(runCommand(*m_connection, {"HSET", "hash", "field", "42"}));
    const auto all = runCommand(*m_connection, {"HGETALL", "hash"});
    QVERIFY(all);
    QCOMPARE(*all, RedisReply::array({RedisReply::string("field"), RedisReply::string("42")}));
    QCOMPARE(all->elements().at(1).toInteger(), 42);
}

void TestRedisClient::pipelinesTenThousandCommandsInOrder()
{
    constexpr int kCount = 10000;
    auto received = std::make_shared<std::vector<qint64>>();
    received->reserve(kCount);
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < kCount; ++i) {
        m_connection->command({"INCR", "counter"}, [received](const RedisReply &reply) {
            received->push_back(reply.isInteger() ? reply.toInteger() : -1);
        });
    }
    QCOMPARE(m_connection->pendingCount(), kCount);
    QTRY_COMPARE_WITH_TIMEOUT(static_cast<int>(received->size()), kCount, 20000);
    for (int i = 0; i < kCount; ++i)
        QCOMPARE(received->at(static_cast<size_t>(i)), i + 1);
    QCOMPARE(m_connection->pendingCount(), 0);
    qDebug() << kCount << "pipelined commands in" << clock.elapsed() << "ms";
}

void TestRedisClient::resolvesHostNames()
{
    // "localhost" may resolve to ::1 first while the server listens on 127.0.0.1 only: every
    // address is tried in turn.
    RedisUrl url = m_server->url();
    url.host = u"localhost"_s;
    RedisConnection connection(url, fastOptions());
    QVERIFY(connectAndWait(connection));
    const auto pong = runCommand(connection, {"PING"});
    QVERIFY(pong);
    QCOMPARE(*pong, RedisReply::status("PONG"));
}

void TestRedisClient::authAndSelectFromUrl_data()
{
    QTest::addColumn<QString>("username");
    QTest::addColumn<QString>("password");
    QTest::addColumn<int>("database");
    QTest::addColumn<QString>("expectedError"); // empty: must connect

    QTest::newRow("password") << QString() << kPassword << 0 << QString();
    QTest::newRow("acl user and password") << u"default"_s << kPassword << 0 << QString();
    QTest::newRow("password and database") << QString() << kPassword << 5 << QString();
    QTest::newRow("wrong password") << QString() << u"wrong"_s << 0 << u"AUTH failed: WRONGPASS"_s;
    QTest::newRow("unknown user") << u"nobody"_s << kPassword << 0 << u"AUTH failed: WRONGPASS"_s;
    QTest::newRow("database out of range")
        << QString() << kPassword << 4000 << u"SELECT failed: ERR DB index"_s;
}

void TestRedisClient::authAndSelectFromUrl()
{
    QFETCH(QString, username);
    QFETCH(QString, password);
    QFETCH(int, database);
    QFETCH(QString, expectedError);

    if (!m_authServer) {
        m_authServer = std::make_unique<RedisServerProcess>(QStringList{u"--requirepass"_s, kPassword});
        QVERIFY2(m_authServer->start(), qPrintable(m_authServer->errorString()));
    }
    RedisOptions options = fastOptions();
    options.reconnectMinDelay = std::chrono::milliseconds(2000); // one attempt within this test
    RedisConnection connection(m_authServer->url(password, database, username), options);
    QSignalSpy connected(&connection, &RedisConnection::connected);
    QSignalSpy errors(&connection, &RedisConnection::errorOccurred);
    connection.open();

    if (expectedError.isEmpty()) {
        QTRY_COMPARE(connected.count(), 1);
        const auto info = runCommand(connection, {"CLIENT", "INFO"});
        QVERIFY(info);
        QVERIFY2(info->toByteArray().contains(QByteArray(" db=" + QByteArray::number(database) + " ")),
                 info->toByteArray().constData());
        if (!username.isEmpty())
            QVERIFY(info->toByteArray().contains(QByteArray(" user=" + username.toUtf8() + " ")));
        QCOMPARE(errors.count(), 0);
    } else {
        QTRY_COMPARE(errors.count(), 1);
        const QString error = errors.at(0).at(0).toString();
        QVERIFY2(error.startsWith(expectedError), qPrintable(error));
        QCOMPARE(connected.count(), 0);
        QVERIFY(!connection.isConnected());
        const auto reply = runCommand(connection, {"PING"});
        QVERIFY(reply);
        QVERIFY(reply->isError());
    }
}

void TestRedisClient::queuedCommandsRunInTheUrlsDatabase()
{
    RedisConnection inDatabase3(m_server->url({}, 3), fastOptions());
    inDatabase3.open();
    // Issued before the connection is up: must wait for SELECT 3, never run in database 0.
    auto set = std::make_shared<std::optional<RedisReply>>();
    inDatabase3.command({"SET", "where", "three"}, [set](const RedisReply &reply) { *set = reply; });
    QVERIFY(!inDatabase3.isConnected());
    QTRY_VERIFY(set->has_value());
    QCOMPARE(**set, RedisReply::status("OK"));

    const auto inDatabase0 = runCommand(*m_connection, {"EXISTS", "where"});
    QVERIFY(inDatabase0);
    QCOMPARE(*inDatabase0, RedisReply::integer(0));
    const auto get = runCommand(inDatabase3, {"GET", "where"});
    QVERIFY(get);
    QCOMPARE(*get, RedisReply::string("three"));
}

void TestRedisClient::commandsFailFastWhileDisconnected()
{
    RedisUrl url = m_server->url();
    url.port = RedisServerProcess::freePort(); // nothing listens there
    RedisOptions options = fastOptions();
    options.reconnectMinDelay = std::chrono::milliseconds(3000); // stays "waiting to retry"
    options.reconnectMaxDelay = std::chrono::milliseconds(3000);
    RedisConnection connection(url, options);

    auto before = std::make_shared<std::optional<RedisReply>>();
    connection.command({"PING"}, [before](const RedisReply &reply) { *before = reply; });
    QVERIFY2(!before->has_value(), "the callback must not run inside command()");
    QTRY_VERIFY(before->has_value());
    QCOMPARE(**before, RedisReply::error("not connected"));

    QSignalSpy errors(&connection, &RedisConnection::errorOccurred);
    connection.open();
    QTRY_COMPARE(errors.count(), 1);
    QVERIFY(!connection.isConnected());

    QElapsedTimer clock;
    clock.start();
    auto after = std::make_shared<std::optional<RedisReply>>();
    connection.command({"SET", "k", "v"}, [after](const RedisReply &reply) { *after = reply; });
    QVERIFY(!after->has_value());
    QTRY_VERIFY(after->has_value());
    QCOMPARE(**after, RedisReply::error("not connected"));
    QVERIFY2(clock.elapsed() < 1000, "fail fast, not after a timeout");

    auto empty = std::make_shared<std::optional<RedisReply>>();
    connection.command({}, [empty](const RedisReply &reply) { *empty = reply; });
    QTRY_VERIFY(empty->has_value());
    QCOMPARE(**empty, RedisReply::error("empty command"));
}

void TestRedisClient::refusesModeChangingCommands_data()
{
    QTest::addColumn<Args>("command");
    QTest::newRow("subscribe") << Args{"SUBSCRIBE", "channel"};
    QTest::newRow("psubscribe lower case") << Args{"psubscribe", "chan*"};
    QTest::newRow("unsubscribe") << Args{"UNSUBSCRIBE"};
    QTest::newRow("monitor") << Args{"MONITOR"};
    QTest::newRow("select") << Args{"SELECT", "1"};
    QTest::newRow("auth") << Args{"AUTH", "x"};
    QTest::newRow("hello resp3") << Args{"HELLO", "3"};
    QTest::newRow("reset") << Args{"RESET"};
    QTest::newRow("client reply off") << Args{"client", "reply", "off"};
}

void TestRedisClient::refusesModeChangingCommands()
{
    QFETCH(Args, command);
    const auto reply = runCommand(*m_connection, command);
    QVERIFY(reply);
    QVERIFY(reply->isError());
    QVERIFY2(reply->errorMessage().contains(u"not allowed"_s), qPrintable(reply->errorMessage()));
    const auto pong = runCommand(*m_connection, {"PING"});
    QVERIFY(pong);
    QCOMPARE(*pong, RedisReply::status("PONG"));
}

void TestRedisClient::queuesCommandsWhileConnecting()
{
    RedisConnection connection(m_server->url(), fastOptions());
    auto order = std::make_shared<QList<QByteArray>>();
    connect(&connection, &RedisConnection::connected, this, [&connection, order] {
        connection.command({"GET", "queued"}, [order](const RedisReply &reply) {
            order->append("slot:" + reply.toByteArray());
        });
    });
    connection.open();
    connection.command({"SET", "queued", "yes"},
                       [order](const RedisReply &reply) { order->append("set:" + reply.toByteArray()); });
    connection.command({"GET", "queued"},
                       [order](const RedisReply &reply) { order->append("get:" + reply.toByteArray()); });
    QCOMPARE(connection.pendingCount(), 2);
    QTRY_COMPARE(order->size(), 3);
    QCOMPARE(*order, (QList<QByteArray>{"set:OK", "get:yes", "slot:yes"}));
}

void TestRedisClient::commandTimeoutResetsConnection()
{
    RedisOptions options = fastOptions();
    options.commandTimeout = std::chrono::milliseconds(300);
    RedisConnection connection(m_server->url(), options);
    QVERIFY(connectAndWait(connection));
    QSignalSpy connected(&connection, &RedisConnection::connected);
    QSignalSpy disconnected(&connection, &RedisConnection::disconnected);

    struct Outcome
    {
        int calls = 0;
        RedisReply reply;
        qint64 elapsed = -1;
        bool connectedAtReply = true;
    };
    auto slow = std::make_shared<Outcome>();
    auto behind = std::make_shared<Outcome>();
    QElapsedTimer clock;
    clock.start();
    connection.command({"DEBUG", "SLEEP", "1"}, [slow, clock, &connection](const RedisReply &reply) {
        ++slow->calls;
        slow->reply = reply;
        slow->elapsed = clock.elapsed();
        slow->connectedAtReply = connection.isConnected();
    });
    // Sent while the slow command is outstanding but expiring later: it is lost with the
    // connection rather than timed out itself.
    QTimer::singleShot(150, &connection, [&connection, behind] {
        connection.command({"PING"}, [behind](const RedisReply &reply) {
            ++behind->calls;
            behind->reply = reply;
        });
    });

    QTRY_COMPARE(slow->calls, 1);
    QCOMPARE(slow->reply, RedisReply::error("timeout"));
    QVERIFY2(slow->elapsed >= 280 && slow->elapsed < 900, qPrintable(QString::number(slow->elapsed)));
    QCOMPARE(behind->calls, 1);
    QCOMPARE(behind->reply, RedisReply::error("connection lost: command timed out"));
    QCOMPARE(disconnected.count(), 1);
    // Dropped before the timeout was reported. (Checked in the callback: by the time the test
    // looks again, a loaded machine may already have reconnected after the 50 ms backoff.)
    QVERIFY(!slow->connectedAtReply);

    // It reconnects by itself (the kernel accepts even while Redis sleeps).
    QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 1, 5000);
    // Another connection waits for the sleep to end, by which time the late reply has come back
    // on the old connection - and must have gone nowhere.
    RedisConnection observer(m_server->url(), fastOptions());
    QVERIFY(connectAndWait(observer));
    QVERIFY(runCommand(observer, {"PING"}));
    const auto pong = runCommand(connection, {"PING"});
    QVERIFY(pong);
    QCOMPARE(*pong, RedisReply::status("PONG"));
    QCOMPARE(slow->calls, 1);
    QCOMPARE(behind->calls, 1);
}

void TestRedisClient::connectTimeout()
{
    // Accepts TCP connections (the kernel does) but never answers, so AUTH hangs.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    RedisUrl url;
    url.host = u"127.0.0.1"_s;
    url.port = silent.serverPort();
    url.password = u"x"_s;
    RedisOptions options = fastOptions();
    options.connectTimeout = std::chrono::milliseconds(300);
    options.reconnectMinDelay = std::chrono::milliseconds(5000);
    RedisConnection connection(url, options);
    QSignalSpy connected(&connection, &RedisConnection::connected);
    QSignalSpy errors(&connection, &RedisConnection::errorOccurred);

    QElapsedTimer clock;
    clock.start();
    connection.open();
    auto queued = std::make_shared<std::optional<RedisReply>>();
    connection.command({"PING"}, [queued](const RedisReply &reply) { *queued = reply; });

    QTRY_COMPARE(errors.count(), 1);
    QVERIFY2(errors.at(0).at(0).toString().startsWith(u"connect timeout"_s),
             qPrintable(errors.at(0).at(0).toString()));
    QVERIFY(clock.elapsed() >= 280);
    QTRY_VERIFY(queued->has_value());
    QVERIFY((*queued)->isError());
    QVERIFY2((*queued)->errorMessage().startsWith(u"connection failed: connect timeout"_s),
             qPrintable((*queued)->errorMessage()));
    QCOMPARE(connected.count(), 0);
}

void TestRedisClient::nonRedisServerFailsCleanly()
{
    // Answers whatever it gets like a web server would: not RESP.
    QTcpServer web;
    QVERIFY(web.listen(QHostAddress::LocalHost, 0));
    connect(&web, &QTcpServer::newConnection, this, [&web] {
        while (QTcpSocket *socket = web.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                socket->readAll();
                socket->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            });
        }
    });
    RedisUrl url;
    url.host = u"127.0.0.1"_s;
    url.port = web.serverPort();
    RedisOptions options = fastOptions();
    options.reconnectMinDelay = std::chrono::milliseconds(5000);
    RedisConnection connection(url, options);
    QSignalSpy disconnected(&connection, &RedisConnection::disconnected);
    QSignalSpy errors(&connection, &RedisConnection::errorOccurred);
    QVERIFY(connectAndWait(connection)); // no AUTH/SELECT: TCP alone makes it "connected"

    const auto reply = runCommand(connection, {"PING"});
    QVERIFY(reply);
    QVERIFY(reply->isError());
    QVERIFY2(reply->errorMessage().startsWith(u"connection lost: Protocol error"_s),
             qPrintable(reply->errorMessage()));
    QCOMPARE(disconnected.count(), 1);
    QCOMPARE(errors.count(), 1);
    QVERIFY(!connection.isConnected());
}

void TestRedisClient::reconnectsWithBackoffAfterRestart()
{
    RedisServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    RedisConnection connection(server.url(), fastOptions());
    QSignalSpy connected(&connection, &RedisConnection::connected);
    QSignalSpy disconnected(&connection, &RedisConnection::disconnected);
    QSignalSpy errors(&connection, &RedisConnection::errorOccurred);
    connection.open();
    QTRY_COMPARE(connected.count(), 1);
    QVERIFY(runCommand(connection, {"SET", "k", "before"}));

    server.kill();
    QTRY_COMPARE(disconnected.count(), 1);
    QVERIFY(!connection.isConnected());
    const auto whileDown = runCommand(connection, {"GET", "k"});
    QVERIFY(whileDown);
    QVERIFY(whileDown->isError());
    QTRY_VERIFY(errors.count() >= 3); // retries keep failing while the server is down

    QVERIFY2(server.start(), qPrintable(server.errorString()));
    QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 2, 5000);
    QCOMPARE(disconnected.count(), 1);
    const auto set = runCommand(connection, {"SET", "k", "after"});
    QVERIFY(set);
    QCOMPARE(*set, RedisReply::status("OK"));
    const auto get = runCommand(connection, {"GET", "k"});
    QVERIFY(get);
    QCOMPARE(*get, RedisReply::string("after"));
}

void TestRedisClient::backsOffWhileRedisIsDown()
{
    RedisUrl url = m_server->url();
    url.port = RedisServerProcess::freePort();
    RedisOptions options = fastOptions();
    options.reconnectMinDelay = std::chrono::milliseconds(100);
    options.reconnectMaxDelay = std::chrono::milliseconds(10000);
    RedisConnection connection(url, options);
    QElapsedTimer clock;
    auto failures = std::make_shared<QList<qint64>>();
    connect(&connection, &RedisConnection::errorOccurred, this,
            [failures, &clock](const QString &) { failures->append(clock.elapsed()); });

    clock.start();
    connection.open();
    QTRY_VERIFY_WITH_TIMEOUT(failures->size() >= 4, 5000);
    // Delays of about 100, 200 and 400 ms (+-20 %) separate the first four failures: no busy loop.
    QVERIFY2(failures->at(3) >= 560, qPrintable(QString::number(failures->at(3))));
    const qint64 firstGap = failures->at(1) - failures->at(0);
    const qint64 thirdGap = failures->at(3) - failures->at(2);
    QVERIFY2(thirdGap > firstGap, qPrintable(u"%1 vs %2"_s.arg(thirdGap).arg(firstGap)));
    QVERIFY(!connection.isConnected());
}

void TestRedisClient::closeFailsPendingCommands()
{
    QSignalSpy disconnected(m_connection.get(), &RedisConnection::disconnected);
    auto replies = std::make_shared<QList<RedisReply>>();
    for (int i = 0; i < 100; ++i)
        m_connection->command({"PING"}, [replies](const RedisReply &reply) { replies->append(reply); });
    m_connection->close();
    QCOMPARE(replies->size(), 0); // not from inside close()
    QCOMPARE(disconnected.count(), 1);
    QVERIFY(!m_connection->isConnected());
    QTRY_COMPARE(replies->size(), 100);
    for (const RedisReply &reply : std::as_const(*replies))
        QCOMPARE(reply, RedisReply::error("connection closed"));

    QVERIFY(connectAndWait(*m_connection));
    const auto pong = runCommand(*m_connection, {"PING"});
    QVERIFY(pong);
    QCOMPARE(*pong, RedisReply::status("PONG"));
}

enum class Destroy {
    Pipelined,
    InsideReplyCallback,
    InsideTimeoutCallback,
    WhileConnecting,
    WithDeferredErrors
};

void TestRedisClient::destroyWithPendingCommands_data()
{
    QTest::addColumn<Destroy>("when");
    QTest::addColumn<int>("expectedCalls");
    QTest::newRow("right after pipelining") << Destroy::Pipelined << 0;
    QTest::newRow("inside a reply callback") << Destroy::InsideReplyCallback << 1;
    QTest::newRow("inside a timeout callback") << Destroy::InsideTimeoutCallback << 1;
    QTest::newRow("while connecting") << Destroy::WhileConnecting << 0;
    QTest::newRow("with deferred errors") << Destroy::WithDeferredErrors << 0;
}

void TestRedisClient::destroyWithPendingCommands()
{
    QFETCH(Destroy, when);
    QFETCH(int, expectedCalls);

    RedisOptions options = fastOptions();
    if (when == Destroy::InsideTimeoutCallback)
        options.commandTimeout = std::chrono::milliseconds(200);
    auto *connection = new RedisConnection(m_server->url(), options);
    const QPointer<RedisConnection> watch(connection);
    auto calls = std::make_shared<int>(0);
    // Deletes the connection on its first call; a second call would show up in calls.
    const auto destroyingCallback = [calls, &connection](const RedisReply &) {
        ++*calls;
        delete std::exchange(connection, nullptr);
    };
    const auto countingCallback = [calls](const RedisReply &) { ++*calls; };

    switch (when) {
    case Destroy::Pipelined:
        QVERIFY(connectAndWait(*connection));
        for (int i = 0; i < 1000; ++i)
            connection->command({"INCR", "n"}, countingCallback);
        delete std::exchange(connection, nullptr);
        break;
    case Destroy::InsideReplyCallback:
        QVERIFY(connectAndWait(*connection));
        for (int i = 0; i < 1000; ++i)
            connection->command({"INCR", "n"}, destroyingCallback);
        QTRY_VERIFY(!watch);
        break;
    case Destroy::InsideTimeoutCallback:
        QVERIFY(connectAndWait(*connection));
        connection->command({"DEBUG", "SLEEP", "0.5"}, destroyingCallback);
        for (int i = 0; i < 10; ++i)
            connection->command({"PING"}, destroyingCallback);
        QTRY_VERIFY(!watch);
        break;
    case Destroy::WhileConnecting:
        connection->open();
        for (int i = 0; i < 10; ++i)
            connection->command({"PING"}, countingCallback);
        QCOMPARE(connection->pendingCount(), 10);
        delete std::exchange(connection, nullptr);
        break;
    case Destroy::WithDeferredErrors:
        for (int i = 0; i < 10; ++i)
            connection->command({"PING"}, countingCallback);
        delete std::exchange(connection, nullptr);
        break;
    }
    QVERIFY(!watch);

    // A round trip on another connection, after the server has answered everything sent before
    // (including a DEBUG SLEEP): any stray callback would have run by now.
    const auto barrier = runCommand(*m_connection, {"PING"});
    QVERIFY(barrier);
    QCoreApplication::processEvents();
    QCOMPARE(*calls, expectedCalls);
}

QTEST_GUILESS_MAIN(TestRedisClient)
#include "tst_redisclient.moc"
