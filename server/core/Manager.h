// Manager: the periodic broadcasts. Every sessions interval a sessions_update per org that has
// sessions clients; every metrics interval a metrics_update per org that has cluster clients.
// Each payload is encoded once per org (once per user for `user`-role clients, who see only their
// own sessions), never once per client; orgs without clients cost nothing. Each metrics round
// also emits metricsTick for the replica-wide numbers of the admin stream.
#pragma once

#include "shared/BrowserProtocol.h"

#include <QObject>
#include <QSet>
#include <QTimer>

#include <chrono>
#include <functional>

namespace switchboard {

class Hub;
class Store;

class Manager : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        std::chrono::milliseconds sessionsInterval{3000};
        std::chrono::milliseconds metricsInterval{5000};
    };

    Manager(Store *store, Hub *hub, const Config &config, QObject *parent = nullptr);

    void start();
    void stop();
    void broadcastSessions(); // one round now
    void broadcastMetrics();  // one round now
    // A sessions_update now for one sessions client (role user: its own sessions only), e.g. after
    // resync_required; `done` runs afterwards, whether it could be sent or not.
    void sendSessionsTo(quint64 clientId, std::function<void()> done = {});

Q_SIGNALS:
    // A storage query for the org's round started (at most one in flight per org and kind).
    void sessionsQueried(const QString &orgId);
    void metricsQueried(const QString &orgId);
    // A round's messages went out; recipients = clients that accepted them.
    void sessionsBroadcast(const QString &orgId, int recipients);
    void metricsBroadcast(const QString &orgId, int recipients);
    // Every metrics round, whether or not any org has cluster clients: the replica-wide numbers
    // (admin stream `metrics`) are sampled on the same clock.
    void metricsTick();

private:
    static QList<protocol::SessionInfo> sessionsOfUser(const QList<protocol::SessionInfo> &sessions,
                                                       const QString &userId);
    void deliverSessions(const QString &orgId, const QList<protocol::SessionInfo> &sessions);
    void deliverMetrics(const QString &orgId, const QList<protocol::SessionInfo> &sessions);

    Store *m_store;
    Hub *m_hub;
    Config m_config;
    QTimer m_sessionsTimer;
    QTimer m_metricsTimer;
    QSet<QString> m_sessionsInFlight; // orgs whose previous query has not answered yet
    QSet<QString> m_metricsInFlight;
};

} // namespace switchboard
