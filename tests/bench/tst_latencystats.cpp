// The load tool's statistics: nearest-rank percentiles over every sample, and the payload stamp
// from which fanout latencies are computed.
#include "BenchRunner.h"
#include "LatencyStats.h"

#include <QTest>

using switchboard::bench::findStamp;
using switchboard::bench::LatencyStats;

class TestLatencyStats : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void empty()
    {
        const LatencyStats stats;
        QCOMPARE(stats.count(), std::size_t(0));
        QCOMPARE(stats.percentile(50), 0);
        QCOMPARE(stats.max(), 0);
        QCOMPARE(stats.mean(), 0.0);
    }

    void percentiles_data()
    {
        QTest::addColumn<double>("p");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("p0 = the minimum") << 0.0 << qint64(1);
        QTest::newRow("p1") << 1.0 << qint64(1);
        QTest::newRow("p50") << 50.0 << qint64(50);
        QTest::newRow("p50.5") << 50.5 << qint64(51);
        QTest::newRow("p90") << 90.0 << qint64(90);
        QTest::newRow("p99") << 99.0 << qint64(99);
        QTest::newRow("p99.9 rounds up") << 99.9 << qint64(100);
        QTest::newRow("p100 = the maximum") << 100.0 << qint64(100);
    }

    void percentiles()
    {
        QFETCH(double, p);
        QFETCH(qint64, expected);
        LatencyStats stats;
        // 1..100 in a scrambled order: sorting must happen before ranking.
        for (int i = 0; i < 100; ++i)
            stats.add((i * 37) % 100 + 1);
        QCOMPARE(stats.count(), std::size_t(100));
        QCOMPARE(stats.percentile(p), expected);
    }

    void smallSamplesAndOutliers()
    {
        LatencyStats stats;
        stats.add(7);
        QCOMPARE(stats.percentile(50), 7);
        QCOMPARE(stats.percentile(99), 7);
        for (int i = 0; i < 998; ++i)
            stats.add(1000);
        stats.add(5000000); // one slow delivery in a thousand
        QCOMPARE(stats.count(), std::size_t(1000));
        QCOMPARE(stats.percentile(99), 1000);
        QCOMPARE(stats.percentile(99.9), 1000);
        QCOMPARE(stats.percentile(99.95), 5000000);
        QCOMPARE(stats.max(), 5000000);
        QCOMPARE(stats.min(), 7);
        QCOMPARE(stats.mean(), (7.0 + 998.0 * 1000 + 5000000) / 1000.0);
    }

    void addingAfterAQueryKeepsOrder()
    {
        LatencyStats stats;
        stats.add(10);
        stats.add(20);
        QCOMPARE(stats.max(), 20);
        stats.add(5);
        QCOMPARE(stats.min(), 5);
        QCOMPARE(stats.percentile(50), 10);
        LatencyStats other;
        other.add(1);
        stats.merge(other);
        QCOMPARE(stats.count(), std::size_t(4));
        QCOMPARE(stats.min(), 1);
    }

    void stamp_data()
    {
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<bool>("found");
        QTest::addColumn<qulonglong>("seq");
        QTest::addColumn<qint64>("sent");
        QTest::newRow("org.broadcast")
            << QByteArray(
                   "{\"data\":{\"sb\":\"17:123456789:xxxx\"},\"orgId\":\"o1\",\"type\":\"org.broadcast\"}")
            << true << qulonglong(17) << qint64(123456789);
        QTest::newRow("no padding") << QByteArray("{\"sb\":\"0:5:\"}") << true << qulonglong(0) << qint64(5);
        QTest::newRow("sessions_update") << QByteArray("{\"type\":\"sessions_update\",\"sessions\":[]}")
                                         << false << qulonglong(0) << qint64(0);
        QTest::newRow("truncated") << QByteArray("{\"sb\":\"17:12") << false << qulonglong(0) << qint64(0);
        QTest::newRow("not a number")
            << QByteArray("{\"sb\":\"x:1:\"}") << false << qulonglong(0) << qint64(0);
    }

    void stamp()
    {
        QFETCH(QByteArray, message);
        QFETCH(bool, found);
        QFETCH(qulonglong, seq);
        QFETCH(qint64, sent);
        const auto stamp =
            findStamp(std::string_view(message.constData(), static_cast<std::size_t>(message.size())));
        QCOMPARE(stamp.has_value(), found);
        if (found) {
            QCOMPARE(qulonglong(stamp->seq), seq);
            QCOMPARE(qint64(stamp->sentMicros), sent);
        }
    }
};

QTEST_APPLESS_MAIN(TestLatencyStats)
#include "tst_latencystats.moc"
