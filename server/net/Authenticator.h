// Establishes who is calling. Browsers and admin tools: an HS256 JWT from ?token=, an
// Authorization: Bearer header or the streamspace_proxy_token cookie -> OrgContext. Agents: API
// keys of 256 random bits, stored only as hashes.
#pragma once

#include "net/HttpRequest.h"
#include "net/OrgContext.h"
#include "shared/Protocol.h"

#include <QByteArray>
#include <QDateTime>

#include <chrono>
#include <optional>

namespace switchboard {

class RevocationList;

class Authenticator
{
public:
    explicit Authenticator(QByteArray jwtSecret, int leewaySeconds = 30);

    // Tokens whose jti is on this list are refused (Unauthorized, "token revoked"). Not owned;
    // null = no revocations.
    void setRevocations(const RevocationList *revocations) { m_revocations = revocations; }

    // Takes the token from the first source present (non-empty), in this order: the `token` query parameter,
    // `Authorization: Bearer`, the `streamspace_proxy_token` cookie. A present but invalid token
    // is an error even when another source has a valid one (no fallback). Unauthorized when no
    // token is present or it does not verify.
    protocol::Decoded<OrgContext> authenticate(const HttpRequest &request, const QDateTime &now) const;
    protocol::Decoded<OrgContext> authenticateToken(QByteArrayView token, const QDateTime &now) const;
    // The token a request carries, by the precedence above; nullopt when none.
    static std::optional<QByteArray> tokenFrom(const HttpRequest &request);

    // A signed token with the context's claims plus iat, exp = now + ttl and a random jti.
    QByteArray issueToken(const OrgContext &context, std::chrono::seconds ttl, const QDateTime &now) const;

    // 32 random bytes from the system CSPRNG as 64 lowercase hex characters.
    static QByteArray generateApiKey();
    // Exactly 64 hex characters (either case).
    static bool isWellFormedApiKey(QByteArrayView key);
    // SHA-256 of the key's bytes, as 64 lowercase hex characters. A fast hash is sound here
    // because keys are 256-bit random values: there is no password to guess, so slow hashes
    // (bcrypt, as StreamSpace used) only cost CPU on every agent connect.
    static QByteArray hashApiKey(QByteArrayView key);
    static bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

private:
    QByteArray m_secret;
    int m_leewaySeconds;
    const RevocationList *m_revocations = nullptr;
};

} // namespace switchboard
