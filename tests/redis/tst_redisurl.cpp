// RedisUrl parsing: pure logic, no server needed.
#include "redis/RedisUrl.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;

class TestRedisUrl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesValidUrls_data();
    void parsesValidUrls();
    void rejectsInvalidUrls_data();
    void rejectsInvalidUrls();
    void displayStringHidesThePassword();
    void toStringRoundTrips_data();
    void toStringRoundTrips();
};

void TestRedisUrl::parsesValidUrls_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("username");
    QTest::addColumn<QString>("password");
    QTest::addColumn<int>("database");

    QTest::newRow("host only") << u"redis://redis"_s << u"redis"_s << 6379 << QString() << QString() << 0;
    QTest::newRow("host and port") << u"redis://10.0.0.5:6380"_s << u"10.0.0.5"_s << 6380 << QString()
                                   << QString() << 0;
    QTest::newRow("database") << u"redis://localhost:6379/1"_s << u"localhost"_s << 6379 << QString()
                              << QString() << 1;
    QTest::newRow("trailing slash") << u"redis://localhost/"_s << u"localhost"_s << 6379 << QString()
                                    << QString() << 0;
    QTest::newRow("password only") << u"redis://:secret@cache:7000/2"_s << u"cache"_s << 7000 << QString()
                                   << u"secret"_s << 2;
    QTest::newRow("user and password")
        << u"redis://app:secret@cache:7000/15"_s << u"cache"_s << 7000 << u"app"_s << u"secret"_s << 15;
    QTest::newRow("percent-encoded password")
        << u"redis://:p%40ss%3Aw%2Frd@h:1"_s << u"h"_s << 1 << QString() << u"p@ss:w/rd"_s << 0;
    QTest::newRow("ipv6") << u"redis://[::1]:6390/3"_s << u"::1"_s << 6390 << QString() << QString() << 3;
    QTest::newRow("surrounding blanks") << u"  redis://h:2  "_s << u"h"_s << 2 << QString() << QString() << 0;
    QTest::newRow("upper-case host") << u"redis://CACHE.example"_s << u"cache.example"_s << 6379 << QString()
                                     << QString() << 0;
    QTest::newRow("empty credentials") << u"redis://:@h"_s << u"h"_s << 6379 << QString() << QString() << 0;
    QTest::newRow("max port") << u"redis://h:65535"_s << u"h"_s << 65535 << QString() << QString() << 0;
}

void TestRedisUrl::parsesValidUrls()
{
    QFETCH(QString, text);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, username);
    QFETCH(QString, password);
    QFETCH(int, database);

    QString error;
    const std::optional<RedisUrl> url = RedisUrl::parse(text, &error);
    QVERIFY2(url, qPrintable(error));
    QCOMPARE(url->host, host);
    QCOMPARE(url->port, port);
    QCOMPARE(url->username, username);
    QCOMPARE(url->password, password);
    QCOMPARE(url->database, database);
}

void TestRedisUrl::rejectsInvalidUrls_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("errorFragment");

    QTest::newRow("empty") << QString() << u"redis://"_s;
    QTest::newRow("no scheme") << u"localhost:6379"_s << u"redis://"_s;
    QTest::newRow("http") << u"http://localhost"_s << u"redis://"_s;
    QTest::newRow("tls") << u"rediss://localhost"_s << u"TLS"_s;
    QTest::newRow("unix socket") << u"unix:///tmp/redis.sock"_s << u"redis://"_s;
    QTest::newRow("no host") << u"redis://:6379"_s << u"host"_s;
    QTest::newRow("no host with path") << u"redis:///1"_s << u"host"_s;
    QTest::newRow("port zero") << u"redis://h:0"_s << u"port"_s;
    QTest::newRow("port too large") << u"redis://h:65536"_s << u"port"_s;
    QTest::newRow("port not a number") << u"redis://h:abc"_s << u"port"_s;
    QTest::newRow("empty port") << u"redis://h:/1"_s << u"port"_s;
    QTest::newRow("database not a number") << u"redis://h/abc"_s << u"database"_s;
    QTest::newRow("negative database") << u"redis://h/-1"_s << u"database"_s;
    QTest::newRow("database with sign") << u"redis://h/+1"_s << u"database"_s;
    QTest::newRow("database with path") << u"redis://h/1/2"_s << u"database"_s;
    QTest::newRow("database overflow") << u"redis://h/99999999999"_s << u"database"_s;
    QTest::newRow("user without password") << u"redis://user@h"_s << u"password"_s;
    QTest::newRow("query") << u"redis://h?db=1"_s << u"query"_s;
    QTest::newRow("fragment") << u"redis://h#x"_s << u"fragment"_s;
    QTest::newRow("garbage") << u"redis://h h"_s << u"invalid"_s;
}

void TestRedisUrl::rejectsInvalidUrls()
{
    QFETCH(QString, text);
    QFETCH(QString, errorFragment);

    QString error;
    const std::optional<RedisUrl> url = RedisUrl::parse(text, &error);
    QVERIFY2(!url, qPrintable(url ? url->toString() : QString()));
    QVERIFY2(error.contains(errorFragment, Qt::CaseInsensitive), qPrintable(error));
    QVERIFY(!RedisUrl::parse(text)); // no error out-parameter: no crash
}

void TestRedisUrl::displayStringHidesThePassword()
{
    const auto url = RedisUrl::parse(u"redis://app:topsecret@cache:7000/4"_s);
    QVERIFY(url);
    QCOMPARE(url->toDisplayString(), u"redis://app:***@cache:7000/4"_s);
    QVERIFY(!url->toDisplayString().contains(u"topsecret"_s));
    const auto plain = RedisUrl::parse(u"redis://cache"_s);
    QVERIFY(plain);
    QCOMPARE(plain->toDisplayString(), u"redis://cache:6379"_s);
}

void TestRedisUrl::toStringRoundTrips_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("plain") << u"redis://cache:6379"_s;
    QTest::newRow("everything") << u"redis://app:p%40ss%3Aw%2Frd@cache:7000/15"_s;
    QTest::newRow("password only") << u"redis://:secret@10.1.2.3:1"_s;
    QTest::newRow("ipv6") << u"redis://[fe80::1]:6380/2"_s;
}

void TestRedisUrl::toStringRoundTrips()
{
    QFETCH(QString, text);
    const auto url = RedisUrl::parse(text);
    QVERIFY(url);
    const auto again = RedisUrl::parse(url->toString());
    QVERIFY2(again, qPrintable(url->toString()));
    QCOMPARE(*again, *url);
}

QTEST_GUILESS_MAIN(TestRedisUrl)
#include "tst_redisurl.moc"
