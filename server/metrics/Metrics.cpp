#include "metrics/Metrics.h"

#include <algorithm>

namespace switchboard::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : m_bounds(std::move(bounds))
    , m_buckets(new std::atomic<quint64>[m_bounds.size() + 1])
{
    std::sort(m_bounds.begin(), m_bounds.end());
    for (std::size_t i = 0; i <= m_bounds.size(); ++i)
        m_buckets[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value)
{
    const auto bound = std::lower_bound(m_bounds.begin(), m_bounds.end(), value);
    m_buckets[std::size_t(bound - m_bounds.begin())].fetch_add(1, std::memory_order_relaxed);
    m_count.fetch_add(1, std::memory_order_relaxed);
    // std::atomic<double>::fetch_add is C++20, but libstdc++ 12 implements it as this loop anyway.
    double sum = m_sum.load(std::memory_order_relaxed);
    while (!m_sum.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
    }
}

std::vector<double> latencyBuckets()
{
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

Family::Family(QString name, QString help, MetricType type, QStringList labelNames,
               std::vector<double> bounds)
    : m_name(std::move(name))
    , m_help(std::move(help))
    , m_type(type)
    , m_labelNames(std::move(labelNames))
    , m_bounds(std::move(bounds))
{}

Family::Child &Family::child(const QStringList &labelValues)
{
    Q_ASSERT(labelValues.size() == m_labelNames.size());
    for (const auto &existing : m_children) {
        if (existing->labelValues == labelValues)
            return *existing;
    }
    auto created = std::make_unique<Child>();
    created->labelValues = labelValues;
    switch (m_type) {
    case MetricType::Counter:
        created->counter = std::make_unique<Counter>();
        break;
    case MetricType::Gauge:
        created->gauge = std::make_unique<Gauge>();
        break;
    case MetricType::Histogram:
        created->histogram = std::make_unique<Histogram>(m_bounds);
        break;
    }
    m_children.push_back(std::move(created));
    return *m_children.back();
}

Counter *Family::counter(const QStringList &labelValues)
{
    Q_ASSERT(m_type == MetricType::Counter);
    return child(labelValues).counter.get();
}

Gauge *Family::gauge(const QStringList &labelValues)
{
    Q_ASSERT(m_type == MetricType::Gauge);
    return child(labelValues).gauge.get();
}

Histogram *Family::histogram(const QStringList &labelValues)
{
    Q_ASSERT(m_type == MetricType::Histogram);
    return child(labelValues).histogram.get();
}

Family *MetricsRegistry::counterFamily(const QString &name, const QString &help,
                                       const QStringList &labelNames)
{
    return family(name, help, MetricType::Counter, labelNames, {});
}

Family *MetricsRegistry::gaugeFamily(const QString &name, const QString &help, const QStringList &labelNames)
{
    return family(name, help, MetricType::Gauge, labelNames, {});
}

Family *MetricsRegistry::histogramFamily(const QString &name, const QString &help, std::vector<double> bounds,
                                         const QStringList &labelNames)
{
    return family(name, help, MetricType::Histogram, labelNames, std::move(bounds));
}

Family *MetricsRegistry::family(const QString &name, const QString &help, MetricType type,
                                const QStringList &labelNames, std::vector<double> bounds)
{
    for (const auto &existing : m_families) {
        if (existing->name() == name) {
            Q_ASSERT(existing->type() == type && existing->labelNames() == labelNames);
            return existing.get();
        }
    }
    m_families.push_back(std::make_unique<Family>(name, help, type, labelNames, std::move(bounds)));
    return m_families.back().get();
}

} // namespace switchboard::metrics
