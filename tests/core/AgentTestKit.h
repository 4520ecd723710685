// Shared by the AgentHub, CommandLedger and SessionService tests: a Store on a temporary SQLite
// file, a QWebSocketServer on port 0 whose accepted sockets go straight into an AgentHub (no HTTP,
// no keys), an agent stand-in that records every frame, and a hand-made client that never answers
// pings (QWebSocket always does).
#pragma once

#include "WsTestListener.h"
#include "core/AgentHub.h"
#include "shared/AgentProtocol.h"
#include "storage/Store.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QtEndian>

#include <memory>
#include <optional>

namespace switchboard::test {

using namespace Qt::StringLiterals;

// A Store on a fresh SQLite file in a temporary folder.
class TempStore
{
public:
    TempStore()
    {
        m_opened = m_dir.isValid() &&
                   m_store.open(u"sqlite://"_s + m_dir.filePath(u"switchboard.db"_s)).result().ok();
    }
    ~TempStore() { m_store.close(); }

    bool opened() const { return m_opened; }
    Store *store() { return &m_store; }
    QString databasePath() const { return m_dir.filePath(u"switchboard.db"_s); }

    // Creates an agent row (status offline) and returns it as the front door would hand it over.
    protocol::AgentInfo createAgent(const QString &agentId, const QString &orgId,
                                    protocol::ApprovalStatus approval = protocol::ApprovalStatus::Approved)
    {
        protocol::AgentInfo agent;
        agent.agentId = agentId;
        agent.orgId = orgId;
        agent.platform = protocol::Platform::Kubernetes;
        agent.region = u"test-1"_s;
        agent.approvalStatus = approval;
        agent.capacity = {10, u"8"_s, u"16Gi"_s, {}};
        const protocol::Decoded<protocol::AgentInfo> created = m_store.createAgent(agent, "hash").result();
        return created ? created.value() : agent;
    }

    protocol::AgentStatus agentStatus(const QString &agentId)
    {
        const protocol::Decoded<protocol::AgentInfo> agent = m_store.getAgent(agentId).result();
        return agent ? agent.value().status : protocol::AgentStatus::Offline;
    }
    std::optional<protocol::CommandInfo> command(const QString &commandId)
    {
        const protocol::Decoded<protocol::CommandInfo> command = m_store.getCommand(commandId).result();
        if (!command)
            return std::nullopt;
        return command.value();
    }
    std::optional<protocol::SessionInfo> session(const QString &sessionId)
    {
        const protocol::Decoded<protocol::SessionInfo> session = m_store.getSession(sessionId).result();
        if (!session)
            return std::nullopt;
        return session.value();
    }
    // Waits until every job queued so far has run (storage is FIFO).
    void settle() { m_store.ping().waitForFinished(); }

private:
    QTemporaryDir m_dir;
    Store m_store;
    bool m_opened = false;
};

// An agent stand-in: every text frame must be exactly one JSON object (badFrames counts the others).
class AgentClient
{
public:
    AgentClient()
    {
        QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket, [this](const QString &text) {
            QJsonParseError error;
            const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &error);
            if (error.error != QJsonParseError::NoError || !document.isObject()) {
                ++badFrames;
                return;
            }
            messages.append(document.object());
            if (onMessage)
                onMessage(document.object());
        });
        QObject::connect(&socket, &QWebSocket::disconnected, &socket, [this] {
            closeCode = int(socket.closeCode());
            closeReason = socket.closeReason();
            disconnected = true;
        });
    }

    void send(const QString &type, const QJsonObject &payload)
    {
        sendRaw(QString::fromUtf8(QJsonDocument(QJsonObject{{u"type"_s, type},
                                                            {u"timestamp"_s, u"2025-12-04T10:00:00Z"_s},
                                                            {u"payload"_s, payload}})
                                      .toJson(QJsonDocument::Compact)));
    }
    void sendRaw(const QString &text) { socket.sendTextMessage(text); }
    void heartbeat(const QString &status = u"online"_s, int activeSessions = 0, int maxSessions = 10)
    {
        send(u"heartbeat"_s,
             {{u"status"_s, status},
              {u"activeSessions"_s, activeSessions},
              {u"capacity"_s,
               QJsonObject{{u"maxSessions"_s, maxSessions}, {u"cpu"_s, u"8"_s}, {u"memory"_s, u"16Gi"_s}}}});
    }

    QList<QJsonObject> ofType(const QString &type) const
    {
        QList<QJsonObject> found;
        for (const QJsonObject &message : messages) {
            if (message.value(u"type"_s).toString() == type)
                found.append(message);
        }
        return found;
    }
    // commandId of each command frame received, in order.
    QStringList commandIds() const
    {
        QStringList ids;
        for (const QJsonObject &command : ofType(u"command"_s))
            ids.append(command.value(u"payload"_s).toObject().value(u"commandId"_s).toString());
        return ids;
    }
    bool isConnected() const { return socket.state() == QAbstractSocket::ConnectedState; }

    QWebSocket socket;
    QList<QJsonObject> messages;
    std::function<void(const QJsonObject &)> onMessage;
    int badFrames = 0;
    int closeCode = -1;
    QString closeReason;
    bool disconnected = false;
};

// The test's front door: hands the server side of each connection to the hub as `agent`.
class AgentHarness
{
public:
    explicit AgentHarness(AgentHub *hub)
        : m_hub(hub)
    {
        m_listening = m_server.listen();
    }
    bool listening() const { return m_listening; }
    QUrl url() const { return QUrl(u"ws://127.0.0.1:%1/api/v1/agents/connect"_s.arg(m_server.serverPort())); }
    quint16 port() const { return m_server.serverPort(); }

    WsConnection *nextSocket(int timeoutMs = 5000) { return m_server.nextPendingConnection(timeoutMs); }

    // Opens a client, hands its server side to the hub as `agent`; nullptr on failure.
    std::unique_ptr<AgentClient> connect(const protocol::AgentInfo &agent)
    {
        auto client = std::make_unique<AgentClient>();
        client->socket.open(url());
        WsConnection *serverSide = nextSocket();
        if (!serverSide)
            return nullptr;
        m_hub->acceptConnection(serverSide, agent);
        if (!QTest::qWaitFor([&client] { return client->isConnected(); }, 5000))
            return nullptr;
        return client;
    }

private:
    AgentHub *m_hub;
    test::WsTestListener m_server;
    bool m_listening = false;
};

// A WebSocket client on a bare QTcpSocket: it completes the handshake and then only does what the
// test says; in particular it never answers a ping or a close.
class SilentClient
{
public:
    bool open(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        if (!m_socket.waitForConnected(5000))
            return false;
        m_socket.write("GET /api/v1/agents/connect HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
                       "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket,
                         [this] { m_in += m_socket.readAll(); });
        QObject::connect(&m_socket, &QTcpSocket::disconnected, &m_socket, [this] { m_peerClosed = true; });
        return true;
    }
    bool handshakeDone() const { return m_in.contains("\r\n\r\n") && m_in.startsWith("HTTP/1.1 101"); }
    bool peerClosed() const { return m_peerClosed; }

    // The close code of the first close frame received, if any.
    std::optional<int> closeCode() const
    {
        const qsizetype headEnd = m_in.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return std::nullopt;
        QByteArray rest = m_in.mid(headEnd + 4);
        while (rest.size() >= 2) {
            const int opcode = rest.at(0) & 0x0F;
            qsizetype length = rest.at(1) & 0x7F;
            qsizetype offset = 2;
            if (length == 126) {
                if (rest.size() < 4)
                    return std::nullopt;
                length = qFromBigEndian<quint16>(rest.constData() + 2);
                offset = 4;
            }
            if (rest.size() < offset + length)
                return std::nullopt;
            if (opcode == 0x8 && length >= 2)
                return qFromBigEndian<quint16>(rest.constData() + offset);
            rest.remove(0, offset + length);
        }
        return std::nullopt;
    }

private:
    QTcpSocket m_socket;
    QByteArray m_in;
    bool m_peerClosed = false;
};

// The result of a future finished by a continuation on this thread (it needs the event loop
// running, so result() would block forever); nullopt on timeout or cancellation.
template<class T>
std::optional<T> awaitResult(const QFuture<T> &future, int timeoutMs = 5000)
{
    if (!QTest::qWaitFor([&future] { return future.isFinished(); }, timeoutMs))
        return std::nullopt;
    if (future.isCanceled() || future.resultCount() == 0)
        return std::nullopt;
    return future.result();
}

// Short intervals: one stale sweep, ping and flush every few hundred milliseconds.
inline AgentHub::Config fastConfig()
{
    AgentHub::Config config;
    config.heartbeatTimeout = std::chrono::milliseconds(600);
    config.staleSweepInterval = std::chrono::milliseconds(200);
    config.pingInterval = std::chrono::milliseconds(200);
    config.readTimeout = std::chrono::milliseconds(5000);
    config.heartbeatFlushInterval = std::chrono::milliseconds(100);
    config.closeTimeout = std::chrono::milliseconds(500);
    config.replica = u"replica-1"_s;
    return config;
}

// Intervals long enough never to interfere with a test that is not about liveness.
inline AgentHub::Config quietConfig()
{
    AgentHub::Config config;
    config.heartbeatTimeout = std::chrono::hours(1);
    config.staleSweepInterval = std::chrono::hours(1);
    config.pingInterval = std::chrono::hours(1);
    config.readTimeout = std::chrono::hours(1);
    config.heartbeatFlushInterval = std::chrono::milliseconds(50);
    config.replica = u"replica-1"_s;
    return config;
}

} // namespace switchboard::test
