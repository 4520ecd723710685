// The limits and access rules of a whole server (issue 7, section 1), end to end: the Origin
// allowlist of browser streams, message-rate limits of browsers and agents (rate_limited, 1008,
// others unaffected), per-address limits through the server's settings, and TLS with agent
// client certificates (CN = agent id) on a server started with throwaway certificates.
#include "TestClients.h"
#include "TestServer.h"

#include "../net/TestCertificates.h"

#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

QByteArray bearer(const QString &token)
{
    return "Authorization: Bearer " + token.toLatin1();
}

// The status of a GET /healthz, 0 when there was no answer. Unlike rawHttp() it also reads an
// answer that arrives together with the server's close, as a refused connection's 429 does.
int healthStatus(quint16 port)
{
    QTcpSocket socket;
    QByteArray received;
    bool closed = false;
    QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [&] { received += socket.readAll(); });
    QObject::connect(&socket, &QTcpSocket::disconnected, &socket, [&] { closed = true; });
    socket.connectToHost(QHostAddress::LocalHost, port);
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    if (!QTest::qWaitFor([&] { return closed || socket.state() == QAbstractSocket::UnconnectedState; },
                         10000))
        return 0;
    received += socket.readAll();
    return received.startsWith("HTTP/1.1 ") ? received.mid(9, 3).toInt() : 0;
}

} // namespace

class tst_Hardening : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void originAllowlist_data();
    void originAllowlist();
    void anyOriginByDefault();
    void browserMessageFloodIsClosed();
    void agentMessageFloodIsClosed();
    void connectionsPerAddressFromSettings();
    void tlsAgentCertificates_data();
    void tlsAgentCertificates();
    void tlsBrowserNeedsNoCertificate();

private:
    std::unique_ptr<TestServer> m_server;
    TestCertificates m_certificates;

    quint16 port() const { return m_server->server()->serverPort(); }
    QUrl wssUrl(const QString &path) const { return QUrl(u"wss://127.0.0.1:%1%2"_s.arg(port()).arg(path)); }
};

void tst_Hardening::initTestCase()
{
    QLoggingCategory::setFilterRules(u"switchboard.limits.warning=false"_s);
    QVERIFY2(!QSslSocket::supportsSsl() || m_certificates.create({u"agent-1"_s, u"agent-2"_s}),
             qPrintable(m_certificates.error()));
}

void tst_Hardening::init()
{
    m_server = std::make_unique<TestServer>();
}

void tst_Hardening::cleanup()
{
    m_server.reset();
}

void tst_Hardening::originAllowlist_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<Role>("role");
    QTest::addColumn<QByteArray>("origin"); // empty = no Origin header
    QTest::addColumn<int>("status");

    const QString sessions = u"/api/v1/ws/sessions"_s;
    const QString admin = u"/api/v1/ws/admin"_s;
    QTest::newRow("allowed origin") << sessions << Role::User << QByteArray("https://console.example.com")
                                    << 101;
    QTest::newRow("other origin") << sessions << Role::User << QByteArray("https://evil.example") << 403;
    QTest::newRow("user without origin") << sessions << Role::User << QByteArray() << 403;
    QTest::newRow("admin without origin") << admin << Role::Admin << QByteArray() << 101;
    QTest::newRow("admin from other origin")
        << admin << Role::Admin << QByteArray("https://evil.example") << 403;
    QTest::newRow("cluster, operator, allowed")
        << u"/api/v1/ws/cluster"_s << Role::Operator << QByteArray("https://console.example.com") << 101;
    // The token is checked by the route: a bad one is still a 401, not a 403.
    QTest::newRow("no token") << sessions << Role::Service << QByteArray("https://evil.example") << 401;
}

void tst_Hardening::originAllowlist()
{
    QFETCH(QString, path);
    QFETCH(Role, role);
    QFETCH(QByteArray, origin);
    QFETCH(int, status);

    m_server->settings().allowedOrigins = {u"https://console.example.com"_s};
    QVERIFY(m_server->start());
    QList<QByteArray> headers;
    if (status != 401)
        headers << bearer(m_server->token(u"alice"_s, u"acme"_s, role));
    if (!origin.isEmpty())
        headers << "Origin: " + origin;
    const RawHttpResponse response = rawHttp(port(), upgradeRequest(path.toLatin1(), headers));
    QCOMPARE(response.status, status);
}

void tst_Hardening::anyOriginByDefault()
{
    QVERIFY(m_server->start());
    const QString token = m_server->token(u"alice"_s, u"acme"_s, Role::User);
    for (const QByteArray &origin : {QByteArray("Origin: https://anything.example"), QByteArray()}) {
        QList<QByteArray> headers{bearer(token)};
        if (!origin.isEmpty())
            headers << origin;
        QCOMPARE(rawHttp(port(), upgradeRequest("/api/v1/ws/sessions", headers)).status, 101);
    }
    // Agents never look at Origin, also with an allowlist.
    m_server.reset();
    m_server = std::make_unique<TestServer>();
    m_server->settings().allowedOrigins = {u"https://console.example.com"_s};
    QVERIFY(m_server->start());
    const CreatedAgent agent = m_server->createAgent(u"agent-1"_s, u"acme"_s);
    const RawHttpResponse response =
        rawHttp(port(), upgradeRequest("/api/v1/agents/connect?agent_id=agent-1",
                                       {"X-Agent-API-Key: " + agent.apiKey, "Origin: https://evil.example"}));
    QCOMPARE(response.status, 101);
}

void tst_Hardening::browserMessageFloodIsClosed()
{
    m_server->settings().limits.browserMessagesPerSecond = 5; // bursts of 10
    QVERIFY(m_server->start());
    JsonSocket flooder;
    JsonSocket bystander;
    QVERIFY(flooder.open(
        m_server->wsUrl(u"/api/v1/ws/sessions"_s, m_server->token(u"alice"_s, u"acme"_s, Role::User))));
    QVERIFY(bystander.open(
        m_server->wsUrl(u"/api/v1/ws/sessions"_s, m_server->token(u"bob"_s, u"acme"_s, Role::User))));
    for (int i = 0; i < 200; ++i)
        flooder.send({{"type"_L1, u"ping"_s}, {"requestId"_L1, QString::number(i)}});
    const QJsonObject error = flooder.waitFor(
        [](const QJsonObject &m) { return m.value("code"_L1).toString() == "rate_limited"_L1; }, 10000);
    QVERIFY2(!error.isEmpty(), "no rate_limited error");
    QVERIFY(flooder.waitForDisconnect(10000));
    QCOMPARE(flooder.closeCode(), int(QWebSocketProtocol::CloseCodePolicyViolated));
    // Another client of the same org keeps its connection.
    QVERIFY(bystander.isConnected());
    QTest::qWait(200);
    QVERIFY(bystander.isConnected());
}

void tst_Hardening::agentMessageFloodIsClosed()
{
    m_server->settings().limits.agentMessagesPerSecond = 5;
    QVERIFY(m_server->start());
    const CreatedAgent flooding = m_server->createAgent(u"agent-1"_s, u"acme"_s);
    const CreatedAgent calm = m_server->createAgent(u"agent-2"_s, u"acme"_s);
    TestAgent flooder;
    TestAgent bystander;
    QVERIFY(flooder.connectTo(m_server->wsUrl(u"/"_s), flooding.agentId, flooding.apiKey));
    QVERIFY(bystander.connectTo(m_server->wsUrl(u"/"_s), calm.agentId, calm.apiKey));
    for (int i = 0; i < 200; ++i)
        flooder.heartbeat();
    const QJsonObject error = flooder.waitFor(
        [](const QJsonObject &m) {
            return m.value("type"_L1).toString() == "error"_L1 &&
                   m.value("payload"_L1).toObject().value("code"_L1).toString() == "rate_limited"_L1;
        },
        10000);
    QVERIFY2(!error.isEmpty(), "no rate_limited error");
    QVERIFY(flooder.waitForDisconnect(10000));
    QCOMPARE(flooder.closeCode(), int(QWebSocketProtocol::CloseCodePolicyViolated));
    QVERIFY(bystander.isConnected());
    bystander.heartbeat();
    QTest::qWait(200);
    QVERIFY(bystander.isConnected());
}

void tst_Hardening::connectionsPerAddressFromSettings()
{
    m_server->settings().limits.maxConnectionsPerAddress = 2;
    m_server->settings().limits.exemptSubnets = {}; // the test connects from loopback
    QVERIFY(m_server->start());
    const QString token = m_server->token(u"alice"_s, u"acme"_s, Role::User);
    JsonSocket first;
    JsonSocket second;
    QVERIFY(first.open(m_server->wsUrl(u"/api/v1/ws/sessions"_s, token)));
    QVERIFY(second.open(m_server->wsUrl(u"/api/v1/ws/sessions"_s, token)));
    QCOMPARE(healthStatus(port()), 429);
    first.close();
    QVERIFY(first.waitForDisconnect(10000));
    QTRY_COMPARE_WITH_TIMEOUT(healthStatus(port()), 200, 10000);
}

void tst_Hardening::tlsAgentCertificates_data()
{
    QTest::addColumn<QString>("identity"); // client certificate: a name, "rogue" or "" (none)
    QTest::addColumn<bool>("connects");
    QTest::newRow("CN = agent id") << u"agent-1"_s << true;
    QTest::newRow("CN of another agent") << u"agent-2"_s << false;
    QTest::newRow("self-signed with the right CN") << u"rogue"_s << false;
    QTest::newRow("no certificate") << QString() << false;
}

void tst_Hardening::tlsAgentCertificates()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    QFETCH(QString, identity);
    QFETCH(bool, connects);

    m_server->settings().tls = {m_certificates.server().certFile, m_certificates.server().keyFile,
                                m_certificates.caFile()};
    QVERIFY(m_server->start());
    const CreatedAgent agent = m_server->createAgent(u"agent-1"_s, u"acme"_s);
    std::optional<TestCertificates::Pair> pair;
    if (identity == "rogue"_L1)
        pair = m_certificates.rogue();
    else if (!identity.isEmpty())
        pair = m_certificates.client(identity);

    TestAgent client;
    client.socket().setSslConfiguration(m_certificates.clientConfiguration(pair));
    const bool opened = client.connectTo(wssUrl(u"/"_s), agent.agentId, agent.apiKey, 10000);
    QCOMPARE(opened, connects);
    if (connects) {
        client.heartbeat();
        QTRY_VERIFY(client.isConnected());
    }
}

void tst_Hardening::tlsBrowserNeedsNoCertificate()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    m_server->settings().tls = {m_certificates.server().certFile, m_certificates.server().keyFile,
                                m_certificates.caFile()};
    QVERIFY(m_server->start());
    JsonSocket browser;
    browser.socket().setSslConfiguration(m_certificates.clientConfiguration());
    QUrl url = wssUrl(u"/api/v1/ws/sessions"_s);
    QUrlQuery query;
    query.addQueryItem(u"token"_s, m_server->token(u"alice"_s, u"acme"_s, Role::User));
    url.setQuery(query);
    QVERIFY(browser.open(url, 10000));
    // And the agent route answers a certificate-less agent with 403 over TLS.
    const CreatedAgent agent = m_server->createAgent(u"agent-1"_s, u"acme"_s);
    QSslSocket raw;
    raw.setSslConfiguration(m_certificates.clientConfiguration());
    QByteArray received;
    connect(&raw, &QSslSocket::readyRead, this, [&] { received += raw.readAll(); });
    connect(&raw, &QSslSocket::encrypted, this, [&] {
        raw.write(
            upgradeRequest("/api/v1/agents/connect?agent_id=agent-1", {"X-Agent-API-Key: " + agent.apiKey}));
    });
    raw.connectToHostEncrypted(u"127.0.0.1"_s, port());
    QTRY_VERIFY_WITH_TIMEOUT(received.contains("\r\n\r\n"), 10000);
    QVERIFY2(received.startsWith("HTTP/1.1 403 "), received.constData());
    QVERIFY(received.contains("common name") || received.contains("client certificate"));
}

QTEST_MAIN(tst_Hardening)
#include "tst_hardening.moc"
