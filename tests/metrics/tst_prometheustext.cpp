// The Prometheus text format of /metrics, exactly: HELP/TYPE lines, counters, gauges, histograms
// (cumulative buckets, +Inf, _sum, _count), sorted children and escaped label values.
#include "metrics/Metrics.h"
#include "metrics/PrometheusText.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;
using namespace switchboard::metrics;

class TestPrometheusText : public QObject
{
    Q_OBJECT

private:
    // Builds the metric set a row names.
    static void build(const QString &set, MetricsRegistry &registry)
    {
        if (set == "counter"_L1) {
            registry.counter(u"sb_things_total"_s, u"Things seen."_s)->increment(3);
        } else if (set == "labelled counter"_L1) {
            Family *family =
                registry.counterFamily(u"sb_messages_total"_s, u"Messages."_s, {u"endpoint"_s, u"type"_s});
            family->counter({u"browser"_s, u"pong"_s})->increment();
            family->counter({u"agent"_s, u"heartbeat"_s})->increment(2);
        } else if (set == "escaped labels"_L1) {
            Family *family = registry.gaugeFamily(u"sb_info"_s, u"Back\\slash and\nnewline."_s, {u"name"_s});
            family->gauge({u"quote\"d"_s})->set(1);
            family->gauge({u"back\\slash"_s})->set(2);
            family->gauge({u"new\nline"_s})->set(3);
        } else if (set == "gauge values"_L1) {
            registry.gauge(u"sb_a"_s, u"A."_s)->set(0.25);
            registry.gauge(u"sb_b"_s, u"B."_s)->set(-2);
            registry.gauge(u"sb_c"_s, u"C."_s)->set(std::numeric_limits<double>::infinity());
            registry.gauge(u"sb_d"_s, u"D."_s)->set(1700000000.5);
        } else if (set == "histogram"_L1) {
            Histogram *histogram = registry.histogram(u"sb_latency_seconds"_s, u"Latency."_s, {0.25, 1});
            histogram->observe(0.125);
            histogram->observe(0.25); // on a bound: counts in that bucket (le = less or equal)
            histogram->observe(0.5);
            histogram->observe(2);
        } else if (set == "labelled histogram"_L1) {
            Family *family =
                registry.histogramFamily(u"sb_duration_seconds"_s, u"Duration."_s, {0.5}, {u"status"_s});
            family->histogram({u"failed"_s})->observe(1);
            family->histogram({u"completed"_s})->observe(0.25);
        } else if (set == "empty family"_L1) {
            registry.counterFamily(u"sb_hits_total"_s, u"Hits."_s, {u"limit"_s});
        }
    }

private Q_SLOTS:
    void render_data()
    {
        QTest::addColumn<QString>("set");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("counter") << u"counter"_s
                                 << QByteArray("# HELP sb_things_total Things seen.\n"
                                               "# TYPE sb_things_total counter\n"
                                               "sb_things_total 3\n");
        QTest::newRow("labelled counter, children sorted")
            << u"labelled counter"_s
            << QByteArray("# HELP sb_messages_total Messages.\n"
                          "# TYPE sb_messages_total counter\n"
                          "sb_messages_total{endpoint=\"agent\",type=\"heartbeat\"} 2\n"
                          "sb_messages_total{endpoint=\"browser\",type=\"pong\"} 1\n");
        QTest::newRow("escaped labels and help") << u"escaped labels"_s
                                                 << QByteArray("# HELP sb_info Back\\\\slash and\\nnewline.\n"
                                                               "# TYPE sb_info gauge\n"
                                                               "sb_info{name=\"back\\\\slash\"} 2\n"
                                                               "sb_info{name=\"new\\nline\"} 3\n"
                                                               "sb_info{name=\"quote\\\"d\"} 1\n");
        QTest::newRow("gauge values") << u"gauge values"_s
                                      << QByteArray("# HELP sb_a A.\n# TYPE sb_a gauge\nsb_a 0.25\n"
                                                    "# HELP sb_b B.\n# TYPE sb_b gauge\nsb_b -2\n"
                                                    "# HELP sb_c C.\n# TYPE sb_c gauge\nsb_c +Inf\n"
                                                    "# HELP sb_d D.\n# TYPE sb_d gauge\nsb_d 1700000000.5\n");
        QTest::newRow("histogram") << u"histogram"_s
                                   << QByteArray("# HELP sb_latency_seconds Latency.\n"
                                                 "# TYPE sb_latency_seconds histogram\n"
                                                 "sb_latency_seconds_bucket{le=\"0.25\"} 2\n"
                                                 "sb_latency_seconds_bucket{le=\"1\"} 3\n"
                                                 "sb_latency_seconds_bucket{le=\"+Inf\"} 4\n"
                                                 "sb_latency_seconds_sum 2.875\n"
                                                 "sb_latency_seconds_count 4\n");
        QTest::newRow("labelled histogram")
            << u"labelled histogram"_s
            << QByteArray("# HELP sb_duration_seconds Duration.\n"
                          "# TYPE sb_duration_seconds histogram\n"
                          "sb_duration_seconds_bucket{status=\"completed\",le=\"0.5\"} 1\n"
                          "sb_duration_seconds_bucket{status=\"completed\",le=\"+Inf\"} 1\n"
                          "sb_duration_seconds_sum{status=\"completed\"} 0.25\n"
                          "sb_duration_seconds_count{status=\"completed\"} 1\n"
                          "sb_duration_seconds_bucket{status=\"failed\",le=\"0.5\"} 0\n"
                          "sb_duration_seconds_bucket{status=\"failed\",le=\"+Inf\"} 1\n"
                          "sb_duration_seconds_sum{status=\"failed\"} 1\n"
                          "sb_duration_seconds_count{status=\"failed\"} 1\n");
        QTest::newRow("family without children")
            << u"empty family"_s << QByteArray("# HELP sb_hits_total Hits.\n# TYPE sb_hits_total counter\n");
    }
    void render()
    {
        QFETCH(QString, set);
        QFETCH(QByteArray, expected);
        MetricsRegistry registry;
        build(set, registry);
        QCOMPARE(renderPrometheusText(registry), expected);
    }

    void formatValue_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("zero") << 0.0 << u"0"_s;
        QTest::newRow("integer") << 42.0 << u"42"_s;
        QTest::newRow("large integer") << 123456789012.0 << u"123456789012"_s;
        QTest::newRow("fraction") << 0.001 << u"0.001"_s;
        QTest::newRow("shortest round trip") << 0.1 << u"0.1"_s;
        QTest::newRow("negative") << -1.5 << u"-1.5"_s;
        QTest::newRow("+Inf") << std::numeric_limits<double>::infinity() << u"+Inf"_s;
        QTest::newRow("-Inf") << -std::numeric_limits<double>::infinity() << u"-Inf"_s;
        QTest::newRow("NaN") << std::nan("") << u"NaN"_s;
    }
    void formatValue()
    {
        QFETCH(double, value);
        QFETCH(QString, expected);
        QCOMPARE(switchboard::metrics::formatValue(value), expected);
    }

    void counterRaiseToNeverGoesDown()
    {
        Counter counter;
        counter.raiseTo(5);
        counter.raiseTo(3);
        QCOMPARE(counter.value(), quint64(5));
        counter.increment();
        QCOMPARE(counter.value(), quint64(6));
    }
};

QTEST_GUILESS_MAIN(TestPrometheusText)
#include "tst_prometheustext.moc"
