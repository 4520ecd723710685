// Latency samples and their percentiles, exact (every sample kept: 4 bytes each).
#pragma once

#include <cstdint>
#include <vector>

namespace switchboard::bench {

class LatencyStats
{
public:
    void add(std::int64_t microseconds);
    void merge(const LatencyStats &other);
    void clear() { m_samples.clear(); }
    std::size_t count() const { return m_samples.size(); }
    // Nearest-rank percentile (p in [0, 100]): the smallest sample with at least p % of the
    // samples at or below it. 0 when there are no samples.
    std::int64_t percentile(double p) const;
    std::int64_t max() const;
    std::int64_t min() const;
    double mean() const;

private:
    void sortIfNeeded() const;

    mutable std::vector<std::int64_t> m_samples;
    mutable bool m_sorted = true;
};

} // namespace switchboard::bench
