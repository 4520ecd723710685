// A minimal epoll loop with a few coarse timers: what the load tool needs to drive thousands of
// sockets from one thread without an object (or a timer) per connection.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace switchboard::bench {

class EventLoop
{
public:
    using FdCallback = std::function<void(std::uint64_t tag, std::uint32_t events)>;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop &) = delete;
    EventLoop &operator=(const EventLoop &) = delete;

    static std::int64_t nowMicros(); // CLOCK_MONOTONIC

    void setFdCallback(FdCallback callback) { m_fdCallback = std::move(callback); }
    bool watch(int fd, std::uint32_t events, std::uint64_t tag);
    bool modify(int fd, std::uint32_t events, std::uint64_t tag);
    void unwatch(int fd);

    // Repeating timers fire every interval (catching up at most one tick when late).
    int addTimer(std::int64_t intervalMicros, std::function<void()> callback, bool repeat = true);
    void cancelTimer(int id);

    // Runs until stop() or until `deadlineMicros` (nowMicros() scale; 0 = none) passes.
    void run(std::int64_t deadlineMicros = 0);
    // Runs until `done()` is true (checked after every batch of events and timers) or the deadline.
    bool runUntil(const std::function<bool()> &done, std::int64_t deadlineMicros);
    void stop() { m_stopped = true; }

private:
    struct Timer
    {
        int id = 0;
        std::int64_t due = 0;
        std::int64_t interval = 0;
        bool repeat = false;
        std::function<void()> callback;
    };
    void runTimers(std::int64_t now);
    int pollOnce(std::int64_t deadlineMicros);

    int m_epoll = -1;
    FdCallback m_fdCallback;
    std::vector<Timer> m_timers;
    int m_nextTimerId = 1;
    bool m_stopped = false;
};

} // namespace switchboard::bench
