// The limits' building blocks with an injected clock: token buckets, per-address connection and
// handshake accounting (exempt subnets, IPv4-mapped and IPv6 /64 sources) and the limit log that
// names an offender once a minute.
#include "net/RateLimit.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;

class tst_RateLimit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void unlimitedBucketNeverRunsOut();
    void bucketAllowsBurstThenRate();
    void bucketRefillsUpToBurst();
    void bucketIgnoresClockGoingBack();
    void parseSubnets_data();
    void parseSubnets();
    void sourceOf_data();
    void sourceOf();
    void connectionsPerAddress();
    void exemptAddressesAreNotLimited();
    void handshakesPerAddress();
    void unlimitedAddressLimiter();
    void limitLogOncePerMinute();
};

void tst_RateLimit::unlimitedBucketNeverRunsOut()
{
    TokenBucket bucket;
    QVERIFY(bucket.isUnlimited());
    for (int i = 0; i < 100000; ++i)
        QVERIFY(bucket.take(0));
    QVERIFY(TokenBucket::perSecond(0).isUnlimited());
}

void tst_RateLimit::bucketAllowsBurstThenRate()
{
    TokenBucket bucket = TokenBucket::perSecond(10); // burst 20
    for (int i = 0; i < 20; ++i)
        QVERIFY2(bucket.take(1000), qPrintable(QString::number(i)));
    QVERIFY(!bucket.take(1000));
    QVERIFY(!bucket.take(1050)); // half a token
    QVERIFY(bucket.take(1100));  // one token after 100 ms at 10/s
    QVERIFY(!bucket.take(1100));
}

void tst_RateLimit::bucketRefillsUpToBurst()
{
    TokenBucket bucket(5, 3);
    QVERIFY(bucket.take(0) && bucket.take(0) && bucket.take(0));
    QVERIFY(!bucket.take(0));
    QVERIFY(!bucket.isFull(0));
    QVERIFY(bucket.isFull(600)); // 3 tokens at 5/s
    // A long pause refills to the burst, not beyond.
    int taken = 0;
    while (bucket.take(100000))
        ++taken;
    QCOMPARE(taken, 3);
}

void tst_RateLimit::bucketIgnoresClockGoingBack()
{
    TokenBucket bucket(1, 1);
    QVERIFY(bucket.take(5000));
    QVERIFY(!bucket.take(1000));
    QVERIFY(!bucket.take(5500));
    QVERIFY(bucket.take(6000));
}

void tst_RateLimit::parseSubnets_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("inside");
    QTest::addColumn<QString>("outside");
    QTest::newRow("ipv4 subnet") << u"10.0.0.0/8"_s << true << u"10.1.2.3"_s << u"11.0.0.1"_s;
    QTest::newRow("ipv4 address") << u"192.0.2.7"_s << true << u"192.0.2.7"_s << u"192.0.2.8"_s;
    QTest::newRow("ipv6 address") << u"::1"_s << true << u"::1"_s << u"::2"_s;
    QTest::newRow("ipv6 subnet") << u"2001:db8::/32"_s << true << u"2001:db8:1::5"_s << u"2001:db9::1"_s;
    QTest::newRow("garbage") << u"example.com"_s << false << QString() << QString();
    QTest::newRow("bad prefix") << u"10.0.0.0/33"_s << false << QString() << QString();
    QTest::newRow("empty") << QString() << false << QString() << QString();
}

void tst_RateLimit::parseSubnets()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(QString, inside);
    QFETCH(QString, outside);
    const auto subnet = parseSubnetOrAddress(text);
    QCOMPARE(subnet.has_value(), valid);
    if (!valid)
        return;
    QVERIFY(QHostAddress(inside).isInSubnet(*subnet));
    QVERIFY(!QHostAddress(outside).isInSubnet(*subnet));
}

void tst_RateLimit::sourceOf_data()
{
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QString>("source");
    QTest::newRow("ipv4") << u"203.0.113.9"_s << u"203.0.113.9"_s;
    QTest::newRow("ipv4-mapped") << u"::ffff:203.0.113.9"_s << u"203.0.113.9"_s;
    QTest::newRow("ipv6 per /64") << u"2001:db8:1:2:aaaa:bbbb:cccc:dddd"_s << u"2001:db8:1:2::"_s;
}

void tst_RateLimit::sourceOf()
{
    QFETCH(QString, peer);
    QFETCH(QString, source);
    QCOMPARE(AddressLimiter::sourceOf(QHostAddress(peer)), QHostAddress(source));
}

void tst_RateLimit::connectionsPerAddress()
{
    AddressLimiter limiter({2, 0, {}});
    const QHostAddress a(u"198.51.100.1"_s);
    const QHostAddress b(u"198.51.100.2"_s);
    QVERIFY(limiter.openConnection(a));
    QVERIFY(limiter.openConnection(QHostAddress(u"::ffff:198.51.100.1"_s))); // same source
    QVERIFY(!limiter.openConnection(a));
    QCOMPARE(limiter.connections(a), 2);
    QVERIFY(limiter.openConnection(b)); // others are not affected
    limiter.closeConnection(a);
    QCOMPARE(limiter.connections(a), 1);
    QVERIFY(limiter.openConnection(a));
    // Two addresses of one IPv6 /64 share a budget.
    QVERIFY(limiter.openConnection(QHostAddress(u"2001:db8::1"_s)));
    QVERIFY(limiter.openConnection(QHostAddress(u"2001:db8::2"_s)));
    QVERIFY(!limiter.openConnection(QHostAddress(u"2001:db8::3"_s)));
    QVERIFY(limiter.openConnection(QHostAddress(u"2001:db8:0:1::1"_s)));
    // Closing more than was opened does not go negative.
    limiter.closeConnection(b);
    limiter.closeConnection(b);
    QCOMPARE(limiter.connections(b), 0);
    QVERIFY(limiter.openConnection(b));
}

void tst_RateLimit::exemptAddressesAreNotLimited()
{
    AddressLimiter limiter({1, 1, {*parseSubnetOrAddress(u"127.0.0.0/8"_s)}});
    const QHostAddress local(QHostAddress::LocalHost);
    for (int i = 0; i < 10; ++i) {
        QVERIFY(limiter.openConnection(local));
        QVERIFY(limiter.allowHandshake(local, 0));
    }
    QVERIFY(limiter.isExempt(QHostAddress(u"::ffff:127.0.0.1"_s)));
    QVERIFY(!limiter.isExempt(QHostAddress(u"192.0.2.1"_s)));
}

void tst_RateLimit::handshakesPerAddress()
{
    AddressLimiter limiter({0, 5, {}}); // burst 10
    const QHostAddress a(u"192.0.2.1"_s);
    for (int i = 0; i < 10; ++i)
        QVERIFY(limiter.allowHandshake(a, 1000));
    QVERIFY(!limiter.allowHandshake(a, 1000));
    QVERIFY(limiter.allowHandshake(QHostAddress(u"192.0.2.2"_s), 1000));
    QVERIFY(limiter.allowHandshake(a, 1200)); // one more after 200 ms at 5/s
    QVERIFY(!limiter.allowHandshake(a, 1201));
    // Later (past a pruning of refilled buckets) the address has its whole burst again.
    for (int i = 0; i < 10; ++i)
        QVERIFY(limiter.allowHandshake(a, 30000));
    QVERIFY(!limiter.allowHandshake(a, 30000));
}

void tst_RateLimit::unlimitedAddressLimiter()
{
    AddressLimiter limiter;
    const QHostAddress a(u"192.0.2.1"_s);
    for (int i = 0; i < 1000; ++i) {
        QVERIFY(limiter.openConnection(a));
        QVERIFY(limiter.allowHandshake(a, 0));
    }
}

void tst_RateLimit::limitLogOncePerMinute()
{
    LimitLog log;
    QVERIFY(log.hit(u"browser_message_rate"_s, u"acme/alice"_s, 1000));
    QVERIFY(!log.hit(u"browser_message_rate"_s, u"acme/alice"_s, 2000));
    QVERIFY(!log.hit(u"browser_message_rate"_s, u"acme/alice"_s, 60999));
    QVERIFY(log.hit(u"browser_message_rate"_s, u"acme/bob"_s, 3000));    // another offender
    QVERIFY(log.hit(u"connections_per_ip"_s, u"acme/alice"_s, 3000));    // another limit
    QVERIFY(log.hit(u"browser_message_rate"_s, u"acme/alice"_s, 61000)); // a minute later
    QCOMPARE(log.hits(u"browser_message_rate"_s), quint64(5));
    QCOMPARE(log.hits(u"connections_per_ip"_s), quint64(1));
    QCOMPARE(log.hits(u"handshakes_per_ip"_s), quint64(0));
}

QTEST_APPLESS_MAIN(tst_RateLimit)
#include "tst_ratelimit.moc"
