#include "EventLoop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>

namespace switchboard::bench {

EventLoop::EventLoop()
    : m_epoll(epoll_create1(EPOLL_CLOEXEC))
{}

EventLoop::~EventLoop()
{
    if (m_epoll >= 0)
        ::close(m_epoll);
}

std::int64_t EventLoop::nowMicros()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

bool EventLoop::watch(int fd, std::uint32_t events, std::uint64_t tag)
{
    epoll_event event{};
    event.events = events;
    event.data.u64 = tag;
    return epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) == 0;
}

bool EventLoop::modify(int fd, std::uint32_t events, std::uint64_t tag)
{
    epoll_event event{};
    event.events = events;
    event.data.u64 = tag;
    return epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event) == 0;
}

void EventLoop::unwatch(int fd)
{
    epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
}

int EventLoop::addTimer(std::int64_t intervalMicros, std::function<void()> callback, bool repeat)
{
    Timer timer;
    timer.id = m_nextTimerId++;
    timer.interval = std::max<std::int64_t>(intervalMicros, 1);
    timer.due = nowMicros() + timer.interval;
    timer.repeat = repeat;
    timer.callback = std::move(callback);
    m_timers.push_back(std::move(timer));
    return m_timers.back().id;
}

void EventLoop::cancelTimer(int id)
{
    std::erase_if(m_timers, [id](const Timer &timer) { return timer.id == id; });
}

void EventLoop::runTimers(std::int64_t now)
{
    // Callbacks may add or cancel timers: collect the due ids first, then look each up again.
    std::vector<int> due;
    for (const Timer &timer : m_timers) {
        if (timer.due <= now)
            due.push_back(timer.id);
    }
    for (const int id : due) {
        auto it = std::find_if(m_timers.begin(), m_timers.end(), [id](const Timer &t) { return t.id == id; });
        if (it == m_timers.end())
            continue;
        std::function<void()> callback = it->callback;
        if (it->repeat) {
            it->due += it->interval;
            if (it->due <= now)
                it->due = now + it->interval;
        } else {
            m_timers.erase(it);
        }
        callback();
    }
}

int EventLoop::pollOnce(std::int64_t deadlineMicros)
{
    std::int64_t now = nowMicros();
    std::int64_t wakeAt = deadlineMicros > 0 ? deadlineMicros : now + 1000000;
    for (const Timer &timer : m_timers)
        wakeAt = std::min(wakeAt, timer.due);
    const int timeoutMs = static_cast<int>(std::clamp<std::int64_t>((wakeAt - now + 999) / 1000, 0, 1000));
    std::array<epoll_event, 512> events{};
    const int count = epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), timeoutMs);
    if (count < 0 && errno != EINTR)
        return -1;
    for (int i = 0; i < count; ++i) {
        if (m_fdCallback)
            m_fdCallback(events[static_cast<std::size_t>(i)].data.u64,
                         events[static_cast<std::size_t>(i)].events);
    }
    runTimers(nowMicros());
    return count;
}

void EventLoop::run(std::int64_t deadlineMicros)
{
    m_stopped = false;
    while (!m_stopped && (deadlineMicros == 0 || nowMicros() < deadlineMicros)) {
        if (pollOnce(deadlineMicros) < 0)
            break;
    }
}

bool EventLoop::runUntil(const std::function<bool()> &done, std::int64_t deadlineMicros)
{
    m_stopped = false;
    while (!done()) {
        if (m_stopped || (deadlineMicros > 0 && nowMicros() >= deadlineMicros))
            return false;
        if (pollOnce(deadlineMicros) < 0)
            return false;
    }
    return true;
}

} // namespace switchboard::bench
