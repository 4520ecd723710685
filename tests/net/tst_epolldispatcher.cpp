// The epoll event dispatcher as the application's dispatcher (installed before QCoreApplication,
// as main does): socket notifiers (level-triggered, combined read/write interest, enable/disable,
// deleted mid-turn), timers (kinds, ordering, zero timers, killed mid-turn, remaining time),
// wake-ups and posted events from other threads, QEventLoop exec/exit, and real QTcpSocket and
// QWebSocket traffic over it.
#include "net/EpollEventDispatcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <atomic>
#include <memory>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using switchboard::EpollEventDispatcher;

namespace {

// A connected pair of UNIX stream sockets, closed on destruction.
struct SocketPair
{
    SocketPair() { QVERIFY(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0); }
    ~SocketPair()
    {
        for (int fd : fds) {
            if (fd >= 0)
                ::close(fd);
        }
    }
    void send(int side, QByteArrayView bytes = "x")
    {
        QCOMPARE(::write(fds[side], bytes.data(), size_t(bytes.size())), ssize_t(bytes.size()));
    }
    void drain(int side)
    {
        char buffer[256];
        while (::read(fds[side], buffer, sizeof buffer) > 0) {
        }
    }
    int fds[2] = {-1, -1};
};

// Runs the loop for `ms` without asserting anything: for checks that something does NOT happen.
void spin(int ms)
{
    QElapsedTimer elapsed;
    elapsed.start();
    while (elapsed.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

// Records the order of its timer events.
class TimerRecorder : public QObject
{
public:
    QList<int> fired;
    std::function<void(int)> onTimer;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        fired.append(event->timerId());
        if (onTimer)
            onTimer(event->timerId());
    }
};

class PostedEventReceiver : public QObject
{
public:
    static inline const QEvent::Type kType = QEvent::Type(QEvent::registerEventType());
    int received = 0;

protected:
    bool event(QEvent *event) override
    {
        if (event->type() == kType) {
            ++received;
            return true;
        }
        return QObject::event(event);
    }
};

EpollEventDispatcher *dispatcher()
{
    return qobject_cast<EpollEventDispatcher *>(QCoreApplication::eventDispatcher());
}

} // namespace

class TestEpollDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void installedAsTheApplicationsDispatcher();
    void readNotifierIsLevelTriggered();
    void readAndWriteNotifiersOnOneSocket();
    void disabledNotifierStaysQuiet();
    void fullSocketWaitsForRoomBeforeWriteActivation();
    void notifierDeletedDuringActivationDoesNotFire();
    void hangUpWakesReadNotifier();
    void regularFileIsAlwaysReady();
    void excludeSocketNotifiers();
    void singleShotTimer_data();
    void singleShotTimer();
    void repeatingTimer();
    void timersFireInDeadlineOrder();
    void zeroTimerDoesNotStarveSockets();
    void timerKilledByEarlierTimerOfSameTurnDoesNotFire();
    void timerRestartedInItsOwnEvent();
    void remainingTimeAndRegisteredTimers();
    void veryCoarseTimerRoundsToSeconds();
    void wakeUpFromAnotherThread();
    void postedEventFromAnotherThread();
    void postedEventsAndDeleteLater();
    void eventLoopExecAndExit();
    void awakeAndAboutToBlockSignals();
    void tcpRoundTripWithLargeWrites();
    void webSocketRoundTrip();
};

void TestEpollDispatcher::installedAsTheApplicationsDispatcher()
{
    QVERIFY(dispatcher());
    QVERIFY(dispatcher()->isValid());
}

void TestEpollDispatcher::readNotifierIsLevelTriggered()
{
    SocketPair pair;
    QSocketNotifier notifier(pair.fds[0], QSocketNotifier::Read);
    QSignalSpy activated(&notifier, &QSocketNotifier::activated);
    spin(30);
    QCOMPARE(activated.count(), 0);

    pair.send(1);
    QTRY_VERIFY(activated.count() >= 1);
    // Unread data keeps it ready, as with poll().
    const auto before = activated.count();
    QTRY_VERIFY(activated.count() > before + 2);

    pair.drain(0);
    QCoreApplication::processEvents(); // at most one activation still in flight
    const auto drained = activated.count();
    spin(30);
    QCOMPARE(activated.count(), drained);
}

void TestEpollDispatcher::readAndWriteNotifiersOnOneSocket()
{
    SocketPair pair;
    QSocketNotifier reader(pair.fds[0], QSocketNotifier::Read);
    QSocketNotifier writer(pair.fds[0], QSocketNotifier::Write);
    QSignalSpy readable(&reader, &QSocketNotifier::activated);
    QSignalSpy writable(&writer, &QSocketNotifier::activated);
    QTRY_VERIFY(writable.count() >= 1); // an empty send buffer is writable at once
    QCOMPARE(readable.count(), 0);
    // Both interests at once on one descriptor.
    pair.send(1);
    QTRY_VERIFY(readable.count() >= 1);
    pair.drain(0);

    // Removing one interest keeps the other.
    writer.setEnabled(false);
    pair.send(1);
    const auto reads = readable.count();
    QTRY_VERIFY(readable.count() > reads);
    const auto writes = writable.count();
    spin(30);
    QCOMPARE(writable.count(), writes);

    reader.setEnabled(false);
    writer.setEnabled(true);
    QTRY_VERIFY(writable.count() > writes);
}

void TestEpollDispatcher::disabledNotifierStaysQuiet()
{
    SocketPair pair;
    QSocketNotifier notifier(pair.fds[0], QSocketNotifier::Read);
    QSignalSpy activated(&notifier, &QSocketNotifier::activated);
    notifier.setEnabled(false);
    pair.send(1);
    spin(50);
    QCOMPARE(activated.count(), 0);
    notifier.setEnabled(true);
    QTRY_VERIFY(activated.count() >= 1);
}

void TestEpollDispatcher::fullSocketWaitsForRoomBeforeWriteActivation()
{
    // A connected socket's write notifier is first tried without the kernel; when the socket is
    // full it must then wait for room, not fire on every turn.
    SocketPair pair;
    const QByteArray chunk(64 * 1024, 'f');
    while (::write(pair.fds[0], chunk.constData(), size_t(chunk.size())) > 0) {
    }
    QSocketNotifier reader(pair.fds[0], QSocketNotifier::Read);
    QSocketNotifier writer(pair.fds[0], QSocketNotifier::Write);
    QSignalSpy writable(&writer, &QSocketNotifier::activated);
    spin(100);
    QVERIFY2(writable.count() <= 1, qPrintable(QString::number(writable.count())));
    const auto tries = writable.count();
    pair.drain(1);
    QTRY_VERIFY(writable.count() > tries);
}

void TestEpollDispatcher::notifierDeletedDuringActivationDoesNotFire()
{
    // Both sockets are ready in the same turn; whichever handler runs first deletes the other
    // notifier (and disables its own), so exactly one activation happens.
    SocketPair first;
    SocketPair second;
    auto *a = new QSocketNotifier(first.fds[0], QSocketNotifier::Read, this);
    auto *b = new QSocketNotifier(second.fds[0], QSocketNotifier::Read, this);
    int activations = 0;
    connect(a, &QSocketNotifier::activated, this, [&] {
        ++activations;
        a->setEnabled(false);
        delete b;
        b = nullptr;
    });
    connect(b, &QSocketNotifier::activated, this, [&] {
        ++activations;
        b->setEnabled(false);
        delete a;
        a = nullptr;
    });
    first.send(1);
    second.send(1);
    QTRY_COMPARE(activations, 1);
    spin(50);
    QCOMPARE(activations, 1);
    delete a;
    delete b;
}

void TestEpollDispatcher::hangUpWakesReadNotifier()
{
    SocketPair pair;
    QSocketNotifier notifier(pair.fds[0], QSocketNotifier::Read);
    QSignalSpy activated(&notifier, &QSocketNotifier::activated);
    ::close(pair.fds[1]);
    pair.fds[1] = -1;
    QTRY_VERIFY(activated.count() >= 1);
}

void TestEpollDispatcher::regularFileIsAlwaysReady()
{
    // epoll refuses regular files; poll() reports them ready, and so must we.
    QTemporaryFile file;
    QVERIFY(file.open());
    QSocketNotifier notifier(file.handle(), QSocketNotifier::Read);
    QSignalSpy activated(&notifier, &QSocketNotifier::activated);
    QTRY_VERIFY(activated.count() >= 1);
    notifier.setEnabled(false);
    const auto count = activated.count();
    spin(30);
    QCOMPARE(activated.count(), count);
}

void TestEpollDispatcher::excludeSocketNotifiers()
{
    SocketPair pair;
    QSocketNotifier notifier(pair.fds[0], QSocketNotifier::Read);
    QSignalSpy activated(&notifier, &QSocketNotifier::activated);
    pair.send(1);
    QElapsedTimer elapsed;
    elapsed.start();
    for (int i = 0; i < 20; ++i)
        QCoreApplication::processEvents(QEventLoop::ExcludeSocketNotifiers);
    QCOMPARE(activated.count(), 0);
    // Waiting with sockets excluded waits for a timer, not for the ready socket.
    QTimer::singleShot(50ms, this, [] {});
    elapsed.restart();
    QCoreApplication::processEvents(QEventLoop::ExcludeSocketNotifiers | QEventLoop::WaitForMoreEvents);
    QVERIFY2(elapsed.elapsed() >= 40, qPrintable(QString::number(elapsed.elapsed())));
    QCOMPARE(activated.count(), 0);
    QTRY_VERIFY(activated.count() >= 1);
}

void TestEpollDispatcher::singleShotTimer_data()
{
    QTest::addColumn<Qt::TimerType>("type");
    QTest::addColumn<int>("intervalMs");
    QTest::addColumn<int>("earliestMs");
    QTest::newRow("precise 0") << Qt::PreciseTimer << 0 << 0;
    QTest::newRow("precise 30") << Qt::PreciseTimer << 30 << 29;
    QTest::newRow("coarse 40") << Qt::CoarseTimer << 40 << 38;
    QTest::newRow("very coarse 1000") << Qt::VeryCoarseTimer << 1000 << 500;
}

void TestEpollDispatcher::singleShotTimer()
{
    QFETCH(Qt::TimerType, type);
    QFETCH(int, intervalMs);
    QFETCH(int, earliestMs);
    QTimer timer;
    timer.setSingleShot(true);
    timer.setTimerType(type);
    QSignalSpy timeout(&timer, &QTimer::timeout);
    QElapsedTimer elapsed;
    elapsed.start();
    timer.start(intervalMs);
    QTRY_COMPARE_WITH_TIMEOUT(timeout.count(), 1, 10000);
    QVERIFY2(elapsed.elapsed() >= earliestMs, qPrintable(QString::number(elapsed.elapsed())));
    spin(intervalMs + 50);
    QCOMPARE(timeout.count(), 1);
}

void TestEpollDispatcher::repeatingTimer()
{
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    QSignalSpy timeout(&timer, &QTimer::timeout);
    timer.start(10);
    QTRY_VERIFY_WITH_TIMEOUT(timeout.count() >= 5, 10000);
    timer.stop();
    const auto count = timeout.count();
    spin(50);
    QCOMPARE(timeout.count(), count);
}

void TestEpollDispatcher::timersFireInDeadlineOrder()
{
    TimerRecorder recorder;
    recorder.onTimer = [&recorder](int id) { recorder.killTimer(id); };
    const int late = recorder.startTimer(60ms, Qt::PreciseTimer);
    const int early = recorder.startTimer(20ms, Qt::PreciseTimer);
    const int middle = recorder.startTimer(40ms, Qt::PreciseTimer);
    QTRY_COMPARE(recorder.fired.size(), 3);
    QCOMPARE(recorder.fired, (QList<int>{early, middle, late}));

    // Equal deadlines (both expired before the loop ran): first registered, first fired.
    TimerRecorder same;
    const int one = same.startTimer(5ms, Qt::PreciseTimer);
    const int two = same.startTimer(5ms, Qt::PreciseTimer);
    QThread::msleep(20);
    same.onTimer = [&same](int id) { same.killTimer(id); };
    QTRY_COMPARE(same.fired.size(), 2);
    QCOMPARE(same.fired, (QList<int>{one, two}));
}

void TestEpollDispatcher::zeroTimerDoesNotStarveSockets()
{
    QTimer zero;
    zero.setInterval(0);
    int zeroShots = 0;
    connect(&zero, &QTimer::timeout, this, [&zeroShots] { ++zeroShots; });
    zero.start();
    SocketPair pair;
    QSocketNotifier notifier(pair.fds[0], QSocketNotifier::Read);
    QSignalSpy activated(&notifier, &QSocketNotifier::activated);
    QTimer::singleShot(20ms, this, [&pair] { pair.send(1); });
    QTRY_VERIFY(activated.count() >= 1);
    QVERIFY(zeroShots > 1);
    // Zero timers are idle work: processEvents() without waiting reports no event for them alone.
    pair.drain(0);
    notifier.setEnabled(false);
    QTRY_VERIFY(!QCoreApplication::eventDispatcher()->processEvents(QEventLoop::AllEvents));
}

void TestEpollDispatcher::timerKilledByEarlierTimerOfSameTurnDoesNotFire()
{
    TimerRecorder recorder;
    const int first = recorder.startTimer(5ms, Qt::PreciseTimer);
    const int second = recorder.startTimer(5ms, Qt::PreciseTimer);
    recorder.onTimer = [&](int id) {
        recorder.killTimer(id);
        if (id == first)
            recorder.killTimer(second);
    };
    QThread::msleep(20); // both are due when the loop next runs: one turn delivers them
    spin(50);
    QCOMPARE(recorder.fired, QList<int>{first});
}

void TestEpollDispatcher::timerRestartedInItsOwnEvent()
{
    // QTimer::start() from the timeout slot kills and re-registers (often under the same id).
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setSingleShot(true);
    int shots = 0;
    connect(&timer, &QTimer::timeout, this, [&] {
        if (++shots < 3)
            timer.start(5);
    });
    timer.start(5);
    QTRY_COMPARE(shots, 3);
    spin(30);
    QCOMPARE(shots, 3);
}

void TestEpollDispatcher::remainingTimeAndRegisteredTimers()
{
    TimerRecorder recorder;
    const int id = recorder.startTimer(1000ms, Qt::PreciseTimer);
    const int remaining = dispatcher()->remainingTime(id);
    QVERIFY2(remaining > 800 && remaining <= 1000, qPrintable(QString::number(remaining)));
    QCOMPARE(dispatcher()->remainingTime(id + 1000), -1);
    const auto timers = dispatcher()->registeredTimers(&recorder);
    QCOMPARE(timers.size(), 1);
    QCOMPARE(timers.first().timerId, id);
    QCOMPARE(timers.first().interval, 1000);
    QCOMPARE(timers.first().timerType, Qt::PreciseTimer);
    recorder.killTimer(id);
    QCOMPARE(dispatcher()->remainingTime(id), -1);
    QVERIFY(dispatcher()->registeredTimers(&recorder).isEmpty());

    QTimer timer;
    timer.start(500);
    QVERIFY(timer.remainingTime() > 400 && timer.remainingTime() <= 500);
}

void TestEpollDispatcher::veryCoarseTimerRoundsToSeconds()
{
    TimerRecorder recorder;
    const int id = recorder.startTimer(1400ms, Qt::VeryCoarseTimer);
    const auto timers = dispatcher()->registeredTimers(&recorder);
    QCOMPARE(timers.size(), 1);
    QCOMPARE(timers.first().interval, 1000);
    QVERIFY(dispatcher()->remainingTime(id) <= 1500);
    // Coarse timers of 20 s and more are very coarse, as in Qt.
    const int coarse = recorder.startTimer(25400ms, Qt::CoarseTimer);
    for (const auto &info : dispatcher()->registeredTimers(&recorder)) {
        if (info.timerId == coarse) {
            QCOMPARE(info.timerType, Qt::VeryCoarseTimer);
            QCOMPARE(info.interval, 25000);
        }
    }
}

void TestEpollDispatcher::wakeUpFromAnotherThread()
{
    QAbstractEventDispatcher *loop = QCoreApplication::eventDispatcher();
    std::atomic<bool> woke = false;
    std::thread waker([&] {
        std::this_thread::sleep_for(100ms);
        woke = true;
        loop->wakeUp();
    });
    QElapsedTimer elapsed;
    elapsed.start();
    // No timer and no socket: only the wake-up ends this wait.
    while (!woke || elapsed.elapsed() < 100) {
        if (elapsed.elapsed() > 20000)
            break;
        loop->processEvents(QEventLoop::WaitForMoreEvents);
    }
    waker.join();
    QVERIFY(woke);
    QVERIFY2(elapsed.elapsed() < 10000, qPrintable(QString::number(elapsed.elapsed())));
}

void TestEpollDispatcher::postedEventFromAnotherThread()
{
    QEventLoop loop;
    std::thread poster([&loop] {
        std::this_thread::sleep_for(50ms);
        QMetaObject::invokeMethod(
            &loop, [&loop] { loop.exit(42); }, Qt::QueuedConnection);
    });
    QTimer::singleShot(20s, &loop, [&loop] { loop.exit(-1); }); // a hang fails instead of blocking
    const int code = loop.exec();
    poster.join();
    QCOMPARE(code, 42);
}

void TestEpollDispatcher::postedEventsAndDeleteLater()
{
    PostedEventReceiver receiver;
    QCoreApplication::postEvent(&receiver, new QEvent(PostedEventReceiver::kType));
    QCoreApplication::postEvent(&receiver, new QEvent(PostedEventReceiver::kType));
    QCOMPARE(receiver.received, 0);
    QTRY_COMPARE(receiver.received, 2);

    QPointer<QObject> doomed = new QObject;
    doomed->deleteLater();
    QEventLoop loop;
    QTimer::singleShot(20ms, &loop, &QEventLoop::quit);
    loop.exec();
    QVERIFY(doomed.isNull());
}

void TestEpollDispatcher::eventLoopExecAndExit()
{
    QEventLoop loop;
    QTimer::singleShot(10ms, &loop, [&loop] { loop.exit(7); });
    QCOMPARE(loop.exec(), 7);

    // A nested loop inside a timer event; the outer timer does not fire again meanwhile.
    TimerRecorder recorder;
    int nestedRuns = 0;
    recorder.onTimer = [&](int id) {
        if (recorder.fired.size() > 1)
            return;
        QEventLoop nested;
        QTimer::singleShot(40ms, &nested, &QEventLoop::quit);
        nested.exec();
        ++nestedRuns;
        recorder.killTimer(id);
    };
    recorder.startTimer(5ms, Qt::PreciseTimer);
    QTRY_COMPARE(nestedRuns, 1);
    QCOMPARE(recorder.fired.size(), 1);
}

void TestEpollDispatcher::awakeAndAboutToBlockSignals()
{
    QSignalSpy awake(dispatcher(), &QAbstractEventDispatcher::awake);
    QSignalSpy aboutToBlock(dispatcher(), &QAbstractEventDispatcher::aboutToBlock);
    QEventLoop loop;
    QTimer::singleShot(20ms, &loop, &QEventLoop::quit);
    loop.exec();
    QVERIFY(awake.count() >= 1);
    QVERIFY(aboutToBlock.count() >= 1);
}

void TestEpollDispatcher::tcpRoundTripWithLargeWrites()
{
    // Several megabytes each way: the sockets toggle their write notifiers many times.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QList<QTcpSocket *> accepted;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            accepted.append(socket);
            connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->write(socket->readAll()); });
        }
    });
    constexpr int kClients = 20;
    constexpr qsizetype kBytes = 512 * 1024;
    const QByteArray payload(kBytes, 'p');
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    std::vector<qsizetype> received(kClients, 0);
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<QTcpSocket>());
        QTcpSocket *client = clients.back().get();
        connect(client, &QTcpSocket::readyRead, this,
                [client, &received, i] { received[size_t(i)] += client->readAll().size(); });
        client->connectToHost(server.serverAddress(), server.serverPort());
        client->write(payload);
    }
    for (int i = 0; i < kClients; ++i)
        QTRY_COMPARE_WITH_TIMEOUT(received[size_t(i)], kBytes, 20000);
    QCOMPARE(accepted.size(), kClients);
}

void TestEpollDispatcher::webSocketRoundTrip()
{
    QWebSocketServer server(u"tst"_s, QWebSocketServer::NonSecureMode);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    connect(&server, &QWebSocketServer::newConnection, this, [&server] {
        QWebSocket *socket = server.nextPendingConnection();
        connect(socket, &QWebSocket::textMessageReceived, socket,
                [socket](const QString &text) { socket->sendTextMessage(u"echo:"_s + text); });
        connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
    });
    QWebSocket client;
    QSignalSpy received(&client, &QWebSocket::textMessageReceived);
    client.open(QUrl(u"ws://127.0.0.1:%1/"_s.arg(server.serverPort())));
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::ConnectedState, 10000);
    for (int i = 0; i < 100; ++i)
        client.sendTextMessage(u"m%1"_s.arg(i));
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 100, 10000);
    QCOMPARE(received.first().first().toString(), u"echo:m0"_s);
    QCOMPARE(received.last().first().toString(), u"echo:m99"_s);
    client.close();
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, 10000);
}

int main(int argc, char *argv[])
{
    // As in main(): the dispatcher must exist before the application object.
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestEpollDispatcher test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolldispatcher.moc"
