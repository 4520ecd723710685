// RevocationList: revoked jtis until their token's expiry, later expiries winning; and the
// Authenticator refusing a verified token whose jti is on it.
#include "net/Authenticator.h"
#include "net/RevocationList.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;

namespace {
const QDateTime kNow = QDateTime(QDate(2026, 1, 1), QTime(12, 0), Qt::UTC);
}

class tst_RevocationList : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isRevoked_data()
    {
        QTest::addColumn<QString>("jti");
        QTest::addColumn<QDateTime>("at");
        QTest::addColumn<bool>("revoked");
        QTest::newRow("listed, before expiry") << u"a"_s << kNow << true;
        QTest::newRow("listed, at expiry") << u"a"_s << kNow.addSecs(60) << false;
        QTest::newRow("listed, after expiry") << u"a"_s << kNow.addSecs(61) << false;
        QTest::newRow("not listed") << u"b"_s << kNow << false;
        QTest::newRow("empty jti") << QString() << kNow << false;
    }
    void isRevoked()
    {
        QFETCH(QString, jti);
        QFETCH(QDateTime, at);
        QFETCH(bool, revoked);
        RevocationList list;
        QVERIFY(list.add(u"a"_s, kNow.addSecs(60)));
        QCOMPARE(list.isRevoked(jti, at), revoked);
    }

    void laterExpiryWinsAndPruneDrops()
    {
        RevocationList list;
        QVERIFY(list.add(u"a"_s, kNow.addSecs(60)));
        QVERIFY(!list.add(u"a"_s, kNow.addSecs(10))); // not shortened
        QVERIFY(list.isRevoked(u"a"_s, kNow.addSecs(30)));
        QVERIFY(!list.add(u"a"_s, kNow.addSecs(120)));
        QVERIFY(list.isRevoked(u"a"_s, kNow.addSecs(90)));
        QVERIFY(!list.add(QString(), kNow.addSecs(60)));
        QVERIFY(list.add(u"b"_s, kNow.addSecs(5)));
        QCOMPARE(list.prune(kNow.addSecs(5)), 1);
        QCOMPARE(list.size(), 1);
        QVERIFY(list.contains(u"a"_s));
    }

    void authenticatorRefusesRevokedTokens()
    {
        Authenticator authenticator("a-secret-of-at-least-thirty-two-bytes!!");
        OrgContext context;
        context.orgId = u"acme"_s;
        context.userId = u"alice"_s;
        context.role = Role::Operator;
        const QByteArray token = authenticator.issueToken(context, std::chrono::hours(1), kNow);
        const auto accepted = authenticator.authenticateToken(token, kNow);
        QVERIFY(accepted.ok());
        const QString jti = accepted.value().jti;
        QCOMPARE(jti.size(), 32);

        RevocationList list;
        authenticator.setRevocations(&list);
        QVERIFY(authenticator.authenticateToken(token, kNow).ok());
        list.add(jti, kNow.addSecs(3600));
        const auto refused = authenticator.authenticateToken(token, kNow);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, protocol::ErrorCode::Unauthorized);
        QCOMPARE(refused.error().message, u"token revoked"_s);
        // Another token of the same user is not affected.
        QVERIFY(authenticator
                    .authenticateToken(authenticator.issueToken(context, std::chrono::hours(1), kNow), kNow)
                    .ok());
    }
};

QTEST_MAIN(tst_RevocationList)
#include "tst_revocationlist.moc"
