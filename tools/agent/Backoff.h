// Reconnect/retry delays: exponential growth with jitter, capped, reset after a stable connection.
// Pure logic (no timers, no clock): the caller asks for the next delay and reports how long a
// connection lasted, so tests can drive it with a fixed random source.
#pragma once

#include <chrono>
#include <functional>

namespace switchboard::agentsim {

struct BackoffPolicy
{
    std::chrono::milliseconds initial{1000};
    std::chrono::milliseconds cap{60000};
    // A connection that stayed up at least this long resets the sequence.
    std::chrono::milliseconds stableAfter{30000};
    // Each delay is the nominal one times a factor in [1 - jitter, 1 + jitter), then capped,
    // so that many agents cut off at once do not come back in lockstep.
    double jitter = 0.2;
};

class Backoff
{
public:
    // Uniformly distributed in [0, 1).
    using RandomSource = std::function<double()>;

    using Policy = BackoffPolicy;

    // An empty random source means QRandomGenerator::global().
    explicit Backoff(Policy policy = {}, RandomSource random = {});

    // The delay before the next attempt; grows with each call. Never zero, never above the cap.
    std::chrono::milliseconds nextDelay();
    // The nominal (unjittered) delay the next call to nextDelay() is based on.
    std::chrono::milliseconds nominalDelay() const;
    void reset();
    // Reports how long the last connection stayed up; resets the sequence if it was stable.
    void connectionEnded(std::chrono::milliseconds upTime);
    int attempts() const { return m_attempts; }
    const Policy &policy() const { return m_policy; }

private:
    Policy m_policy;
    RandomSource m_random;
    int m_attempts = 0;
};

} // namespace switchboard::agentsim
