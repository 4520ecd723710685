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

int base64UrlValue(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

// Strict base64url: the URL alphabet only, no padding, and the canonical encoding of what it
// decodes to (so that no two spellings of one signature exist). Canonical means the bits the last
// character carries beyond the data are zero (RFC 4648, 3.5): 4 of them after 2 characters of a
// group, 2 after 3. That is what re-encoding and comparing checked, without the second encoding.
std::optional<QByteArray> decodeBase64Url(QByteArrayView text)
{
    const qsizetype tail = text.size() % 4;
    if (tail == 1)
        return std::nullopt;
    for (const char c : text) {
        if (base64UrlValue(c) < 0)
            return std::nullopt;
    }
    if (tail != 0) {
        const int unusedBits = tail == 2 ? 0x0f : 0x03;
        if ((base64UrlValue(text.back()) & unusedBits) != 0)
            return std::nullopt;
    }
    // An rvalue is decoded in place: one allocation per part.
    auto decoded = QByteArray::fromBase64Encoding(text.toByteArray(),
                                                  kBase64Url | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return std::move(decoded.decoded);
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
    return signingInput + '.' +
           QMessageAuthenticationCode::hash(signingInput, secret, QCryptographicHash::Sha256)
               .toBase64(kBase64Url);
}

protocol::Decoded<QJsonObject> verifyJwt(QByteArrayView token, const QByteArray &secret, const QDateTime &now,
                                         int leewaySeconds)
{
    return JwtVerifier(secret).verify(token, now, leewaySeconds);
}

protocol::Decoded<protocol::Done> checkJwtTimes(double expiry, std::optional<double> notBefore,
                                                const QDateTime &now, int leewaySeconds)
{
    const double nowSeconds = double(now.toMSecsSinceEpoch()) / 1000.0;
    if (nowSeconds >= expiry + leewaySeconds)
        return unauthorized(u"token has expired"_s);
    if (notBefore && nowSeconds + leewaySeconds < *notBefore)
        return unauthorized(u"token is not valid yet (nbf)"_s);
    return protocol::Done{};
}

JwtVerifier::JwtVerifier(QByteArray secret)
    : m_secret(std::move(secret))
    , m_mac(QCryptographicHash::Sha256, m_secret)
{}

QByteArray JwtVerifier::mac(QByteArrayView signingInput)
{
    // reset() keeps the key (Qt 6.4 documents it so).
    m_mac.reset();
    m_mac.addData(signingInput.data(), signingInput.size());
    return m_mac.result();
}

protocol::Decoded<QJsonObject> JwtVerifier::verify(QByteArrayView token, const QDateTime &now,
                                                   int leewaySeconds)
{
    if (m_secret.isEmpty())
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

    // The header checks depend on its bytes alone: bytes that passed them once pass them again.
    if (m_acceptedHeader.isEmpty() || headerPart != m_acceptedHeader) {
        const auto headerBytes = decodeBase64Url(headerPart);
        if (!headerBytes)
            return unauthorized(u"token header is not valid base64url"_s);
        const auto header = jsonObject(*headerBytes);
        if (!header)
            return unauthorized(u"token header is not a JSON object"_s);
        if (const auto checked = checkHeader(*header); !checked)
            return checked.error();
        m_acceptedHeader = headerPart.toByteArray();
    }

    const auto signature = decodeBase64Url(signaturePart);
    if (!signature)
        return unauthorized(u"token signature is not valid base64url"_s);
    if (!constantTimeEquals(*signature, mac(token.first(secondDot))))
        return unauthorized(u"token signature is invalid"_s);

    // Only a token signed with our secret gets this far.
    const auto payloadBytes = decodeBase64Url(payloadPart);
    if (!payloadBytes)
        return unauthorized(u"token payload is not valid base64url"_s);
    const auto claims = jsonObject(*payloadBytes);
    if (!claims)
        return unauthorized(u"token payload is not a JSON object"_s);

    if (!claims->contains("exp"_L1))
        return unauthorized(u"token has no expiry (exp claim)"_s);
    const auto expiry = numericDate(*claims, "exp"_L1);
    if (!expiry)
        return unauthorized(u"token exp claim is not a number"_s);
    // Expiry first, then whether nbf is a number, then nbf.
    if (const auto times = checkJwtTimes(*expiry, std::nullopt, now, leewaySeconds); !times)
        return times.error();
    if (claims->contains("nbf"_L1)) {
        const auto notBefore = numericDate(*claims, "nbf"_L1);
        if (!notBefore)
            return unauthorized(u"token nbf claim is not a number"_s);
        if (const auto times = checkJwtTimes(*expiry, notBefore, now, leewaySeconds); !times)
            return times.error();
    }
    return *claims;
}

} // namespace switchboard
