// Authenticator: where tokens come from (and in which order), claims -> OrgContext, issuing
// tokens, the cache of verified tokens, and the agent API key helpers.
#include "net/Authenticator.h"
#include "net/Jwt.h"
#include "net/RevocationList.h"

#include <QJsonArray>
#include <QSet>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;

namespace {

const QByteArray kSecret = "authenticator-test-secret-0123456789ab";
const QDateTime kNow = QDateTime(QDate(2025, 12, 4), QTime(10, 0), Qt::UTC);

QByteArray tokenFor(const QString &userId, qint64 expOffset = 3600)
{
    return signJwt(QJsonObject{{u"org_id"_s, u"acme"_s},
                               {u"user_id"_s, userId},
                               {u"role"_s, u"operator"_s},
                               {u"exp"_s, kNow.toSecsSinceEpoch() + expOffset}},
                   kSecret);
}

HttpRequest request(const QByteArray &target, const QList<QByteArray> &headerLines)
{
    QByteArray head = "GET " + target + " HTTP/1.1\r\nHost: example\r\n";
    for (const QByteArray &line : headerLines)
        head += line + "\r\n";
    head += "\r\n";
    auto parsed = HttpRequest::parseHead(head, 64 * 1024);
    if (!parsed)
        qFatal("test request does not parse: %s", qPrintable(parsed.error().message));
    return parsed.value();
}

// A token with any claims (exp, nbf, jti as given), signed with kSecret.
QByteArray tokenWith(const QJsonObject &extra)
{
    QJsonObject claims{{u"org_id"_s, u"acme"_s}, {u"user_id"_s, u"carol"_s}, {u"role"_s, u"user"_s}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        claims.insert(it.key(), it.value());
    return signJwt(claims, kSecret);
}

} // namespace

class tst_Authenticator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tokenSources_data();
    void tokenSources();
    void claimsToContext_data();
    void claimsToContext();
    void contextToClaimsRoundTrip();
    void roleNames();
    void issueToken();
    void issuedTokenExpires();
    void apiKeyGeneration();
    void apiKeyFormat_data();
    void apiKeyFormat();
    void apiKeyHash();
    void constantTimeEquals_data();
    void constantTimeEquals();
    void cacheHitReturnsSameContext();
    void cachedTokenTimesChecked_data();
    void cachedTokenTimesChecked();
    void revokedAfterCachedRefused();
    void cacheBound_data();
    void cacheBound();
    void cacheSizeZeroCachesNothing();
    void oneByteDifferentVerifiedAfresh_data();
    void oneByteDifferentVerifiedAfresh();
    void failuresNotCached_data();
    void failuresNotCached();
};

void tst_Authenticator::tokenSources_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QList<QByteArray>>("headers");
    QTest::addColumn<QString>("user"); // expected user_id; empty = Unauthorized
    QTest::addColumn<QString>("error");

    const QByteArray query = tokenFor(u"from-query"_s);
    const QByteArray bearer = tokenFor(u"from-bearer"_s);
    const QByteArray cookie = tokenFor(u"from-cookie"_s);
    const QByteArray expired = tokenFor(u"expired"_s, -3600);
    using Lines = QList<QByteArray>;

    QTest::newRow("query") << QByteArray("/api/v1/ws/sessions?token=" + query) << Lines{} << u"from-query"_s
                           << QString();
    QTest::newRow("bearer") << QByteArray("/x") << Lines{"Authorization: Bearer " + bearer}
                            << u"from-bearer"_s << QString();
    QTest::newRow("bearer lowercase scheme")
        << QByteArray("/x") << Lines{"authorization: bearer " + bearer} << u"from-bearer"_s << QString();
    QTest::newRow("cookie") << QByteArray("/x") << Lines{"Cookie: streamspace_proxy_token=" + cookie}
                            << u"from-cookie"_s << QString();
    QTest::newRow("cookie among others")
        << QByteArray("/x") << Lines{"Cookie: theme=dark; streamspace_proxy_token=" + cookie + "; lang=en"}
        << u"from-cookie"_s << QString();
    QTest::newRow("cookie quoted") << QByteArray("/x")
                                   << Lines{"Cookie: streamspace_proxy_token=\"" + cookie + '"'}
                                   << u"from-cookie"_s << QString();
    QTest::newRow("query beats bearer and cookie")
        << QByteArray("/x?a=1&token=" + query)
        << Lines{"Authorization: Bearer " + bearer, "Cookie: streamspace_proxy_token=" + cookie}
        << u"from-query"_s << QString();
    QTest::newRow("bearer beats cookie")
        << QByteArray("/x")
        << Lines{"Cookie: streamspace_proxy_token=" + cookie, "Authorization: Bearer " + bearer}
        << u"from-bearer"_s << QString();
    QTest::newRow("invalid query does not fall back")
        << QByteArray("/x?token=" + expired) << Lines{"Authorization: Bearer " + bearer} << QString()
        << u"expired"_s;
    QTest::newRow("invalid bearer does not fall back")
        << QByteArray("/x")
        << Lines{"Authorization: Bearer garbage", "Cookie: streamspace_proxy_token=" + cookie} << QString()
        << u"three dot-separated"_s;
    QTest::newRow("empty query falls through")
        << QByteArray("/x?token=") << Lines{"Cookie: streamspace_proxy_token=" + cookie} << u"from-cookie"_s
        << QString();
    QTest::newRow("basic auth is not a token")
        << QByteArray("/x")
        << Lines{"Authorization: Basic dXNlcjpwYXNz", "Cookie: streamspace_proxy_token=" + cookie}
        << u"from-cookie"_s << QString();
    QTest::newRow("percent-encoded query") << QByteArray("/x?token=" + QByteArray(query).replace('.', "%2E"))
                                           << Lines{} << u"from-query"_s << QString();
    QTest::newRow("other cookie name") << QByteArray("/x") << Lines{"Cookie: streamspace_token=" + cookie}
                                       << QString() << u"missing token"_s;
    QTest::newRow("none") << QByteArray("/x") << Lines{} << QString() << u"missing token"_s;
    QTest::newRow("expired cookie") << QByteArray("/x") << Lines{"Cookie: streamspace_proxy_token=" + expired}
                                    << QString() << u"expired"_s;
}

void tst_Authenticator::tokenSources()
{
    QFETCH(QByteArray, target);
    QFETCH(QList<QByteArray>, headers);
    QFETCH(QString, user);
    QFETCH(QString, error);

    const Authenticator authenticator(kSecret);
    const auto context = authenticator.authenticate(request(target, headers), kNow);
    if (user.isEmpty()) {
        QVERIFY(!context.ok());
        QCOMPARE(context.error().code, protocol::ErrorCode::Unauthorized);
        QVERIFY2(context.error().message.contains(error), qPrintable(context.error().message));
        return;
    }
    QVERIFY2(context.ok(), qPrintable(context.ok() ? QString() : context.error().message));
    QCOMPARE(context.value().userId, user);
    QCOMPARE(context.value().orgId, u"acme"_s);
    QCOMPARE(context.value().role, Role::Operator);
}

void tst_Authenticator::claimsToContext_data()
{
    QTest::addColumn<QJsonObject>("claims");
    QTest::addColumn<QString>("error"); // empty = valid
    QTest::addColumn<QString>("field");

    const QJsonObject full{{u"org_id"_s, u"acme"_s},      {u"user_id"_s, u"u-1"_s},
                           {u"username"_s, u"Alice"_s},   {u"role"_s, u"admin"_s},
                           {u"k8s_namespace"_s, u"ns"_s}, {u"jti"_s, u"j-1"_s},
                           {u"org_name"_s, u"Acme"_s},    {u"groups"_s, QJsonArray{u"g"_s}}};
    const auto without = [&](const QString &key) {
        QJsonObject copy = full;
        copy.remove(key);
        return copy;
    };
    const auto with = [&](const QString &key, const QJsonValue &value) {
        QJsonObject copy = full;
        copy.insert(key, value);
        return copy;
    };

    QTest::newRow("full") << full << QString() << QString();
    QTest::newRow("minimal") << QJsonObject{{u"org_id"_s, u"o"_s},
                                            {u"user_id"_s, u"u"_s},
                                            {u"role"_s, u"user"_s}}
                             << QString() << QString();
    QTest::newRow("service") << with(u"role"_s, u"service"_s) << QString() << QString();
    QTest::newRow("operator") << with(u"role"_s, u"operator"_s) << QString() << QString();
    QTest::newRow("no org") << without(u"org_id"_s) << u"no org_id claim"_s << u"org_id"_s;
    QTest::newRow("no user") << without(u"user_id"_s) << u"no user_id claim"_s << u"user_id"_s;
    QTest::newRow("no role") << without(u"role"_s) << u"no role claim"_s << u"role"_s;
    QTest::newRow("unknown role") << with(u"role"_s, u"root"_s) << u"role"_s << u"role"_s;
    QTest::newRow("role case") << with(u"role"_s, u"Admin"_s) << u"role"_s << u"role"_s;
    QTest::newRow("role number") << with(u"role"_s, 1) << u"not a string"_s << u"role"_s;
    QTest::newRow("org number") << with(u"org_id"_s, 42) << u"not a string"_s << u"org_id"_s;
    QTest::newRow("org null") << with(u"org_id"_s, QJsonValue::Null) << u"no org_id"_s << u"org_id"_s;
    QTest::newRow("empty user") << with(u"user_id"_s, QString()) << u"user_id"_s << u"user_id"_s;
    QTest::newRow("long org") << with(u"org_id"_s, QString(257, u'o')) << u"org_id"_s << u"org_id"_s;
    QTest::newRow("control char") << with(u"user_id"_s, u"a\nb"_s) << u"control"_s << u"user_id"_s;
    QTest::newRow("username object") << with(u"username"_s, QJsonObject{}) << u"not a string"_s
                                     << u"username"_s;
    QTest::newRow("namespace number")
        << with(u"k8s_namespace"_s, 3) << u"not a string"_s << u"k8s_namespace"_s;
}

void tst_Authenticator::claimsToContext()
{
    QFETCH(QJsonObject, claims);
    QFETCH(QString, error);
    QFETCH(QString, field);
    const auto context = OrgContext::fromClaims(claims);
    if (error.isEmpty()) {
        QVERIFY2(context.ok(), qPrintable(context.ok() ? QString() : context.error().message));
        QCOMPARE(context.value().orgId, claims.value("org_id"_L1).toString());
        QCOMPARE(context.value().userId, claims.value("user_id"_L1).toString());
        QCOMPARE(context.value().username, claims.value("username"_L1).toString());
        QCOMPARE(context.value().k8sNamespace, claims.value("k8s_namespace"_L1).toString());
        QCOMPARE(context.value().jti, claims.value("jti"_L1).toString());
        QCOMPARE(roleName(context.value().role), claims.value("role"_L1).toString());
        return;
    }
    QVERIFY(!context.ok());
    QCOMPARE(context.error().code, protocol::ErrorCode::Unauthorized);
    QCOMPARE(context.error().field, field);
    QVERIFY2(context.error().message.contains(error), qPrintable(context.error().message));
}

void tst_Authenticator::contextToClaimsRoundTrip()
{
    const OrgContext context{u"acme"_s, u"u-1"_s, u"Alice"_s, u"team-a"_s, Role::Service, u"j"_s};
    QCOMPARE(OrgContext::fromClaims(context.toClaims()).value(), context);
    const OrgContext minimal{u"acme"_s, u"u-1"_s, {}, {}, Role::User, {}};
    const QJsonObject claims = minimal.toClaims();
    QVERIFY(!claims.contains("username"_L1));
    QVERIFY(!claims.contains("k8s_namespace"_L1));
    QVERIFY(!claims.contains("jti"_L1));
    QCOMPARE(OrgContext::fromClaims(claims).value(), minimal);
}

void tst_Authenticator::roleNames()
{
    for (const Role role : {Role::User, Role::Operator, Role::Admin, Role::Service})
        QCOMPARE(roleFromName(roleName(role)), role);
    QCOMPARE(roleName(Role::Admin), u"admin"_s);
    QCOMPARE(roleName(Role::Service), u"service"_s);
    QVERIFY(!roleFromName(u"ADMIN"_s));
    QVERIFY(!roleFromName(QString()));
}

void tst_Authenticator::issueToken()
{
    const Authenticator authenticator(kSecret);
    const OrgContext context{u"acme"_s, u"alice"_s, u"Alice"_s, u"team-a"_s, Role::Admin, {}};
    const QByteArray token = authenticator.issueToken(context, std::chrono::hours(8), kNow);

    const auto claims = verifyJwt(token, kSecret, kNow);
    QVERIFY(claims.ok());
    QCOMPARE(claims.value().value("iat"_L1).toInteger(), kNow.toSecsSinceEpoch());
    QCOMPARE(claims.value().value("exp"_L1).toInteger(), kNow.toSecsSinceEpoch() + 8 * 3600);
    const QString jti = claims.value().value("jti"_L1).toString();
    QCOMPARE(jti.size(), 32);

    const auto verified = authenticator.authenticateToken(token, kNow);
    QVERIFY(verified.ok());
    OrgContext expected = context;
    expected.jti = jti;
    QCOMPARE(verified.value(), expected);

    const QByteArray second = authenticator.issueToken(context, std::chrono::hours(8), kNow);
    QVERIFY(verifyJwt(second, kSecret, kNow).value().value("jti"_L1).toString() != jti);

    // Another server's secret does not accept it.
    QVERIFY(!Authenticator("some-other-secret-0123456789abcdefgh").authenticateToken(token, kNow).ok());
}

void tst_Authenticator::issuedTokenExpires()
{
    const Authenticator authenticator(kSecret, 0);
    const OrgContext context{u"acme"_s, u"alice"_s, {}, {}, Role::User, {}};
    const QByteArray token = authenticator.issueToken(context, std::chrono::seconds(30), kNow);
    QVERIFY(authenticator.authenticateToken(token, kNow.addSecs(29)).ok());
    const auto late = authenticator.authenticateToken(token, kNow.addSecs(30));
    QVERIFY(!late.ok());
    QVERIFY(late.error().message.contains(u"expired"_s));
}

void tst_Authenticator::apiKeyGeneration()
{
    QSet<QByteArray> seen;
    for (int i = 0; i < 100; ++i) {
        const QByteArray key = Authenticator::generateApiKey();
        QCOMPARE(key.size(), 64);
        QCOMPARE(key, key.toLower());
        QVERIFY(Authenticator::isWellFormedApiKey(key));
        seen.insert(key);
    }
    QCOMPARE(seen.size(), 100);
}

void tst_Authenticator::apiKeyFormat_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<bool>("wellFormed");
    QTest::newRow("lower") << QByteArray(64, 'a') << true;
    QTest::newRow("upper") << QByteArray(64, 'F') << true;
    QTest::newRow("digits") << QByteArray(64, '7') << true;
    QTest::newRow("63") << QByteArray(63, 'a') << false;
    QTest::newRow("65") << QByteArray(65, 'a') << false;
    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("non-hex") << QByteArray(63, 'a') + 'g' << false;
    QTest::newRow("space") << QByteArray(63, 'a') + ' ' << false;
    QTest::newRow("nul") << QByteArray(63, 'a') + '\0' << false;
}

void tst_Authenticator::apiKeyFormat()
{
    QFETCH(QByteArray, key);
    QFETCH(bool, wellFormed);
    QCOMPARE(Authenticator::isWellFormedApiKey(key), wellFormed);
}

void tst_Authenticator::apiKeyHash()
{
    QCOMPARE(Authenticator::hashApiKey("abc"),
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_ba);
    const QByteArray key = Authenticator::generateApiKey();
    QCOMPARE(Authenticator::hashApiKey(key), Authenticator::hashApiKey(key));
    QVERIFY(Authenticator::hashApiKey(key) != key);
    QCOMPARE(Authenticator::hashApiKey(key).size(), 64);
}

void tst_Authenticator::constantTimeEquals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    QTest::newRow("same") << "abcdef"_ba
                          << "abcdef"_ba << true;
    QTest::newRow("empty") << QByteArray() << QByteArray() << true;
    QTest::newRow("first differs") << "xbcdef"_ba
                                   << "abcdef"_ba << false;
    QTest::newRow("last differs") << "abcdex"_ba
                                  << "abcdef"_ba << false;
    QTest::newRow("prefix") << "abc"_ba
                            << "abcdef"_ba << false;
    QTest::newRow("high bit") << "\x80"_ba
                              << "\x00"_ba << false;
}

void tst_Authenticator::constantTimeEquals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(Authenticator::constantTimeEquals(a, b), equal);
    QCOMPARE(Authenticator::constantTimeEquals(b, a), equal);
}

void tst_Authenticator::cacheHitReturnsSameContext()
{
    const Authenticator authenticator(kSecret);
    const QByteArray token = tokenWith(
        {{u"exp"_s, kNow.toSecsSinceEpoch() + 3600}, {u"jti"_s, u"j-1"_s}, {u"username"_s, u"Carol"_s}});
    const auto first = authenticator.authenticateToken(token, kNow);
    QVERIFY(first.ok());
    QCOMPARE(authenticator.cachedTokens(), 1);
    QCOMPARE(authenticator.tokenCacheHits(), quint64(0));
    const auto second = authenticator.authenticateToken(token, kNow.addSecs(5));
    QVERIFY(second.ok());
    QCOMPARE(authenticator.tokenCacheHits(), quint64(1));
    QCOMPARE(second.value(), first.value());
    QCOMPARE(second.value().jti, u"j-1"_s);
    QCOMPARE(authenticator.cachedTokens(), 1);
}

void tst_Authenticator::cachedTokenTimesChecked_data()
{
    QTest::addColumn<qint64>("expOffset");
    QTest::addColumn<QJsonValue>("nbfOffset"); // Undefined = no nbf claim
    QTest::addColumn<qint64>("laterOffset");   // second authentication at kNow + this
    QTest::addColumn<QString>("error");        // empty = accepted

    const QJsonValue none(QJsonValue::Undefined);
    QTest::newRow("still valid") << qint64(60) << none << qint64(10) << QString();
    QTest::newRow("within leeway after exp") << qint64(60) << none << qint64(60 + 29) << QString();
    QTest::newRow("expired while cached") << qint64(60) << none << qint64(60 + 30) << u"expired"_s;
    QTest::newRow("long expired") << qint64(60) << none << qint64(86400) << u"expired"_s;
    // Cached when it was valid; asked again at an earlier time (a clock stepped back): its nbf
    // lies ahead of that time, beyond the leeway.
    QTest::newRow("nbf ahead of an earlier now")
        << qint64(3600) << QJsonValue(0) << qint64(-31) << u"not valid yet"_s;
    QTest::newRow("nbf within leeway of an earlier now")
        << qint64(3600) << QJsonValue(0) << qint64(-30) << QString();
}

void tst_Authenticator::cachedTokenTimesChecked()
{
    QFETCH(qint64, expOffset);
    QFETCH(QJsonValue, nbfOffset);
    QFETCH(qint64, laterOffset);
    QFETCH(QString, error);

    QJsonObject claims{{u"exp"_s, kNow.toSecsSinceEpoch() + expOffset}};
    if (!nbfOffset.isUndefined())
        claims.insert(u"nbf"_s, kNow.toSecsSinceEpoch() + nbfOffset.toInteger());
    const QByteArray token = tokenWith(claims);
    const Authenticator authenticator(kSecret, 30);
    QVERIFY(authenticator.authenticateToken(token, kNow).ok());
    QCOMPARE(authenticator.cachedTokens(), 1);

    const auto later = authenticator.authenticateToken(token, kNow.addSecs(laterOffset));
    QCOMPARE(authenticator.tokenCacheHits(), quint64(1)); // answered from the cache
    if (error.isEmpty()) {
        QVERIFY2(later.ok(), qPrintable(later.ok() ? QString() : later.error().message));
        return;
    }
    QVERIFY(!later.ok());
    QCOMPARE(later.error().code, protocol::ErrorCode::Unauthorized);
    QVERIFY2(later.error().message.contains(error), qPrintable(later.error().message));
    // The same answer as a verification from scratch.
    const auto fresh = Authenticator(kSecret, 30, 0).authenticateToken(token, kNow.addSecs(laterOffset));
    QVERIFY(!fresh.ok());
    QCOMPARE(later.error().message, fresh.error().message);
}

void tst_Authenticator::revokedAfterCachedRefused()
{
    RevocationList revocations;
    Authenticator authenticator(kSecret);
    authenticator.setRevocations(&revocations);
    const QByteArray token = tokenWith({{u"exp"_s, kNow.toSecsSinceEpoch() + 3600}, {u"jti"_s, u"j-7"_s}});
    QVERIFY(authenticator.authenticateToken(token, kNow).ok());
    QVERIFY(authenticator.authenticateToken(token, kNow).ok());
    QCOMPARE(authenticator.tokenCacheHits(), quint64(1));

    revocations.add(u"j-7"_s, kNow.addSecs(3600));
    const auto revoked = authenticator.authenticateToken(token, kNow.addSecs(1));
    QCOMPARE(authenticator.tokenCacheHits(), quint64(2));
    QVERIFY(!revoked.ok());
    QVERIFY2(revoked.error().message.contains(u"revoked"_s), qPrintable(revoked.error().message));
}

void tst_Authenticator::cacheBound_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("1") << 1;
    QTest::newRow("2") << 2;
    QTest::newRow("7") << 7;
    QTest::newRow("64") << 64;
}

void tst_Authenticator::cacheBound()
{
    QFETCH(int, size);
    const Authenticator authenticator(kSecret, 30, size);
    QList<QByteArray> tokens;
    for (int i = 0; i < 3 * size + 1; ++i) {
        tokens.append(tokenFor(u"user-%1"_s.arg(i)));
        QVERIFY(authenticator.authenticateToken(tokens.last(), kNow).ok());
        QVERIFY2(authenticator.cachedTokens() <= size,
                 qPrintable(QString::number(authenticator.cachedTokens())));
        QVERIFY(authenticator.cachedTokens() >= 1); // the newest is always kept
    }
    // Evicted or not, every token still authenticates, as itself.
    for (int i = 0; i < tokens.size(); ++i) {
        const auto again = authenticator.authenticateToken(tokens.at(i), kNow);
        QVERIFY(again.ok());
        QCOMPARE(again.value().userId, u"user-%1"_s.arg(i));
        QVERIFY(authenticator.cachedTokens() <= size);
    }
}

void tst_Authenticator::cacheSizeZeroCachesNothing()
{
    const Authenticator authenticator(kSecret, 30, 0);
    const QByteArray token = tokenFor(u"dave"_s);
    for (int i = 0; i < 3; ++i)
        QVERIFY(authenticator.authenticateToken(token, kNow).ok());
    QCOMPARE(authenticator.cachedTokens(), 0);
    QCOMPARE(authenticator.tokenCacheHits(), quint64(0));
}

void tst_Authenticator::oneByteDifferentVerifiedAfresh_data()
{
    QTest::addColumn<int>("part"); // 0 header, 1 payload, 2 signature
    QTest::addColumn<int>("index");
    QTest::newRow("header first") << 0 << 0;
    QTest::newRow("header last") << 0 << -1;
    QTest::newRow("payload first") << 1 << 0;
    QTest::newRow("payload middle") << 1 << 20;
    QTest::newRow("signature first") << 2 << 0;
    QTest::newRow("signature middle") << 2 << 21;
    QTest::newRow("signature last") << 2 << -1;
}

void tst_Authenticator::oneByteDifferentVerifiedAfresh()
{
    QFETCH(int, part);
    QFETCH(int, index);
    const Authenticator authenticator(kSecret);
    const QByteArray token = tokenFor(u"erin"_s);
    QVERIFY(authenticator.authenticateToken(token, kNow).ok());
    QCOMPARE(authenticator.cachedTokens(), 1);

    QList<QByteArray> parts = token.split('.');
    QByteArray &changed = parts[part];
    const qsizetype at = index < 0 ? changed.size() + index : index;
    changed[at] = changed.at(at) == 'A' ? 'B' : 'A';
    const QByteArray forged = parts.join('.');
    QVERIFY(forged != token);
    QCOMPARE(forged.size(), token.size());

    const auto result = authenticator.authenticateToken(forged, kNow);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, protocol::ErrorCode::Unauthorized);
    QCOMPARE(authenticator.tokenCacheHits(), quint64(0));
    QCOMPARE(authenticator.cachedTokens(), 1);
    // The genuine one is still answered from the cache.
    QVERIFY(authenticator.authenticateToken(token, kNow).ok());
    QCOMPARE(authenticator.tokenCacheHits(), quint64(1));
}

void tst_Authenticator::failuresNotCached_data()
{
    QTest::addColumn<QByteArray>("token");
    const qint64 now = kNow.toSecsSinceEpoch();
    QTest::newRow("expired") << tokenFor(u"frank"_s, -3600);
    QTest::newRow("other secret") << signJwt(QJsonObject{{u"org_id"_s, u"acme"_s},
                                                         {u"user_id"_s, u"frank"_s},
                                                         {u"role"_s, u"user"_s},
                                                         {u"exp"_s, now + 3600}},
                                             "some-other-secret-0123456789abcdefgh");
    QTest::newRow("nbf ahead") << tokenWith({{u"exp"_s, now + 3600}, {u"nbf"_s, now + 600}});
    // Signed and in time, but its claims make no context.
    QTest::newRow("no role") << signJwt(
        QJsonObject{{u"org_id"_s, u"acme"_s}, {u"user_id"_s, u"frank"_s}, {u"exp"_s, now + 3600}}, kSecret);
    QTest::newRow("garbage") << "not.a.token"_ba;
}

void tst_Authenticator::failuresNotCached()
{
    QFETCH(QByteArray, token);
    const Authenticator authenticator(kSecret);
    for (int i = 0; i < 2; ++i)
        QVERIFY(!authenticator.authenticateToken(token, kNow).ok());
    QCOMPARE(authenticator.cachedTokens(), 0);
    QCOMPARE(authenticator.tokenCacheHits(), quint64(0));
}

QTEST_GUILESS_MAIN(tst_Authenticator)
#include "tst_authenticator.moc"
