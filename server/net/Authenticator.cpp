#include "net/Authenticator.h"

#include "net/ConstantTime.h"
#include "net/RevocationList.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;

namespace {

constexpr auto kTokenQueryParameter = "token"_L1;
constexpr QByteArrayView kTokenCookie = "streamspace_proxy_token";

QByteArray randomHex(qsizetype bytes)
{
    QList<quint32> words((bytes + 3) / 4);
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    return QByteArray(reinterpret_cast<const char *>(words.constData()), bytes).toHex();
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

} // namespace

Authenticator::Authenticator(QByteArray jwtSecret, int leewaySeconds, int tokenCacheSize)
    : m_secret(std::move(jwtSecret))
    , m_leewaySeconds(leewaySeconds)
    , m_tokenCacheSize(std::max(0, tokenCacheSize))
    , m_verifier(m_secret)
{}

std::optional<QByteArray> Authenticator::tokenFrom(const HttpRequest &request)
{
    // Empty values count as absent: a page may send ?token= before it has one, next to a cookie.
    const QByteArray fromQuery = request.queryValue(kTokenQueryParameter).toUtf8();
    if (!fromQuery.isEmpty())
        return fromQuery;
    const QByteArray authorization = request.header("Authorization");
    const qsizetype space = authorization.indexOf(' ');
    if (space > 0 && authorization.first(space).compare("Bearer", Qt::CaseInsensitive) == 0) {
        const QByteArray bearer = authorization.sliced(space + 1).trimmed();
        if (!bearer.isEmpty())
            return bearer;
    }
    // Another scheme (e.g. Basic) carries no token of ours; look further.
    const QByteArray cookie = request.cookie(kTokenCookie);
    if (!cookie.isEmpty())
        return cookie;
    return std::nullopt;
}

protocol::Decoded<OrgContext> Authenticator::authenticate(const HttpRequest &request,
                                                          const QDateTime &now) const
{
    const auto token = tokenFrom(request);
    if (!token)
        return protocol::Error{
            protocol::ErrorCode::Unauthorized,
            u"missing token (?token=, Authorization: Bearer or streamspace_proxy_token cookie)"_s,
            u"token"_s,
            {}};
    return authenticateToken(*token, now);
}

protocol::Decoded<OrgContext> Authenticator::authenticateToken(QByteArrayView token,
                                                               const QDateTime &now) const
{
    Decoded<OrgContext> context = verifyToken(token, now);
    if (context && m_revocations && m_revocations->isRevoked(context.value().jti, now))
        return protocol::Error{protocol::ErrorCode::Unauthorized, u"token revoked"_s, u"token"_s, {}};
    return context;
}

protocol::Decoded<OrgContext> Authenticator::verifyToken(QByteArrayView token, const QDateTime &now) const
{
    if (m_tokenCacheSize > 0) {
        // Looked up without copying the token: the key only lives for the lookup.
        const auto cached = m_cache.constFind(QByteArray::fromRawData(token.data(), token.size()));
        if (cached != m_cache.cend()) {
            ++m_cacheHits;
            if (const auto times = checkJwtTimes(cached->expiry, cached->notBefore, now, m_leewaySeconds);
                !times)
                return times.error();
            return cached->context;
        }
        ++m_cacheMisses;
    }
    const auto claims = m_verifier.verify(token, now, m_leewaySeconds);
    if (!claims)
        return claims.error();
    Decoded<OrgContext> context = OrgContext::fromClaims(claims.value());
    if (context && m_tokenCacheSize > 0)
        remember(token, context.value(), claims.value());
    return context;
}

void Authenticator::remember(QByteArrayView token, const OrgContext &context, const QJsonObject &claims) const
{
    if (m_cache.size() >= m_tokenCacheSize) {
        // Half goes at once (whichever the hash order puts first): amortised O(1) per insertion,
        // no bookkeeping per entry, and a full cache of tokens still in use refills from its users.
        const qsizetype keep = m_tokenCacheSize / 2;
        auto it = m_cache.begin();
        while (m_cache.size() > keep && it != m_cache.end())
            it = m_cache.erase(it);
    }
    CachedToken entry;
    entry.context = context;
    // verifyJwt checked both are finite numbers (nbf only when present).
    entry.expiry = claims.value("exp"_L1).toDouble();
    if (claims.contains("nbf"_L1))
        entry.notBefore = claims.value("nbf"_L1).toDouble();
    m_cache.insert(token.toByteArray(), std::move(entry));
}

QByteArray Authenticator::issueToken(const OrgContext &context, std::chrono::seconds ttl,
                                     const QDateTime &now) const
{
    QJsonObject claims = context.toClaims();
    const qint64 issuedAt = now.toSecsSinceEpoch();
    claims.insert(u"iat"_s, issuedAt);
    claims.insert(u"exp"_s, issuedAt + qint64(ttl.count()));
    claims.insert(u"jti"_s, QString::fromLatin1(randomHex(16)));
    return signJwt(claims, m_secret);
}

QByteArray Authenticator::generateApiKey()
{
    return randomHex(32);
}

bool Authenticator::isWellFormedApiKey(QByteArrayView key)
{
    return key.size() == 64 && std::all_of(key.begin(), key.end(), isHexDigit);
}

QByteArray Authenticator::hashApiKey(QByteArrayView key)
{
    return QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex();
}

bool Authenticator::constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    return switchboard::constantTimeEquals(a, b);
}

} // namespace switchboard
