// WsConnection, the server end of a WebSocket, over real sockets on port 0: upgraded by HttpFront
// (as in the server), driven by a raw client that writes exactly the frames a case needs and
// decodes what comes back with the shared codec. Covers messages of every header size,
// fragments with control frames between them, both closing handshakes, every protocol error with
// its close code, a peer that vanishes, abort(), bytes sent right behind the upgrade request, and
// the exact count of unwritten messages under backpressure (the slow-client measure).
#include "net/HttpFront.h"
#include "net/WsConnection.h"
#include "shared/WsCodec.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

using namespace switchboard;
using namespace Qt::StringLiterals;

namespace {

class AcceptAll : public QObject, public HttpHandler
{
public:
    QList<QPointer<WsConnection>> connections;
    QList<QByteArray> texts; // of every connection, recorded from the moment it is handed over
    qint64 maxMessageBytes = 1024 * 1024;

    void handleHttpRequest(const HttpRequest &, HttpResponder responder) override
    {
        responder.respond(404, "{}");
    }
    void handleUpgradeRequest(const HttpRequest &, UpgradeDecision decision) override { decision.accept(); }
    void handleWebSocket(WsConnection *connection, const HttpRequest &, const QVariant &) override
    {
        connection->setParent(this);
        connection->setMaxMessageBytes(maxMessageBytes);
        connections.append(connection);
        connect(connection, &WsConnection::textMessageReceived, this,
                [this](const QByteArray &text) { texts.append(text); });
    }
};

// A client on a non-blocking POSIX socket; reads only when told to (pump).
class RawWsClient
{
public:
    struct Received
    {
        ws::Opcode opcode;
        std::string payload;
    };

    ~RawWsClient()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    bool connectTo(quint16 port, int receiveBufferBytes = 0)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (receiveBufferBytes > 0)
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferBytes, sizeof receiveBufferBytes);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
            return false;
        ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
        return true;
    }

    static std::string upgradeRequest() { return ws::upgradeRequest("127.0.0.1", "/ws", kKey); }

    // Sends the upgrade (plus `extra` in the same write) and waits for the 101.
    bool handshake(const std::string &extra = {})
    {
        if (!writeAll(upgradeRequest() + extra))
            return false;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 5000) {
            pumpRaw();
            const ws::UpgradeResult result = ws::parseUpgradeResponse(m_in, kKey);
            if (result.kind == ws::UpgradeResult::Kind::Refused)
                return false;
            if (result.kind == ws::UpgradeResult::Kind::Upgraded) {
                m_decoder.feed(m_in.data() + result.headBytes, m_in.size() - result.headBytes);
                m_in.clear();
                m_upgraded = true;
                return true;
            }
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        }
        return false;
    }

    static std::string frame(ws::Opcode opcode, std::string_view payload, bool fin = true, bool masked = true)
    {
        std::string out;
        ws::appendFrame(out, opcode, payload, fin,
                        masked ? std::optional<std::uint32_t>(0x5a17c0de) : std::nullopt);
        return out;
    }
    bool send(ws::Opcode opcode, std::string_view payload, bool fin = true, bool masked = true)
    {
        return writeAll(frame(opcode, payload, fin, masked));
    }
    bool writeAll(const std::string &bytes)
    {
        std::size_t done = 0;
        QElapsedTimer timer;
        timer.start();
        while (done < bytes.size() && timer.elapsed() < 5000) {
            const ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n > 0)
                done += std::size_t(n);
            else
                QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        }
        return done == bytes.size();
    }

    // Reads what the kernel has and decodes it; true when something new arrived.
    bool pump()
    {
        const std::size_t before = m_in.size();
        pumpRaw();
        if (!m_upgraded || m_in.size() == before)
            return false;
        m_decoder.feed(m_in.data(), m_in.size());
        m_in.clear();
        for (;;) {
            const ws::Decoder::Event event = m_decoder.next();
            if (event.kind == ws::Decoder::Event::Kind::NeedMore ||
                event.kind == ws::Decoder::Event::Kind::Error)
                break;
            received.append({event.opcode, std::string(event.payload)});
        }
        return true;
    }
    bool peerClosed() const { return m_peerClosed; }
    void closeSocket()
    {
        ::close(m_fd);
        m_fd = -1;
    }

    std::optional<ws::CloseInfo> closeFrame() const
    {
        for (const Received &r : received) {
            if (r.opcode == ws::Opcode::Close)
                return ws::parseClosePayload(r.payload);
        }
        return std::nullopt;
    }
    int count(ws::Opcode opcode) const
    {
        return int(std::count_if(received.cbegin(), received.cend(),
                                 [opcode](const Received &r) { return r.opcode == opcode; }));
    }

    QList<Received> received;

private:
    static constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";

    void pumpRaw()
    {
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                m_in.append(buffer, std::size_t(n));
            } else {
                if (n == 0)
                    m_peerClosed = true;
                break;
            }
        }
    }

    int m_fd = -1;
    std::string m_in;
    ws::Decoder m_decoder{ws::Decoder::Peer::Server, 64 * 1024 * 1024};
    bool m_upgraded = false;
    bool m_peerClosed = false;
};

} // namespace

class tst_WsConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void messagesOfEveryHeaderSize_data();
    void messagesOfEveryHeaderSize();
    void fragmentsWithPingBetween();
    void framesRightBehindTheUpgradeRequest();
    void peerStartsClose();
    void serverStartsClose();
    void protocolErrorsClose_data();
    void protocolErrorsClose();
    void peerVanishes();
    void abortReportsOnce();
    void backpressureIsCountedExactly();
    void sharedFrameReachesEveryone();
    void queuedFramesWaitForFlush();
    void noDelayIsSet();

private:
    WsConnection *accept(RawWsClient &client, const std::string &extra = {}, int receiveBuffer = 0);

    std::unique_ptr<AcceptAll> m_handler;
    std::unique_ptr<HttpFront> m_front;
};

void tst_WsConnection::init()
{
    m_handler = std::make_unique<AcceptAll>();
    m_front = std::make_unique<HttpFront>(m_handler.get(), HttpLimits{});
    QVERIFY(m_front->listen(QHostAddress::LocalHost, 0));
}

void tst_WsConnection::cleanup()
{
    m_front.reset();
    m_handler.reset();
}

WsConnection *tst_WsConnection::accept(RawWsClient &client, const std::string &extra, int receiveBuffer)
{
    const qsizetype before = m_handler->connections.size();
    if (!client.connectTo(m_front->serverPort(), receiveBuffer) || !client.handshake(extra))
        return nullptr;
    if (!QTest::qWaitFor([&] { return m_handler->connections.size() > before; }, 5000))
        return nullptr;
    return m_handler->connections.last();
}

void tst_WsConnection::messagesOfEveryHeaderSize_data()
{
    QTest::addColumn<int>("size");
    for (int size : {0, 1, 125, 126, 65535, 65536, 300000})
        QTest::addRow("%d bytes", size) << size;
}

void tst_WsConnection::messagesOfEveryHeaderSize()
{
    QFETCH(int, size);
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    QSignalSpy texts(connection, &WsConnection::textMessageReceived);

    const std::string payload(std::size_t(size), 'a');
    QVERIFY(client.send(ws::Opcode::Text, payload));
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts.first().first().toByteArray(), QByteArray::fromStdString(payload));

    // Answered with one unmasked frame of the same payload.
    QVERIFY(connection->sendText(QByteArray::fromStdString(payload)));
    QTRY_VERIFY((client.pump(), client.count(ws::Opcode::Text) == 1));
    QCOMPARE(client.received.first().payload, payload);
    QTRY_COMPARE(connection->messagesToWrite(), 0);
}

void tst_WsConnection::fragmentsWithPingBetween()
{
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    QSignalSpy texts(connection, &WsConnection::textMessageReceived);
    QSignalSpy pongs(connection, &WsConnection::pong);

    QVERIFY(client.send(ws::Opcode::Text, "{\"type\":", false));
    QVERIFY(client.send(ws::Opcode::Ping, "are you there"));
    QVERIFY(client.send(ws::Opcode::Continuation, "\"ping\"", false));
    QVERIFY(client.send(ws::Opcode::Pong, "unsolicited"));
    QVERIFY(client.send(ws::Opcode::Continuation, "}", true));
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts.first().first().toByteArray(), "{\"type\":\"ping\"}"_ba);
    QCOMPARE(pongs.size(), 1);
    QCOMPARE(pongs.first().first().toByteArray(), "unsolicited"_ba);
    // The ping got its pong, with its payload.
    QTRY_VERIFY((client.pump(), client.count(ws::Opcode::Pong) == 1));
    QCOMPARE(client.received.first().payload, std::string("are you there"));
    QCOMPARE(connection->state(), WsConnection::State::Open);
}

void tst_WsConnection::framesRightBehindTheUpgradeRequest()
{
    // A client that does not wait for the 101: its frame is already read with the head and
    // must be decoded, not lost.
    RawWsClient client;
    WsConnection *connection = accept(client, RawWsClient::frame(ws::Opcode::Text, "early"));
    QVERIFY(connection);
    QTRY_COMPARE(m_handler->texts.size(), 1);
    QCOMPARE(m_handler->texts.first(), "early"_ba);
}

void tst_WsConnection::peerStartsClose()
{
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    QSignalSpy disconnected(connection, &WsConnection::disconnected);
    QSignalSpy texts(connection, &WsConnection::textMessageReceived);

    QVERIFY(client.send(ws::Opcode::Close, ws::closePayload(4321, "bye, é")));
    QVERIFY(client.send(ws::Opcode::Text, "after the close")); // must be ignored
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(connection->closeCode(), 4321);
    QCOMPARE(connection->closeReason(), u"bye, é"_s);
    QCOMPARE(connection->state(), WsConnection::State::Closed);
    QCOMPARE(texts.size(), 0);
    QVERIFY(!connection->sendText("late"));
    // Echoed (RFC 6455 5.5.1), then the server closed the TCP connection.
    QTRY_VERIFY((client.pump(), client.peerClosed()));
    const auto echoed = client.closeFrame();
    QVERIFY(echoed);
    QCOMPARE(echoed->code, 4321);
}

void tst_WsConnection::serverStartsClose()
{
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    QSignalSpy disconnected(connection, &WsConnection::disconnected);

    QVERIFY(connection->sendText("last words"));
    connection->close(4002, u"read timeout"_s);
    QCOMPARE(connection->state(), WsConnection::State::Closing);
    QVERIFY(!connection->sendText("too late"));
    QCOMPARE(disconnected.size(), 0); // never from inside close()

    QTRY_VERIFY((client.pump(), client.closeFrame().has_value()));
    QCOMPARE(client.received.first().payload, std::string("last words"));
    QCOMPARE(client.closeFrame()->code, 4002);
    QCOMPARE(client.closeFrame()->reason, std::string("read timeout"));
    QCOMPARE(client.count(ws::Opcode::Text), 1);
    // Waits for the peer's answer, then closes.
    QTest::qWait(50);
    QCOMPARE(disconnected.size(), 0);
    QVERIFY(client.send(ws::Opcode::Close, ws::closePayload(4002, "")));
    QTRY_COMPARE(disconnected.size(), 1);
    QTRY_VERIFY((client.pump(), client.peerClosed()));
}

void tst_WsConnection::protocolErrorsClose_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    const auto frame = [](ws::Opcode opcode, std::string_view payload, bool fin = true, bool masked = true) {
        return QByteArray::fromStdString(RawWsClient::frame(opcode, payload, fin, masked));
    };
    QByteArray reserved = frame(ws::Opcode::Text, "x");
    reserved[0] = char(reserved[0] | 0x40);
    QTest::newRow("unmasked frame") << frame(ws::Opcode::Text, "{}", true, false) << 1002;
    QTest::newRow("reserved bit") << reserved << 1002;
    QTest::newRow("unknown opcode") << frame(static_cast<ws::Opcode>(0x3), "x") << 1002;
    QTest::newRow("fragmented ping") << frame(ws::Opcode::Ping, "x", false) << 1002;
    QTest::newRow("ping over 125 bytes") << frame(ws::Opcode::Ping, std::string(126, 'p')) << 1002;
    QTest::newRow("continuation first") << frame(ws::Opcode::Continuation, "x") << 1002;
    QTest::newRow("text inside a fragmented message")
        << (frame(ws::Opcode::Text, "a", false) + frame(ws::Opcode::Text, "b")) << 1002;
    QTest::newRow("close with one byte") << frame(ws::Opcode::Close, "\x03") << 1002;
    QTest::newRow("close code 1005 on the wire")
        << frame(ws::Opcode::Close, ws::closePayload(1005, "")) << 1002;
    QTest::newRow("close code 999") << frame(ws::Opcode::Close, ws::closePayload(999, "")) << 1002;
    QTest::newRow("invalid UTF-8 in text") << frame(ws::Opcode::Text, "\xc3\x28") << 1007;
    QTest::newRow("surrogate in text") << frame(ws::Opcode::Text, "\xed\xa0\x80") << 1007;
    QTest::newRow("overlong in text") << frame(ws::Opcode::Text, "\xc0\xaf") << 1007;
    QTest::newRow("UTF-8 split across fragments is fine, broken at the end is not")
        << (frame(ws::Opcode::Text, "\xe2\x82", false) + frame(ws::Opcode::Continuation, "")) << 1007;
    QTest::newRow("invalid UTF-8 in close reason")
        << frame(ws::Opcode::Close, ws::closePayload(1000, "\xff")) << 1007;
    QTest::newRow("message over the limit") << frame(ws::Opcode::Text, std::string(2000, 'x')) << 1009;
    QTest::newRow("fragments over the limit") << (frame(ws::Opcode::Text, std::string(1000, 'x'), false) +
                                                  frame(ws::Opcode::Continuation, std::string(1000, 'x')))
                                              << 1009;
}

void tst_WsConnection::protocolErrorsClose()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    m_handler->maxMessageBytes = 1024;
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    QSignalSpy disconnected(connection, &WsConnection::disconnected);
    QSignalSpy texts(connection, &WsConnection::textMessageReceived);

    QVERIFY(client.writeAll(bytes.toStdString()));
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(texts.size(), 0);
    QTRY_VERIFY((client.pump(), client.peerClosed()));
    const auto close = client.closeFrame();
    QVERIFY2(close, "no close frame before the connection ended");
    QCOMPARE(int(close->code), code);
}

void tst_WsConnection::peerVanishes()
{
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    QSignalSpy disconnected(connection, &WsConnection::disconnected);
    client.closeSocket();
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(connection->closeCode(), 1006);
    QCOMPARE(connection->state(), WsConnection::State::Closed);
}

void tst_WsConnection::abortReportsOnce()
{
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    QSignalSpy disconnected(connection, &WsConnection::disconnected);
    connection->abort();
    QCOMPARE(disconnected.size(), 1); // synchronously, like QAbstractSocket::abort()
    connection->abort();
    connection->close(1000);
    QVERIFY(!connection->sendText("x"));
    QTRY_VERIFY((client.pump(), client.peerClosed()));
    QTest::qWait(20);
    QCOMPARE(disconnected.size(), 1);
    QCOMPARE(client.count(ws::Opcode::Close), 0); // abort sends nothing
}

void tst_WsConnection::backpressureIsCountedExactly()
{
    // A peer that does not read: what the kernel refuses waits in the connection, counted per
    // message; once the peer reads, everything arrives in order and the count returns to 0.
    RawWsClient client;
    WsConnection *connection = accept(client, {}, 4096);
    QVERIFY(connection);
    QSignalSpy written(connection, &WsConnection::bytesWritten);
    const std::string chunk(16 * 1024, 'z');
    int sent = 0;
    while (connection->messagesToWrite() < 20 && sent < 10000) {
        QVERIFY(connection->sendText(QByteArray::fromStdString(chunk + std::to_string(sent))));
        ++sent;
    }
    QCOMPARE(connection->messagesToWrite(), 20);
    QVERIFY(connection->bytesToWrite() > 0);
    QVERIFY(connection->bytesToWrite() <= 20 * qint64(chunk.size() + 20));

    QTRY_VERIFY_WITH_TIMEOUT((client.pump(), client.count(ws::Opcode::Text) == sent), 20000);
    QCOMPARE(connection->messagesToWrite(), 0);
    QCOMPARE(connection->bytesToWrite(), 0);
    QVERIFY(!written.isEmpty());
    for (int i = 0; i < sent; ++i)
        QCOMPARE(client.received.at(i).payload, chunk + std::to_string(i));
}

void tst_WsConnection::sharedFrameReachesEveryone()
{
    RawWsClient first;
    RawWsClient second;
    WsConnection *a = accept(first);
    WsConnection *b = accept(second);
    QVERIFY(a && b);
    const QByteArray frame = WsConnection::encodeTextFrame("{\"type\":\"broadcast\"}");
    QVERIFY(a->sendFrame(frame));
    QVERIFY(b->sendFrame(frame));
    QTRY_VERIFY((first.pump(), first.count(ws::Opcode::Text) == 1));
    QTRY_VERIFY((second.pump(), second.count(ws::Opcode::Text) == 1));
    QCOMPARE(first.received.first().payload, std::string("{\"type\":\"broadcast\"}"));
    QCOMPARE(second.received.first().payload, std::string("{\"type\":\"broadcast\"}"));
}

void tst_WsConnection::queuedFramesWaitForFlush()
{
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    for (int i = 0; i < 3; ++i)
        QVERIFY(connection->queueFrame(WsConnection::encodeTextFrame(QByteArray::number(i))));
    QCOMPARE(connection->messagesToWrite(), 3);
    QTest::qWait(50);
    client.pump();
    QCOMPARE(client.count(ws::Opcode::Text), 0); // nothing written before flush()

    connection->flush();
    QCOMPARE(connection->messagesToWrite(), 0);
    QVERIFY(connection->sendText("3")); // a direct send goes behind the queued ones
    QTRY_VERIFY((client.pump(), client.count(ws::Opcode::Text) == 4));
    for (int i = 0; i < 4; ++i)
        QCOMPARE(client.received.at(i).payload, std::to_string(i));

    // A close writes what is still queued first.
    QVERIFY(connection->queueFrame(WsConnection::encodeTextFrame("4")));
    connection->close(1000);
    QTRY_VERIFY((client.pump(), client.closeFrame().has_value()));
    QCOMPARE(client.received.at(4).payload, std::string("4"));
}

void tst_WsConnection::noDelayIsSet()
{
    // Without TCP_NODELAY a small frame behind an unacknowledged one waits for the peer's
    // delayed ACK: 40 ms added to a command round trip at low rates (docs/BENCHMARKS.md).
    RawWsClient client;
    WsConnection *connection = accept(client);
    QVERIFY(connection);
    QVERIFY(connection->socketDescriptor() >= 0);
    int noDelay = 0;
    socklen_t size = sizeof noDelay;
    QCOMPARE(::getsockopt(connection->socketDescriptor(), IPPROTO_TCP, TCP_NODELAY, &noDelay, &size), 0);
    QCOMPARE(noDelay, 1);
    connection->abort();
    QCOMPARE(connection->socketDescriptor(), -1);
}

QTEST_GUILESS_MAIN(tst_WsConnection)
#include "tst_wsconnection.moc"
