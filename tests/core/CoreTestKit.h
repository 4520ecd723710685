// Shared by the Hub, Notifier, BrowserEndpoint and Manager tests: a QWebSocketServer on port 0
// whose accepted sockets go straight into a Hub with an OrgContext the test chooses (no HTTP, no
// tokens), a client that checks every frame is exactly one JSON object, and a hand-made raw
// WebSocket client for behaviour QWebSocket cannot show (never reading, never answering pings).
#pragma once

#include "WsTestListener.h"
#include "core/Hub.h"
#include "net/OrgContext.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QUrlQuery>
#include <QWebSocket>
#include <QtEndian>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>

namespace switchboard::test {

inline OrgContext makeContext(const QString &orgId, const QString &userId, Role role = Role::Operator)
{
    OrgContext context;
    context.orgId = orgId;
    context.userId = userId;
    context.username = userId;
    context.k8sNamespace = QStringLiteral("ns-") + orgId;
    context.role = role;
    return context;
}

// A browser stand-in: records every text frame; a frame that is not exactly one JSON object
// (e.g. two messages joined) is counted in badFrames, which every test checks stays 0.
class TestClient
{
public:
    TestClient()
    {
        QObject::connect(&socket, &QWebSocket::textFrameReceived, &socket,
                         [this](const QString &frame, bool last) {
                             if (!last) {
                                 ++partialFrames;
                                 return;
                             }
                             QJsonParseError error;
                             const QJsonDocument document = QJsonDocument::fromJson(frame.toUtf8(), &error);
                             if (error.error != QJsonParseError::NoError || !document.isObject()) {
                                 ++badFrames;
                                 return;
                             }
                             messages.append(document.object());
                         });
        QObject::connect(&socket, &QWebSocket::disconnected, &socket, [this] {
            closeCode = int(socket.closeCode());
            closeReason = socket.closeReason();
            disconnected = true;
        });
    }

    // A QWebSocket destroyed while connected leaks its close reason in Qt 6.4; leave first.
    ~TestClient() { socket.abort(); }

    QList<QJsonObject> ofType(const QString &type) const
    {
        QList<QJsonObject> found;
        for (const QJsonObject &message : messages) {
            if (message.value(QStringLiteral("type")).toString() == type)
                found.append(message);
        }
        return found;
    }
    void send(const QJsonObject &object)
    {
        socket.sendTextMessage(QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact)));
    }

    QWebSocket socket;
    QList<QJsonObject> messages;
    int badFrames = 0;
    int partialFrames = 0;
    int closeCode = -1;
    QString closeReason;
    bool disconnected = false;
};

// The test's "front door": accepts WebSocket handshakes and hands the server side to the Hub.
class HubHarness
{
public:
    explicit HubHarness(Hub *hub)
        : m_hub(hub)
    {
        m_ok = m_server.listen();
    }
    bool listening() const { return m_ok; }
    quint16 port() const { return m_server.serverPort(); }
    QUrl url(const QString &pathAndQuery = QStringLiteral("/api/v1/ws/sessions")) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(port()).arg(pathAndQuery));
    }

    // The next pending server-side socket (waits for it).
    WsConnection *nextSocket(int timeoutMs = 5000, QUrlQuery *query = nullptr)
    {
        return m_server.nextPendingConnection(timeoutMs, query);
    }

    // Opens a client, adds its server side to the Hub with `context`; nullptr on failure.
    std::unique_ptr<TestClient> connect(ClientKind kind, const OrgContext &context, quint64 *clientId,
                                        const QString &pathAndQuery = QStringLiteral("/api/v1/ws/sessions"),
                                        QUrlQuery *query = nullptr)
    {
        auto client = std::make_unique<TestClient>();
        client->socket.open(url(pathAndQuery));
        WsConnection *serverSide = nextSocket(5000, query);
        if (!serverSide)
            return nullptr;
        *clientId = m_hub->addClient(serverSide, kind, context);
        if (!QTest::qWaitFor([&client] { return client->socket.state() == QAbstractSocket::ConnectedState; },
                             5000))
            return nullptr;
        return client;
    }

private:
    Hub *m_hub;
    test::WsTestListener m_server;
    bool m_ok = false;
};

// A WebSocket client written by hand on a non-blocking POSIX socket, so that a test decides
// exactly when (and whether) it reads and what it sends. Frames from the server are parsed
// from what has been read.
class RawClient
{
public:
    struct Frame
    {
        int opcode = 0;
        bool fin = true;
        QByteArray payload;
    };

    ~RawClient()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    // Connects with a small receive buffer (set before connect so the TCP window stays small) and
    // performs the opening handshake; true on "101 Switching Protocols".
    bool open(quint16 port, int receiveBufferBytes = 0, const QByteArray &path = "/api/v1/ws/sessions")
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (m_fd < 0)
            return false;
        if (receiveBufferBytes > 0)
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferBytes, sizeof receiveBufferBytes);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
            return false;
        ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
        const QByteArray request =
            "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        if (!writeAll(request))
            return false;
        // Read the answer head byte by byte so no frame byte is consumed with it.
        QByteArray head;
        QElapsedTimer timer;
        timer.start();
        while (!head.endsWith("\r\n\r\n") && timer.elapsed() < 5000) {
            char c;
            const ssize_t n = ::recv(m_fd, &c, 1, 0);
            if (n == 1)
                head.append(c);
            else if (n == 0)
                return false;
            else
                QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        }
        return head.startsWith("HTTP/1.1 101");
    }

    // Reads what the kernel has (up to maxBytes); returns bytes read, -1 once the peer closed.
    qint64 pump(qint64 maxBytes = std::numeric_limits<qint64>::max())
    {
        qint64 total = 0;
        char buffer[65536];
        while (total < maxBytes) {
            const ssize_t n =
                ::recv(m_fd, buffer, size_t(std::min<qint64>(sizeof buffer, maxBytes - total)), 0);
            if (n > 0) {
                m_in.append(buffer, n);
                total += n;
            } else if (n == 0) {
                m_peerClosed = true;
                break;
            } else {
                break; // EAGAIN
            }
        }
        return total;
    }
    bool peerClosed() const { return m_peerClosed; }

    // Complete frames read so far, consumed.
    QList<Frame> takeFrames()
    {
        QList<Frame> frames;
        while (true) {
            if (m_in.size() < 2)
                break;
            const auto *data = reinterpret_cast<const uchar *>(m_in.constData());
            Frame frame;
            frame.fin = (data[0] & 0x80) != 0;
            frame.opcode = data[0] & 0x0F;
            const bool masked = (data[1] & 0x80) != 0;
            qint64 length = data[1] & 0x7F;
            qsizetype offset = 2;
            if (length == 126) {
                if (m_in.size() < 4)
                    break;
                length = qFromBigEndian<quint16>(data + 2);
                offset = 4;
            } else if (length == 127) {
                if (m_in.size() < 10)
                    break;
                length = qint64(qFromBigEndian<quint64>(data + 2));
                offset = 10;
            }
            if (masked)
                offset += 4; // servers never mask; tolerated for completeness
            if (m_in.size() < offset + length)
                break;
            frame.payload = m_in.mid(offset, length);
            m_in.remove(0, offset + length);
            frames.append(frame);
        }
        return frames;
    }

    // A masked client frame (RFC 6455 requires clients to mask).
    bool sendFrame(int opcode, const QByteArray &payload)
    {
        QByteArray frame;
        frame.append(char(0x80 | opcode));
        const char mask[4] = {0x11, 0x22, 0x33, 0x44};
        if (payload.size() <= 125) {
            frame.append(char(0x80 | payload.size()));
        } else {
            frame.append(char(0x80 | 126));
            frame.append(char((payload.size() >> 8) & 0xFF));
            frame.append(char(payload.size() & 0xFF));
        }
        frame.append(mask, 4);
        for (qsizetype i = 0; i < payload.size(); ++i)
            frame.append(char(payload[i] ^ mask[i % 4]));
        return writeAll(frame);
    }

    static std::optional<std::pair<int, QString>> closeOf(const Frame &frame)
    {
        if (frame.opcode != 0x8 || frame.payload.size() < 2)
            return std::nullopt;
        const int code = qFromBigEndian<quint16>(frame.payload.constData());
        return std::pair{code, QString::fromUtf8(frame.payload.mid(2))};
    }

private:
    bool writeAll(const QByteArray &bytes)
    {
        qsizetype done = 0;
        QElapsedTimer timer;
        timer.start();
        while (done < bytes.size() && timer.elapsed() < 5000) {
            const ssize_t n =
                ::send(m_fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
            if (n > 0)
                done += n;
            else
                QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        }
        return done == bytes.size();
    }

    int m_fd = -1;
    QByteArray m_in;
    bool m_peerClosed = false;
};

} // namespace switchboard::test
