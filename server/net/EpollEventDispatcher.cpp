#include "EpollEventDispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <climits>
#include <ctime>
#include <memory>
#include <poll.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

constexpr qint64 kNanosPerMilli = 1000 * 1000;
constexpr qint64 kNanosPerSecond = 1000 * kNanosPerMilli;
constexpr int kMaxEventsPerWait = 1024; // level-triggered: the rest is reported on the next turn

// What each notifier type answers to; hang-ups and errors wake all of them, as in poll().
constexpr std::array<quint32, 3> kReadyFlags = {
    EPOLLIN | EPOLLHUP | EPOLLERR,  // QSocketNotifier::Read
    EPOLLOUT | EPOLLHUP | EPOLLERR, // QSocketNotifier::Write
    EPOLLPRI | EPOLLHUP | EPOLLERR, // QSocketNotifier::Exception
};
constexpr std::array<quint32, 3> kInterest = {EPOLLIN, EPOLLOUT, EPOLLPRI};

qint64 monotonicNanos()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * kNanosPerSecond + now.tv_nsec;
}

// Qt::VeryCoarseTimer fires on whole seconds of the monotonic clock, as in QTimerInfoList.
qint64 veryCoarseDeadline(qint64 now, qint64 intervalSeconds)
{
    qint64 seconds = now / kNanosPerSecond + intervalSeconds;
    if (now % kNanosPerSecond > kNanosPerSecond / 2)
        ++seconds;
    return seconds * kNanosPerSecond;
}

int millisecondsRoundedUp(qint64 nanos)
{
    if (nanos <= 0)
        return 0;
    const qint64 ms = (nanos + kNanosPerMilli - 1) / kNanosPerMilli;
    return ms > INT_MAX ? INT_MAX : int(ms);
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
{
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wakeFd < 0) {
        qErrnoWarning("EpollEventDispatcher: cannot create the epoll or eventfd descriptor");
        return;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_wakeFd;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &event) != 0) {
        qErrnoWarning("EpollEventDispatcher: cannot watch the eventfd");
        ::close(m_wakeFd);
        m_wakeFd = -1;
    }
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

// --- socket notifiers ----------------------------------------------------------------------------

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    Descriptor &descriptor = m_descriptors[fd];
    if (descriptor.notifiers[type] && descriptor.notifiers[type] != notifier)
        qWarning("EpollEventDispatcher: multiple socket notifiers for socket %d and type %d", fd, type);
    descriptor.notifiers[type] = notifier;
    descriptor.pending[type] = false;
    updateInterest(fd, descriptor);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    const auto it = m_descriptors.find(fd);
    if (it == m_descriptors.end() || it->notifiers[type] != notifier)
        return;
    it->notifiers[type] = nullptr;
    it->pending[type] = false;
    if (it->notifiers[0] || it->notifiers[1] || it->notifiers[2]) {
        updateInterest(fd, *it);
        return;
    }
    if (it->alwaysReady)
        --m_alwaysReadyCount;
    else if (it->events != 0)
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr); // fails harmlessly if fd is closed already
    m_descriptors.erase(it);
}

void EpollEventDispatcher::updateInterest(int fd, Descriptor &descriptor)
{
    if (descriptor.alwaysReady)
        return;
    quint32 wanted = 0;
    for (int type = 0; type < 3; ++type) {
        if (descriptor.notifiers[type])
            wanted |= kInterest[type];
    }
    if (wanted == descriptor.events)
        return;
    epoll_event event{};
    event.events = wanted;
    event.data.fd = fd;
    int op = descriptor.events != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int result = ::epoll_ctl(m_epoll, op, fd, &event);
    // The kernel forgets a descriptor once it is closed, and a new socket may reuse the number
    // while its old notifiers are still ours: switch between ADD and MOD as the kernel sees it.
    if (result != 0 &&
        ((op == EPOLL_CTL_MOD && errno == ENOENT) || (op == EPOLL_CTL_ADD && errno == EEXIST))) {
        op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        result = ::epoll_ctl(m_epoll, op, fd, &event);
    }
    if (result == 0) {
        descriptor.events = wanted;
        return;
    }
    if (errno == EPERM) {
        // A regular file (stdin redirected from one): always ready, as poll() reports it.
        descriptor.alwaysReady = true;
        descriptor.events = 0;
        ++m_alwaysReadyCount;
        return;
    }
    qErrnoWarning("EpollEventDispatcher: cannot watch socket %d", fd);
    descriptor.events = 0;
}

void EpollEventDispatcher::markReady(int fd, quint32 events)
{
    const auto it = m_descriptors.find(fd);
    if (it == m_descriptors.end())
        return;
    for (int type = 0; type < 3; ++type) {
        if (it->notifiers[type] && !it->pending[type] && (events & kReadyFlags[type])) {
            it->pending[type] = true;
            m_pending.emplace_back(fd, type);
        }
    }
}

int EpollEventDispatcher::activateSocketNotifiers()
{
    // A handler may run a nested loop, which collects and delivers its own ready list.
    std::vector<std::pair<int, int>> ready;
    ready.swap(m_pending);
    int activated = 0;
    for (const auto &[fd, type] : ready) {
        const auto it = m_descriptors.find(fd);
        if (it == m_descriptors.end() || !it->pending[type] || !it->notifiers[type])
            continue; // deleted or disabled by an earlier handler of this turn
        it->pending[type] = false;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(it->notifiers[type], &event); // `it` may be invalid from here
        ++activated;
    }
    return activated;
}

// --- timers --------------------------------------------------------------------------------------

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    if (timerId < 1 || interval < 0 || !object) {
        qWarning("EpollEventDispatcher::registerTimer: invalid arguments");
        return;
    }
    Timer timer;
    timer.object = object;
    timer.type = timerType;
    timer.interval = interval;
    // Qt's coarse timers may be 5 % late; above 20 s that is more than a second, and Qt treats
    // them as very coarse. Below, firing them on time is within their contract.
    if (timer.type == Qt::CoarseTimer && interval >= 20000)
        timer.type = Qt::VeryCoarseTimer;
    if (timer.type == Qt::VeryCoarseTimer)
        timer.interval = (interval + 500) / 1000; // whole seconds, rounded to the closest
    Timer &stored = m_timers.insert(timerId, timer).value();
    m_timersByObject.insert(object, timerId);
    schedule(timerId, stored, monotonicNanos(), true);
}

void EpollEventDispatcher::schedule(int timerId, Timer &timer, qint64 now, bool first)
{
    if (timer.type == Qt::VeryCoarseTimer) {
        if (first || (timer.deadline += timer.interval * kNanosPerSecond) <= now)
            timer.deadline = veryCoarseDeadline(now, timer.interval);
    } else {
        const qint64 interval = timer.interval * kNanosPerMilli;
        // A timer that fell behind skips the missed shots instead of firing them in a burst.
        if (first || (timer.deadline += interval) < now)
            timer.deadline = now + interval;
    }
    timer.sequence = m_nextSequence++;
    m_queue.emplace(QueueKey(timer.deadline, timer.sequence), timerId);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_queue.erase(QueueKey(it->deadline, it->sequence));
    m_timersByObject.remove(it->object, timerId);
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    const QList<int> ids = m_timersByObject.values(object);
    for (int id : ids)
        unregisterTimer(id);
    return !ids.isEmpty();
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> timers;
    for (auto it = m_timersByObject.constFind(object); it != m_timersByObject.cend() && it.key() == object;
         ++it) {
        const Timer &timer = m_timers[it.value()];
        const qint64 interval = timer.type == Qt::VeryCoarseTimer ? timer.interval * 1000 : timer.interval;
        timers.append(TimerInfo(it.value(), int(qMin<qint64>(interval, INT_MAX)), timer.type));
    }
    return timers;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.constFind(timerId);
    if (it == m_timers.cend())
        return -1;
    return millisecondsRoundedUp(it->deadline - monotonicNanos());
}

int EpollEventDispatcher::waitMilliseconds(qint64 now) const
{
    for (const auto &[key, id] : m_queue) {
        if (!m_timers[id].delivering) // a timer in a nested loop's handler cannot fire: no wake-up
            return millisecondsRoundedUp(key.first - now);
    }
    return -1;
}

int EpollEventDispatcher::activateTimers()
{
    if (m_queue.empty())
        return 0;
    const qint64 now = monotonicNanos();
    // Timers rescheduled or registered during this turn have a later sequence: they wait for the
    // next turn, so a zero timer cannot starve sockets and nothing fires twice in one turn.
    const quint64 turn = m_nextSequence;
    int activated = 0;
    while (!m_queue.empty()) {
        const auto first = m_queue.begin();
        if (first->first.first > now || first->first.second >= turn)
            break;
        const int timerId = first->second;
        m_queue.erase(first);
        Timer &timer = m_timers[timerId];
        schedule(timerId, timer, now, false);
        if (timer.interval > 0)
            ++activated; // zero timers are idle work, not events: processEvents() loops must end
        if (timer.delivering)
            continue;
        timer.delivering = true;
        QObject *object = timer.object;
        QTimerEvent event(timerId);
        QCoreApplication::sendEvent(object, &event); // may unregister or re-register any timer
        const auto after = m_timers.find(timerId);
        if (after != m_timers.end())
            after->delivering = false;
    }
    return activated;
}

// --- the loop ------------------------------------------------------------------------------------

void EpollEventDispatcher::wakeUp()
{
    if (m_wakeUps.testAndSetAcquire(0, 1))
        ::eventfd_write(m_wakeFd, 1);
}

void EpollEventDispatcher::interrupt()
{
    m_interrupt.storeRelaxed(1);
    wakeUp();
}

void EpollEventDispatcher::drainWakeUps()
{
    eventfd_t value = 0;
    ::eventfd_read(m_wakeFd, &value);
    m_wakeUps.storeRelease(0);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupt.storeRelaxed(0);
    Q_EMIT awake();
    // Events posted from now on call wakeUp(), so the wait below returns at once for them.
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !flags.testFlag(QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !flags.testFlag(QEventLoop::ExcludeSocketNotifiers);
    const bool canWait = flags.testFlag(QEventLoop::WaitForMoreEvents) && !m_interrupt.loadRelaxed();
    if (canWait)
        Q_EMIT aboutToBlock();
    if (m_interrupt.loadRelaxed())
        return false;

    int timeout = -1;
    if (!canWait || (includeNotifiers && m_alwaysReadyCount > 0))
        timeout = 0;
    else if (includeTimers)
        timeout = waitMilliseconds(monotonicNanos());

    int events = 0;
    if (includeNotifiers) {
        std::array<epoll_event, kMaxEventsPerWait> ready;
        const int count = ::epoll_wait(m_epoll, ready.data(), kMaxEventsPerWait, timeout);
        if (count < 0 && errno != EINTR)
            qErrnoWarning("EpollEventDispatcher: epoll_wait");
        for (int i = 0; i < count; ++i) {
            if (ready[size_t(i)].data.fd == m_wakeFd) {
                drainWakeUps();
                ++events;
            } else {
                markReady(ready[size_t(i)].data.fd, ready[size_t(i)].events);
            }
        }
        if (m_alwaysReadyCount > 0) {
            for (auto it = m_descriptors.cbegin(); it != m_descriptors.cend(); ++it) {
                if (it->alwaysReady)
                    markReady(it.key(), EPOLLIN | EPOLLOUT);
            }
        }
        events += activateSocketNotifiers();
    } else {
        // Sockets stay out of this turn; waiting on them would return at once for every ready one.
        pollfd wake{m_wakeFd, POLLIN, 0};
        if (::poll(&wake, 1, timeout) > 0) {
            drainWakeUps();
            ++events;
        }
    }
    if (includeTimers)
        events += activateTimers();
    return events > 0;
}

// --- installation --------------------------------------------------------------------------------

QString installEventDispatcher(const QString &choice)
{
    QString kind = choice.trimmed().toLower();
    QString warning;
    if (kind.isEmpty())
        kind = u"epoll"_s;
    if (kind == "glib"_L1)
        return warning;
    if (kind != "epoll"_L1 && kind != "poll"_L1) {
        warning =
            u"unknown SWITCHBOARD_EVENT_DISPATCHER '%1' (epoll, poll or glib): using epoll"_s.arg(choice);
        kind = u"epoll"_s;
    }
    // Threads other than the main one (storage) get Qt's dispatcher: poll, never glib, whose
    // notifier bookkeeping is linear (docs/BENCHMARKS.md, finding 1).
    if (qEnvironmentVariableIsEmpty("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    if (kind == "poll"_L1)
        return warning;
    auto dispatcher = std::make_unique<EpollEventDispatcher>();
    if (!dispatcher->isValid()) {
        if (!warning.isEmpty())
            warning += u'\n';
        return warning + u"epoll is not available: using Qt's poll dispatcher"_s;
    }
    QCoreApplication::setEventDispatcher(dispatcher.release()); // the main thread owns it
    return warning;
}

} // namespace switchboard
