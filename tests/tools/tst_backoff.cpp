// Backoff: 1 s doubling to a 60 s cap, within the jitter bounds, never zero, reset rules.
#include "agent/Backoff.h"

#include <QRandomGenerator>
#include <QTest>

using namespace switchboard::agentsim;
using std::chrono::milliseconds;

class TestBackoff : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void nominalSequenceDoublesToCap();
    void delaysStayWithinJitterBounds_data();
    void delaysStayWithinJitterBounds();
    void randomDelaysNeverZeroNorAboveCap();
    void resetStartsOver();
    void onlyStableConnectionsReset_data();
    void onlyStableConnectionsReset();
    void degeneratePolicyCannotSpin();
};

void TestBackoff::nominalSequenceDoublesToCap()
{
    Backoff backoff({}, [] { return 0.5; }); // factor 1.0: the nominal delay itself
    const QList<qint64> expected{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
    QList<qint64> actual;
    for (qsizetype i = 0; i < expected.size(); ++i)
        actual.append(backoff.nextDelay().count());
    QCOMPARE(actual, expected);
    QCOMPARE(backoff.attempts(), int(expected.size()));
}

void TestBackoff::delaysStayWithinJitterBounds_data()
{
    QTest::addColumn<double>("random");
    QTest::newRow("lowest") << 0.0;
    QTest::newRow("middle") << 0.5;
    QTest::newRow("highest") << 0.999999;
}

void TestBackoff::delaysStayWithinJitterBounds()
{
    QFETCH(double, random);
    Backoff backoff({}, [random] { return random; });
    const qint64 nominal[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (qint64 n : nominal) {
        const qint64 delay = backoff.nextDelay().count();
        QVERIFY2(delay >= qint64(double(n) * 0.8) &&
                     delay <= std::min<qint64>(qint64(double(n) * 1.2), 60000),
                 qPrintable(QStringLiteral("nominal %1, got %2").arg(n).arg(delay)));
    }
    if (random > 0.9) // the upper jitter never pushes past the cap
        QCOMPARE(backoff.nextDelay().count(), 60000);
}

void TestBackoff::randomDelaysNeverZeroNorAboveCap()
{
    Backoff backoff; // the real random source
    for (int i = 0; i < 2000; ++i) {
        if (i % 50 == 0)
            backoff.reset();
        const qint64 delay = backoff.nextDelay().count();
        QVERIFY(delay >= 800);
        QVERIFY(delay <= 60000);
    }
}

void TestBackoff::resetStartsOver()
{
    Backoff backoff({}, [] { return 0.5; });
    for (int i = 0; i < 5; ++i)
        backoff.nextDelay();
    QCOMPARE(backoff.nominalDelay().count(), 32000);
    backoff.reset();
    QCOMPARE(backoff.attempts(), 0);
    QCOMPARE(backoff.nextDelay().count(), 1000);
}

void TestBackoff::onlyStableConnectionsReset_data()
{
    QTest::addColumn<qint64>("upTimeMs");
    QTest::addColumn<qint64>("expectedNext");
    QTest::newRow("flapping") << qint64(2000) << qint64(8000);
    QTest::newRow("just short") << qint64(29999) << qint64(8000);
    QTest::newRow("stable") << qint64(30000) << qint64(1000);
    QTest::newRow("long") << qint64(3600000) << qint64(1000);
}

void TestBackoff::onlyStableConnectionsReset()
{
    QFETCH(qint64, upTimeMs);
    QFETCH(qint64, expectedNext);
    Backoff backoff({}, [] { return 0.5; });
    backoff.nextDelay();
    backoff.nextDelay();
    backoff.nextDelay();
    backoff.connectionEnded(milliseconds(upTimeMs));
    QCOMPARE(backoff.nextDelay().count(), expectedNext);
}

void TestBackoff::degeneratePolicyCannotSpin()
{
    BackoffPolicy policy;
    policy.initial = milliseconds(0);
    policy.cap = milliseconds(-5);
    policy.jitter = 5.0;
    Backoff backoff(policy, [] { return 0.0; });
    for (int i = 0; i < 10; ++i)
        QVERIFY(backoff.nextDelay().count() >= 1);
    // A random source outside [0, 1) is clamped rather than trusted.
    Backoff wild({}, [] { return -3.0; });
    QVERIFY(wild.nextDelay().count() >= 800);
}

QTEST_GUILESS_MAIN(TestBackoff)
#include "tst_backoff.moc"
