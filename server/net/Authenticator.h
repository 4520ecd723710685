// Establishes who is calling. Browsers and admin tools: an HS256 JWT from ?token=, an
// Authorization: Bearer header or the streamspace_proxy_token cookie -> OrgContext. Agents: API
// keys of 256 random bits, stored only as hashes.
#pragma once

#include "net/HttpRequest.h"
#include "net/Jwt.h"
#include "net/OrgContext.h"
#include "shared/Protocol.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>

#include <chrono>
#include <optional>

namespace switchboard {

class RevocationList;

// Verified tokens are cached (like Envoy jwt_authn's jwt_cache_config): a browser that reconnects
// with the token it used before costs a hash lookup instead of an HMAC and two JSON parses. Keyed
// by the token's exact bytes, holding what the verification produced (the OrgContext) and its
// exp/nbf, which are checked against `now` on every hit, as is the revocation list. Only tokens
// that verified are cached, so garbage cannot fill it; at most tokenCacheSize of them (each at
// most kMaxJwtBytes); when full, half the entries go. The secret is fixed for the object's life,
// so no cached entry outlives it. Not thread-safe: one per thread (the server uses it on its
// socket thread only).
class Authenticator
{
public:
    static constexpr int kDefaultTokenCacheSize = 4096;

    // tokenCacheSize 0 = no caching.
    explicit Authenticator(QByteArray jwtSecret, int leewaySeconds = 30,
                           int tokenCacheSize = kDefaultTokenCacheSize);

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

    // The cache's state, for /metrics and tests: tokens held, and lookups answered from it or
    // not (misses count only while the cache is on).
    qsizetype cachedTokens() const { return m_cache.size(); }
    quint64 tokenCacheHits() const { return m_cacheHits; }
    quint64 tokenCacheMisses() const { return m_cacheMisses; }

private:
    struct CachedToken
    {
        OrgContext context;
        double expiry = 0;
        std::optional<double> notBefore;
    };
    protocol::Decoded<OrgContext> verifyToken(QByteArrayView token, const QDateTime &now) const;
    void remember(QByteArrayView token, const OrgContext &context, const QJsonObject &claims) const;

    QByteArray m_secret;
    int m_leewaySeconds;
    int m_tokenCacheSize;
    const RevocationList *m_revocations = nullptr;
    // Caches of what a const authentication computes; they change no result.
    mutable JwtVerifier m_verifier;
    mutable QHash<QByteArray, CachedToken> m_cache;
    mutable quint64 m_cacheHits = 0;
    mutable quint64 m_cacheMisses = 0;
};

} // namespace switchboard
