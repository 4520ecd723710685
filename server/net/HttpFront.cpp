#include "net/HttpFront.h"

#include "net/HttpResponse.h"
#include "net/NetLogging.h"
#include "net/WsConnection.h"

#include "logging/StructuredLog.h"

#include <QSslSocket>
#include <QTcpSocket>

#include <algorithm>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <sys/socket.h>
#endif

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace switchboard {

namespace {

constexpr QByteArrayView kEndOfHead = "\r\n\r\n";

constexpr std::chrono::milliseconds kAcceptRetryDelay = 100ms;

// RFC 6455 4.2.2: the answer that completes the opening handshake.
QByteArray handshakeAnswer(const QByteArray &clientKey)
{
    const std::string accept =
        ws::acceptKeyFor(std::string_view(clientKey.constData(), size_t(clientKey.size())));
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: "_ba +
           QByteArray::fromStdString(accept) + "\r\n\r\n"_ba;
}

bool hasToken(const QList<QByteArray> &values, QByteArrayView token)
{
    for (const QByteArray &value : values) {
        for (const QByteArray &item : value.split(',')) {
            if (item.trimmed().compare(token, Qt::CaseInsensitive) == 0)
                return true;
        }
    }
    return false;
}

// RFC 6455 4.2.1 requirements of the opening handshake; empty when they are met.
QString webSocketHandshakeProblem(const HttpRequest &request)
{
    if (request.version != "HTTP/1.1")
        return u"WebSocket upgrades need HTTP/1.1"_s;
    if (!hasToken(request.headerValues("Connection"), "upgrade"))
        return u"WebSocket upgrade without Connection: Upgrade"_s;
    if (request.header("Sec-WebSocket-Version") != "13")
        return u"unsupported Sec-WebSocket-Version (13 expected)"_s;
    const QByteArray key = request.header("Sec-WebSocket-Key");
    const auto decoded = QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    if (key.size() != 24 || !decoded || decoded.decoded.size() != 16)
        return u"missing or invalid Sec-WebSocket-Key"_s;
    return {};
}

std::chrono::milliseconds sweepIntervalFor(std::chrono::milliseconds timeout)
{
    return std::clamp(timeout / 4, std::chrono::milliseconds(25), std::chrono::milliseconds(1000));
}

} // namespace

// --- handles -------------------------------------------------------------------------------------

HttpResponder::HttpResponder(HttpFront *front, QTcpSocket *socket)
    : m_front(front)
    , m_socket(socket)
{}

void HttpResponder::respond(int status, const QByteArray &body, const QByteArray &contentType,
                            const HttpHeaderList &extraHeaders) const
{
    if (m_front && m_socket)
        m_front->respond(m_socket, status, body, contentType, extraHeaders);
}

void HttpResponder::reportLimit(const QString &limit, const QString &what) const
{
    if (m_front && m_socket)
        m_front->reportLimit(limit, m_socket->peerAddress(), what);
}

bool HttpResponder::isPending() const
{
    return m_front && m_socket && m_front->isInPhase(m_socket, HttpFront::Phase::AwaitingResponse);
}

UpgradeDecision::UpgradeDecision(HttpFront *front, QTcpSocket *socket)
    : m_front(front)
    , m_socket(socket)
{}

void UpgradeDecision::accept(const QVariant &context) const
{
    if (m_front && m_socket)
        m_front->acceptUpgrade(m_socket, context);
}

void UpgradeDecision::reject(int status, const QByteArray &jsonBody, const HttpHeaderList &extraHeaders) const
{
    if (m_front && m_socket)
        m_front->rejectUpgrade(m_socket, status, jsonBody, extraHeaders);
}

bool UpgradeDecision::isPending() const
{
    return m_front && m_socket && m_front->isInPhase(m_socket, HttpFront::Phase::AwaitingDecision);
}

// --- HttpFront -----------------------------------------------------------------------------------

void detail::FrontServer::incomingConnection(qintptr descriptor)
{
    if (QTcpSocket *socket = makeSocket ? makeSocket(descriptor) : nullptr)
        addPendingConnection(socket);
}

HttpFront::HttpFront(HttpHandler *handler, const HttpLimits &limits, QObject *parent)
    : QObject(parent)
    , m_handler(handler)
    , m_limits(limits)
    , m_addressLimiter(AddressLimiter::Limits{limits.maxConnectionsPerAddress,
                                              limits.handshakesPerAddressPerSecond, limits.exemptSubnets})
{
    m_clock.start();
    m_server.makeSocket = [this](qintptr descriptor) { return makeSocket(descriptor); };
    m_server.setListenBacklogSize(m_limits.listenBacklog);
    m_server.setMaxPendingConnections(m_limits.listenBacklog);
    m_sweepTimer.setInterval(sweepIntervalFor(m_limits.handshakeTimeout));
    m_sweepTimer.setTimerType(Qt::CoarseTimer);

    connect(&m_server, &QTcpServer::newConnection, this, &HttpFront::acceptConnections);
    connect(&m_sweepTimer, &QTimer::timeout, this, &HttpFront::sweep);
    // QTcpServer pauses accepting after a hard accept error (e.g. out of file descriptors) and
    // would never resume on its own; retry shortly instead of going deaf.
    connect(&m_server, &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError error) {
        qCWarning(lcHttp) << "accepting a connection failed:" << error << m_server.errorString();
        QTimer::singleShot(kAcceptRetryDelay, this, [this] {
            if (m_server.isListening())
                m_server.resumeAccepting();
        });
    });
}

HttpFront::~HttpFront()
{
    // The sockets outlive this object's members for a moment (they are children of m_server):
    // make sure none of their signals reaches a half-destroyed front.
    for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it)
        QObject::disconnect(it.key(), nullptr, this, nullptr);
    m_connections.clear();
}

void HttpFront::setTlsConfiguration(const QSslConfiguration &configuration)
{
    m_tls = configuration;
}

QTcpSocket *HttpFront::makeSocket(qintptr descriptor)
{
    QTcpSocket *socket = m_tls ? new QSslSocket(&m_server) : new QTcpSocket(&m_server);
    if (!socket->setSocketDescriptor(descriptor)) {
        qCWarning(lcHttp) << "cannot take over an accepted connection:" << socket->errorString();
        delete socket;
        return nullptr;
    }
    return socket;
}

bool HttpFront::listen(const QHostAddress &address, quint16 port)
{
    if (!m_server.listen(address, port)) {
        qCWarning(lcHttp) << "cannot listen on" << address << port << m_server.errorString();
        return false;
    }
    qCInfo(lcHttp) << "listening on" << m_server.serverAddress() << m_server.serverPort()
                   << (m_tls ? "(TLS)" : "(plain HTTP)");
    return true;
}

quint16 HttpFront::serverPort() const
{
    return m_server.serverPort();
}

QHostAddress HttpFront::serverAddress() const
{
    return m_server.serverAddress();
}

QString HttpFront::errorString() const
{
    return m_server.errorString();
}

void HttpFront::stopListening()
{
    m_server.close();
}

int HttpFront::pendingCount() const
{
    return int(m_connections.size());
}

void HttpFront::acceptConnections()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        auto *tls = qobject_cast<QSslSocket *>(socket);
        const QHostAddress peer = socket->peerAddress();
        const bool admitted = m_addressLimiter.openConnection(peer);
        QObject *lifetime = nullptr;
        if (!admitted) {
            reportLimit(u"connections_per_ip"_s, peer,
                        u"has %1 open connections; refusing more"_s.arg(m_addressLimiter.connections(peer)));
            if (tls) {
                socket->abort();
                socket->deleteLater();
                continue;
            }
        } else {
            // A child of the socket dies with it; after an upgrade it moves to the WebSocket
            // connection, so the count follows the connection, not the HTTP socket.
            lifetime = new QObject(socket);
            connect(lifetime, &QObject::destroyed, &m_connectionCounter,
                    [this, peer] { m_addressLimiter.closeConnection(peer); });
        }
        // Bounds what a client can make us buffer while we peek at its head or wait for the
        // handler; TCP flow control holds back the rest.
        socket->setReadBufferSize(m_limits.maxHeaderBytes);
        Connection connection;
        connection.deadline = QDeadlineTimer(m_limits.handshakeTimeout, Qt::CoarseTimer);
        connection.lifetime = lifetime;
        m_connections.insert(socket, connection);

        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] { onBytesWritten(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_connections.contains(socket)) {
                forget(socket);
                socket->deleteLater();
            }
        });
        // Captures the pointer value only: at `destroyed` time it must not be dereferenced.
        connect(socket, &QObject::destroyed, this, [this, socket] { onDestroyed(socket); });
        if (!admitted) {
            fail(socket, 429, u"too many connections from this address"_s, {{"Retry-After", "10"}});
        } else if (tls) {
            tls->setSslConfiguration(*m_tls);
            tls->startServerEncryption();
        } else if (socket->bytesAvailable() > 0) {
            onReadyRead(socket);
        }
    }
    ensureSweeping();
}

void HttpFront::reportLimit(const QString &limit, const QHostAddress &peer, const QString &what)
{
    const QString source = AddressLimiter::sourceOf(peer).toString();
    if (m_limitLog.hit(limit, source, m_clock.elapsed()))
        logging::logWithFields(lcLimits(), QtWarningMsg,
                               u"limit "_s + limit + u" hit: "_s + what +
                                   u" (logged once a minute per address)"_s,
                               {{u"limit"_s, limit}, {u"peer"_s, source}});
}

void HttpFront::onReadyRead(QTcpSocket *socket)
{
    const auto it = m_connections.constFind(socket);
    if (it == m_connections.cend())
        return;
    switch (it->phase) {
    case Phase::ReadingHead:
        readHead(socket);
        break;
    case Phase::ReadingBody:
        readBody(socket);
        break;
    case Phase::Closing:
        socket->readAll(); // drain what the client still sends so that closing does not reset
        break;
    case Phase::AwaitingResponse:
    case Phase::AwaitingDecision:
        break; // left in the buffer (bounded by the read buffer size)
    }
}

void HttpFront::readHead(QTcpSocket *socket)
{
    const qint64 available = socket->bytesAvailable();
    const QByteArray peeked = socket->peek(std::min<qint64>(available, m_limits.maxHeaderBytes));
    const qsizetype end = peeked.indexOf(kEndOfHead);
    if (end < 0) {
        if (available >= m_limits.maxHeaderBytes) {
            reportLimit(u"header_bytes"_s, socket->peerAddress(), u"sent a request head over the limit"_s);
            fail(socket, 431, u"request head is larger than %1 bytes"_s.arg(m_limits.maxHeaderBytes));
        }
        return;
    }
    const qsizetype headSize = end + kEndOfHead.size();
    auto parsed = HttpRequest::parseHead(QByteArrayView(peeked).first(headSize), m_limits.maxHeaderBytes);
    if (!parsed) {
        const bool tooLarge = parsed.error().code == protocol::ErrorCode::FrameTooLarge;
        if (tooLarge)
            reportLimit(u"header_bytes"_s, socket->peerAddress(), u"sent a request head over the limit"_s);
        fail(socket, tooLarge ? 431 : 400, parsed.error().message);
        return;
    }
    HttpRequest request = std::move(parsed).value();
    request.peerAddress = socket->peerAddress();
    request.peerPort = socket->peerPort();
    if (const auto *tls = qobject_cast<QSslSocket *>(socket)) {
        request.secure = true;
        // With QueryPeer a certificate that did not verify still arrives, with handshake errors.
        const QSslCertificate certificate = tls->peerCertificate();
        if (!certificate.isNull() && tls->sslHandshakeErrors().isEmpty())
            request.clientCertificate = certificate;
    }
    if (!m_addressLimiter.allowHandshake(request.peerAddress, m_clock.elapsed())) {
        reportLimit(u"handshakes_per_ip"_s, request.peerAddress,
                    u"sent more than %1 requests per second"_s.arg(m_limits.handshakesPerAddressPerSecond));
        fail(socket, 429, u"too many requests from this address; retry later"_s, {{"Retry-After", "1"}});
        return;
    }

    Connection &connection = m_connections[socket];
    if (request.isWebSocketUpgrade()) {
        if (const QString problem = webSocketHandshakeProblem(request); !problem.isEmpty()) {
            // Checked before the handler sees it, so that every handler gets a valid upgrade.
            const bool badVersion = request.header("Sec-WebSocket-Version") != "13";
            fail(socket, badVersion ? 426 : 400, problem,
                 badVersion ? HttpHeaderList{{"Sec-WebSocket-Version", "13"}} : HttpHeaderList{});
            return;
        }
        // The head stays in the socket's buffer (skipped on accept); frames must not come
        // before our answer, and whatever does stays bounded by the read buffer size.
        connection.phase = Phase::AwaitingDecision;
        connection.headBytes = headSize;
        connection.deadline = QDeadlineTimer(QDeadlineTimer::Forever);
        connection.request = request;
        qCDebug(lcHttp) << "upgrade request" << request.path << "from" << request.peerAddress;
        m_handler->handleUpgradeRequest(request, UpgradeDecision(this, socket));
        return;
    }

    socket->skip(headSize);
    if (request.hasHeader("Transfer-Encoding")) {
        fail(socket, 411, u"request bodies must be sent with Content-Length"_s);
        return;
    }
    if (request.contentLength() > m_limits.maxBodyBytes) {
        reportLimit(u"body_bytes"_s, request.peerAddress, u"announced a request body over the limit"_s);
        fail(socket, 413, u"request body is larger than %1 bytes"_s.arg(m_limits.maxBodyBytes));
        return;
    }
    connection.phase = Phase::ReadingBody;
    connection.request = std::move(request);
    if (connection.request.contentLength() > 0 &&
        connection.request.header("Expect").compare("100-continue", Qt::CaseInsensitive) == 0 &&
        connection.request.version == "HTTP/1.1") {
        socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    readBody(socket);
}

void HttpFront::readBody(QTcpSocket *socket)
{
    Connection &connection = m_connections[socket];
    const qint64 missing = connection.request.contentLength() - connection.request.body.size();
    if (missing > 0)
        connection.request.body += socket->read(missing);
    if (connection.request.body.size() < connection.request.contentLength())
        return;
    dispatchRequest(socket);
}

void HttpFront::dispatchRequest(QTcpSocket *socket)
{
    Connection &connection = m_connections[socket];
    connection.phase = Phase::AwaitingResponse;
    connection.deadline = QDeadlineTimer(QDeadlineTimer::Forever);
    const HttpRequest request = connection.request; // the handler may answer (and so forget) at once
    qCDebug(lcHttp) << request.method << request.path << "from" << request.peerAddress;
    m_handler->handleHttpRequest(request, HttpResponder(this, socket));
}

bool HttpFront::isInPhase(QTcpSocket *socket, Phase phase) const
{
    const auto it = m_connections.constFind(socket);
    return it != m_connections.cend() && it->phase == phase;
}

void HttpFront::respond(QTcpSocket *socket, int status, const QByteArray &body, const QByteArray &contentType,
                        const HttpHeaderList &extraHeaders)
{
    if (!isInPhase(socket, Phase::AwaitingResponse))
        return;
    const Connection &connection = m_connections[socket];
    QByteArray response = httpResponse(status, body, contentType, extraHeaders);
    if (connection.request.method == "HEAD")
        response.chop(body.size());
    qCDebug(lcHttp) << connection.request.method << connection.request.path << "->" << status;
    answerAndClose(socket, response);
}

void HttpFront::acceptUpgrade(QTcpSocket *socket, const QVariant &context)
{
    if (!isInPhase(socket, Phase::AwaitingDecision))
        return;
    const auto it = m_connections.find(socket);
    const HttpRequest request = std::move(it->request);
    const QPointer<QObject> lifetime = it->lifetime;
    const qint64 headBytes = it->headBytes;
    m_connections.erase(it);
    QObject::disconnect(socket, nullptr, this, nullptr);
    socket->skip(headBytes);

    const QByteArray answer = handshakeAnswer(request.header("Sec-WebSocket-Key"));
    WsConnection *connection = nullptr;
    if (qobject_cast<QSslSocket *>(socket)) {
        // Qt keeps doing the encryption; the connection reads and writes through the socket.
        connection = WsConnection::fromSocket(socket, answer);
    } else {
        // Plain TCP: the connection takes the descriptor itself and the QTcpSocket (its buffers,
        // engine and notifiers) goes away. A duplicate survives the socket's abort(), which
        // unregisters and closes only the original.
        const int descriptor = ::fcntl(int(socket->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
        if (descriptor < 0) {
            qCWarning(lcHttp) << "cannot take over an upgraded connection:" << qt_error_string(errno);
            socket->abort();
            socket->deleteLater();
            return;
        }
        const QByteArray received = socket->readAll();
        const QHostAddress peerAddress = socket->peerAddress();
        const quint16 peerPort = socket->peerPort();
        socket->abort();
        connection = WsConnection::fromDescriptor(descriptor, peerAddress, peerPort, received, answer);
        socket->deleteLater();
    }
    if (lifetime)
        lifetime->setParent(connection);
    qCDebug(lcHttp) << "WebSocket" << request.path << "from" << request.peerAddress;
    m_handler->handleWebSocket(connection, request, context);
}

void HttpFront::rejectUpgrade(QTcpSocket *socket, int status, const QByteArray &jsonBody,
                              const HttpHeaderList &extraHeaders)
{
    if (!isInPhase(socket, Phase::AwaitingDecision))
        return;
    qCDebug(lcHttp) << "upgrade" << m_connections[socket].request.path << "rejected:" << status;
    answerAndClose(socket, httpResponse(status, jsonBody, "application/json", extraHeaders));
}

void HttpFront::answerAndClose(QTcpSocket *socket, const QByteArray &response)
{
    Connection &connection = m_connections[socket];
    connection.phase = Phase::Closing;
    connection.deadline = QDeadlineTimer(m_limits.handshakeTimeout, Qt::CoarseTimer);
    connection.request = HttpRequest();
    socket->setReadBufferSize(0); // Closing drains everything, so no need to throttle any more
    socket->write(response);
    socket->flush();
    shutDownWriteSideIfFlushed(socket);
    if (m_connections.contains(socket))
        socket->readAll();
    ensureSweeping();
}

void HttpFront::onBytesWritten(QTcpSocket *socket)
{
    if (isInPhase(socket, Phase::Closing))
        shutDownWriteSideIfFlushed(socket);
}

// Closing a socket that still has unread input makes the kernel send RST, which can destroy the
// response before the client reads it (typical for 413 while the client is still uploading).
// So: send FIN once the response is out, drain input, and close when the client closes (or at the
// deadline).
void HttpFront::shutDownWriteSideIfFlushed(QTcpSocket *socket)
{
    // A socket may already be gone from the table: a QSslSocket can report its disconnection
    // from within write() or flush().
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    Connection &connection = *it;
    if (connection.writeShutDown)
        return;
    if (qobject_cast<QSslSocket *>(socket)) {
        // QSslSocket flushes what it has not encrypted yet and sends close_notify first; a
        // shutdown() of the descriptor would cut both off.
        connection.writeShutDown = true;
        socket->disconnectFromHost();
        return;
    }
    if (socket->bytesToWrite() > 0)
        return;
    connection.writeShutDown = true;
#ifdef Q_OS_UNIX
    if (socket->socketDescriptor() >= 0 && ::shutdown(int(socket->socketDescriptor()), SHUT_WR) == 0)
        return;
#endif
    socket->disconnectFromHost();
}

void HttpFront::fail(QTcpSocket *socket, int status, const QString &message,
                     const HttpHeaderList &extraHeaders)
{
    qCDebug(lcHttp) << "refusing request from" << socket->peerAddress() << status << message;
    QString error;
    switch (status) {
    case 400:
        error = u"Bad request"_s;
        break;
    case 408:
        error = u"Request timeout"_s;
        break;
    case 411:
        error = u"Length required"_s;
        break;
    case 413:
        error = u"Request body too large"_s;
        break;
    case 426:
        error = u"Upgrade required"_s;
        break;
    case 429:
        error = u"Too many requests"_s;
        break;
    case 431:
        error = u"Request header fields too large"_s;
        break;
    default:
        error = QString::fromLatin1(httpReasonPhrase(status));
        break;
    }
    answerAndClose(socket, httpResponse(status, jsonError(error, message), "application/json", extraHeaders));
}

void HttpFront::sweep()
{
    QList<QTcpSocket *> expired;
    for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it) {
        if (it->deadline.hasExpired())
            expired.append(it.key());
    }
    for (QTcpSocket *socket : std::as_const(expired)) {
        const auto it = m_connections.constFind(socket);
        if (it == m_connections.cend())
            continue;
        const auto *tls = qobject_cast<QSslSocket *>(socket);
        if (tls && !tls->isEncrypted() && it->phase == Phase::ReadingHead) {
            // No TLS session to answer in: the handshake itself timed out.
            forget(socket);
            socket->abort();
            socket->deleteLater();
            continue;
        }
        switch (it->phase) {
        case Phase::ReadingHead:
        case Phase::ReadingBody:
            reportLimit(u"handshake_timeout"_s, socket->peerAddress(), u"did not send its request in time"_s);
            fail(socket, 408, u"request not received within the handshake timeout"_s);
            break;
        case Phase::Closing:
            forget(socket);
            socket->abort();
            socket->deleteLater();
            break;
        case Phase::AwaitingResponse:
        case Phase::AwaitingDecision:
            break; // never expire (deadline Forever)
        }
    }
    if (m_connections.isEmpty())
        m_sweepTimer.stop();
}

void HttpFront::ensureSweeping()
{
    if (!m_connections.isEmpty() && !m_sweepTimer.isActive())
        m_sweepTimer.start();
}

void HttpFront::onDestroyed(QTcpSocket *socket)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    m_connections.erase(it);
}

void HttpFront::forget(QTcpSocket *socket)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    m_connections.erase(it);
    QObject::disconnect(socket, nullptr, this, nullptr);
}

void HttpFront::disconnectSocketSignals(QTcpSocket *socket)
{
    QObject::disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    QObject::disconnect(socket, &QTcpSocket::bytesWritten, this, nullptr);
    QObject::disconnect(socket, &QTcpSocket::disconnected, this, nullptr);
}

} // namespace switchboard
