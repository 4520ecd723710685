// Turns SIGINT/SIGTERM into a Qt signal on the event loop (the self-pipe trick): the async-signal
// handler only writes one byte to a socketpair; everything else happens in signalReceived().
#pragma once

#include <QObject>

class QSocketNotifier;

namespace switchboard::agentsim {

class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    // Installs handlers for SIGINT and SIGTERM. Only one instance per process can be active.
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

    bool isActive() const { return m_notifier != nullptr; }

Q_SIGNALS:
    void signalReceived(int signalNumber);

private:
    void readSignal();

    int m_fds[2] = {-1, -1};
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace switchboard::agentsim
