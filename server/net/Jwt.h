// JSON Web Tokens, HS256 only (RFC 7519 / 7515 compact form). Every other algorithm, "none"
// included, is rejected, and a token is only read after its signature has been checked.
#pragma once

#include "shared/Protocol.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QJsonObject>

namespace switchboard {

inline constexpr qsizetype kMaxJwtBytes = 8 * 1024;

// header.payload.signature, each base64url without padding; header {"alg":"HS256","typ":"JWT"}.
QByteArray signJwt(const QJsonObject &claims, const QByteArray &secret);

// The verified claims, or an Unauthorized error saying what is wrong (malformed, algorithm,
// signature, expired, not yet valid). `exp` is required; `nbf` is checked when present; both with
// `leewaySeconds` of clock skew. An empty secret verifies nothing.
protocol::Decoded<QJsonObject> verifyJwt(QByteArrayView token, const QByteArray &secret, const QDateTime &now,
                                         int leewaySeconds = 30);

} // namespace switchboard
