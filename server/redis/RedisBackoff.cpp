#include "RedisBackoff.h"

#include <algorithm>

namespace switchboard {

RedisBackoff::RedisBackoff(std::chrono::milliseconds minDelay, std::chrono::milliseconds maxDelay)
    : m_min(std::max(minDelay, std::chrono::milliseconds(1)))
    , m_max(std::max(maxDelay, m_min))
    , m_base(m_min)
    , m_random(QRandomGenerator::securelySeeded())
{}

std::chrono::milliseconds RedisBackoff::next()
{
    const double factor = 1.0 - kJitter + 2.0 * kJitter * m_random.generateDouble();
    const auto delay = std::chrono::milliseconds(qRound64(static_cast<double>(m_base.count()) * factor));
    m_base = std::min(m_base * 2, m_max);
    ++m_failures;
    return std::max(delay, std::chrono::milliseconds(1));
}

void RedisBackoff::reset()
{
    m_base = m_min;
    m_failures = 0;
}

} // namespace switchboard
