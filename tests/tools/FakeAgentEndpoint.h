// A stand-in for the server's agent endpoints, for testing the agent simulator without the server:
// one QTcpServer on port 0 answers POST /api/v1/agents/register with canned responses and either
// refuses GET /api/v1/agents/connect with an HTTP status or hands the socket to a
// QWebSocketServer. It records what it received, decoded with the shared protocol library.
// Header-only and without Q_OBJECT so that any test in this folder can include it.
#pragma once

#include "shared/AgentProtocol.h"

#include <QCryptographicHash>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

#include <optional>

namespace switchboard::testing {

namespace wire = protocol::agent;

struct HttpExchange
{
    QByteArray method;
    QByteArray target;                     // path and query as sent
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

struct CannedResponse
{
    int status = 200;
    QJsonObject body;
};

class FakeAgentEndpoint : public QObject
{
public:
    FakeAgentEndpoint()
        : m_webSockets(QStringLiteral("fake-switchboard"), QWebSocketServer::NonSecureMode)
    {
        QObject::connect(&m_tcp, &QTcpServer::newConnection, this, [this] { acceptTcp(); });
        QObject::connect(&m_webSockets, &QWebSocketServer::newConnection, this,
                         [this] { acceptWebSocket(); });
    }

    bool listen() { return m_tcp.listen(QHostAddress::LocalHost, 0); }
    QUrl baseUrl() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_tcp.serverPort())); }

    // ---- behaviour ----
    // Consumed in order; the last one repeats. Empty: 200 {"approvalStatus":"approved"}.
    QList<CannedResponse> registerResponses;
    int rejectConnectStatus = 0; // non-zero: answer the upgrade with this HTTP status
    // Accept the upgrade (101) by hand and then never read or write again: a server that hangs.
    bool hangAfterUpgrade = false;

    // ---- observations ----
    QList<HttpExchange> registrations;
    QList<HttpExchange> upgrades; // every connect attempt, refused or not
    QList<wire::AgentFrame> frames;
    QList<int> frameConnection; // for each frame, the number of the connection it came on (1-based)
    QList<protocol::Error> badFrames;
    int connections = 0;
    int hungConnections = 0;
    int disconnections = 0;
    QList<int> closeCodes; // as seen by the server when each connection ended
    QPointer<QWebSocket> client;

    void send(const wire::ServerFrame &frame)
    {
        if (client)
            client->sendTextMessage(
                QString::fromUtf8(wire::encodeServerFrame(frame, QDateTime::currentDateTimeUtc())));
    }
    void sendRaw(const QByteArray &json)
    {
        if (client)
            client->sendTextMessage(QString::fromUtf8(json));
    }
    void closeClient(QWebSocketProtocol::CloseCode code = QWebSocketProtocol::CloseCodeGoingAway,
                     const QString &reason = {})
    {
        if (client)
            client->close(code, reason);
    }
    void dropClient()
    {
        if (client)
            client->abort();
    }

    template<class T>
    QList<T> framesOf() const
    {
        QList<T> result;
        for (const auto &frame : frames)
            if (const T *typed = std::get_if<T>(&frame))
                result.append(*typed);
        return result;
    }
    // Index of the first frame of type T matching pred, or -1.
    template<class T, class Pred>
    qsizetype indexOf(Pred pred) const
    {
        for (qsizetype i = 0; i < frames.size(); ++i)
            if (const T *typed = std::get_if<T>(&frames.at(i)); typed && pred(*typed))
                return i;
        return -1;
    }
    template<class T, class Pred>
    qsizetype countOf(Pred pred) const
    {
        qsizetype n = 0;
        for (const auto &frame : frames)
            if (const T *typed = std::get_if<T>(&frame); typed && pred(*typed))
                ++n;
        return n;
    }

private:
    void acceptTcp()
    {
        while (QTcpSocket *socket = m_tcp.nextPendingConnection()) {
            QObject::connect(socket, &QTcpSocket::readyRead, this, [this, socket] { readHead(socket); });
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    }

    static std::optional<HttpExchange> parseHead(const QByteArray &head)
    {
        const QList<QByteArray> lines = head.split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        if (requestLine.size() != 3)
            return std::nullopt;
        HttpExchange exchange;
        exchange.method = requestLine.at(0);
        exchange.target = requestLine.at(1);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                exchange.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
        }
        return exchange;
    }

    void readHead(QTcpSocket *socket)
    {
        // Peek only: a WebSocket upgrade must reach QWebSocketServer with its bytes unread.
        const QByteArray buffered = socket->peek(socket->bytesAvailable());
        const qsizetype end = buffered.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        auto exchange = parseHead(buffered.left(end));
        if (!exchange) {
            socket->abort();
            return;
        }
        if (exchange->target.startsWith("/api/v1/agents/connect")) {
            upgrades.append(*exchange);
            if (rejectConnectStatus != 0)
                return respond(socket, rejectConnectStatus,
                               QJsonObject{{QStringLiteral("error"), QStringLiteral("refused by the test")}});
            QObject::disconnect(socket, nullptr, this, nullptr);
            if (hangAfterUpgrade)
                return acceptAndHang(socket, *exchange);
            QObject::disconnect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            m_webSockets.handleConnection(socket);
            return;
        }
        const qsizetype length = exchange->headers.value("content-length", "0").toLongLong();
        if (buffered.size() < end + 4 + length)
            return; // wait for the whole body
        socket->read(end + 4);
        exchange->body = socket->read(length);
        if (exchange->method == "POST" && exchange->target == "/api/v1/agents/register") {
            registrations.append(*exchange);
            CannedResponse response{
                200, QJsonObject{{QStringLiteral("approvalStatus"), QStringLiteral("approved")}}};
            if (!registerResponses.isEmpty())
                response =
                    registerResponses.size() > 1 ? registerResponses.takeFirst() : registerResponses.first();
            return respond(socket, response.status, response.body);
        }
        respond(socket, 404, QJsonObject{{QStringLiteral("error"), QStringLiteral("not found")}});
    }

    static void respond(QTcpSocket *socket, int status, const QJsonObject &body)
    {
        const QByteArray json = QJsonDocument(body).toJson(QJsonDocument::Compact);
        QByteArray response = "HTTP/1.1 " + QByteArray::number(status) + " Canned\r\n";
        response += "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                    QByteArray::number(json.size()) + "\r\n\r\n" + json;
        socket->readAll();
        socket->write(response);
        socket->disconnectFromHost();
    }

    void acceptAndHang(QTcpSocket *socket, const HttpExchange &exchange)
    {
        socket->readAll();
        const QByteArray challenge =
            exchange.header("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        const QByteArray accept = QCryptographicHash::hash(challenge, QCryptographicHash::Sha1).toBase64();
        const QByteArray response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                    accept + "\r\n\r\n";
        socket->write(response);
        ++hungConnections;
    }

    void acceptWebSocket()
    {
        while (QWebSocket *socket = m_webSockets.nextPendingConnection()) {
            socket->setParent(this);
            client = socket;
            const int number = ++connections;
            QObject::connect(socket, &QWebSocket::textMessageReceived, this,
                             [this, number](const QString &text) {
                                 auto decoded = wire::decodeAgentFrame(text.toUtf8());
                                 if (!decoded) {
                                     badFrames.append(decoded.error());
                                     return;
                                 }
                                 frames.append(decoded.value());
                                 frameConnection.append(number);
                             });
            QObject::connect(socket, &QWebSocket::disconnected, this, [this, socket] {
                ++disconnections;
                closeCodes.append(int(socket->closeCode()));
                socket->deleteLater();
            });
        }
    }

    QTcpServer m_tcp;
    QWebSocketServer m_webSockets;
};

} // namespace switchboard::testing
