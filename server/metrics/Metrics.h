// The value types of the metrics registry and the registry itself. A component holds pointers to
// the values it updates (an atomic add, no lock, no allocation); the registry owns them, knows their
// names, help texts and labels, and lists them for the renderer. Values are safe to update from
// any thread; families and children are created on the owner's thread (at start-up, or lazily for
// a bounded label set) and read there by the renderer.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>
#include <vector>

namespace switchboard::metrics {

enum class MetricType { Counter, Gauge, Histogram };

// Only ever goes up (a total since the process started).
class Counter
{
public:
    void increment(quint64 by = 1) { m_value.fetch_add(by, std::memory_order_relaxed); }
    quint64 value() const { return m_value.load(std::memory_order_relaxed); }
    // For a total kept elsewhere (e.g. LimitLog) and copied at scrape time; never goes down.
    void raiseTo(quint64 total)
    {
        quint64 current = m_value.load(std::memory_order_relaxed);
        while (current < total && !m_value.compare_exchange_weak(current, total, std::memory_order_relaxed)) {
        }
    }

private:
    std::atomic<quint64> m_value{0};
};

// A value that goes up and down (set from a sample, e.g. the connections at scrape time).
class Gauge
{
public:
    void set(double value) { m_value.store(value, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0};
};

// Counts of observations per upper bound (cumulative when rendered), their sum and count.
class Histogram
{
public:
    // Upper bounds, ascending; +Inf is implicit.
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);

    const std::vector<double> &bounds() const { return m_bounds; }
    // Observations <= bounds()[i] (not cumulative); index bounds().size() holds the rest.
    quint64 bucketCount(std::size_t index) const { return m_buckets[index].load(std::memory_order_relaxed); }
    quint64 count() const { return m_count.load(std::memory_order_relaxed); }
    double sum() const { return m_sum.load(std::memory_order_relaxed); }

private:
    std::vector<double> m_bounds;
    std::unique_ptr<std::atomic<quint64>[]> m_buckets;
    std::atomic<quint64> m_count{0};
    std::atomic<double> m_sum{0};
};

// Bounds for latencies in seconds: 1 ms to 30 s.
std::vector<double> latencyBuckets();

// One metric name with its children, one per set of label values.
class Family
{
public:
    struct Child
    {
        QStringList labelValues;
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };

    Family(QString name, QString help, MetricType type, QStringList labelNames,
           std::vector<double> bounds = {});

    const QString &name() const { return m_name; }
    const QString &help() const { return m_help; }
    MetricType type() const { return m_type; }
    const QStringList &labelNames() const { return m_labelNames; }
    const std::vector<std::unique_ptr<Child>> &children() const { return m_children; }

    // The child with these label values (as many as labelNames), created on first use. The
    // returned pointer stays valid as long as the family. Never call with values that come from
    // the network unchecked: every distinct value is a new series.
    Counter *counter(const QStringList &labelValues = {});
    Gauge *gauge(const QStringList &labelValues = {});
    Histogram *histogram(const QStringList &labelValues = {});

private:
    Child &child(const QStringList &labelValues);

    QString m_name;
    QString m_help;
    MetricType m_type;
    QStringList m_labelNames;
    std::vector<double> m_bounds;
    std::vector<std::unique_ptr<Child>> m_children; // in creation order; rendered sorted
};

// Every family of one process, in registration order. Not copyable: components keep pointers into it.
class MetricsRegistry
{
public:
    MetricsRegistry() = default;
    MetricsRegistry(const MetricsRegistry &) = delete;
    MetricsRegistry &operator=(const MetricsRegistry &) = delete;

    // Registering a name twice returns the existing family (its type and labels must match).
    Family *counterFamily(const QString &name, const QString &help, const QStringList &labelNames = {});
    Family *gaugeFamily(const QString &name, const QString &help, const QStringList &labelNames = {});
    Family *histogramFamily(const QString &name, const QString &help, std::vector<double> bounds,
                            const QStringList &labelNames = {});

    // Shorthands for a family without labels.
    Counter *counter(const QString &name, const QString &help)
    {
        return counterFamily(name, help)->counter();
    }
    Gauge *gauge(const QString &name, const QString &help) { return gaugeFamily(name, help)->gauge(); }
    Histogram *histogram(const QString &name, const QString &help, std::vector<double> bounds)
    {
        return histogramFamily(name, help, std::move(bounds))->histogram();
    }

    const std::vector<std::unique_ptr<Family>> &families() const { return m_families; }

private:
    Family *family(const QString &name, const QString &help, MetricType type, const QStringList &labelNames,
                   std::vector<double> bounds);

    std::vector<std::unique_ptr<Family>> m_families;
};

} // namespace switchboard::metrics
