// JWT verification. The first byte picks what the rest is:
//  - even: a whole token (header.payload.signature) as an attacker sends it;
//  - odd: a payload that gets a valid header and signature, so that what only a signed token
//    reaches (claims, exp/nbf, OrgContext::fromClaims) is fuzzed too.
#include "FuzzSupport.h"
#include "net/Authenticator.h"
#include "net/Jwt.h"

#include <QMessageAuthenticationCode>

namespace {
const QByteArray kSecret = "fuzzing-secret-of-at-least-32-bytes!!";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace switchboard;
    fuzz::quiet();
    if (size == 0)
        return 0;
    const QByteArrayView rest = fuzz::input(data + 1, size - 1);
    const QDateTime now = QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC);
    const Authenticator authenticator(kSecret);
    if ((data[0] & 1) == 0) {
        (void)verifyJwt(rest, kSecret, now);
        (void)authenticator.authenticateToken(rest, now);
        return 0;
    }
    constexpr auto base64url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
    const QByteArray signingInput = QByteArray(R"({"alg":"HS256","typ":"JWT"})").toBase64(base64url) + '.' +
                                    rest.toByteArray().toBase64(base64url);
    const QByteArray token =
        signingInput + '.' +
        QMessageAuthenticationCode::hash(signingInput, kSecret, QCryptographicHash::Sha256)
            .toBase64(base64url);
    (void)authenticator.authenticateToken(token, now);
    return 0;
}
