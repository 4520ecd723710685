// HttpFront with TLS over real sockets on port 0, with certificates made at test time: HTTPS
// requests and WSS upgrades work, plain HTTP to the TLS port gets no answer, a silent TLS client
// is dropped at the handshake timeout, and a client certificate reaches the handler only when it
// verified against the client CA. loadServerTls() reads and checks the PEM files.
#include "net/HttpFront.h"
#include "net/TlsSetup.h"

#include "TestCertificates.h"

#include "net/WsConnection.h"
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTest>

#include <QWebSocket>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace std::chrono_literals;

namespace {

class TestHandler : public QObject, public HttpHandler
{
public:
    QList<HttpRequest> requests;
    QList<HttpRequest> upgradeRequests;

    void handleHttpRequest(const HttpRequest &request, HttpResponder responder) override
    {
        requests.append(request);
        const QJsonObject answer{{u"path"_s, request.path}, {u"secure"_s, request.secure}};
        responder.respond(200, QJsonDocument(answer).toJson(QJsonDocument::Compact));
    }
    void handleUpgradeRequest(const HttpRequest &request, UpgradeDecision decision) override
    {
        upgradeRequests.append(request);
        decision.accept();
    }
    void handleWebSocket(WsConnection *socket, const HttpRequest &, const QVariant &) override
    {
        socket->setParent(this);
        connect(socket, &WsConnection::textMessageReceived, socket,
                [socket](const QByteArray &message) { socket->sendText(QByteArray("echo:" + message)); });
    }
};

// Sends one request over TLS and collects the answer until the server closes.
struct TlsClient
{
    QSslSocket socket;
    QByteArray received;
    bool closed = false;
    bool encrypted = false;
    QSsl::SslProtocol protocol = QSsl::UnknownProtocol;

    TlsClient(quint16 port, const QSslConfiguration &configuration, const QByteArray &request)
    {
        socket.setSslConfiguration(configuration);
        QObject::connect(&socket, &QSslSocket::encrypted, &socket, [this, request] {
            encrypted = true;
            protocol = socket.sessionProtocol();
            socket.write(request);
        });
        QObject::connect(&socket, &QSslSocket::readyRead, &socket, [this] { received += socket.readAll(); });
        QObject::connect(&socket, &QSslSocket::disconnected, &socket, [this] { closed = true; });
        socket.connectToHostEncrypted(u"127.0.0.1"_s, port);
    }
};

} // namespace

class tst_TlsFront : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void httpsRequestIsAnswered();
    void wssUpgradeWorks();
    void plainHttpToTlsPortGetsNoAnswer();
    void silentTlsClientIsDroppedAtTimeout();
    void clientCertificate_data();
    void clientCertificate();
    void configurationIsTls12OrLater();
    void loadErrors_data();
    void loadErrors();

private:
    HttpFront *startFront(bool withClientCa, std::chrono::milliseconds timeout = 5s);

    test::TestCertificates m_certificates;
    TestHandler *m_handler = nullptr;
    HttpFront *m_front = nullptr;
};

void tst_TlsFront::initTestCase()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    QVERIFY2(m_certificates.create({u"agent-1"_s, u"agent-2"_s}), qPrintable(m_certificates.error()));
}

void tst_TlsFront::cleanup()
{
    delete m_front;
    m_front = nullptr;
    delete m_handler;
    m_handler = nullptr;
}

HttpFront *tst_TlsFront::startFront(bool withClientCa, std::chrono::milliseconds timeout)
{
    const auto configuration =
        loadServerTls({m_certificates.server().certFile, m_certificates.server().keyFile,
                       withClientCa ? m_certificates.caFile() : QString()});
    if (!configuration) {
        qWarning() << configuration.error().message;
        return nullptr;
    }
    HttpLimits limits;
    limits.handshakeTimeout = timeout;
    m_handler = new TestHandler;
    m_front = new HttpFront(m_handler, limits);
    m_front->setTlsConfiguration(configuration.value());
    if (!m_front->listen(QHostAddress::LocalHost, 0))
        return nullptr;
    return m_front;
}

void tst_TlsFront::httpsRequestIsAnswered()
{
    QVERIFY(startFront(false));
    QVERIFY(m_front->isSecure());
    TlsClient client(m_front->serverPort(), m_certificates.clientConfiguration(),
                     "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(client.closed, 10000);
    QVERIFY(client.encrypted);
    QVERIFY2(client.received.startsWith("HTTP/1.1 200 "), client.received.constData());
    QVERIFY(client.received.endsWith(R"({"path":"/healthz","secure":true})"));
    QVERIFY(client.protocol == QSsl::TlsV1_2 || client.protocol == QSsl::TlsV1_3);
    QCOMPARE(m_handler->requests.size(), 1);
    QVERIFY(m_handler->requests.first().secure);
    QVERIFY(!m_handler->requests.first().clientCertificate);
}

void tst_TlsFront::wssUpgradeWorks()
{
    QVERIFY(startFront(false));
    QWebSocket client;
    client.setSslConfiguration(m_certificates.clientConfiguration());
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy messages(&client, &QWebSocket::textMessageReceived);
    client.open(QUrl(u"wss://127.0.0.1:%1/api/v1/ws/sessions"_s.arg(m_front->serverPort())));
    QVERIFY(connected.wait(10000));
    client.sendTextMessage(u"hello"_s);
    QTRY_COMPARE_WITH_TIMEOUT(messages.size(), 1, 10000);
    QCOMPARE(messages.first().first().toString(), u"echo:hello"_s);
    QCOMPARE(m_handler->upgradeRequests.size(), 1);
    QVERIFY(m_handler->upgradeRequests.first().secure);
}

void tst_TlsFront::plainHttpToTlsPortGetsNoAnswer()
{
    QVERIFY(startFront(false));
    QTcpSocket client;
    QByteArray received;
    bool closed = false;
    connect(&client, &QTcpSocket::readyRead, this, [&] { received += client.readAll(); });
    connect(&client, &QTcpSocket::disconnected, this, [&] { closed = true; });
    client.connectToHost(QHostAddress::LocalHost, m_front->serverPort());
    client.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(closed, 10000);
    QVERIFY2(!received.contains("HTTP/1.1"), received.constData());
    QVERIFY(m_handler->requests.isEmpty());
    QTRY_COMPARE(m_front->pendingCount(), 0);
}

void tst_TlsFront::silentTlsClientIsDroppedAtTimeout()
{
    QVERIFY(startFront(false, 500ms));
    QTcpSocket client;
    bool closed = false;
    connect(&client, &QTcpSocket::disconnected, this, [&] { closed = true; });
    client.connectToHost(QHostAddress::LocalHost, m_front->serverPort());
    QVERIFY(client.waitForConnected(5000));
    QTRY_COMPARE_WITH_TIMEOUT(m_front->pendingCount(), 1, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(closed, 10000);
    QTRY_COMPARE(m_front->pendingCount(), 0);
}

void tst_TlsFront::clientCertificate_data()
{
    QTest::addColumn<bool>("withClientCa");
    QTest::addColumn<QString>("identity"); // "", a client name or "rogue"
    QTest::addColumn<QString>("expectedCommonName");

    QTest::newRow("issued by the CA") << true << u"agent-1"_s << u"agent-1"_s;
    QTest::newRow("another one issued by the CA") << true << u"agent-2"_s << u"agent-2"_s;
    QTest::newRow("self-signed, same name") << true << u"rogue"_s << QString();
    QTest::newRow("none presented") << true << QString() << QString();
    QTest::newRow("no client CA configured") << false << u"agent-1"_s << QString();
}

void tst_TlsFront::clientCertificate()
{
    QFETCH(bool, withClientCa);
    QFETCH(QString, identity);
    QFETCH(QString, expectedCommonName);

    QVERIFY(startFront(withClientCa));
    std::optional<test::TestCertificates::Pair> pair;
    if (identity == "rogue"_L1)
        pair = m_certificates.rogue();
    else if (!identity.isEmpty())
        pair = m_certificates.client(identity);
    TlsClient client(m_front->serverPort(), m_certificates.clientConfiguration(pair),
                     "GET /whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(client.closed, 10000);
    // Browsers have no certificate: a missing or unverified one never blocks the connection.
    QVERIFY2(client.received.startsWith("HTTP/1.1 200 "), client.received.constData());
    QCOMPARE(m_handler->requests.size(), 1);
    const std::optional<QSslCertificate> certificate = m_handler->requests.first().clientCertificate;
    if (expectedCommonName.isEmpty()) {
        QVERIFY(!certificate);
    } else {
        QVERIFY(certificate && !certificate->isNull());
        QCOMPARE(certificate->subjectInfo(QSslCertificate::CommonName), QStringList{expectedCommonName});
    }
}

void tst_TlsFront::configurationIsTls12OrLater()
{
    const auto configuration = loadServerTls(
        {m_certificates.server().certFile, m_certificates.server().keyFile, m_certificates.caFile()});
    QVERIFY2(configuration, qPrintable(configuration ? QString() : configuration.error().message));
    QCOMPARE(configuration.value().protocol(), QSsl::TlsV1_2OrLater);
    QCOMPARE(configuration.value().peerVerifyMode(), QSslSocket::QueryPeer);
    QCOMPARE(configuration.value().caCertificates(), QSslCertificate::fromPath(m_certificates.caFile()));
    const auto withoutCa =
        loadServerTls({m_certificates.server().certFile, m_certificates.server().keyFile, QString()});
    QVERIFY(withoutCa);
    QCOMPARE(withoutCa.value().peerVerifyMode(), QSslSocket::VerifyNone);
}

void tst_TlsFront::loadErrors_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("ca");
    QTest::addColumn<QString>("field");

    const QString missing = u"/nonexistent/file.pem"_s;
    QTest::newRow("missing certificate") << missing << u"server.key"_s << QString() << u"tls-cert"_s;
    QTest::newRow("certificate is a key") << u"server.key"_s << u"server.key"_s << QString() << u"tls-cert"_s;
    QTest::newRow("missing key") << u"server.pem"_s << missing << QString() << u"tls-key"_s;
    QTest::newRow("key is a certificate") << u"server.pem"_s << u"server.pem"_s << QString() << u"tls-key"_s;
    QTest::newRow("missing client CA") << u"server.pem"_s << u"server.key"_s << missing << u"tls-client-ca"_s;
    QTest::newRow("client CA is a key")
        << u"server.pem"_s << u"server.key"_s << u"server.key"_s << u"tls-client-ca"_s;
}

void tst_TlsFront::loadErrors()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, ca);
    QFETCH(QString, field);
    const auto resolve = [this](const QString &name) {
        return name.startsWith(u'/') || name.isEmpty() ? name : m_certificates.path(name);
    };
    const auto configuration = loadServerTls({resolve(cert), resolve(key), resolve(ca)});
    QVERIFY(!configuration);
    QCOMPARE(configuration.error().code, protocol::ErrorCode::InvalidValue);
    QCOMPARE(configuration.error().field, field);
}

QTEST_MAIN(tst_TlsFront)
#include "tst_tlsfront.moc"
