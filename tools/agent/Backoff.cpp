#include "Backoff.h"

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>

namespace switchboard::agentsim {

using std::chrono::milliseconds;

Backoff::Backoff(Policy policy, RandomSource random)
    : m_policy(policy)
    , m_random(std::move(random))
{
    // A zero or negative policy would make a reconnect loop spin; clamp to sane minimums.
    m_policy.initial = std::max(m_policy.initial, milliseconds(1));
    m_policy.cap = std::max(m_policy.cap, m_policy.initial);
    m_policy.jitter = std::clamp(m_policy.jitter, 0.0, 0.9);
    if (!m_random)
        m_random = [] { return QRandomGenerator::global()->generateDouble(); };
}

milliseconds Backoff::nominalDelay() const
{
    // Doubling stops once the cap is reached; the exponent is bounded so it cannot overflow.
    const double factor = std::pow(2.0, std::min(m_attempts, 40));
    const double nominal = std::min(double(m_policy.initial.count()) * factor, double(m_policy.cap.count()));
    return milliseconds(qint64(nominal));
}

milliseconds Backoff::nextDelay()
{
    const double nominal = double(nominalDelay().count());
    const double r = std::clamp(m_random(), 0.0, 1.0);
    const double factor = 1.0 - m_policy.jitter + 2.0 * m_policy.jitter * r;
    const double delay = std::clamp(nominal * factor, 1.0, double(m_policy.cap.count()));
    if (m_attempts < 1000)
        ++m_attempts;
    return milliseconds(qint64(delay));
}

void Backoff::reset()
{
    m_attempts = 0;
}

void Backoff::connectionEnded(milliseconds upTime)
{
    if (upTime >= m_policy.stableAfter)
        reset();
}

} // namespace switchboard::agentsim
