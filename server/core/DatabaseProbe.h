// DatabaseProbe: asks the database "SELECT 1" through the storage thread every interval and keeps
// the answer, so that /readyz answers from memory: a flood of readiness requests costs no queries,
// and a slow database never holds a request. At most one probe is in flight.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <chrono>

namespace switchboard {

class Store;

class DatabaseProbe : public QObject
{
    Q_OBJECT
public:
    DatabaseProbe(Store *store, std::chrono::milliseconds interval, QObject *parent = nullptr);

    // Probes now and then every interval. Until the first answer the database counts as reachable:
    // the server only starts serving after it opened the database.
    void start();
    void stop();
    // Starts a probe unless one is in flight.
    void probeNow();

    bool isReachable() const { return m_reachable; }
    // Why the last probe failed (empty while reachable).
    QString problem() const { return m_problem; }

Q_SIGNALS:
    void reachabilityChanged(bool reachable);

private:
    QPointer<Store> m_store;
    QTimer m_timer;
    bool m_inFlight = false;
    bool m_reachable = true;
    QString m_problem;
};

} // namespace switchboard
