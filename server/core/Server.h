// Server: the composition root. Builds every component from the settings, wires their signals,
// starts listening and shuts down in order. It owns and wires; it does nothing else.
#pragma once

#include "config/Settings.h"
#include "shared/Protocol.h"

#include <QHostAddress>
#include <QObject>

#include <memory>

namespace switchboard {

namespace cluster {
struct LoadReport;
}
namespace metrics {
class ServerMetrics;
}
class AdminService;
class DatabaseProbe;
class MetricsEndpoint;
class ClusterLogRelay;
class ClusterBus;
class ClusterLoad;
class ClusterPresence;
class CommandRouter;
class RedisConnection;
class RedisSubscriber;
class AgentHub;
class AgentRegistrar;
class Authenticator;
class BrowserEndpoint;
class CommandLedger;
class EventJournal;
class Gateway;
class HttpFront;
class Hub;
class LogRelay;
class Manager;
class Notifier;
class SessionService;
class Store;
class TokenRevocations;

class Server : public QObject
{
    Q_OBJECT
public:
    explicit Server(const Settings &settings, QObject *parent = nullptr);
    ~Server() override;

    // Opens (and migrates) the database, marks agents this replica left online as offline
    // (a previous run may have been killed), starts the timers and listens.
    protocol::Decoded<protocol::Done> start();
    // Graceful stop: refuse new connections, close every socket with 1001 "going away", mark
    // connected agents offline, flush storage; emits stopped() when done.
    void shutdown();
    bool isRunning() const { return m_running; }

    QHostAddress serverAddress() const;
    quint16 serverPort() const;
    const Settings &settings() const { return m_settings; }

    Store *store() const { return m_store; }
    Authenticator *authenticator() const { return m_authenticator.get(); }
    AgentHub *agentHub() const { return m_agents; }
    CommandLedger *commandLedger() const { return m_ledger; }
    SessionService *sessionService() const { return m_sessions; }
    Hub *hub() const { return m_hub; }
    Notifier *notifier() const { return m_notifier; }
    EventJournal *eventJournal() const { return m_journal; }
    Manager *manager() const { return m_manager; }
    AdminService *adminService() const { return m_admin; }
    LogRelay *logRelay() const { return m_logs; }
    TokenRevocations *tokenRevocations() const { return m_revocations; }
    // Cluster mode (settings.redisUrl set); null otherwise.
    ClusterPresence *presence() const { return m_presence; }
    CommandRouter *commandRouter() const { return m_router; }
    ClusterBus *clusterBus() const { return m_bus; }
    ClusterLoad *clusterLoad() const { return m_load; }
    ClusterLogRelay *clusterLogRelay() const { return m_clusterLogs; }
    // What GET /metrics shows; updated by the components.
    metrics::ServerMetrics *metrics() const { return m_metrics.get(); }
    DatabaseProbe *databaseProbe() const { return m_databaseProbe; }

Q_SIGNALS:
    void stopped();

private:
    void wire();
    // Cluster mode: Redis connections, presence, routing and the bus, wired to the local parts.
    void createCluster();
    void wireCluster();
    void finishShutdown();
    // Values /metrics reads from the components just before it renders.
    void sampleMetrics();
    // This replica's load as the admin metrics message and ClusterLoad report it.
    cluster::LoadReport sampleLoad() const;

    Settings m_settings;
    // Declared first: every component may hold a pointer into it, so it goes last.
    std::unique_ptr<metrics::ServerMetrics> m_metrics;
    bool m_running = false;
    bool m_stopping = false;
    Store *m_store = nullptr;
    std::unique_ptr<Authenticator> m_authenticator;
    AgentHub *m_agents = nullptr;
    CommandLedger *m_ledger = nullptr;
    SessionService *m_sessions = nullptr;
    Hub *m_hub = nullptr;
    Notifier *m_notifier = nullptr;
    EventJournal *m_journal = nullptr;
    BrowserEndpoint *m_browsers = nullptr;
    Manager *m_manager = nullptr;
    AdminService *m_admin = nullptr;
    LogRelay *m_logs = nullptr;
    TokenRevocations *m_revocations = nullptr;
    AgentRegistrar *m_registrar = nullptr;
    std::unique_ptr<Gateway> m_gateway;
    HttpFront *m_front = nullptr;
    RedisConnection *m_redis = nullptr;
    RedisSubscriber *m_subscriber = nullptr;
    ClusterPresence *m_presence = nullptr;
    CommandRouter *m_router = nullptr;
    ClusterBus *m_bus = nullptr;
    ClusterLogRelay *m_clusterLogs = nullptr;
    ClusterLoad *m_load = nullptr;
    DatabaseProbe *m_databaseProbe = nullptr;
    MetricsEndpoint *m_metricsEndpoint = nullptr;
};

} // namespace switchboard
