// Gateway: what each HTTP request to the front door means. Answers health and REST requests,
// authenticates WebSocket upgrades (agents by key, browsers by token and role) before the
// handshake, and hands accepted sockets to AgentHub, Hub or LogRelay with the verified identity.
#pragma once

#include "core/Hub.h"
#include "net/AccessPolicy.h"
#include "net/HttpFront.h"
#include "net/OrgContext.h"
#include "shared/Records.h"

#include <QElapsedTimer>
#include <QObject>

namespace switchboard {

namespace metrics {
class ServerMetrics;
}
class AdminService;
class AgentHub;
class DatabaseProbe;
class MetricsEndpoint;
class AgentRegistrar;
class Authenticator;
class BrowserEndpoint;
class LogRelay;
class SessionService;
class Store;

class Gateway : public QObject, public HttpHandler
{
    Q_OBJECT
public:
    struct Services
    {
        Store *store = nullptr;
        Authenticator *authenticator = nullptr;
        AgentHub *agents = nullptr;
        Hub *hub = nullptr;
        BrowserEndpoint *browsers = nullptr;
        AdminService *admin = nullptr;
        SessionService *sessions = nullptr;
        AgentRegistrar *registrar = nullptr;
        LogRelay *logs = nullptr;
        AccessPolicy access; // Origin allowlist of browser streams, agent client certificates
        // Optional (null in tests that do without): GET /metrics, /readyz from the cached
        // database probe (else a ping per request), counters of authentication failures.
        MetricsEndpoint *metricsEndpoint = nullptr;
        DatabaseProbe *database = nullptr;
        metrics::ServerMetrics *metrics = nullptr;
        qint64 maxEventDataBytes = 16 * 1024; // POST /api/v1/events: larger `data` gets 413
    };

    explicit Gateway(const Services &services, QObject *parent = nullptr);

    // Set while shutting down: new upgrades are refused with 503.
    void setDraining(bool draining) { m_draining = draining; }
    // Cluster mode: /readyz reports "redis":"ok"|"unavailable". A replica without Redis keeps
    // serving its own connections, so this is a detail, not a reason to answer 503.
    void setRedisAvailable(bool available) { m_redis = available ? RedisState::Ok : RedisState::Unavailable; }

    void handleHttpRequest(const HttpRequest &request, HttpResponder responder) override;
    void handleUpgradeRequest(const HttpRequest &request, UpgradeDecision decision) override;
    void handleWebSocket(WsConnection *socket, const HttpRequest &request, const QVariant &context) override;

private:
    void upgradeAgent(const HttpRequest &request, UpgradeDecision decision);
    void upgradeBrowser(const HttpRequest &request, UpgradeDecision decision, ClientKind kind);
    // /api/v1/ws/logs/{sessionId}: the session must be of the caller's org, and a user's own.
    void upgradeLogs(const HttpRequest &request, UpgradeDecision decision, const QString &sessionId);
    void readiness(HttpResponder responder);
    // Counts a refused credential and logs it (once a minute per endpoint and address; never the
    // credential itself).
    void authFailed(const QString &endpoint, const HttpRequest &request, const QString &reason);
    void publishEvent(const HttpRequest &request, HttpResponder responder);

    Services m_services;
    bool m_draining = false;
    enum class RedisState { NotConfigured, Ok, Unavailable };
    RedisState m_redis = RedisState::NotConfigured;
    QElapsedTimer m_clock;
    LimitLog m_authLog; // only to log each offender once a minute
};

} // namespace switchboard
