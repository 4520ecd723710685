// RedisBackoff: reconnect delays double from the minimum to the maximum, with bounded jitter.
#include "redis/RedisBackoff.h"

#include <QTest>

using namespace std::chrono_literals;
using namespace switchboard;

class TestRedisBackoff : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void doublesUpToTheMaximumWithJitter_data();
    void doublesUpToTheMaximumWithJitter();
    void resetStartsOver();
    void jitterSpreadsDelays();
    void clampsNonsenseSettings();
};

void TestRedisBackoff::doublesUpToTheMaximumWithJitter_data()
{
    QTest::addColumn<int>("minMs");
    QTest::addColumn<int>("maxMs");
    QTest::addColumn<QList<int>>("bases");
    QTest::newRow("defaults") << 100 << 10000
                              << QList<int>{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000};
    QTest::newRow("max not a power of two") << 50 << 300 << QList<int>{50, 100, 200, 300, 300};
    QTest::newRow("min equals max") << 1000 << 1000 << QList<int>{1000, 1000, 1000};
}

void TestRedisBackoff::doublesUpToTheMaximumWithJitter()
{
    QFETCH(int, minMs);
    QFETCH(int, maxMs);
    QFETCH(QList<int>, bases);

    for (int round = 0; round < 20; ++round) { // jitter is random: try several sequences
        RedisBackoff backoff{std::chrono::milliseconds(minMs), std::chrono::milliseconds(maxMs)};
        for (qsizetype i = 0; i < bases.size(); ++i) {
            const qint64 delay = backoff.next().count();
            const double base = bases.at(i);
            QVERIFY2(delay >= qFloor(base * (1 - RedisBackoff::kJitter)) &&
                         delay <= qCeil(base * (1 + RedisBackoff::kJitter)),
                     qPrintable(QStringLiteral("attempt %1: %2 ms for base %3").arg(i).arg(delay).arg(base)));
            QCOMPARE(backoff.failures(), i + 1);
        }
    }
}

void TestRedisBackoff::resetStartsOver()
{
    RedisBackoff backoff{100ms, 10s};
    for (int i = 0; i < 6; ++i)
        backoff.next();
    QVERIFY(backoff.next() >= 2560ms);
    backoff.reset();
    QCOMPARE(backoff.failures(), 0);
    QVERIFY(backoff.next() <= 120ms);
}

void TestRedisBackoff::jitterSpreadsDelays()
{
    QSet<qint64> seen;
    for (int i = 0; i < 50; ++i) {
        RedisBackoff backoff{1000ms, 1000ms};
        seen.insert(backoff.next().count());
    }
    QVERIFY2(seen.size() > 5, "replicas must not retry in lockstep");
}

void TestRedisBackoff::clampsNonsenseSettings()
{
    RedisBackoff zero{0ms, 0ms};
    QVERIFY(zero.next() >= 1ms); // never a busy loop
    RedisBackoff inverted{500ms, 100ms};
    const auto delay = inverted.next();
    QVERIFY(delay >= 400ms && delay <= 600ms);
    QVERIFY(inverted.next() <= 600ms);
}

QTEST_GUILESS_MAIN(TestRedisBackoff)
#include "tst_redisbackoff.moc"
