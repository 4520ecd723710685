// The server's front door: accepts TCP connections, reads one HTTP/1.1 request head per
// connection, and either hands a complete request to the owner (which answers now or later) or,
// for a WebSocket upgrade the owner accepts, answers 101 itself and gives the owner a
// WsConnection (our own RFC 6455 connection; see WsConnection.h for why not QWebSocket). On plain
// TCP the WsConnection takes over the socket descriptor and the QTcpSocket is deleted.
//
// TLS (setTlsConfiguration()): every accepted socket is a QSslSocket in server mode; the head is
// read from it once it is encrypted, and after the upgrade the WsConnection reads and writes
// through it. Qt 6.4 has no QSslServer, so the front makes the sockets itself
// (FrontServer::incomingConnection).
//
// Per-address limits: open connections (checked at accept: 429 on plain HTTP, a plain close on
// TLS, where answering would first cost a TLS handshake) and request heads per second (429 with
// Retry-After). A connection counts until its socket is destroyed, also after the upgrade.
//
// Slow or idle clients: one sweep timer walks all pending connections (no timer per socket) and
// answers 408 to those that have not sent their head and body within the handshake timeout.
// While the owner decides (request or upgrade), no timeout applies: the owner answers, or the
// client goes away. Accepting an upgrade completes the handshake at once (no further phase).
#pragma once

#include "net/HttpRequest.h"
#include "net/RateLimit.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTimer>
#include <QVariant>

#include <chrono>
#include <functional>
#include <optional>

class QTcpSocket;

namespace switchboard {

class HttpFront;
class WsConnection;

struct HttpLimits
{
    int listenBacklog = 4096; // kernel accept queue; also QTcpServer's pending-connection cap
    std::chrono::milliseconds handshakeTimeout{10000};
    int maxHeaderBytes = 16 * 1024;    // larger heads get 431
    qint64 maxBodyBytes = 1024 * 1024; // larger bodies get 413
    // Per source address (see AddressLimiter); 0 = unlimited.
    int maxConnectionsPerAddress = 0;
    int handshakesPerAddressPerSecond = 0;
    QList<Subnet> exemptSubnets;
};

// Answers one HTTP request. Copyable; every copy refers to the same request. Only the first
// respond() on any copy has an effect; after the client went away, or the front was destroyed,
// respond() does nothing.
class HttpResponder
{
public:
    HttpResponder() = default;
    void respond(int status, const QByteArray &body, const QByteArray &contentType = "application/json",
                 const HttpHeaderList &extraHeaders = {}) const;
    // True while the client is connected and no answer was given.
    bool isPending() const;
    // The handler refused the request because of a limit (e.g. "event_data_bytes"): counted in
    // HttpFront::limitHits() and logged once per address and limit per minute.
    void reportLimit(const QString &limit, const QString &what) const;

private:
    friend class HttpFront;
    HttpResponder(HttpFront *front, QTcpSocket *socket);
    QPointer<HttpFront> m_front;
    QPointer<QTcpSocket> m_socket;
};

// Decides one WebSocket upgrade request; same copy/once/gone rules as HttpResponder.
class UpgradeDecision
{
public:
    UpgradeDecision() = default;
    // Completes the handshake; HttpHandler::handleWebSocket() then receives the socket and context.
    void accept(const QVariant &context = {}) const;
    // Answers with an HTTP error (e.g. 401 and a jsonError() body) and closes the connection.
    void reject(int status, const QByteArray &jsonBody, const HttpHeaderList &extraHeaders = {}) const;
    bool isPending() const;

private:
    friend class HttpFront;
    UpgradeDecision(HttpFront *front, QTcpSocket *socket);
    QPointer<HttpFront> m_front;
    QPointer<QTcpSocket> m_socket;
};

// Implemented by the front door's owner. Called on the front's thread.
class HttpHandler
{
public:
    virtual ~HttpHandler() = default;
    // A complete request (head and body). Answer now or later through the responder.
    virtual void handleHttpRequest(const HttpRequest &request, HttpResponder responder) = 0;
    // A WebSocket upgrade request (no body). Decide now or later.
    virtual void handleUpgradeRequest(const HttpRequest &request, UpgradeDecision decision) = 0;
    // After a successful handshake (the 101 is queued on the connection). The handler takes
    // ownership of the connection (setParent or deleteLater); it has no parent until then.
    virtual void handleWebSocket(WsConnection *connection, const HttpRequest &request,
                                 const QVariant &context) = 0;
};

namespace detail {
// A QTcpServer whose sockets are made by the front (QSslSocket when TLS is on).
class FrontServer : public QTcpServer
{
public:
    std::function<QTcpSocket *(qintptr)> makeSocket;

protected:
    void incomingConnection(qintptr descriptor) override;
};
} // namespace detail

class HttpFront : public QObject
{
    Q_OBJECT

public:
    // `handler` must outlive the front.
    HttpFront(HttpHandler *handler, const HttpLimits &limits, QObject *parent = nullptr);
    ~HttpFront() override;

    // TLS for every connection accepted after this call (call it before listen()).
    void setTlsConfiguration(const QSslConfiguration &configuration);
    bool isSecure() const { return m_tls.has_value(); }

    bool listen(const QHostAddress &address, quint16 port); // port 0 picks a free port
    quint16 serverPort() const;
    QHostAddress serverAddress() const;
    QString errorString() const;
    // Stops accepting connections; connections already accepted are served to completion.
    void stopListening();
    // Connections the front still holds: reading, waiting for the handler, or closing.
    int pendingCount() const;
    // Hits of each limit so far ("connections_per_ip", "handshakes_per_ip").
    QHash<QString, quint64> limitHits() const { return m_limitLog.allHits(); }

private:
    friend class HttpResponder;
    friend class UpgradeDecision;

    enum class Phase { ReadingHead, ReadingBody, AwaitingResponse, AwaitingDecision, Closing };
    struct Connection
    {
        Phase phase = Phase::ReadingHead;
        QDeadlineTimer deadline;
        HttpRequest request;
        qint64 headBytes = 0;       // of an upgrade request, still in the socket's buffer
        QPointer<QObject> lifetime; // counts the connection for its address while it lives
        bool writeShutDown = false;
    };

    QTcpSocket *makeSocket(qintptr descriptor);
    void acceptConnections();
    void reportLimit(const QString &limit, const QHostAddress &peer, const QString &what);
    void onReadyRead(QTcpSocket *socket);
    void onBytesWritten(QTcpSocket *socket);
    void onDestroyed(QTcpSocket *socket);
    void readHead(QTcpSocket *socket);
    void readBody(QTcpSocket *socket);
    void dispatchRequest(QTcpSocket *socket);
    void sweep();

    void respond(QTcpSocket *socket, int status, const QByteArray &body, const QByteArray &contentType,
                 const HttpHeaderList &extraHeaders);
    void acceptUpgrade(QTcpSocket *socket, const QVariant &context);
    void rejectUpgrade(QTcpSocket *socket, int status, const QByteArray &jsonBody,
                       const HttpHeaderList &extraHeaders);
    bool isInPhase(QTcpSocket *socket, Phase phase) const;

    // Writes a whole response and closes the connection gracefully (see HttpFront.cpp).
    void answerAndClose(QTcpSocket *socket, const QByteArray &response);
    void fail(QTcpSocket *socket, int status, const QString &message,
              const HttpHeaderList &extraHeaders = {});
    void shutDownWriteSideIfFlushed(QTcpSocket *socket);
    void forget(QTcpSocket *socket);
    void disconnectSocketSignals(QTcpSocket *socket);
    void ensureSweeping();

    HttpHandler *m_handler;
    HttpLimits m_limits;
    std::optional<QSslConfiguration> m_tls;
    QElapsedTimer m_clock;
    LimitLog m_limitLog;
    AddressLimiter m_addressLimiter;
    // Context of the connections that count connections down when a socket dies; declared
    // before m_server so that it outlives the sockets m_server owns.
    QObject m_connectionCounter;
    detail::FrontServer m_server;
    QTimer m_sweepTimer;
    QHash<QTcpSocket *, Connection> m_connections;
};

} // namespace switchboard
