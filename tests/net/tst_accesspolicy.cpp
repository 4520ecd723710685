// AccessPolicy: the Origin allowlist of browser streams (normalisation, roles without Origin) and
// the agent client-certificate rule (verified certificate whose only CN is the agent id).
#include "net/AccessPolicy.h"

#include "TestCertificates.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;

namespace {

HttpRequest requestWithOrigins(const QList<QByteArray> &origins)
{
    HttpRequest request;
    request.method = "GET";
    request.path = u"/api/v1/ws/sessions"_s;
    for (const QByteArray &origin : origins)
        request.headers.append({"Origin", origin});
    return request;
}

} // namespace

class tst_AccessPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void normalizeOrigin_data();
    void normalizeOrigin();
    void anyOriginWithoutAllowlist();
    void origin_data();
    void origin();
    void agentCertificate_data();
    void agentCertificate();
};

void tst_AccessPolicy::normalizeOrigin_data()
{
    QTest::addColumn<QString>("origin");
    QTest::addColumn<QString>("normalized"); // empty = invalid
    QTest::newRow("https") << u"https://console.example.com"_s << u"https://console.example.com"_s;
    QTest::newRow("case") << u"HTTPS://Console.Example.COM"_s << u"https://console.example.com"_s;
    QTest::newRow("default https port") << u"https://a.example:443"_s << u"https://a.example"_s;
    QTest::newRow("default http port") << u"http://a.example:80"_s << u"http://a.example"_s;
    QTest::newRow("other port") << u"https://a.example:8443"_s << u"https://a.example:8443"_s;
    QTest::newRow("ipv6") << u"http://[::1]:3000"_s << u"http://[::1]:3000"_s;
    QTest::newRow("null") << u"null"_s << QString();
    QTest::newRow("path") << u"https://a.example/app"_s << QString();
    QTest::newRow("user info") << u"https://u:p@a.example"_s << QString();
    QTest::newRow("other scheme") << u"file://a.example"_s << QString();
    QTest::newRow("no host") << u"https://"_s << QString();
    QTest::newRow("garbage") << u"%%%"_s << QString();
    QTest::newRow("empty") << QString() << QString();
}

void tst_AccessPolicy::normalizeOrigin()
{
    QFETCH(QString, origin);
    QFETCH(QString, normalized);
    const auto result = AccessPolicy::normalizeOrigin(origin);
    QCOMPARE(result.value_or(QString()), normalized);
}

void tst_AccessPolicy::anyOriginWithoutAllowlist()
{
    const AccessPolicy policy;
    QVERIFY(!policy.checksOrigin());
    QVERIFY(!policy.originProblem(requestWithOrigins({"https://evil.example"}), Role::User));
    QVERIFY(!policy.originProblem(requestWithOrigins({}), Role::User));
}

void tst_AccessPolicy::origin_data()
{
    QTest::addColumn<QList<QByteArray>>("origins");
    QTest::addColumn<Role>("role");
    QTest::addColumn<bool>("allowed");

    using L = QList<QByteArray>;
    QTest::newRow("allowed origin, user") << L{"https://console.example.com"} << Role::User << true;
    QTest::newRow("allowed origin, other spelling")
        << L{"https://CONSOLE.example.com:443"} << Role::User << true;
    QTest::newRow("second allowed origin") << L{"http://localhost:3000"} << Role::Admin << true;
    QTest::newRow("other origin, user") << L{"https://evil.example"} << Role::User << false;
    QTest::newRow("other origin, admin") << L{"https://evil.example"} << Role::Admin << false;
    QTest::newRow("other port") << L{"https://console.example.com:8443"} << Role::User << false;
    QTest::newRow("http instead of https") << L{"http://console.example.com"} << Role::User << false;
    QTest::newRow("null origin") << L{"null"} << Role::Operator << false;
    QTest::newRow("two origins") << L{"https://console.example.com", "https://console.example.com"}
                                 << Role::Admin << false;
    QTest::newRow("no origin, user") << L{} << Role::User << false;
    QTest::newRow("empty origin, user") << L{""} << Role::User << false;
    QTest::newRow("no origin, admin") << L{} << Role::Admin << true;
    QTest::newRow("no origin, operator") << L{} << Role::Operator << true;
    QTest::newRow("no origin, service") << L{} << Role::Service << true;
}

void tst_AccessPolicy::origin()
{
    QFETCH(QList<QByteArray>, origins);
    QFETCH(Role, role);
    QFETCH(bool, allowed);
    const AccessPolicy policy({u"https://console.example.com"_s, u"http://localhost:3000"_s}, false);
    QVERIFY(policy.checksOrigin());
    const auto problem = policy.originProblem(requestWithOrigins(origins), role);
    QVERIFY2(problem.has_value() != allowed, qPrintable(problem.value_or(u"allowed"_s)));
}

void tst_AccessPolicy::agentCertificate_data()
{
    QTest::addColumn<bool>("required");
    QTest::addColumn<QString>("certificateName"); // empty = none
    QTest::addColumn<QString>("agentId");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("not required, none") << false << QString() << u"agent-1"_s << true;
    QTest::newRow("not required, other name") << false << u"agent-2"_s << u"agent-1"_s << true;
    QTest::newRow("required, matching") << true << u"agent-1"_s << u"agent-1"_s << true;
    QTest::newRow("required, other name") << true << u"agent-2"_s << u"agent-1"_s << false;
    QTest::newRow("required, case differs") << true << u"agent-1"_s << u"AGENT-1"_s << false;
    QTest::newRow("required, none") << true << QString() << u"agent-1"_s << false;
}

void tst_AccessPolicy::agentCertificate()
{
    QFETCH(bool, required);
    QFETCH(QString, certificateName);
    QFETCH(QString, agentId);
    QFETCH(bool, allowed);

    test::TestCertificates certificates;
    QVERIFY2(certificates.create({u"agent-1"_s, u"agent-2"_s}), qPrintable(certificates.error()));
    HttpRequest request = requestWithOrigins({});
    if (!certificateName.isEmpty())
        request.clientCertificate =
            test::TestCertificates::certificate(certificates.client(certificateName).certFile);
    const AccessPolicy policy({}, required);
    const auto problem = policy.agentCertificateProblem(request, agentId);
    QVERIFY2(problem.has_value() != allowed, qPrintable(problem.value_or(u"allowed"_s)));
}

QTEST_MAIN(tst_AccessPolicy)
#include "tst_accesspolicy.moc"
