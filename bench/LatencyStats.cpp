#include "LatencyStats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace switchboard::bench {

void LatencyStats::add(std::int64_t microseconds)
{
    if (!m_samples.empty() && microseconds < m_samples.back())
        m_sorted = false;
    m_samples.push_back(microseconds);
}

void LatencyStats::merge(const LatencyStats &other)
{
    m_samples.insert(m_samples.end(), other.m_samples.begin(), other.m_samples.end());
    m_sorted = false;
}

void LatencyStats::sortIfNeeded() const
{
    if (!m_sorted) {
        std::sort(m_samples.begin(), m_samples.end());
        m_sorted = true;
    }
}

std::int64_t LatencyStats::percentile(double p) const
{
    if (m_samples.empty())
        return 0;
    sortIfNeeded();
    const double clamped = std::clamp(p, 0.0, 100.0);
    const auto n = static_cast<double>(m_samples.size());
    auto rank = static_cast<std::size_t>(std::ceil(clamped / 100.0 * n - 1e-9));
    rank = std::clamp<std::size_t>(rank, 1, m_samples.size());
    return m_samples[rank - 1];
}

std::int64_t LatencyStats::max() const
{
    if (m_samples.empty())
        return 0;
    sortIfNeeded();
    return m_samples.back();
}

std::int64_t LatencyStats::min() const
{
    if (m_samples.empty())
        return 0;
    sortIfNeeded();
    return m_samples.front();
}

double LatencyStats::mean() const
{
    if (m_samples.empty())
        return 0;
    const long double sum = std::accumulate(m_samples.begin(), m_samples.end(), 0.0L);
    return static_cast<double>(sum / static_cast<long double>(m_samples.size()));
}

} // namespace switchboard::bench
