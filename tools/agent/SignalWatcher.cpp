#include "SignalWatcher.h"

#include <QLoggingCategory>
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcSimSignals, "switchboard.agent.signals")

namespace switchboard::agentsim {

namespace {

// The one piece of process-wide state: a POSIX signal handler cannot reach an object, only a
// file descriptor it can write() to, which is async-signal-safe.
volatile std::sig_atomic_t g_writeFd = -1;

void onSignal(int signalNumber)
{
    const int savedErrno = errno;
    const unsigned char byte = static_cast<unsigned char>(signalNumber);
    if (g_writeFd >= 0) [[maybe_unused]]
        const auto written = ::write(g_writeFd, &byte, 1);
    errno = savedErrno;
}

} // namespace

SignalWatcher::SignalWatcher(QObject *parent)
    : QObject(parent)
{
    if (g_writeFd >= 0) {
        qCWarning(lcSimSignals) << "a signal watcher is already active in this process";
        return;
    }
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, m_fds) != 0) {
        qCWarning(lcSimSignals) << "socketpair failed; SIGINT/SIGTERM will end the process abruptly";
        return;
    }
    g_writeFd = m_fds[0];
    m_notifier = new QSocketNotifier(qintptr(m_fds[1]), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &SignalWatcher::readSignal);

    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

SignalWatcher::~SignalWatcher()
{
    if (!m_notifier)
        return;
    struct sigaction action = {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    g_writeFd = -1;
    delete m_notifier; // before its descriptor goes away
    ::close(m_fds[0]);
    ::close(m_fds[1]);
}

void SignalWatcher::readSignal()
{
    unsigned char bytes[16];
    const auto count = ::read(m_fds[1], bytes, sizeof bytes);
    for (ssize_t i = 0; i < count; ++i)
        Q_EMIT signalReceived(int(bytes[i]));
}

} // namespace switchboard::agentsim
