#include "core/Gateway.h"
#include "core/Continuation.h"

#include "core/AdminService.h"
#include "core/AgentHub.h"
#include "core/AgentRegistrar.h"
#include "core/BrowserEndpoint.h"
#include "core/DatabaseProbe.h"
#include "core/LogRelay.h"
#include "core/MetricsEndpoint.h"
#include "core/SessionService.h"
#include "logging/StructuredLog.h"
#include "metrics/ServerMetrics.h"
#include "net/Authenticator.h"
#include "net/HttpRequest.h"
#include "net/HttpResponse.h"
#include "shared/JsonReader.h"
#include "shared/LogProtocol.h"
#include "storage/Store.h"

#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcGateway, "switchboard.gateway")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;

// What an accepted upgrade carries from the handshake to the socket's new owner.
struct UpgradeContext
{
    bool isAgent = false;
    ClientKind kind = ClientKind::Sessions;
    protocol::AgentInfo agent;
    OrgContext org;
    protocol::SessionInfo session; // the session a log viewer was authorised for
    int tailLines = 0;
};

namespace {

QByteArray errorBody(const QString &error, const QString &details = {})
{
    return jsonError(error, details.isEmpty() ? QJsonValue() : QJsonValue(details));
}

QByteArray jsonBody(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

} // namespace switchboard

Q_DECLARE_METATYPE(switchboard::UpgradeContext)

namespace switchboard {

Gateway::Gateway(const Services &services, QObject *parent)
    : QObject(parent)
    , m_services(services)
{
    m_clock.start();
}

void Gateway::authFailed(const QString &endpoint, const HttpRequest &request, const QString &reason)
{
    if (m_services.metrics)
        m_services.metrics->authFailure(endpoint);
    const QString peer = request.peerAddress.toString();
    if (m_authLog.hit(endpoint, peer, m_clock.elapsed()))
        logging::logWithFields(lcGateway(), QtWarningMsg,
                               u"authentication failed (logged once a minute per address)"_s,
                               {{u"endpoint"_s, endpoint}, {u"peer"_s, peer}, {u"reason"_s, reason}});
}

void Gateway::handleHttpRequest(const HttpRequest &request, HttpResponder responder)
{
    const QString path = request.path;
    const QByteArray method = request.method;
    if (path == "/healthz"_L1) {
        if (method != "GET")
            return responder.respond(405, errorBody(u"Method not allowed"_s));
        return responder.respond(200, jsonBody({{"status"_L1, u"ok"_s}}));
    }
    if (path == "/readyz"_L1) {
        if (method != "GET")
            return responder.respond(405, errorBody(u"Method not allowed"_s));
        return readiness(responder);
    }
    if (path == "/metrics"_L1 && m_services.metricsEndpoint)
        return m_services.metricsEndpoint->handle(request, responder);
    if (path == "/api/v1/agents/register"_L1) {
        if (method != "POST")
            return responder.respond(405, errorBody(u"Method not allowed"_s));
        m_services.registrar->registerAgent(request.header("X-Agent-API-Key"), request.body,
                                            [responder](const HttpReply &reply) mutable {
                                                responder.respond(reply.status, jsonBody(reply.body));
                                            });
        return;
    }
    if (path == "/api/v1/events"_L1) {
        if (method != "POST")
            return responder.respond(405, errorBody(u"Method not allowed"_s));
        return publishEvent(request, responder);
    }
    if (path.startsWith("/api/v1/ws/"_L1) || path == "/api/v1/agents/connect"_L1)
        return responder.respond(426, errorBody(u"Upgrade required"_s, u"this endpoint speaks WebSocket"_s));
    responder.respond(404, errorBody(u"Not found"_s, path));
}

void Gateway::readiness(HttpResponder responder)
{
    const RedisState redis = m_redis;
    if (const DatabaseProbe *probe = m_services.database) {
        QJsonObject body;
        if (redis != RedisState::NotConfigured)
            body.insert("redis"_L1, redis == RedisState::Ok ? u"ok"_s : u"unavailable"_s);
        const bool reachable = probe->isReachable();
        body.insert("status"_L1, reachable ? u"ready"_s : u"unavailable"_s);
        body.insert("database"_L1, reachable ? u"ok"_s : probe->problem());
        return responder.respond(reachable ? 200 : 503, jsonBody(body));
    }
    whenFinished(this, m_services.store->ping(), [responder, redis](Decoded<bool> ping) mutable {
        QJsonObject body;
        if (redis != RedisState::NotConfigured)
            body.insert("redis"_L1, redis == RedisState::Ok ? u"ok"_s : u"unavailable"_s);
        if (ping && ping.value()) {
            body.insert("status"_L1, u"ready"_s);
            body.insert("database"_L1, u"ok"_s);
            responder.respond(200, jsonBody(body));
        } else {
            body.insert("status"_L1, u"unavailable"_s);
            body.insert("database"_L1, ping ? u"unreachable"_s : ping.error().message);
            responder.respond(503, jsonBody(body));
        }
    });
}

void Gateway::publishEvent(const HttpRequest &request, HttpResponder responder)
{
    Decoded<OrgContext> caller =
        m_services.authenticator->authenticate(request, QDateTime::currentDateTimeUtc());
    if (!caller) {
        authFailed(u"events"_s, request, caller.error().message);
        return responder.respond(401, errorBody(u"Unauthorized"_s, caller.error().message));
    }
    if (caller.value().role != Role::Admin && caller.value().role != Role::Service)
        return responder.respond(
            403, errorBody(u"Forbidden"_s, u"publishing events needs an admin or service token"_s));
    Decoded<QJsonObject> body = protocol::parseObject(request.body);
    if (!body)
        return responder.respond(400, errorBody(u"Invalid event"_s, body.error().message));
    if (const QJsonValue data = body.value().value("data"_L1); data.isObject()) {
        const qsizetype size = protocol::toJsonBytes(data.toObject()).size();
        if (size > m_services.maxEventDataBytes) {
            responder.reportLimit(u"event_data_bytes"_s,
                                  u"published an event with %1 bytes of data"_s.arg(size));
            return responder.respond(413, errorBody(u"Event data too large"_s,
                                                    u"data is %1 bytes encoded; at most %2"_s.arg(size).arg(
                                                        m_services.maxEventDataBytes)));
        }
    }
    Decoded<protocol::browser::SessionEvent> event =
        protocol::browser::decodeSessionEvent(body.value(), QDateTime::currentDateTimeUtc());
    if (!event)
        return responder.respond(400, errorBody(u"Invalid event"_s, event.error().message));

    const OrgContext who = caller.value();
    protocol::browser::SessionEvent accepted = event.value();
    // A service token speaks for its own organisation only; an admin names the org or lets the
    // session's stored org decide.
    if (who.role == Role::Service) {
        if (!accepted.orgId.isEmpty() && accepted.orgId != who.orgId)
            return responder.respond(
                403,
                errorBody(u"Forbidden"_s, u"a service token may only publish to its own organisation"_s));
        accepted.orgId = who.orgId;
    }
    whenFinished(
        this, m_services.store->getSession(accepted.sessionId),
        [this, responder, accepted](Decoded<protocol::SessionInfo> session) mutable {
            if (session) {
                if (!accepted.orgId.isEmpty() && accepted.orgId != session.value().orgId)
                    return responder.respond(404, errorBody(u"Session not found"_s, accepted.sessionId));
                if (accepted.userId != session.value().userId)
                    return responder.respond(
                        400, errorBody(u"Invalid event"_s, u"userId does not match the session's owner"_s));
                accepted.orgId = session.value().orgId;
            } else if (session.error().code != protocol::ErrorCode::NotFound) {
                return responder.respond(503, errorBody(u"Storage unavailable"_s, session.error().message));
            } else if (accepted.orgId.isEmpty()) {
                return responder.respond(
                    400, errorBody(u"Invalid event"_s,
                                   u"orgId is required for a session Switchboard does not know"_s));
            }
            m_services.sessions->publishEvent(accepted);
            responder.respond(202, jsonBody({{"accepted"_L1, true}}));
        });
}

void Gateway::handleUpgradeRequest(const HttpRequest &request, UpgradeDecision decision)
{
    if (m_draining)
        return decision.reject(503, errorBody(u"Shutting down"_s));
    const QString path = request.path;
    if (path == "/api/v1/agents/connect"_L1)
        return upgradeAgent(request, decision);
    // Every other stream is a browser's. An invalid token is left to the route (401).
    if (m_services.access.checksOrigin()) {
        const Decoded<OrgContext> caller =
            m_services.authenticator->authenticate(request, QDateTime::currentDateTimeUtc());
        if (caller) {
            if (const auto problem = m_services.access.originProblem(request, caller.value().role))
                return decision.reject(403, errorBody(u"Forbidden"_s, *problem));
        }
    }
    if (path == "/api/v1/ws/sessions"_L1)
        return upgradeBrowser(request, decision, ClientKind::Sessions);
    if (path == "/api/v1/ws/cluster"_L1)
        return upgradeBrowser(request, decision, ClientKind::Cluster);
    if (path == "/api/v1/ws/admin"_L1)
        return upgradeBrowser(request, decision, ClientKind::Admin);
    if (path.startsWith("/api/v1/ws/logs/"_L1))
        return upgradeLogs(request, decision, path.mid(qsizetype(sizeof("/api/v1/ws/logs/") - 1)));
    decision.reject(404, errorBody(u"Not found"_s, path));
}

void Gateway::upgradeAgent(const HttpRequest &request, UpgradeDecision decision)
{
    const QString agentId = request.queryValue(u"agent_id"_s);
    if (agentId.isEmpty())
        return decision.reject(400, errorBody(u"Missing agent_id"_s));
    // With a client CA, the TLS certificate names the agent, in addition to its key.
    if (const auto problem = m_services.access.agentCertificateProblem(request, agentId))
        return decision.reject(403, errorBody(u"Forbidden"_s, *problem));
    const QByteArray apiKey = request.header("X-Agent-API-Key");
    if (apiKey.isEmpty()) {
        authFailed(u"agent"_s, request, u"missing API key"_s);
        return decision.reject(401, errorBody(u"Missing API key"_s));
    }
    if (!Authenticator::isWellFormedApiKey(apiKey)) {
        authFailed(u"agent"_s, request, u"malformed API key"_s);
        return decision.reject(401, errorBody(u"Invalid API key format"_s));
    }
    whenFinished(
        this, m_services.store->agentCredentials(agentId),
        [this, request, agentId, apiKey, decision](Decoded<Store::AgentCredentials> credentials) mutable {
            if (!credentials) {
                if (credentials.error().code == protocol::ErrorCode::NotFound) {
                    QJsonObject body{{"error"_L1, u"Agent not found"_s},
                                     {"details"_L1, u"register the agent first"_s},
                                     {"agentId"_L1, agentId}};
                    return decision.reject(404, jsonBody(body));
                }
                return decision.reject(503, errorBody(u"Storage unavailable"_s, credentials.error().message));
            }
            // Only the agent's own key opens its connection (after a rotation also the previous
            // one, until its grace period ends); the bootstrap key never does.
            if (!credentials.value().acceptsKeyHash(Authenticator::hashApiKey(apiKey),
                                                    QDateTime::currentDateTimeUtc())) {
                authFailed(u"agent"_s, request, u"wrong API key for agent "_s + agentId);
                return decision.reject(403, errorBody(u"Invalid API key"_s));
            }
            const protocol::AgentInfo &agent = credentials.value().agent;
            if (agent.approvalStatus != protocol::ApprovalStatus::Approved)
                return decision.reject(403,
                                       errorBody(u"Agent not approved"_s,
                                                 u"approval status is %1"_s.arg(
                                                     protocol::approvalStatusName(agent.approvalStatus))));
            UpgradeContext context;
            context.isAgent = true;
            context.agent = agent;
            decision.accept(QVariant::fromValue(context));
        });
}

void Gateway::upgradeBrowser(const HttpRequest &request, UpgradeDecision decision, ClientKind kind)
{
    Decoded<OrgContext> caller =
        m_services.authenticator->authenticate(request, QDateTime::currentDateTimeUtc());
    if (!caller) {
        authFailed(kind == ClientKind::Sessions  ? u"sessions"_s
                   : kind == ClientKind::Cluster ? u"cluster"_s
                                                 : u"admin"_s,
                   request, caller.error().message);
        return decision.reject(401, errorBody(u"Unauthorized"_s, caller.error().message));
    }
    const Role role = caller.value().role;
    const bool allowed = kind == ClientKind::Sessions ? role != Role::Service
                                                      : (role == Role::Admin || role == Role::Operator);
    if (!allowed)
        return decision.reject(
            403, errorBody(u"Forbidden"_s, u"role %1 may not open this stream"_s.arg(roleName(role))));
    UpgradeContext context;
    context.kind = kind;
    context.org = caller.value();
    decision.accept(QVariant::fromValue(context));
}

void Gateway::upgradeLogs(const HttpRequest &request, UpgradeDecision decision, const QString &sessionId)
{
    Decoded<OrgContext> caller =
        m_services.authenticator->authenticate(request, QDateTime::currentDateTimeUtc());
    if (!caller) {
        authFailed(u"logs"_s, request, caller.error().message);
        return decision.reject(401, errorBody(u"Unauthorized"_s, caller.error().message));
    }
    const OrgContext who = caller.value();
    if (who.role == Role::Service)
        return decision.reject(
            403, errorBody(u"Forbidden"_s, u"role %1 may not open this stream"_s.arg(roleName(who.role))));
    // The path was percent-decoded: an id holding '/' or longer than any id is no session.
    if (sessionId.isEmpty() || sessionId.contains(u'/') || sessionId.size() > 256)
        return decision.reject(404, errorBody(u"Session not found"_s, sessionId.left(256)));
    const Decoded<int> tailLines = protocol::logs::parseTailLines(request.queryValue(u"tailLines"_s));
    if (!tailLines)
        return decision.reject(400, errorBody(u"Invalid tailLines"_s, tailLines.error().message));
    whenFinished(
        this, m_services.store->getSession(sessionId),
        [who, sessionId, tail = tailLines.value(), decision](Decoded<protocol::SessionInfo> session) mutable {
            if (!session) {
                if (session.error().code == protocol::ErrorCode::NotFound)
                    return decision.reject(404, errorBody(u"Session not found"_s, sessionId));
                return decision.reject(503, errorBody(u"Storage unavailable"_s, session.error().message));
            }
            // Admins act on every organisation, as on the admin stream; to anybody else another
            // organisation's session looks exactly like a missing one, so ids cannot be probed.
            if (session.value().orgId != who.orgId && who.role != Role::Admin)
                return decision.reject(404, errorBody(u"Session not found"_s, sessionId));
            if (who.role == Role::User && session.value().userId != who.userId)
                return decision.reject(
                    403,
                    errorBody(u"Forbidden"_s, u"role user may only follow the logs of their own sessions"_s));
            UpgradeContext context;
            context.kind = ClientKind::Logs;
            context.org = who;
            context.session = session.value();
            context.tailLines = tail;
            decision.accept(QVariant::fromValue(context));
        });
}

void Gateway::handleWebSocket(WsConnection *socket, const HttpRequest &request, const QVariant &variant)
{
    const UpgradeContext context = variant.value<UpgradeContext>();
    if (context.isAgent) {
        m_services.agents->acceptConnection(socket, context.agent);
        return;
    }
    if (context.kind == ClientKind::Logs) {
        m_services.logs->addViewer(socket, context.org, context.session, context.tailLines);
        return;
    }
    const quint64 clientId = m_services.hub->addClient(socket, context.kind, context.org);
    if (context.kind == ClientKind::Admin)
        m_services.admin->clientJoined(clientId, request.query);
    else if (context.kind == ClientKind::Sessions)
        m_services.browsers->clientJoined(clientId, request.query);
}

} // namespace switchboard
