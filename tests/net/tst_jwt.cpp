// HS256 JWT signing and verification: every way a token can be wrong is rejected with a clear
// Unauthorized error, and tokens of other implementations verify.
#include "net/Jwt.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;

namespace {

const QByteArray kSecret = "jwt-test-secret-0123456789abcdef0123";
const QDateTime kNow = QDateTime(QDate(2025, 12, 4), QTime(10, 0), Qt::UTC);
constexpr auto kUrl = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QByteArray part(const QByteArray &json)
{
    return json.toBase64(kUrl);
}

QByteArray jsonOf(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// header.payload parts as given (not re-encoded), signed correctly with HS256.
QByteArray forgeParts(const QByteArray &headerPart, const QByteArray &payloadPart, const QByteArray &secret)
{
    const QByteArray input = headerPart + '.' + payloadPart;
    return input + '.' +
           QMessageAuthenticationCode::hash(input, secret, QCryptographicHash::Sha256).toBase64(kUrl);
}

// A token with any header, signed with HMAC of the given algorithm (independent of signJwt).
QByteArray forge(const QByteArray &headerJson, const QByteArray &payloadJson, const QByteArray &secret,
                 QCryptographicHash::Algorithm algorithm = QCryptographicHash::Sha256)
{
    const QByteArray input = part(headerJson) + '.' + part(payloadJson);
    return input + '.' + QMessageAuthenticationCode::hash(input, secret, algorithm).toBase64(kUrl);
}

QJsonObject claims(qint64 expOffset)
{
    return QJsonObject{{u"org_id"_s, u"acme"_s},
                       {u"user_id"_s, u"alice"_s},
                       {u"role"_s, u"user"_s},
                       {u"exp"_s, kNow.toSecsSinceEpoch() + expOffset}};
}

const QByteArray kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

} // namespace

class tst_Jwt : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void signedTokenShape();
    void roundTrip();
    void verify_data();
    void verify();
    void verifierAgreesWhenReused_data() { verify_data(); }
    void verifierAgreesWhenReused();
    void interoperatesWithOtherImplementations();
    void emptySecretVerifiesNothing();

private:
    JwtVerifier m_shared{kSecret};
};

void tst_Jwt::signedTokenShape()
{
    const QByteArray token = signJwt(claims(60), kSecret);
    const QList<QByteArray> parts = token.split('.');
    QCOMPARE(parts.size(), 3);
    QCOMPARE(parts[0], "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"_ba); // {"alg":"HS256","typ":"JWT"}
    QVERIFY(!token.contains('='));
    QVERIFY(!token.contains('+'));
    QVERIFY(!token.contains('/'));
    QCOMPARE(QByteArray::fromBase64(parts[2], kUrl).size(), 32);
}

void tst_Jwt::roundTrip()
{
    QJsonObject input = claims(3600);
    input.insert(u"groups"_s, QJsonArray{u"a"_s, u"b"_s});
    const auto verified = verifyJwt(signJwt(input, kSecret), kSecret, kNow);
    QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.error().message));
    QCOMPARE(verified.value(), input);
}

void tst_Jwt::verify_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<int>("leeway");
    QTest::addColumn<QString>("error"); // empty = valid; else a fragment of the message

    const qint64 now = kNow.toSecsSinceEpoch();
    const auto withClaim = [](QJsonObject object, const QString &key, const QJsonValue &value) {
        object.insert(key, value);
        return object;
    };
    const auto token = [](const QJsonObject &object) { return signJwt(object, kSecret); };

    QTest::newRow("valid") << token(claims(60)) << 30 << QString();
    QTest::newRow("expired") << token(claims(-60)) << 30 << u"expired"_s;
    QTest::newRow("expired within leeway") << token(claims(-10)) << 30 << QString();
    QTest::newRow("expired at leeway edge") << token(claims(-30)) << 30 << u"expired"_s;
    QTest::newRow("expired no leeway") << token(claims(-1)) << 0 << u"expired"_s;
    QTest::newRow("exp now no leeway") << token(claims(0)) << 0 << u"expired"_s;
    QTest::newRow("fractional exp") << token(withClaim(claims(0), u"exp"_s, double(now) + 0.5)) << 0
                                    << QString();
    QTest::newRow("nbf future") << token(withClaim(claims(600), u"nbf"_s, now + 120)) << 30
                                << u"not valid yet"_s;
    QTest::newRow("nbf within leeway")
        << token(withClaim(claims(600), u"nbf"_s, now + 20)) << 30 << QString();
    QTest::newRow("nbf past") << token(withClaim(claims(600), u"nbf"_s, now - 20)) << 0 << QString();
    QTest::newRow("nbf string") << token(withClaim(claims(600), u"nbf"_s, u"soon"_s)) << 30 << u"nbf"_s;
    QTest::newRow("missing exp") << token(QJsonObject{{u"org_id"_s, u"acme"_s}}) << 30 << u"no expiry"_s;
    QTest::newRow("exp string") << token(withClaim(claims(0), u"exp"_s, u"4102444800"_s)) << 30
                                << u"exp claim is not a number"_s;
    QTest::newRow("exp null") << token(withClaim(claims(0), u"exp"_s, QJsonValue::Null)) << 30 << u"exp"_s;

    const QByteArray payload = jsonOf(claims(60));
    QTest::newRow("alg none unsigned")
        << QByteArray(part(R"({"alg":"none","typ":"JWT"})") + '.' + part(payload) + '.') << 30
        << u"algorithm"_s;
    QTest::newRow("alg none signed") << forge(R"({"alg":"none","typ":"JWT"})", payload, kSecret) << 30
                                     << u"algorithm"_s;
    QTest::newRow("alg lowercase") << forge(R"({"alg":"hs256","typ":"JWT"})", payload, kSecret) << 30
                                   << u"algorithm"_s;
    QTest::newRow("alg HS512") << forge(R"({"alg":"HS512","typ":"JWT"})", payload, kSecret,
                                        QCryptographicHash::Sha512)
                               << 30 << u"algorithm"_s;
    QTest::newRow("alg RS256") << forge(R"({"alg":"RS256","typ":"JWT"})", payload, kSecret) << 30
                               << u"algorithm"_s;
    QTest::newRow("alg missing") << forge(R"({"typ":"JWT"})", payload, kSecret) << 30 << u"no algorithm"_s;
    QTest::newRow("alg number") << forge(R"({"alg":256,"typ":"JWT"})", payload, kSecret) << 30
                                << u"no algorithm"_s;
    QTest::newRow("typ absent") << forge(R"({"alg":"HS256"})", payload, kSecret) << 30 << QString();
    QTest::newRow("typ lowercase") << forge(R"({"alg":"HS256","typ":"jwt"})", payload, kSecret) << 30
                                   << QString();
    QTest::newRow("typ other") << forge(R"({"alg":"HS256","typ":"JWE"})", payload, kSecret) << 30
                               << u"type"_s;
    QTest::newRow("crit header") << forge(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", payload, kSecret)
                                 << 30 << u"critical"_s;
    QTest::newRow("header kid ignored")
        << forge(R"({"alg":"HS256","typ":"JWT","kid":"k1"})", payload, kSecret) << 30 << QString();

    const QByteArray good = token(claims(60));
    const QList<QByteArray> parts = good.split('.');
    const QByteArray otherPayload = part(jsonOf(withClaim(claims(60), u"role"_s, u"admin"_s)));
    QTest::newRow("tampered payload")
        << QByteArray(parts[0] + '.' + otherPayload + '.' + parts[2]) << 30 << u"signature is invalid"_s;
    QByteArray flipped = parts[2];
    flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
    QTest::newRow("tampered signature")
        << QByteArray(parts[0] + '.' + parts[1] + '.' + flipped) << 30 << u"signature is invalid"_s;
    QTest::newRow("truncated signature")
        << QByteArray(parts[0] + '.' + parts[1] + '.' + parts[2].left(40)) << 30 << u"signature"_s;
    QTest::newRow("empty signature") << QByteArray(parts[0] + '.' + parts[1] + '.') << 30 << u"signature"_s;
    QTest::newRow("wrong secret") << signJwt(claims(60), "another-secret-0123456789abcdef0123") << 30
                                  << u"signature is invalid"_s;
    QTest::newRow("padded signature") << QByteArray(good + '=') << 30 << u"base64url"_s;
    QByteArray nonCanonical = good;
    nonCanonical.back() = char(nonCanonical.back() + 1); // the last character's low bits are unused
    QTest::newRow("non-canonical signature") << nonCanonical << 30 << u"signature"_s;
    QTest::newRow("standard base64 chars")
        << QByteArray(parts[0] + '.' + parts[1] + '.' + parts[2] + "+/") << 30 << u"base64url"_s;
    QTest::newRow("bad base64 header") << QByteArray("***." + parts[1] + '.' + parts[2]) << 30 << u"header"_s;
    QTest::newRow("bad base64 payload")
        << forgeParts(parts[0], "e30!", kSecret) << 30 << u"payload is not valid base64url"_s;
    QTest::newRow("payload length") << forgeParts(parts[0], "e30xx", kSecret) << 30
                                    << u"payload is not valid base64url"_s;
    QTest::newRow("header not json") << forge("not json", payload, kSecret) << 30
                                     << u"header is not a JSON object"_s;
    QTest::newRow("header array") << forge("[1]", payload, kSecret) << 30 << u"header is not a JSON object"_s;
    QTest::newRow("payload array") << forge(kHs256Header, "[1,2]", kSecret) << 30
                                   << u"payload is not a JSON object"_s;
    QTest::newRow("payload not json")
        << forge(kHs256Header, "{oops", kSecret) << 30 << u"payload is not a JSON object"_s;
    QTest::newRow("two parts") << QByteArray(parts[0] + '.' + parts[1]) << 30 << u"three dot-separated"_s;
    QTest::newRow("four parts") << QByteArray(good + ".x") << 30 << u"three dot-separated"_s;
    QTest::newRow("empty") << QByteArray() << 30 << u"empty"_s;
    QTest::newRow("dots only") << "..."_ba << 30 << u"three dot-separated"_s;

    const QByteArray big = token(withClaim(claims(60), u"pad"_s, QString(kMaxJwtBytes, u'x')));
    QTest::newRow("oversized") << big << 30 << u"larger than 8192"_s;
    QJsonObject almost = withClaim(claims(60), u"pad"_s, QString());
    const qsizetype room = kMaxJwtBytes - token(almost).size();
    almost.insert(u"pad"_s, QString(room * 3 / 4 - 2, u'x'));
    QVERIFY(token(almost).size() <= kMaxJwtBytes);
    QTest::newRow("just under the cap") << token(almost) << 30 << QString();
}

void tst_Jwt::verify()
{
    QFETCH(QByteArray, token);
    QFETCH(int, leeway);
    QFETCH(QString, error);
    const auto verified = verifyJwt(token, kSecret, kNow, leeway);
    if (error.isEmpty()) {
        QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.error().message));
        return;
    }
    QVERIFY(!verified.ok());
    QCOMPARE(verified.error().code, protocol::ErrorCode::Unauthorized);
    QVERIFY2(verified.error().message.contains(error), qPrintable(verified.error().message));
}

// One JwtVerifier across all the rows above (so it remembers headers that passed earlier rows),
// each token verified twice (the second time its own header is the remembered one, if it passed):
// exactly what verifyJwt says every time.
void tst_Jwt::verifierAgreesWhenReused()
{
    QFETCH(QByteArray, token);
    QFETCH(int, leeway);
    QFETCH(QString, error);
    for (int round = 0; round < 2; ++round) {
        const auto verified = m_shared.verify(token, kNow, leeway);
        if (error.isEmpty()) {
            QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.error().message));
            QCOMPARE(verified.value(), verifyJwt(token, kSecret, kNow, leeway).value());
            continue;
        }
        QVERIFY(!verified.ok());
        QCOMPARE(verified.error().message, verifyJwt(token, kSecret, kNow, leeway).error().message);
        QVERIFY2(verified.error().message.contains(error), qPrintable(verified.error().message));
    }
}

void tst_Jwt::interoperatesWithOtherImplementations()
{
    // Made with Python's hmac/hashlib, as a StreamSpace (golang-jwt) server would.
    const QByteArray token =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJ1c2VyX2lkIjoiYWxpY2UiLCJvcmdfaWQiOiJhY21lIiwidXNlcm5hbWUiOiJB"
        "bGljZSIsInJvbGUiOiJhZG1pbiIsIms4c19uYW1lc3BhY2UiOiJ0ZWFtLWEiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTcwMDAw"
        "MDAwMCwianRpIjoiai0xIn0.4ZAy5QEY1tNsB3dlApCuRJ0ci_IQ6wEHL0nuI7KS_n8";
    const auto verified = verifyJwt(token, "interop-secret-0123456789abcdef0123", kNow);
    QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.error().message));
    QCOMPARE(verified.value().value("user_id"_L1).toString(), u"alice"_s);
    QCOMPARE(verified.value().value("k8s_namespace"_L1).toString(), u"team-a"_s);
    QVERIFY(!verifyJwt(token, "interop-secret-0123456789abcdef012", kNow).ok());
}

void tst_Jwt::emptySecretVerifiesNothing()
{
    const QByteArray token = signJwt(claims(60), QByteArray());
    const auto verified = verifyJwt(token, QByteArray(), kNow);
    QVERIFY(!verified.ok());
    QVERIFY(verified.error().message.contains(u"no secret"_s));
}

QTEST_GUILESS_MAIN(tst_Jwt)
#include "tst_jwt.moc"
