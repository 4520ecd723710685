// Timing knobs shared by RedisConnection and RedisSubscriber. The defaults suit a server talking to
// a Redis on the same network; tests shorten them.
#pragma once

#include <chrono>

namespace switchboard {

struct RedisOptions
{
    // One connection attempt: name lookup, TCP connect, AUTH and SELECT together.
    std::chrono::milliseconds connectTimeout{5000};
    // From command() to its reply (RedisConnection only). Zero or less: no timeout.
    std::chrono::milliseconds commandTimeout{5000};
    // Reconnect delays: the first retry waits about reconnectMinDelay, each further failure doubles
    // it up to reconnectMaxDelay; every delay gets +-20 % jitter.
    std::chrono::milliseconds reconnectMinDelay{100};
    std::chrono::milliseconds reconnectMaxDelay{10000};
};

} // namespace switchboard
