#include "core/AgentRegistrar.h"
#include "core/Continuation.h"

#include "net/Authenticator.h"
#include "shared/JsonReader.h"
#include "storage/Store.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcRegistrar, "switchboard.registration")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;

namespace {

HttpReply errorReply(int status, const QString &error, const QString &details = {})
{
    QJsonObject body{{"error"_L1, error}};
    if (!details.isEmpty())
        body.insert("details"_L1, details);
    return {status, body};
}

HttpReply agentReply(int status, const protocol::AgentInfo &agent, const QString &message)
{
    return {status,
            {{"agent"_L1, agent.toJson()},
             {"approvalStatus"_L1, protocol::approvalStatusName(agent.approvalStatus)},
             {"message"_L1, message}}};
}

HttpReply replyForApproval(const protocol::AgentInfo &agent)
{
    switch (agent.approvalStatus) {
    case protocol::ApprovalStatus::Approved:
        return agentReply(200, agent, u"Agent registered"_s);
    case protocol::ApprovalStatus::Pending:
        return agentReply(202, agent, u"Agent is waiting for an administrator's approval"_s);
    case protocol::ApprovalStatus::Rejected:
        break;
    }
    return errorReply(403, u"Agent rejected"_s, u"an administrator rejected agent %1"_s.arg(agent.agentId));
}

bool isValidAgentId(const QString &id)
{
    if (id.size() < 3 || id.size() > 100)
        return false;
    for (QChar c : id) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != u'-' && c != u'_' && c != u'.')
            return false;
    }
    return true;
}

// The StreamSpace registration body: {"agentId","platform","region","capacity","metadata"}.
Decoded<protocol::AgentInfo> decodeRegistration(const QByteArray &body, const QString &defaultOrg)
{
    Decoded<QJsonObject> object = protocol::parseObject(body);
    if (!object)
        return object.error();
    protocol::JsonReader reader(object.value());
    protocol::AgentInfo agent;
    agent.agentId = reader.requiredString(u"agentId"_s, 3, 100);
    const QString platform = reader.requiredString(u"platform"_s, 1, 32);
    agent.region = reader.optionalString(u"region"_s, {}, 50);
    agent.orgId = reader.optionalString(u"orgId"_s, defaultOrg, 100);
    const QJsonObject capacity = reader.optionalObject(u"capacity"_s);
    agent.metadata = reader.optionalObject(u"metadata"_s);
    if (!reader.ok())
        return reader.error();
    if (!isValidAgentId(agent.agentId)) {
        reader.fail(protocol::ErrorCode::InvalidValue, u"agentId"_s,
                    u"agentId must be 3-100 characters of letters, digits, '-', '_' or '.'"_s);
        return reader.error();
    }
    const auto parsedPlatform = protocol::platformFromName(platform);
    if (!parsedPlatform) {
        reader.fail(protocol::ErrorCode::InvalidValue, u"platform"_s,
                    u"platform must be one of kubernetes, docker, vm, cloud"_s);
        return reader.error();
    }
    agent.platform = *parsedPlatform;
    if (!agent.region.isEmpty() && agent.region.size() < 2) {
        reader.fail(protocol::ErrorCode::InvalidValue, u"region"_s, u"region must be 2-50 characters"_s);
        return reader.error();
    }
    if (!capacity.isEmpty()) {
        Decoded<protocol::Capacity> parsed = protocol::Capacity::fromJson(capacity, u"capacity"_s);
        if (!parsed)
            return parsed.error();
        agent.capacity = parsed.value();
    }
    return agent;
}

} // namespace

AgentRegistrar::AgentRegistrar(Store *store, QString bootstrapKey, QString defaultOrg, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_bootstrapKey(std::move(bootstrapKey))
    , m_defaultOrg(std::move(defaultOrg))
{}

void AgentRegistrar::registerAgent(const QByteArray &apiKey, const QByteArray &body, Done done)
{
    if (apiKey.isEmpty()) {
        done(errorReply(401, u"Missing API key"_s, u"send the agent's key in the X-Agent-API-Key header"_s));
        return;
    }
    const bool isBootstrap =
        !m_bootstrapKey.isEmpty() && Authenticator::constantTimeEquals(apiKey, m_bootstrapKey.toUtf8());
    if (!isBootstrap && !Authenticator::isWellFormedApiKey(apiKey)) {
        done(errorReply(401, u"Invalid API key format"_s, u"an agent key is 64 hexadecimal characters"_s));
        return;
    }
    Decoded<protocol::AgentInfo> agent = decodeRegistration(body, m_defaultOrg);
    if (!agent) {
        done(errorReply(400, u"Invalid registration"_s, agent.error().message));
        return;
    }
    if (isBootstrap)
        registerWithBootstrapKey(agent.value(), std::move(done));
    else
        registerWithOwnKey(apiKey, agent.value(), std::move(done));
}

void AgentRegistrar::registerWithBootstrapKey(const protocol::AgentInfo &requested, Done done)
{
    protocol::AgentInfo agent = requested;
    agent.approvalStatus = protocol::ApprovalStatus::Pending;
    agent.status = protocol::AgentStatus::Offline;
    const QByteArray apiKey = Authenticator::generateApiKey();
    whenFinished(this, m_store->createAgent(agent, Authenticator::hashApiKey(apiKey)),
                 [this, apiKey, done = std::move(done)](Decoded<protocol::AgentInfo> created) {
                     if (!created) {
                         if (created.error().code == protocol::ErrorCode::Conflict) {
                             // The bootstrap key never speaks for an agent that already exists.
                             done(errorReply(409, u"Agent already registered"_s,
                                             u"an existing agent must register with its own API key"_s));
                         } else {
                             done(errorReply(503, u"Storage unavailable"_s, created.error().message));
                         }
                         return;
                     }
                     qCInfo(lcRegistrar)
                         << "agent" << created.value().agentId << "registered with the bootstrap key;"
                         << "pending approval";
                     HttpReply reply =
                         agentReply(202, created.value(),
                                    u"Agent created and waiting for an administrator's approval. Keep the "
                                    "apiKey: it is shown only once."_s);
                     reply.body.insert("apiKey"_L1, QString::fromLatin1(apiKey));
                     Q_EMIT agentRegistered(created.value());
                     done(reply);
                 });
}

void AgentRegistrar::registerWithOwnKey(const QByteArray &apiKey, const protocol::AgentInfo &requested,
                                        Done done)
{
    whenFinished(
        this, m_store->agentCredentials(requested.agentId),
        [this, apiKey, requested, done = std::move(done)](Decoded<Store::AgentCredentials> credentials) {
            if (!credentials) {
                if (credentials.error().code == protocol::ErrorCode::NotFound)
                    done(errorReply(404, u"Agent not found"_s, requested.agentId));
                else
                    done(errorReply(503, u"Storage unavailable"_s, credentials.error().message));
                return;
            }
            if (!credentials.value().acceptsKeyHash(Authenticator::hashApiKey(apiKey),
                                                    QDateTime::currentDateTimeUtc())) {
                done(errorReply(403, u"Invalid API key"_s));
                return;
            }
            whenFinished(this,
                         m_store->updateAgentRegistration(
                             requested.agentId, requested.platform, requested.region, requested.capacity,
                             requested.metadata, QDateTime::currentDateTimeUtc()),
                         [this, done](Decoded<protocol::AgentInfo> updated) {
                             if (!updated) {
                                 done(errorReply(503, u"Storage unavailable"_s, updated.error().message));
                                 return;
                             }
                             Q_EMIT agentRegistered(updated.value());
                             done(replyForApproval(updated.value()));
                         });
        });
}

} // namespace switchboard
