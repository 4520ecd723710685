// The server's front door: accepts TCP connections, reads one HTTP/1.1 request head per
// connection, and either hands a complete request to the owner (which answers now or later) or,
// for a WebSocket upgrade the owner accepts, answers 101 itself and gives the owner a
// WsConnection (our own RFC 6455 connection; see WsConnection.h for why not QWebSocket).
//
// Each accepted connection is a Transport (Transport.h) from the start: on plain TCP the accepted
// descriptor itself with one read notifier, no QTcpSocket (what a QTcpSocket costs per connection
// was most of the connect-rate gap in docs/BENCHMARKS.md). The front buffers what it reads
// itself, bounded by the limits below, and at the upgrade the WsConnection takes over the same
// transport with the bytes that followed the head.
//
// Connections are accepted by a TcpListener (accept4: non-blocking descriptors with their peer).
// TLS (setTlsConfiguration()): every accepted descriptor becomes a QSslSocket in server mode; the
// head is read from it once it is encrypted, and after the upgrade the WsConnection reads and
// writes through it.
//
// Per-address limits: open connections (checked at accept: 429 on plain HTTP, a plain close on
// TLS, where answering would first cost a TLS handshake) and request heads per second (429 with
// Retry-After). A connection counts until it is closed, also after the upgrade (until its
// WsConnection is destroyed). Exempt addresses are not counted at all.
//
// Slow or idle clients: one sweep timer walks all pending connections (no timer per socket) and
// answers 408 to those that have not sent their head and body within the handshake timeout.
// While the owner decides (request or upgrade), no timeout applies: the owner answers, or the
// client goes away. Accepting an upgrade completes the handshake at once (no further phase).
#pragma once

#include "net/HttpRequest.h"
#include "net/RateLimit.h"
#include "net/TcpListener.h"
#include "net/Transport.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>
#include <QVariant>

#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

class QSslSocket;

namespace switchboard {

class HttpFront;
class WsConnection;

struct HttpLimits
{
    int listenBacklog = 4096; // kernel accept queue
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
    HttpResponder(HttpFront *front, quint64 connection);
    QPointer<HttpFront> m_front;
    quint64 m_connection = 0;
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
    UpgradeDecision(HttpFront *front, quint64 connection);
    QPointer<HttpFront> m_front;
    quint64 m_connection = 0;
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
    // One accepted connection until it is upgraded or closed. Receives its transport's
    // readiness; found by id (the handles hold ids, never pointers).
    struct Connection final : TransportEvents
    {
        Connection(HttpFront *owner, quint64 connectionId)
            : front(owner)
            , id(connectionId)
        {}
        void transportReadable() override { front->onReadable(id); }
        void transportWritable() override { front->onWritable(id); }
        void transportClosed() override { front->drop(id); }

        HttpFront *front;
        quint64 id;
        std::unique_ptr<Transport> transport;
        QSslSocket *tls = nullptr; // the transport's socket, with TLS
        Phase phase = Phase::ReadingHead;
        QDeadlineTimer deadline;
        HttpRequest request;
        QByteArray received;         // read and not consumed: the head (until the upgrade) and what follows
        qsizetype searchedBytes = 0; // of `received`, searched for the end of the head already
        qsizetype headBytes = 0;     // of an upgrade request, at the start of `received`
        QByteArray unwritten;        // of the response, not yet taken by the transport
        QHostAddress peerAddress;
        quint16 peerPort = 0;
        bool countedForAddress = false;
        bool readingPaused = false;
        bool writeShutDown = false;
    };

    void takeConnection(int descriptor, const QHostAddress &peerAddress, quint16 peerPort);
    void reportLimit(const QString &limit, const QHostAddress &peer, const QString &what);
    Connection *find(quint64 id) const;
    void onReadable(quint64 id);
    void onWritable(quint64 id);
    // Reads what the connection's phase may take; false when the connection was dropped.
    bool readAvailable(Connection &connection);
    void readHead(quint64 id);
    void dispatchIfComplete(quint64 id);

    void respond(quint64 id, int status, const QByteArray &body, const QByteArray &contentType,
                 const HttpHeaderList &extraHeaders);
    void acceptUpgrade(quint64 id, const QVariant &context);
    void rejectUpgrade(quint64 id, int status, const QByteArray &jsonBody,
                       const HttpHeaderList &extraHeaders);
    bool isInPhase(quint64 id, Phase phase) const;

    // Writes a whole response and closes the connection gracefully (see HttpFront.cpp).
    void answerAndClose(quint64 id, const QByteArray &response);
    void fail(quint64 id, int status, const QString &message, const HttpHeaderList &extraHeaders = {});
    // False when the connection was dropped (the transport failed).
    bool send(Connection &connection, const QByteArray &bytes);
    void shutDownWriteSideIfFlushed(Connection &connection);
    // Closes and forgets the connection. Its record is freed from the event loop: this may run
    // inside one of its transport's callbacks.
    void drop(quint64 id);
    void retire(std::unique_ptr<Connection> connection);
    void setReadingPaused(Connection &connection, bool paused);
    void sweep();
    void ensureSweeping();

    HttpHandler *m_handler;
    HttpLimits m_limits;
    std::optional<QSslConfiguration> m_tls;
    QElapsedTimer m_clock;
    LimitLog m_limitLog;
    AddressLimiter m_addressLimiter;
    // Context of the connections that count an upgraded connection down when its WsConnection
    // is destroyed: none of them runs once the front is gone.
    QObject m_connectionCounter;
    TcpListener m_listener;
    QTimer m_sweepTimer;
    quint64 m_nextConnectionId = 1;
    std::unordered_map<quint64, std::unique_ptr<Connection>> m_connections;
    std::vector<std::unique_ptr<Connection>> m_retired;
    bool m_freeingRetired = false;
};

} // namespace switchboard
