// A Linux event dispatcher on epoll: socket-notifier changes are one epoll_ctl and a wake-up costs
// in proportion to the ready sockets, where Qt's QEventDispatcherUNIX rebuilds and poll()s an array
// of every socket on each loop turn (80 % of the server's CPU at 15,000 connections,
// docs/BENCHMARKS.md, finding 1). Its semantics follow QEventDispatcherUNIX: level-triggered
// notifiers, timers delivered after sockets, each expired timer at most once per turn and never
// re-entered while its event is being handled, posted events first, eventfd wake-ups.
#pragma once

#include <QAbstractEventDispatcher>
#include <QAtomicInt>
#include <QHash>
#include <QList>
#include <QMultiHash>

#include <array>
#include <map>
#include <utility>
#include <vector>

namespace switchboard {

class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    // False when the kernel refused the epoll or eventfd descriptor; such a dispatcher must not be
    // installed.
    bool isValid() const { return m_epoll >= 0 && m_wakeFd >= 0; }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    using QAbstractEventDispatcher::registerTimer;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

private:
    // The notifiers of one descriptor, indexed by QSocketNotifier::Type (Read, Write, Exception).
    struct Descriptor
    {
        std::array<QSocketNotifier *, 3> notifiers{};
        // Per type: reported ready by this turn's epoll_wait and not yet delivered. Cleared when
        // the notifier goes away, so a notifier deleted or disabled mid-turn is never activated.
        std::array<bool, 3> pending{};
        quint32 events = 0;       // the interest mask in the kernel
        bool alwaysReady = false; // a regular file: epoll refuses it, poll() calls it always ready
    };
    struct Timer
    {
        QObject *object = nullptr;
        qint64 interval = 0; // milliseconds; whole seconds for Qt::VeryCoarseTimer
        Qt::TimerType type = Qt::CoarseTimer;
        qint64 deadline = 0;     // steady clock, nanoseconds
        quint64 sequence = 0;    // insertion order: equal deadlines fire first in, first out
        bool delivering = false; // its QTimerEvent is on the stack (a nested loop): not again
    };
    using QueueKey = std::pair<qint64, quint64>; // (deadline, sequence)

    void updateInterest(int fd, Descriptor &descriptor);
    void markReady(int fd, quint32 events);
    int activateSocketNotifiers();
    int activateTimers();
    void schedule(int timerId, Timer &timer, qint64 now, bool first);
    int waitMilliseconds(qint64 now) const; // -1: no timer
    void drainWakeUps();

    int m_epoll = -1;
    int m_wakeFd = -1;
    QAtomicInt m_wakeUps;   // an eventfd write is outstanding: skip further writes
    QAtomicInt m_interrupt; // interrupt() was called: return from processEvents without waiting

    QHash<int, Descriptor> m_descriptors;
    std::vector<std::pair<int, int>> m_pending; // (fd, notifier type) in ready order
    int m_alwaysReadyCount = 0;

    QHash<int, Timer> m_timers;
    QMultiHash<QObject *, int> m_timersByObject;
    std::map<QueueKey, int> m_queue; // → timer id
    quint64 m_nextSequence = 0;
};

// Installs the main thread's event dispatcher before QCoreApplication exists, chosen by `choice`
// (SWITCHBOARD_EVENT_DISPATCHER): "epoll" (the default on Linux, also for an empty value), "poll"
// (Qt's QEventDispatcherUNIX) or "glib" (Qt's default). Other threads get Qt's poll dispatcher
// unless "glib" is chosen or QT_NO_GLIB is already set. Returns a warning for an unknown value or an
// unusable epoll (it then falls back to poll), an empty string otherwise.
QString installEventDispatcher(const QString &choice);

} // namespace switchboard
