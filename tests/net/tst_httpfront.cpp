// HttpFront over real sockets on port 0: requests answered now or later, bodies, limits,
// timeouts, WebSocket upgrades accepted (answered 101 by the front, handed over as a WsConnection)
// or rejected with an HTTP answer, and bursts of concurrent connections.
#include "net/HttpFront.h"
#include "net/HttpResponse.h"

#include "net/WsConnection.h"
#include "shared/WsCodec.h"
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <QWebSocket>

#include <functional>
#include <memory>
#include <vector>

#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace std::chrono_literals;

namespace {

const QByteArray kUpgradeHead = "GET /api/v1/agents/connect?agent_id=k8s-1 HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n";

// The owner side of the front door, scripted per test.
class TestHandler : public QObject, public HttpHandler
{
    Q_OBJECT

public:
    std::function<void(const HttpRequest &, HttpResponder)> onRequest;
    std::function<void(const HttpRequest &, UpgradeDecision)> onUpgrade;

    QList<HttpRequest> requests;
    QList<HttpRequest> upgradeRequests;
    QList<QPointer<WsConnection>> webSockets;
    QList<HttpRequest> webSocketRequests;
    QList<QVariant> contexts;

    void handleHttpRequest(const HttpRequest &request, HttpResponder responder) override
    {
        requests.append(request);
        if (onRequest) {
            onRequest(request, responder);
            return;
        }
        const QJsonObject echo{{u"method"_s, QString::fromLatin1(request.method)},
                               {u"path"_s, request.path},
                               {u"body"_s, QString::fromUtf8(request.body)}};
        responder.respond(200, QJsonDocument(echo).toJson(QJsonDocument::Compact));
    }

    void handleUpgradeRequest(const HttpRequest &request, UpgradeDecision decision) override
    {
        upgradeRequests.append(request);
        if (onUpgrade)
            onUpgrade(request, decision);
        else
            decision.accept(QVariant(request.queryValue(u"id"_s)));
    }

    void handleWebSocket(WsConnection *socket, const HttpRequest &request, const QVariant &context) override
    {
        socket->setParent(this);
        webSockets.append(socket);
        webSocketRequests.append(request);
        contexts.append(context);
        connect(socket, &WsConnection::textMessageReceived, socket,
                [socket, context](const QByteArray &message) {
                    socket->sendText(QByteArray("echo:" + context.toString().toUtf8() + ':' + message));
                });
    }
};

// A plain TCP client that sends bytes and collects everything until the server closes.
class RawClient : public QObject
{
public:
    explicit RawClient(quint16 port, const QByteArray &data = {})
    {
        connect(&socket, &QTcpSocket::readyRead, this, [this] { received += socket.readAll(); });
        connect(&socket, &QTcpSocket::disconnected, this, [this] { closed = true; });
        connect(&socket, &QTcpSocket::connected, this, [this] { localPort = socket.localPort(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!data.isEmpty())
            socket.write(data);
    }

    int status() const
    {
        if (!received.startsWith("HTTP/1.1 "))
            return -1;
        return received.mid(9, 3).toInt();
    }
    QByteArray body() const
    {
        const qsizetype end = received.indexOf("\r\n\r\n");
        return end < 0 ? QByteArray() : received.mid(end + 4);
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body()).object(); }

    QTcpSocket socket;
    QByteArray received;
    bool closed = false;
    quint16 localPort = 0;
};

// A masked client text frame (RFC 6455 5.3), by the project's codec.
QByteArray maskedTextFrame(const QByteArray &payload)
{
    std::string frame;
    ws::appendFrame(frame, ws::Opcode::Text, std::string_view(payload.constData(), size_t(payload.size())),
                    true, 0x12345678u);
    return QByteArray::fromStdString(frame);
}

// A blocking-free client socket outside Qt's event loop: what it does not read stays in the
// kernel, so the server meets a full socket buffer.
class UnreadSocket
{
public:
    explicit UnreadSocket(quint16 port)
    {
        m_descriptor = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_descriptor, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
        // A small receive buffer makes the server's writes stop early.
        const int size = 16 * 1024;
        ::setsockopt(m_descriptor, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    ~UnreadSocket() { close(); }
    void close()
    {
        if (m_descriptor >= 0)
            ::close(m_descriptor);
        m_descriptor = -1;
    }
    bool isConnected() const { return m_connected; }
    bool sendAll(const QByteArray &bytes) const
    {
        return ::send(m_descriptor, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL) == bytes.size();
    }
    // Reads until the server closes (true) or the deadline, running the event loop meanwhile.
    bool readToEnd(QByteArray *into, std::chrono::milliseconds timeout) const
    {
        QDeadlineTimer deadline(timeout);
        char buffer[64 * 1024];
        while (!deadline.hasExpired()) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            pollfd entry{m_descriptor, POLLIN, 0};
            if (::poll(&entry, 1, 5) <= 0)
                continue;
            const ssize_t n = ::recv(m_descriptor, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n == 0)
                return true;
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                return false;
            }
            into->append(buffer, n);
        }
        return false;
    }

private:
    int m_descriptor = -1;
    bool m_connected = false;
};

HttpLimits testLimits()
{
    HttpLimits limits;
    limits.maxHeaderBytes = 2048;
    limits.maxBodyBytes = 1024;
    limits.handshakeTimeout = 5s;
    return limits;
}

} // namespace

class tst_HttpFront : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void listensOnAnyFreePort();
    void getIsAnswered();
    void headRequestHasNoBody();
    void answerLater();
    void answerAfterClientLeftDoesNothing();
    void postBodyInPieces();
    void expectContinue();
    void bodyTooLarge();
    void headTooLarge_data();
    void headTooLarge();
    void malformedRequest_data();
    void malformedRequest();
    void handshakeTimeoutClosesIdleSocket_data();
    void handshakeTimeoutClosesIdleSocket();
    void upgradeAccepted();
    void upgradeAcceptedLaterWithBufferedHead();
    void rawUpgradeGetsSwitchingProtocols();
    void upgradeRejected();
    void upgradeRejectedLater();
    void invalidUpgradeHeaders_data();
    void invalidUpgradeHeaders();
    void upgradeClientGoneBeforeDecision();
    void webSocketOutlivesFront();
    void concurrentConnections();
    void concurrentWebSocketsAreCorrelated();
    void stopListening();
    void connectionsPerAddressLimit();
    void connectionsCountUntilWebSocketIsGone();
    void handshakesPerAddressLimit();
    void exemptAddressesAreNotLimited();
    void headSplitAcrossReads_data();
    void headSplitAcrossReads();
    void largeResponseReachesSlowReader();
    void framesBeyondTheHeadLimitWaitForTheDecision();
    void acceptPausesWhileDescriptorsRunOut();

private:
    std::unique_ptr<TestHandler> m_handler;
    std::unique_ptr<HttpFront> m_front;
    quint16 m_port = 0;
};

// A front with only the per-address limits of the test (loopback not exempt unless told).
static std::unique_ptr<HttpFront> limitedFront(HttpHandler *handler, int maxConnections,
                                               int handshakesPerSecond, const QList<Subnet> &exempt = {})
{
    HttpLimits limits = testLimits();
    limits.maxConnectionsPerAddress = maxConnections;
    limits.handshakesPerAddressPerSecond = handshakesPerSecond;
    limits.exemptSubnets = exempt;
    auto front = std::make_unique<HttpFront>(handler, limits);
    if (!front->listen(QHostAddress::LocalHost, 0))
        return nullptr;
    return front;
}

void tst_HttpFront::initTestCase()
{
    QLoggingCategory::setFilterRules(u"switchboard.http.debug=false\nswitchboard.http.info=false"_s);
    // Both ends of every connection live in this process.
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 4096) {
        limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 4096);
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

void tst_HttpFront::init()
{
    m_handler = std::make_unique<TestHandler>();
    m_front = std::make_unique<HttpFront>(m_handler.get(), testLimits());
    QVERIFY2(m_front->listen(QHostAddress::LocalHost, 0), qPrintable(m_front->errorString()));
    m_port = m_front->serverPort();
}

void tst_HttpFront::cleanup()
{
    m_front.reset();
    m_handler.reset();
}

void tst_HttpFront::listensOnAnyFreePort()
{
    QVERIFY(m_port != 0);
    QCOMPARE(m_front->serverAddress(), QHostAddress(QHostAddress::LocalHost));
    TestHandler handler;
    HttpFront second(&handler, testLimits());
    QVERIFY(!second.listen(QHostAddress::LocalHost, m_port));
    QVERIFY(!second.errorString().isEmpty());
}

void tst_HttpFront::getIsAnswered()
{
    RawClient client(m_port, "GET /hello?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 200);
    QCOMPARE(client.json().value("path"_L1).toString(), u"/hello"_s);
    QCOMPARE(client.json().value("method"_L1).toString(), u"GET"_s);
    QVERIFY(client.received.contains("\r\nConnection: close\r\n"));
    QCOMPARE(m_handler->requests.size(), 1);
    QCOMPARE(m_handler->requests.first().queryValue(u"x"_s), u"1"_s);
    QCOMPARE(m_handler->requests.first().peerAddress, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(m_handler->requests.first().peerPort, client.localPort);
    QTRY_COMPARE(m_front->pendingCount(), 0);
}

void tst_HttpFront::headRequestHasNoBody()
{
    RawClient client(m_port, "HEAD /hello HTTP/1.1\r\n\r\n");
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 200);
    QVERIFY(client.received.endsWith("\r\n\r\n"));
    QVERIFY(!client.received.contains("Content-Length: 0\r\n"));
}

void tst_HttpFront::answerLater()
{
    QList<HttpResponder> held;
    m_handler->onRequest = [&](const HttpRequest &, HttpResponder responder) { held.append(responder); };
    RawClient client(m_port, "GET /slow HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(held.size(), 1);
    const HttpResponder copy = held.first();
    QVERIFY(copy.isPending());
    QCOMPARE(m_front->pendingCount(), 1);

    // Nothing is sent until the owner answers, and only the first answer counts.
    QTest::qWait(50);
    QVERIFY(client.received.isEmpty());
    held.first().respond(202, jsonError(u"later"_s));
    QVERIFY(!copy.isPending());
    copy.respond(500, "{}");
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 202);
    QCOMPARE(client.json().value("error"_L1).toString(), u"later"_s);
    QTRY_COMPARE(m_front->pendingCount(), 0);
}

void tst_HttpFront::answerAfterClientLeftDoesNothing()
{
    QList<HttpResponder> held;
    m_handler->onRequest = [&](const HttpRequest &, HttpResponder responder) { held.append(responder); };
    {
        RawClient client(m_port, "GET /gone HTTP/1.1\r\n\r\n");
        QTRY_COMPARE(held.size(), 1);
        client.socket.abort();
    }
    QTRY_COMPARE(m_front->pendingCount(), 0);
    QTRY_VERIFY(!held.first().isPending());
    held.first().respond(200, "{}"); // must not crash or write anywhere
    m_front.reset();
    held.first().respond(200, "{}"); // nor after the front is gone
    QVERIFY(!held.first().isPending());
    HttpResponder().respond(200, "{}"); // a default handle is inert
}

void tst_HttpFront::postBodyInPieces()
{
    RawClient client(m_port, "POST /api/v1/agents/register HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello");
    QTRY_VERIFY(client.socket.state() == QAbstractSocket::ConnectedState);
    QTest::qWait(50);
    QVERIFY(m_handler->requests.isEmpty()); // body incomplete
    client.socket.write(" world");
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 200);
    QCOMPARE(client.json().value("body"_L1).toString(), u"hello world"_s);
    QCOMPARE(m_handler->requests.first().body, "hello world"_ba);
}

void tst_HttpFront::expectContinue()
{
    RawClient client(m_port, "POST /x HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    QTRY_VERIFY(client.received.startsWith("HTTP/1.1 100 Continue\r\n\r\n"));
    client.received.clear();
    client.socket.write("abc");
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 200);
    QCOMPARE(client.json().value("body"_L1).toString(), u"abc"_s);
}

void tst_HttpFront::bodyTooLarge()
{
    const quint64 hitsBefore = m_front->limitHits().value(u"body_bytes"_s);
    RawClient client(m_port, "POST /x HTTP/1.1\r\nContent-Length: 1025\r\n\r\n" + QByteArray(1025, 'b'));
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 413);
    QCOMPARE(m_front->limitHits().value(u"body_bytes"_s), hitsBefore + 1);
    QVERIFY(client.json().value("details"_L1).toString().contains(u"1024"_s));
    QVERIFY(m_handler->requests.isEmpty());

    RawClient exact(m_port, "POST /x HTTP/1.1\r\nContent-Length: 1024\r\n\r\n" + QByteArray(1024, 'b'));
    QTRY_VERIFY(exact.closed);
    QCOMPARE(exact.status(), 200);
    QTRY_COMPARE(m_front->pendingCount(), 0);
}

void tst_HttpFront::headTooLarge_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("never ends") << QByteArray("GET / HTTP/1.1\r\nX-Pad: " + QByteArray(4096, 'p'));
    QTest::newRow("ends too late") << QByteArray("GET / HTTP/1.1\r\nX-Pad: " + QByteArray(2100, 'p') +
                                                 "\r\n\r\n");
    QTest::newRow("just over") << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(2048 - 22, 'p') +
                                             "\r\n\r\n");
}

void tst_HttpFront::headTooLarge()
{
    QFETCH(QByteArray, data);
    const quint64 hitsBefore = m_front->limitHits().value(u"header_bytes"_s);
    RawClient client(m_port, data);
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 431);
    QCOMPARE(client.json().value("error"_L1).toString(), u"Request header fields too large"_s);
    QCOMPARE(m_front->limitHits().value(u"header_bytes"_s), hitsBefore + 1);
    QVERIFY(m_handler->requests.isEmpty());
    QTRY_COMPARE(m_front->pendingCount(), 0);

    // A head of exactly the limit is fine.
    const QByteArray exact = "GET / HTTP/1.1\r\nX: " + QByteArray(2048 - 23, 'p') + "\r\n\r\n";
    QCOMPARE(exact.size(), 2048);
    RawClient ok(m_port, exact);
    QTRY_VERIFY(ok.closed);
    QCOMPARE(ok.status(), 200);
}

void tst_HttpFront::malformedRequest_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<int>("status");
    QTest::newRow("garbage") << "hello there\r\n\r\n"_ba << 400;
    QTest::newRow("obs-fold") << "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"_ba << 400;
    QTest::newRow("no colon") << "GET / HTTP/1.1\r\nbroken\r\n\r\n"_ba << 400;
    QTest::newRow("chunked") << "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"_ba << 411;
    QTest::newRow("bad length") << "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"_ba << 400;
}

void tst_HttpFront::malformedRequest()
{
    QFETCH(QByteArray, data);
    QFETCH(int, status);
    RawClient client(m_port, data);
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), status);
    QVERIFY(client.json().contains("error"_L1));
    QVERIFY(client.json().contains("details"_L1));
    QVERIFY(m_handler->requests.isEmpty());
}

void tst_HttpFront::handshakeTimeoutClosesIdleSocket_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("silent") << QByteArray();
    QTest::newRow("partial head") << "GET / HTTP/1.1\r\nHost: x\r\n"_ba;
    QTest::newRow("partial body") << "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"_ba;
}

void tst_HttpFront::handshakeTimeoutClosesIdleSocket()
{
    QFETCH(QByteArray, data);
    HttpLimits limits = testLimits();
    limits.handshakeTimeout = 300ms;
    TestHandler handler;
    HttpFront front(&handler, limits);
    QVERIFY(front.listen(QHostAddress::LocalHost, 0));

    RawClient client(front.serverPort(), data);
    QTRY_COMPARE(front.pendingCount(), 1);
    QElapsedTimer elapsed;
    elapsed.start();
    QTRY_VERIFY_WITH_TIMEOUT(client.closed, 5000);
    QVERIFY2(elapsed.elapsed() >= 200, "closed before the timeout");
    QCOMPARE(client.status(), 408);
    QCOMPARE(front.limitHits().value(u"handshake_timeout"_s), quint64(1));
    QTRY_COMPARE(front.pendingCount(), 0);
    QVERIFY(handler.requests.isEmpty());
}

void tst_HttpFront::upgradeAccepted()
{
    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy received(&client, &QWebSocket::textMessageReceived);
    client.open(QUrl(u"ws://127.0.0.1:%1/api/v1/ws/sessions?id=c1&token=abc"_s.arg(m_port)));
    QTRY_COMPARE(connected.size(), 1);
    QTRY_COMPARE(m_handler->webSockets.size(), 1);

    QCOMPARE(m_handler->upgradeRequests.size(), 1);
    const HttpRequest &request = m_handler->webSocketRequests.first();
    QCOMPARE(request.path, u"/api/v1/ws/sessions"_s);
    QCOMPARE(request.queryValue(u"token"_s), u"abc"_s);
    QCOMPARE(request.peerPort, client.localPort());
    QCOMPARE(m_handler->contexts.first().toString(), u"c1"_s);
    QCOMPARE(m_handler->webSockets.first()->parent(), m_handler.get());
    QVERIFY(m_handler->requests.isEmpty());

    client.sendTextMessage(u"hi"_s);
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.first().first().toString(), u"echo:c1:hi"_s);
    m_handler->webSockets.first()->sendText("from server");
    QTRY_COMPARE(received.size(), 2);
    QCOMPARE(m_front->pendingCount(), 0);

    client.close();
    QTRY_VERIFY(!m_handler->webSockets.first() ||
                m_handler->webSockets.first()->state() == WsConnection::State::Closed);
}

void tst_HttpFront::upgradeAcceptedLaterWithBufferedHead()
{
    // The decision comes long after the head arrived: no further readyRead will ever come, so
    // accepting must work from the head already in the buffer.
    QList<UpgradeDecision> held;
    m_handler->onUpgrade = [&](const HttpRequest &, UpgradeDecision decision) { held.append(decision); };
    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy received(&client, &QWebSocket::textMessageReceived);
    client.open(QUrl(u"ws://127.0.0.1:%1/later"_s.arg(m_port)));
    QTRY_COMPARE(held.size(), 1);
    QVERIFY(held.first().isPending());
    QTest::qWait(100);
    QCOMPARE(connected.size(), 0);

    held.first().accept(QVariant(u"late"_s));
    QVERIFY(!held.first().isPending());
    held.first().reject(403, "{}"); // second decision is ignored
    QTRY_COMPARE(connected.size(), 1);
    QTRY_COMPARE(m_handler->webSockets.size(), 1);
    client.sendTextMessage(u"x"_s);
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.first().first().toString(), u"echo:late:x"_s);
}

void tst_HttpFront::rawUpgradeGetsSwitchingProtocols()
{
    RawClient client(m_port, kUpgradeHead);
    QTRY_VERIFY(client.received.contains("\r\n\r\n"));
    QCOMPARE(client.status(), 101);
    // RFC 6455 section 1.3's example key and its accept value.
    QVERIFY(client.received.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    QTRY_COMPARE(m_handler->webSockets.size(), 1);
    QCOMPARE(m_handler->webSocketRequests.first().queryValue(u"agent_id"_s), u"k8s-1"_s);
}

void tst_HttpFront::upgradeRejected()
{
    m_handler->onUpgrade = [](const HttpRequest &, UpgradeDecision decision) {
        decision.reject(401, jsonError(u"Invalid API key format"_s), {{"WWW-Authenticate", "Bearer"}});
    };
    RawClient client(m_port, kUpgradeHead);
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 401);
    QVERIFY(client.received.startsWith("HTTP/1.1 401 Unauthorized\r\n"));
    QVERIFY(client.received.contains("\r\nWWW-Authenticate: Bearer\r\n"));
    QVERIFY(client.received.contains("\r\nContent-Type: application/json\r\n"));
    QCOMPARE(client.json().value("error"_L1).toString(), u"Invalid API key format"_s);
    QVERIFY(m_handler->webSockets.isEmpty());
    QTRY_COMPARE(m_front->pendingCount(), 0);

    // A real WebSocket client just fails to connect.
    QWebSocket webSocket;
    QSignalSpy connected(&webSocket, &QWebSocket::connected);
    webSocket.open(QUrl(u"ws://127.0.0.1:%1/x"_s.arg(m_port)));
    QTRY_COMPARE(webSocket.state(), QAbstractSocket::UnconnectedState);
    QTRY_COMPARE(m_handler->upgradeRequests.size(), 2);
    QTRY_COMPARE(webSocket.state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(connected.size(), 0);
}

void tst_HttpFront::upgradeRejectedLater()
{
    QList<UpgradeDecision> held;
    m_handler->onUpgrade = [&](const HttpRequest &, UpgradeDecision decision) { held.append(decision); };
    RawClient client(m_port, kUpgradeHead);
    QTRY_COMPARE(held.size(), 1);
    held.first().reject(404, jsonError(u"Agent not found"_s, u"k8s-1"_s));
    held.first().accept();
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), 404);
    QCOMPARE(client.json().value("details"_L1).toString(), u"k8s-1"_s);
    QVERIFY(m_handler->webSockets.isEmpty());
}

void tst_HttpFront::invalidUpgradeHeaders_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<int>("status");
    QByteArray noKey = kUpgradeHead;
    noKey.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "");
    QByteArray badKey = kUpgradeHead;
    badKey.replace("dGhlIHNhbXBsZSBub25jZQ==", "short");
    QByteArray oldVersion = kUpgradeHead;
    oldVersion.replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8");
    QByteArray noConnection = kUpgradeHead;
    noConnection.replace("Connection: Upgrade\r\n", "");
    QTest::newRow("no key") << noKey << 400;
    QTest::newRow("bad key") << badKey << 400;
    QTest::newRow("old version") << oldVersion << 426;
    QTest::newRow("no connection upgrade") << noConnection << 400;
}

void tst_HttpFront::invalidUpgradeHeaders()
{
    QFETCH(QByteArray, head);
    QFETCH(int, status);
    RawClient client(m_port, head);
    QTRY_VERIFY(client.closed);
    QCOMPARE(client.status(), status);
    if (status == 426)
        QVERIFY(client.received.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    QVERIFY(m_handler->upgradeRequests.isEmpty());
}

void tst_HttpFront::upgradeClientGoneBeforeDecision()
{
    QList<UpgradeDecision> held;
    m_handler->onUpgrade = [&](const HttpRequest &, UpgradeDecision decision) { held.append(decision); };
    {
        RawClient client(m_port, kUpgradeHead);
        QTRY_COMPARE(held.size(), 1);
        client.socket.abort();
    }
    QTRY_COMPARE(m_front->pendingCount(), 0);
    QTRY_VERIFY(!held.first().isPending());
    held.first().accept(QVariant(1));
    QTest::qWait(50);
    QVERIFY(m_handler->webSockets.isEmpty());
}

void tst_HttpFront::webSocketOutlivesFront()
{
    QWebSocket client;
    QSignalSpy received(&client, &QWebSocket::textMessageReceived);
    client.open(QUrl(u"ws://127.0.0.1:%1/ws?id=kept"_s.arg(m_port)));
    QTRY_COMPARE(m_handler->webSockets.size(), 1);
    m_front.reset(); // the handler keeps the socket; its TCP connection must survive
    QVERIFY(m_handler->webSockets.first());
    // The server side has the socket once it wrote the 101; the client may not have read it yet,
    // and QWebSocket drops a message sent before it is connected.
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    client.sendTextMessage(u"still there"_s);
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.first().first().toString(), u"echo:kept:still there"_s);
}

void tst_HttpFront::concurrentConnections()
{
    constexpr int kClients = 500;
    // Half the answers are given later, as a handler waiting for storage would.
    int answered = 0;
    m_handler->onRequest = [&](const HttpRequest &request, HttpResponder responder) {
        const QByteArray body = "{\"n\":" + request.queryValue(u"n"_s).toLatin1() + '}';
        if (request.queryValue(u"n"_s).toInt() % 2 == 0) {
            responder.respond(200, body);
            ++answered;
        } else {
            QTimer::singleShot(1, this, [responder, body, &answered] {
                responder.respond(200, body);
                ++answered;
            });
        }
    };
    std::vector<std::unique_ptr<RawClient>> clients;
    clients.reserve(kClients);
    for (int i = 0; i < kClients; ++i)
        clients.push_back(
            std::make_unique<RawClient>(m_port, "GET /n?n=" + QByteArray::number(i) + " HTTP/1.1\r\n\r\n"));
    const auto allClosed = [&] {
        return std::all_of(clients.begin(), clients.end(), [](const auto &client) { return client->closed; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(allClosed(), 30000);
    for (int i = 0; i < kClients; ++i) {
        QCOMPARE(clients[i]->status(), 200);
        QCOMPARE(clients[i]->json().value("n"_L1).toInt(), i);
    }
    QCOMPARE(answered, kClients);
    QTRY_COMPARE(m_front->pendingCount(), 0);
}

void tst_HttpFront::concurrentWebSocketsAreCorrelated()
{
    // Each QWebSocket must reach handleWebSocket with its own request and context.
    constexpr int kClients = 100;
    std::vector<std::unique_ptr<QWebSocket>> clients;
    std::vector<QString> replies(kClients);
    for (int i = 0; i < kClients; ++i) {
        auto client = std::make_unique<QWebSocket>();
        QWebSocket *raw = client.get();
        connect(raw, &QWebSocket::connected, this, [raw, i] { raw->sendTextMessage(QString::number(i)); });
        connect(raw, &QWebSocket::textMessageReceived, this,
                [&replies, i](const QString &text) { replies[i] = text; });
        raw->open(QUrl(u"ws://127.0.0.1:%1/ws?id=client%2"_s.arg(m_port).arg(i)));
        clients.push_back(std::move(client));
    }
    const auto allReplied = [&] {
        return std::none_of(replies.begin(), replies.end(),
                            [](const QString &reply) { return reply.isEmpty(); });
    };
    QTRY_VERIFY_WITH_TIMEOUT(allReplied(), 30000);
    for (int i = 0; i < kClients; ++i)
        QCOMPARE(replies[i], u"echo:client%1:%1"_s.arg(i));
    for (int i = 0; i < m_handler->webSockets.size(); ++i)
        QCOMPARE(m_handler->webSocketRequests[i].queryValue(u"id"_s), m_handler->contexts[i].toString());
    QCOMPARE(m_front->pendingCount(), 0);
}

void tst_HttpFront::stopListening()
{
    m_front->stopListening();
    QTcpSocket socket;
    QSignalSpy errors(&socket, &QTcpSocket::errorOccurred);
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(socket.error(), QAbstractSocket::ConnectionRefusedError);
}

void tst_HttpFront::connectionsPerAddressLimit()
{
    QLoggingCategory::setFilterRules(u"switchboard.limits.warning=false"_s);
    TestHandler handler;
    QList<HttpResponder> held;
    handler.onRequest = [&](const HttpRequest &, HttpResponder responder) { held.append(responder); };
    const auto front = limitedFront(&handler, 2, 0);
    QVERIFY(front);
    // Two connections held open by the handler, then a third from the same address.
    RawClient first(front->serverPort(), "GET /a HTTP/1.1\r\n\r\n");
    RawClient second(front->serverPort(), "GET /b HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(held.size(), 2);
    RawClient third(front->serverPort(), "GET /c HTTP/1.1\r\n\r\n");
    QTRY_VERIFY(third.closed);
    QCOMPARE(third.status(), 429);
    QVERIFY(third.received.contains("\r\nRetry-After: 10\r\n"));
    QCOMPARE(third.json().value("error"_L1).toString(), u"Too many requests"_s);
    QCOMPARE(handler.requests.size(), 2);
    QCOMPARE(front->limitHits().value(u"connections_per_ip"_s), quint64(1));

    // Once one is answered and gone, the address may connect again.
    held.first().respond(200, "{}");
    QTRY_VERIFY(first.closed);
    QTRY_COMPARE(front->pendingCount(), 1);
    RawClient fourth(front->serverPort(), "GET /d HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(held.size(), 3);
    held.last().respond(200, "{}");
    QTRY_VERIFY(fourth.closed);
    QCOMPARE(fourth.status(), 200);
}

void tst_HttpFront::connectionsCountUntilWebSocketIsGone()
{
    QLoggingCategory::setFilterRules(u"switchboard.limits.warning=false"_s);
    TestHandler handler;
    const auto front = limitedFront(&handler, 1, 0);
    QVERIFY(front);
    QWebSocket socket;
    QSignalSpy connected(&socket, &QWebSocket::connected);
    socket.open(QUrl(u"ws://127.0.0.1:%1/ws"_s.arg(front->serverPort())));
    QVERIFY(connected.wait(10000));
    QTRY_COMPARE(handler.webSockets.size(), 1);
    // The upgraded connection still counts although the front no longer holds it.
    RawClient refused(front->serverPort(), "GET /x HTTP/1.1\r\n\r\n");
    QTRY_VERIFY(refused.closed);
    QCOMPARE(refused.status(), 429);

    delete handler.webSockets.first().data(); // the owner lets go of the connection
    RawClient admitted(front->serverPort(), "GET /y HTTP/1.1\r\n\r\n");
    QTRY_VERIFY(admitted.closed);
    QCOMPARE(admitted.status(), 200);
}

void tst_HttpFront::handshakesPerAddressLimit()
{
    QLoggingCategory::setFilterRules(u"switchboard.limits.warning=false"_s);
    TestHandler handler;
    const auto front = limitedFront(&handler, 0, 1); // bursts of 2, then 1 per second
    QVERIFY(front);
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 4; ++i)
        clients.push_back(std::make_unique<RawClient>(front->serverPort(), kUpgradeHead));
    int refused = 0;
    for (const auto &client : clients) {
        QTRY_VERIFY(client->closed || client->received.startsWith("HTTP/1.1 101"));
        if (client->status() == 429) {
            ++refused;
            QVERIFY(client->received.contains("\r\nRetry-After: 1\r\n"));
        }
    }
    // Four handshakes well within a second: the burst of two passes; at most one more token
    // can have been refilled meanwhile.
    QVERIFY2(refused >= 1 && refused <= 2, qPrintable(QString::number(refused)));
    QCOMPARE(handler.upgradeRequests.size(), 4 - refused);
    QCOMPARE(front->limitHits().value(u"handshakes_per_ip"_s), quint64(refused));
}

void tst_HttpFront::exemptAddressesAreNotLimited()
{
    TestHandler handler;
    const auto front = limitedFront(&handler, 1, 1, {*parseSubnetOrAddress(u"127.0.0.0/8"_s)});
    QVERIFY(front);
    QList<HttpResponder> held;
    handler.onRequest = [&](const HttpRequest &, HttpResponder responder) { held.append(responder); };
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 5; ++i)
        clients.push_back(std::make_unique<RawClient>(front->serverPort(), "GET /a HTTP/1.1\r\n\r\n"));
    QTRY_COMPARE(held.size(), 5);
    for (const HttpResponder &responder : std::as_const(held))
        responder.respond(200, "{}");
    for (const auto &client : clients) {
        QTRY_VERIFY(client->closed);
        QCOMPARE(client->status(), 200);
    }
    QVERIFY(front->limitHits().isEmpty());
}

void tst_HttpFront::headSplitAcrossReads_data()
{
    QTest::addColumn<int>("tailBytes");
    // The head's last bytes arrive one by one, so that its terminating CRLFCRLF is split across
    // reads at every position.
    QTest::newRow("last byte alone") << 1;
    QTest::newRow("last two bytes one by one") << 2;
    QTest::newRow("last three bytes one by one") << 3;
    QTest::newRow("last four bytes one by one") << 4;
    QTest::newRow("whole head one byte at a time") << 0;
}

void tst_HttpFront::headSplitAcrossReads()
{
    QFETCH(int, tailBytes);
    const QByteArray head = "GET /split HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: abc\r\n\r\n";
    const qsizetype first = tailBytes == 0 ? 0 : head.size() - tailBytes;
    UnreadSocket client(m_port);
    QVERIFY(client.isConnected());
    if (first > 0)
        QVERIFY(client.sendAll(head.first(first)));
    for (qsizetype i = first; i < head.size(); ++i) {
        // Long enough for the front to read what came so far: each byte is a read of its own.
        QTest::qWait(tailBytes == 0 ? 2 : 30);
        QVERIFY(client.sendAll(head.sliced(i, 1)));
    }
    QByteArray received;
    QVERIFY(client.readToEnd(&received, 5s));
    QVERIFY2(received.startsWith("HTTP/1.1 200 "), received.constData());
    QCOMPARE(m_handler->requests.size(), 1);
    QCOMPARE(m_handler->requests.first().path, u"/split"_s);
    QCOMPARE(m_handler->requests.first().header("X-Filler"), QByteArray("abc"));
}

void tst_HttpFront::largeResponseReachesSlowReader()
{
    // Far more than the kernel's socket buffers take at once: the front must keep the rest and
    // write it as the client reads, then close.
    const QByteArray body(8 * 1024 * 1024, 'x');
    m_handler->onRequest = [&](const HttpRequest &, HttpResponder responder) {
        responder.respond(200, body, "application/octet-stream");
    };
    UnreadSocket client(m_port);
    QVERIFY(client.isConnected());
    QVERIFY(client.sendAll("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
    QTRY_COMPARE(m_handler->requests.size(), 1);
    QTest::qWait(200); // the client reads nothing meanwhile
    QCOMPARE(m_front->pendingCount(), 1);

    QByteArray received;
    QVERIFY(client.readToEnd(&received, 20s));
    const qsizetype end = received.indexOf("\r\n\r\n");
    QVERIFY(end > 0);
    QVERIFY(received.startsWith("HTTP/1.1 200 "));
    QCOMPARE(received.size() - end - 4, body.size());
    QVERIFY(received.sliced(end + 4) == body);
    client.close(); // the front drains until the client closes its side too
    QTRY_COMPARE(m_front->pendingCount(), 0);
}

void tst_HttpFront::framesBeyondTheHeadLimitWaitForTheDecision()
{
    // The client sends its head and, without waiting for 101, more frames than the front buffers
    // (maxHeaderBytes is 2,048 here). The front stops reading at its limit; once the upgrade is
    // accepted, the connection reads on and every message arrives, in order.
    QList<UpgradeDecision> held;
    m_handler->onUpgrade = [&](const HttpRequest &, UpgradeDecision decision) { held.append(decision); };
    QByteArray frames;
    QList<QByteArray> messages;
    for (int i = 0; i < 8; ++i) {
        messages.append(QByteArray::number(i) + ':' + QByteArray(997, char('a' + i)));
        frames += maskedTextFrame(messages.last());
    }
    UnreadSocket client(m_port);
    QVERIFY(client.isConnected());
    QVERIFY(client.sendAll(kUpgradeHead + frames));
    QTRY_COMPARE(held.size(), 1);
    QTest::qWait(100); // everything the front would read has arrived
    QCOMPARE(m_handler->webSockets.size(), 0);

    held.first().accept();
    QCOMPARE(m_handler->webSockets.size(), 1);
    QSignalSpy received(m_handler->webSockets.first().data(), &WsConnection::textMessageReceived);
    QTRY_COMPARE(received.size(), messages.size());
    for (int i = 0; i < messages.size(); ++i)
        QCOMPARE(received.at(i).first().toByteArray(), messages.at(i));
}

namespace {
int g_acceptFailures = 0;
QtMessageHandler g_previousHandler = nullptr;
void countAcceptFailures(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (message.contains(u"accepting a connection failed"_s))
        ++g_acceptFailures;
    else if (g_previousHandler)
        g_previousHandler(type, context, message);
}
} // namespace

void tst_HttpFront::acceptPausesWhileDescriptorsRunOut()
{
    // Clients wait in the kernel's accept queue while the process has no descriptor left: the
    // front must neither spin on the readable listening socket nor stop accepting for good.
    std::vector<std::unique_ptr<UnreadSocket>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<UnreadSocket>(m_port));
        QVERIFY(clients.back()->isConnected());
        QVERIFY(clients.back()->sendAll("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"));
    }
    rlimit saved{};
    QCOMPARE(getrlimit(RLIMIT_NOFILE, &saved), 0);
    const int lowestFree = ::dup(0);
    QVERIFY(lowestFree >= 0);
    ::close(lowestFree);
    rlimit exhausted = saved;
    exhausted.rlim_cur = rlim_t(lowestFree); // no descriptor below the limit is free
    g_acceptFailures = 0;
    g_previousHandler = qInstallMessageHandler(countAcceptFailures);
    QCOMPARE(setrlimit(RLIMIT_NOFILE, &exhausted), 0);
    QTest::qWait(400);
    setrlimit(RLIMIT_NOFILE, &saved);
    qInstallMessageHandler(g_previousHandler);

    QCOMPARE(m_handler->requests.size(), 0);
    QVERIFY2(g_acceptFailures >= 1, "accept never ran into the limit");
    // One attempt per pause (100 ms), not one per turn of the event loop.
    QVERIFY2(g_acceptFailures <= 10, qPrintable(u"%1 failed accepts in 400 ms"_s.arg(g_acceptFailures)));
    for (const auto &client : clients) {
        QByteArray received;
        QVERIFY(client->readToEnd(&received, 5s));
        QVERIFY2(received.startsWith("HTTP/1.1 200 "), received.constData());
    }
    QCOMPARE(m_handler->requests.size(), 3);
}

QTEST_GUILESS_MAIN(tst_HttpFront)
#include "tst_httpfront.moc"
