#include "net/Jwt.h"

#include "net/ConstantTime.h"

#include <QJsonDocument>
#include <QMessageAuthenticationCode>

#include <cmath>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

constexpr auto kBase64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

protocol::Error unauthorized(const QString &message)
{
    return protocol::Error{protocol::ErrorCode::Unauthorized, message, u"token"_s, {}};
}

bool isBase64UrlCharacter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Strict base64url: the URL alphabet only, no padding, and the canonical encoding of what it
// decodes to (so that no two spellings of one signature exist).
std::optional<QByteArray> decodeBase64Url(QByteArrayView text)
{
    if (text.size() % 4 == 1)
        return std::nullopt;
    for (const char c : text) {
        if (!isBase64UrlCharacter(c))
            return std::nullopt;
    }
    const QByteArray encoded = text.toByteArray();
    auto decoded =
        QByteArray::fromBase64Encoding(encoded, kBase64Url | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.toBase64(kBase64Url) != encoded)
        return std::nullopt;
    return std::move(decoded.decoded);
}

QByteArray mac(QByteArrayView signingInput, const QByteArray &secret)
{
    return QMessageAuthenticationCode::hash(signingInput.toByteArray(), secret, QCryptographicHash::Sha256);
}

std::optional<QJsonObject> jsonObject(const QByteArray &bytes)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    return document.object();
}

protocol::Decoded<protocol::Done> checkHeader(const QJsonObject &header)
{
    const QJsonValue alg = header.value("alg"_L1);
    if (!alg.isString())
        return unauthorized(u"token header has no algorithm"_s);
    if (alg.toString() != "HS256"_L1)
        return unauthorized(u"token algorithm is not supported (only HS256 is accepted)"_s);
    const QJsonValue typ = header.value("typ"_L1);
    if (!typ.isUndefined() && (!typ.isString() || typ.toString().compare("JWT"_L1, Qt::CaseInsensitive) != 0))
        return unauthorized(u"token type is not JWT"_s);
    if (header.contains("crit"_L1))
        return unauthorized(u"token header has critical extensions, which are not supported"_s);
    return protocol::Done{};
}

std::optional<double> numericDate(const QJsonObject &claims, QLatin1StringView name)
{
    const QJsonValue value = claims.value(name);
    if (!value.isDouble() || !std::isfinite(value.toDouble()))
        return std::nullopt;
    return value.toDouble();
}

} // namespace

QByteArray signJwt(const QJsonObject &claims, const QByteArray &secret)
{
    const QByteArray header = QByteArray(R"({"alg":"HS256","typ":"JWT"})").toBase64(kBase64Url);
    const QByteArray payload = protocol::toJsonBytes(claims).toBase64(kBase64Url);
    const QByteArray signingInput = header + '.' + payload;
    return signingInput + '.' + mac(signingInput, secret).toBase64(kBase64Url);
}

protocol::Decoded<QJsonObject> verifyJwt(QByteArrayView token, const QByteArray &secret, const QDateTime &now,
                                         int leewaySeconds)
{
    if (secret.isEmpty())
        return unauthorized(u"token verification is not configured (no secret)"_s);
    if (token.isEmpty())
        return unauthorized(u"token is empty"_s);
    if (token.size() > kMaxJwtBytes)
        return unauthorized(u"token is larger than %1 bytes"_s.arg(kMaxJwtBytes));

    const qsizetype firstDot = token.indexOf('.');
    const qsizetype secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
    if (firstDot < 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0)
        return unauthorized(u"token is malformed: expected three dot-separated parts"_s);
    const QByteArrayView headerPart = token.first(firstDot);
    const QByteArrayView payloadPart = token.sliced(firstDot + 1, secondDot - firstDot - 1);
    const QByteArrayView signaturePart = token.sliced(secondDot + 1);

    const auto headerBytes = decodeBase64Url(headerPart);
    if (!headerBytes)
        return unauthorized(u"token header is not valid base64url"_s);
    const auto header = jsonObject(*headerBytes);
    if (!header)
        return unauthorized(u"token header is not a JSON object"_s);
    if (const auto checked = checkHeader(*header); !checked)
        return checked.error();

    const auto signature = decodeBase64Url(signaturePart);
    if (!signature)
        return unauthorized(u"token signature is not valid base64url"_s);
    if (!constantTimeEquals(*signature, mac(token.first(secondDot), secret)))
        return unauthorized(u"token signature is invalid"_s);

    // Only a token signed with our secret gets this far.
    const auto payloadBytes = decodeBase64Url(payloadPart);
    if (!payloadBytes)
        return unauthorized(u"token payload is not valid base64url"_s);
    const auto claims = jsonObject(*payloadBytes);
    if (!claims)
        return unauthorized(u"token payload is not a JSON object"_s);

    const double nowSeconds = double(now.toMSecsSinceEpoch()) / 1000.0;
    if (!claims->contains("exp"_L1))
        return unauthorized(u"token has no expiry (exp claim)"_s);
    const auto expiry = numericDate(*claims, "exp"_L1);
    if (!expiry)
        return unauthorized(u"token exp claim is not a number"_s);
    if (nowSeconds >= *expiry + leewaySeconds)
        return unauthorized(u"token has expired"_s);
    if (claims->contains("nbf"_L1)) {
        const auto notBefore = numericDate(*claims, "nbf"_L1);
        if (!notBefore)
            return unauthorized(u"token nbf claim is not a number"_s);
        if (nowSeconds + leewaySeconds < *notBefore)
            return unauthorized(u"token is not valid yet (nbf)"_s);
    }
    return *claims;
}

} // namespace switchboard
