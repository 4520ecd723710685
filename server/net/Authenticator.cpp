#include "net/Authenticator.h"

#include "net/ConstantTime.h"
#include "net/Jwt.h"
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

Authenticator::Authenticator(QByteArray jwtSecret, int leewaySeconds)
    : m_secret(std::move(jwtSecret))
    , m_leewaySeconds(leewaySeconds)
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
    const auto claims = verifyJwt(token, m_secret, now, m_leewaySeconds);
    if (!claims)
        return claims.error();
    Decoded<OrgContext> context = OrgContext::fromClaims(claims.value());
    if (context && m_revocations && m_revocations->isRevoked(context.value().jti, now))
        return protocol::Error{protocol::ErrorCode::Unauthorized, u"token revoked"_s, u"token"_s, {}};
    return context;
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
