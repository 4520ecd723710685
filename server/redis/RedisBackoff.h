// Reconnect delays: exponential from a minimum to a maximum, each with +-20 % jitter so that many
// replicas losing the same Redis do not retry in lockstep.
#pragma once

#include <QRandomGenerator>

#include <chrono>

namespace switchboard {

class RedisBackoff
{
public:
    RedisBackoff(std::chrono::milliseconds minDelay, std::chrono::milliseconds maxDelay);

    // The delay before the next attempt; doubles the base for the one after.
    std::chrono::milliseconds next();
    // After a success: the next failure starts again from the minimum.
    void reset();
    // Delays handed out since the last reset.
    int failures() const { return m_failures; }

    static constexpr double kJitter = 0.2;

private:
    std::chrono::milliseconds m_min;
    std::chrono::milliseconds m_max;
    std::chrono::milliseconds m_base;
    int m_failures = 0;
    QRandomGenerator m_random;
};

} // namespace switchboard
