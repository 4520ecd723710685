// The credential requests of the admin stream (token.revoke, token.revocations,
// agent.rotate_key): members of AdminService kept apart from the session and agent requests.
#include "core/AdminService.h"

#include "core/Continuation.h"
#include "core/TokenRevocations.h"
#include "net/Authenticator.h"
#include "storage/Store.h"

#include <QJsonArray>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcAdminCredentials, "switchboard.admin")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::ErrorCode;

namespace {

// A token is accepted up to this long after its exp (clock skew leeway, Authenticator); its
// revocation must last at least as long.
constexpr qint64 kLeewayMarginSeconds = 60;

QJsonObject revocationJson(const TokenRevocation &revocation)
{
    return {{"jti"_L1, revocation.jti},
            {"expiresAt"_L1, protocol::formatTimestamp(revocation.expiresAt)},
            {"revokedAt"_L1, protocol::formatTimestamp(revocation.revokedAt)},
            {"revokedBy"_L1, revocation.revokedBy}};
}

QString callerName(const BrowserClient &client)
{
    return client.context.userId + u'@' + client.context.orgId;
}

} // namespace

bool AdminService::requireAdminRole(quint64 clientId, const QString &requestId)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return false;
    if (client->context.role == Role::Admin)
        return true;
    // A jti names no organisation, so only an admin, who acts on all of them, may revoke or list.
    fail(clientId, requestId, ErrorCode::Forbidden, u"only role admin may revoke or list tokens"_s);
    return false;
}

void AdminService::onTokenRevoke(quint64 clientId, const QString &requestId,
                                 const protocol::admin::TokenRevoke &request)
{
    if (!requireAdminRole(clientId, requestId))
        return;
    if (!m_revocations) {
        fail(clientId, requestId, ErrorCode::Unavailable, u"this server keeps no revocation list"_s);
        return;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (request.expiresAt.isValid() && request.expiresAt.addSecs(kLeewayMarginSeconds) <= now) {
        fail(clientId, requestId, ErrorCode::InvalidValue,
             u"expiresAt: %1 has passed; a token that expired is refused already"_s.arg(
                 protocol::formatTimestamp(request.expiresAt)));
        return;
    }
    TokenRevocation revocation;
    revocation.jti = request.jti;
    revocation.expiresAt = request.expiresAt.isValid()
                               ? request.expiresAt.addSecs(kLeewayMarginSeconds)
                               : now.addSecs(qint64(TokenRevocations::kDefaultLifetime.count()));
    revocation.revokedAt = now;
    revocation.revokedBy = callerName(*m_hub->client(clientId));
    whenFinished(this, m_revocations->revoke(revocation),
                 [this, clientId, requestId](Decoded<TokenRevocation> stored) {
                     if (!stored) {
                         fail(clientId, requestId, stored.error().code, stored.error().message);
                         return;
                     }
                     reply(clientId, requestId, {{"revocation"_L1, revocationJson(stored.value())}});
                 });
}

void AdminService::onTokenRevocations(quint64 clientId, const QString &requestId)
{
    if (!requireAdminRole(clientId, requestId))
        return;
    if (!m_revocations) {
        fail(clientId, requestId, ErrorCode::Unavailable, u"this server keeps no revocation list"_s);
        return;
    }
    whenFinished(this, m_revocations->active(),
                 [this, clientId, requestId](Decoded<QList<TokenRevocation>> active) {
                     if (!active) {
                         fail(clientId, requestId, active.error().code, active.error().message);
                         return;
                     }
                     QJsonArray list;
                     for (const TokenRevocation &revocation : active.value())
                         list.append(revocationJson(revocation));
                     reply(clientId, requestId, {{"revocations"_L1, list}});
                 });
}

void AdminService::onAgentRotateKey(quint64 clientId, const QString &requestId,
                                    const protocol::admin::AgentRotateKey &request)
{
    // withAgent checks the caller's org: an operator rotates only their organisation's agents.
    withAgent(
        clientId, requestId, request.agentId,
        [this, clientId, requestId, grace = request.graceSeconds](const protocol::AgentInfo &agent) {
            const QDateTime now = QDateTime::currentDateTimeUtc();
            const QDateTime graceUntil = grace > 0 ? now.addSecs(grace) : QDateTime();
            const QByteArray apiKey = Authenticator::generateApiKey();
            const QString by = m_hub->client(clientId) ? callerName(*m_hub->client(clientId)) : QString();
            whenFinished(
                this,
                m_store->rotateAgentKey(agent.agentId, Authenticator::hashApiKey(apiKey), graceUntil, now),
                [this, clientId, requestId, agentId = agent.agentId, apiKey, graceUntil,
                 by](Decoded<protocol::Done> rotated) {
                    if (!rotated) {
                        fail(clientId, requestId, rotated.error().code, rotated.error().message);
                        return;
                    }
                    qCInfo(lcAdminCredentials).noquote()
                        << "API key of agent" << agentId << "rotated by" << by
                        << (graceUntil.isValid()
                                ? u"; the previous key works until "_s + protocol::formatTimestamp(graceUntil)
                                : u"; the previous key no longer works"_s);
                    QJsonObject result{{"agentId"_L1, agentId}, {"apiKey"_L1, QString::fromLatin1(apiKey)}};
                    if (graceUntil.isValid())
                        result.insert("previousKeyExpiresAt"_L1, protocol::formatTimestamp(graceUntil));
                    reply(clientId, requestId, result);
                });
        });
}

} // namespace switchboard
