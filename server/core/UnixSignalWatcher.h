// Turns SIGINT/SIGTERM into a Qt signal on the main thread (self-pipe: the handler only writes a
// byte, everything else happens in the event loop).
#pragma once

#include <QObject>
#include <QSocketNotifier>

#include <memory>

namespace switchboard {

class UnixSignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signalNumber);

private:
    std::unique_ptr<QSocketNotifier> m_notifier;
};

} // namespace switchboard
