// JSON Web Tokens, HS256 only (RFC 7519 / 7515 compact form). Every other algorithm, "none"
// included, is rejected, and a token is only read after its signature has been checked.
#pragma once

#include "shared/Protocol.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QJsonObject>
#include <QMessageAuthenticationCode>

#include <optional>

namespace switchboard {

inline constexpr qsizetype kMaxJwtBytes = 8 * 1024;

// header.payload.signature, each base64url without padding; header {"alg":"HS256","typ":"JWT"}.
QByteArray signJwt(const QJsonObject &claims, const QByteArray &secret);

// The verified claims, or an Unauthorized error saying what is wrong (malformed, algorithm,
// signature, expired, not yet valid). `exp` is required; `nbf` is checked when present; both with
// `leewaySeconds` of clock skew. An empty secret verifies nothing.
protocol::Decoded<QJsonObject> verifyJwt(QByteArrayView token, const QByteArray &secret, const QDateTime &now,
                                         int leewaySeconds = 30);

// The time checks of verifyJwt on their own, with its error messages: expired when now >= exp + leeway,
// not yet valid when now + leeway < nbf. For tokens verified earlier (Authenticator's cache).
protocol::Decoded<protocol::Done> checkJwtTimes(double expiry, std::optional<double> notBefore,
                                                const QDateTime &now, int leewaySeconds);

// verifyJwt for many tokens of one secret, accepting and refusing exactly the same: the keyed HMAC
// is kept and reset per token instead of being set up again, and the last header part that passed
// the header checks is remembered byte for byte (one issuer's tokens all share it), so it is not
// decoded and parsed again. Not thread-safe: one per thread.
class JwtVerifier
{
public:
    explicit JwtVerifier(QByteArray secret);
    protocol::Decoded<QJsonObject> verify(QByteArrayView token, const QDateTime &now, int leewaySeconds = 30);

private:
    QByteArray mac(QByteArrayView signingInput);

    QByteArray m_secret;
    QMessageAuthenticationCode m_mac;
    QByteArray m_acceptedHeader; // base64url, as sent; empty = none yet
};

} // namespace switchboard
