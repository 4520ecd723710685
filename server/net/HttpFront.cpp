#include "net/HttpFront.h"

#include "net/HttpResponse.h"
#include "net/NetLogging.h"
#include "net/WsConnection.h"

#include "logging/StructuredLog.h"

#include <QSslSocket>

#include <algorithm>
#include <array>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace switchboard {

namespace {

constexpr QByteArrayView kEndOfHead = "\r\n\r\n";

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

// Bytes one readable activation drains from a connection that is closing.
constexpr qint64 kDrainBudget = 64 * 1024;

std::chrono::milliseconds sweepIntervalFor(std::chrono::milliseconds timeout)
{
    return std::clamp(timeout / 4, std::chrono::milliseconds(25), std::chrono::milliseconds(1000));
}

} // namespace

// --- handles -------------------------------------------------------------------------------------

HttpResponder::HttpResponder(HttpFront *front, quint64 connection)
    : m_front(front)
    , m_connection(connection)
{}

void HttpResponder::respond(int status, const QByteArray &body, const QByteArray &contentType,
                            const HttpHeaderList &extraHeaders) const
{
    if (m_front)
        m_front->respond(m_connection, status, body, contentType, extraHeaders);
}

void HttpResponder::reportLimit(const QString &limit, const QString &what) const
{
    if (!m_front)
        return;
    if (const HttpFront::Connection *connection = m_front->find(m_connection))
        m_front->reportLimit(limit, connection->peerAddress, what);
}

bool HttpResponder::isPending() const
{
    return m_front && m_front->isInPhase(m_connection, HttpFront::Phase::AwaitingResponse);
}

UpgradeDecision::UpgradeDecision(HttpFront *front, quint64 connection)
    : m_front(front)
    , m_connection(connection)
{}

void UpgradeDecision::accept(const QVariant &context) const
{
    if (m_front)
        m_front->acceptUpgrade(m_connection, context);
}

void UpgradeDecision::reject(int status, const QByteArray &jsonBody, const HttpHeaderList &extraHeaders) const
{
    if (m_front)
        m_front->rejectUpgrade(m_connection, status, jsonBody, extraHeaders);
}

bool UpgradeDecision::isPending() const
{
    return m_front && m_front->isInPhase(m_connection, HttpFront::Phase::AwaitingDecision);
}

// --- HttpFront -----------------------------------------------------------------------------------

HttpFront::HttpFront(HttpHandler *handler, const HttpLimits &limits, QObject *parent)
    : QObject(parent)
    , m_handler(handler)
    , m_limits(limits)
    , m_addressLimiter(AddressLimiter::Limits{limits.maxConnectionsPerAddress,
                                              limits.handshakesPerAddressPerSecond, limits.exemptSubnets})
    , m_listener([this](int descriptor, const QHostAddress &peerAddress, quint16 peerPort) {
        takeConnection(descriptor, peerAddress, peerPort);
    })
{
    m_clock.start();
    m_sweepTimer.setInterval(sweepIntervalFor(m_limits.handshakeTimeout));
    m_sweepTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_sweepTimer, &QTimer::timeout, this, &HttpFront::sweep);
}

HttpFront::~HttpFront()
{
    m_listener.close();
    // Transports close with their records; no callback reaches the front any more.
    for (auto &entry : m_connections)
        entry.second->transport.reset();
    m_connections.clear();
    m_retired.clear();
}

void HttpFront::setTlsConfiguration(const QSslConfiguration &configuration)
{
    m_tls = configuration;
}

bool HttpFront::listen(const QHostAddress &address, quint16 port)
{
    if (!m_listener.listen(address, port, m_limits.listenBacklog)) {
        qCWarning(lcHttp) << "cannot listen on" << address << port << m_listener.errorString();
        return false;
    }
    qCInfo(lcHttp) << "listening on" << m_listener.serverAddress() << m_listener.serverPort()
                   << (m_tls ? "(TLS)" : "(plain HTTP)");
    return true;
}

quint16 HttpFront::serverPort() const
{
    return m_listener.serverPort();
}

QHostAddress HttpFront::serverAddress() const
{
    return m_listener.serverAddress();
}

QString HttpFront::errorString() const
{
    return m_listener.errorString();
}

void HttpFront::stopListening()
{
    m_listener.close();
}

int HttpFront::pendingCount() const
{
    return int(m_connections.size());
}

void HttpFront::takeConnection(int descriptor, const QHostAddress &peerAddress, quint16 peerPort)
{
    auto connection = std::make_unique<Connection>(this, m_nextConnectionId++);
    if (m_tls) {
        auto *socket = new QSslSocket;
        if (!socket->setSocketDescriptor(descriptor)) {
            qCWarning(lcHttp) << "cannot take over an accepted connection:" << socket->errorString();
            delete socket;
            return;
        }
        connection->tls = socket;
        connection->transport = Transport::fromSocket(socket);
        // Bounds what a client can make the socket buffer while we wait for the handler.
        connection->transport->setReadBufferLimit(m_limits.maxHeaderBytes);
    } else {
        connection->transport = Transport::fromDescriptor(descriptor);
    }
    connection->peerAddress = peerAddress;
    connection->peerPort = peerPort;

    bool admitted = true;
    if (m_limits.maxConnectionsPerAddress > 0 && !m_addressLimiter.isExempt(connection->peerAddress)) {
        admitted = m_addressLimiter.openConnection(connection->peerAddress);
        connection->countedForAddress = admitted;
        if (!admitted) {
            reportLimit(u"connections_per_ip"_s, connection->peerAddress,
                        u"has %1 open connections; refusing more"_s.arg(
                            m_addressLimiter.connections(connection->peerAddress)));
            if (m_tls)
                return; // answering would first cost a TLS handshake; the transport closes
        }
    }

    const quint64 id = connection->id;
    connection->deadline = QDeadlineTimer(m_limits.handshakeTimeout, Qt::CoarseTimer);
    connection->transport->setEvents(connection.get());
    QSslSocket *tls = connection->tls;
    m_connections.emplace(id, std::move(connection));
    ensureSweeping();
    if (!admitted) {
        fail(id, 429, u"too many connections from this address"_s, {{"Retry-After", "10"}});
    } else if (tls) {
        tls->setSslConfiguration(*m_tls);
        tls->startServerEncryption();
    }
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

HttpFront::Connection *HttpFront::find(quint64 id) const
{
    const auto it = m_connections.find(id);
    return it == m_connections.end() ? nullptr : it->second.get();
}

void HttpFront::onReadable(quint64 id)
{
    Connection *connection = find(id);
    if (!connection || !readAvailable(*connection))
        return;
    switch (connection->phase) {
    case Phase::ReadingHead:
        readHead(id);
        break;
    case Phase::ReadingBody:
        dispatchIfComplete(id);
        break;
    case Phase::Closing:
    case Phase::AwaitingResponse:
    case Phase::AwaitingDecision:
        break;
    }
}

bool HttpFront::readAvailable(Connection &connection)
{
    // Read straight into the request's buffers: most heads arrive in one segment, so this is one
    // recv() and one allocation of the right size.
    thread_local std::array<char, 16 * 1024> scratch;
    const quint64 id = connection.id;
    qint64 drained = 0;
    for (;;) {
        qint64 room = 0;
        switch (connection.phase) {
        case Phase::ReadingBody:
            room = connection.request.contentLength() - connection.request.body.size();
            break;
        case Phase::Closing:
            // Drained and dropped, so that closing does not reset the connection.
            room = kDrainBudget - drained;
            break;
        default:
            // The head, and what may follow it before the handler decides: bounded; TCP flow
            // control holds back the rest.
            room = m_limits.maxHeaderBytes - connection.received.size();
            break;
        }
        if (room <= 0) {
            if (connection.phase != Phase::Closing)
                setReadingPaused(connection, true);
            return true;
        }
        const qint64 wanted = std::min<qint64>(room, qint64(scratch.size()));
        const qint64 n = connection.transport->read(scratch.data(), wanted);
        if (n == 0)
            return true;
        if (n < 0) {
            drop(id);
            return false;
        }
        if (connection.phase == Phase::ReadingBody)
            connection.request.body.append(scratch.data(), n);
        else if (connection.phase == Phase::Closing)
            drained += n;
        else
            connection.received.append(scratch.data(), n);
        if (n < wanted)
            return true; // the kernel has no more now
    }
}

void HttpFront::setReadingPaused(Connection &connection, bool paused)
{
    if (connection.readingPaused == paused)
        return;
    connection.readingPaused = paused;
    connection.transport->setReadInterest(!paused);
}

void HttpFront::readHead(quint64 id)
{
    Connection &connection = *find(id);
    const qsizetype from = std::max<qsizetype>(0, connection.searchedBytes - (kEndOfHead.size() - 1));
    const qsizetype end = QByteArrayView(connection.received).indexOf(kEndOfHead, from);
    if (end < 0) {
        connection.searchedBytes = connection.received.size();
        if (connection.received.size() >= m_limits.maxHeaderBytes) {
            reportLimit(u"header_bytes"_s, connection.peerAddress, u"sent a request head over the limit"_s);
            fail(id, 431, u"request head is larger than %1 bytes"_s.arg(m_limits.maxHeaderBytes));
        }
        return;
    }
    const qsizetype headSize = end + kEndOfHead.size();
    auto parsed =
        HttpRequest::parseHead(QByteArrayView(connection.received).first(headSize), m_limits.maxHeaderBytes);
    if (!parsed) {
        const bool tooLarge = parsed.error().code == protocol::ErrorCode::FrameTooLarge;
        if (tooLarge)
            reportLimit(u"header_bytes"_s, connection.peerAddress, u"sent a request head over the limit"_s);
        fail(id, tooLarge ? 431 : 400, parsed.error().message);
        return;
    }
    HttpRequest request = std::move(parsed).value();
    request.peerAddress = connection.peerAddress;
    request.peerPort = connection.peerPort;
    if (const QSslSocket *tls = connection.tls) {
        request.secure = true;
        // With QueryPeer a certificate that did not verify still arrives, with handshake errors.
        const QSslCertificate certificate = tls->peerCertificate();
        if (!certificate.isNull() && tls->sslHandshakeErrors().isEmpty())
            request.clientCertificate = certificate;
    }
    if (!m_addressLimiter.allowHandshake(request.peerAddress, m_clock.elapsed())) {
        reportLimit(u"handshakes_per_ip"_s, request.peerAddress,
                    u"sent more than %1 requests per second"_s.arg(m_limits.handshakesPerAddressPerSecond));
        fail(id, 429, u"too many requests from this address; retry later"_s, {{"Retry-After", "1"}});
        return;
    }

    if (request.isWebSocketUpgrade()) {
        if (const QString problem = webSocketHandshakeProblem(request); !problem.isEmpty()) {
            // Checked before the handler sees it, so that every handler gets a valid upgrade.
            const bool badVersion = request.header("Sec-WebSocket-Version") != "13";
            fail(id, badVersion ? 426 : 400, problem,
                 badVersion ? HttpHeaderList{{"Sec-WebSocket-Version", "13"}} : HttpHeaderList{});
            return;
        }
        // The head stays in `received` until the upgrade; frames must not come before our
        // answer, and whatever does stays bounded by maxHeaderBytes.
        connection.phase = Phase::AwaitingDecision;
        connection.headBytes = headSize;
        connection.deadline = QDeadlineTimer(QDeadlineTimer::Forever);
        connection.request = request;
        qCDebug(lcHttp) << "upgrade request" << request.path << "from" << request.peerAddress;
        m_handler->handleUpgradeRequest(request, UpgradeDecision(this, id));
        return;
    }

    if (request.hasHeader("Transfer-Encoding")) {
        fail(id, 411, u"request bodies must be sent with Content-Length"_s);
        return;
    }
    if (request.contentLength() > m_limits.maxBodyBytes) {
        reportLimit(u"body_bytes"_s, request.peerAddress, u"announced a request body over the limit"_s);
        fail(id, 413, u"request body is larger than %1 bytes"_s.arg(m_limits.maxBodyBytes));
        return;
    }
    const qint64 length = request.contentLength();
    // What came with the head is the start of the body; anything past the body is not ours.
    request.body = connection.received.sliced(
        headSize, std::clamp<qint64>(connection.received.size() - headSize, 0, std::max<qint64>(length, 0)));
    connection.received = QByteArray();
    connection.phase = Phase::ReadingBody;
    connection.request = std::move(request);
    setReadingPaused(connection, false);
    if (length > connection.request.body.size() &&
        connection.request.header("Expect").compare("100-continue", Qt::CaseInsensitive) == 0 &&
        connection.request.version == "HTTP/1.1") {
        if (!send(connection, "HTTP/1.1 100 Continue\r\n\r\n"_ba))
            return;
    }
    dispatchIfComplete(id);
}

void HttpFront::dispatchIfComplete(quint64 id)
{
    Connection *connection = find(id);
    if (!connection || connection->phase != Phase::ReadingBody ||
        connection->request.body.size() < connection->request.contentLength())
        return;
    connection->phase = Phase::AwaitingResponse;
    connection->deadline = QDeadlineTimer(QDeadlineTimer::Forever);
    const HttpRequest request = connection->request; // the handler may answer (and so forget) at once
    qCDebug(lcHttp) << request.method << request.path << "from" << request.peerAddress;
    m_handler->handleHttpRequest(request, HttpResponder(this, id));
}

bool HttpFront::isInPhase(quint64 id, Phase phase) const
{
    const Connection *connection = find(id);
    return connection && connection->phase == phase;
}

void HttpFront::respond(quint64 id, int status, const QByteArray &body, const QByteArray &contentType,
                        const HttpHeaderList &extraHeaders)
{
    if (!isInPhase(id, Phase::AwaitingResponse))
        return;
    const Connection &connection = *find(id);
    QByteArray response = httpResponse(status, body, contentType, extraHeaders);
    if (connection.request.method == "HEAD")
        response.chop(body.size());
    qCDebug(lcHttp) << connection.request.method << connection.request.path << "->" << status;
    answerAndClose(id, response);
}

void HttpFront::acceptUpgrade(quint64 id, const QVariant &context)
{
    if (!isInPhase(id, Phase::AwaitingDecision))
        return;
    const auto it = m_connections.find(id);
    std::unique_ptr<Connection> record = std::move(it->second);
    m_connections.erase(it);
    const HttpRequest request = std::move(record->request);
    const QByteArray answer = handshakeAnswer(request.header("Sec-WebSocket-Key"));
    // The transport changes hands: its readiness goes to the connection from now on.
    WsConnection *connection =
        WsConnection::fromTransport(std::move(record->transport), record->peerAddress, record->peerPort,
                                    record->received.sliced(record->headBytes), answer);
    if (record->countedForAddress) {
        // A child of the connection dies with it: the address counts until then.
        auto *lifetime = new QObject(connection);
        connect(lifetime, &QObject::destroyed, &m_connectionCounter,
                [this, peer = record->peerAddress] { m_addressLimiter.closeConnection(peer); });
    }
    retire(std::move(record)); // we may be inside its transport's callback
    qCDebug(lcHttp) << "WebSocket" << request.path << "from" << request.peerAddress;
    m_handler->handleWebSocket(connection, request, context);
}

void HttpFront::rejectUpgrade(quint64 id, int status, const QByteArray &jsonBody,
                              const HttpHeaderList &extraHeaders)
{
    if (!isInPhase(id, Phase::AwaitingDecision))
        return;
    qCDebug(lcHttp) << "upgrade" << find(id)->request.path << "rejected:" << status;
    answerAndClose(id, httpResponse(status, jsonBody, "application/json", extraHeaders));
}

// Closing a socket that still has unread input makes the kernel send RST, which can destroy the
// response before the client reads it (typical for 413 while the client is still uploading).
// So: send FIN once the response is out, drain input, and close when the client closes (or at the
// deadline).
void HttpFront::answerAndClose(quint64 id, const QByteArray &response)
{
    Connection *connection = find(id);
    if (!connection)
        return;
    connection->phase = Phase::Closing;
    connection->deadline = QDeadlineTimer(m_limits.handshakeTimeout, Qt::CoarseTimer);
    connection->request = HttpRequest();
    connection->received = QByteArray();
    setReadingPaused(*connection, false);
    if (!send(*connection, response))
        return;
    shutDownWriteSideIfFlushed(*connection);
    ensureSweeping();
}

bool HttpFront::send(Connection &connection, const QByteArray &bytes)
{
    if (!connection.unwritten.isEmpty()) {
        connection.unwritten.append(bytes);
        return true;
    }
    const qint64 written = connection.transport->writeBytes(bytes.constData(), bytes.size());
    if (written < 0) {
        drop(connection.id);
        return false;
    }
    if (written < bytes.size()) {
        connection.unwritten = bytes.sliced(written);
        connection.transport->setWriteInterest(true);
    }
    return true;
}

void HttpFront::onWritable(quint64 id)
{
    Connection *connection = find(id);
    if (!connection || connection->unwritten.isEmpty())
        return;
    const qint64 written =
        connection->transport->writeBytes(connection->unwritten.constData(), connection->unwritten.size());
    if (written < 0) {
        drop(id);
        return;
    }
    connection->unwritten.remove(0, written);
    if (!connection->unwritten.isEmpty())
        return;
    connection->unwritten = QByteArray();
    connection->transport->setWriteInterest(false);
    if (connection->phase == Phase::Closing)
        shutDownWriteSideIfFlushed(*connection);
}

void HttpFront::shutDownWriteSideIfFlushed(Connection &connection)
{
    if (connection.writeShutDown || !connection.unwritten.isEmpty())
        return;
    connection.writeShutDown = true;
    connection.transport->shutdownWrite();
}

void HttpFront::fail(quint64 id, int status, const QString &message, const HttpHeaderList &extraHeaders)
{
    if (const Connection *connection = find(id))
        qCDebug(lcHttp) << "refusing request from" << connection->peerAddress << status << message;
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
    answerAndClose(id, httpResponse(status, jsonError(error, message), "application/json", extraHeaders));
}

void HttpFront::sweep()
{
    std::vector<quint64> expired;
    for (const auto &entry : m_connections) {
        if (entry.second->deadline.hasExpired())
            expired.push_back(entry.first);
    }
    for (const quint64 id : expired) {
        const Connection *connection = find(id);
        if (!connection)
            continue;
        if (connection->tls && !connection->tls->isEncrypted() && connection->phase == Phase::ReadingHead) {
            // No TLS session to answer in: the handshake itself timed out.
            drop(id);
            continue;
        }
        switch (connection->phase) {
        case Phase::ReadingHead:
        case Phase::ReadingBody:
            reportLimit(u"handshake_timeout"_s, connection->peerAddress,
                        u"did not send its request in time"_s);
            fail(id, 408, u"request not received within the handshake timeout"_s);
            break;
        case Phase::Closing:
            drop(id);
            break;
        case Phase::AwaitingResponse:
        case Phase::AwaitingDecision:
            break; // never expire (deadline Forever)
        }
    }
    if (m_connections.empty())
        m_sweepTimer.stop();
}

void HttpFront::ensureSweeping()
{
    if (!m_connections.empty() && !m_sweepTimer.isActive())
        m_sweepTimer.start();
}

void HttpFront::drop(quint64 id)
{
    const auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    std::unique_ptr<Connection> record = std::move(it->second);
    m_connections.erase(it);
    record->transport->close(false);
    if (record->countedForAddress)
        m_addressLimiter.closeConnection(record->peerAddress);
    retire(std::move(record));
}

void HttpFront::retire(std::unique_ptr<Connection> connection)
{
    if (connection->transport)
        connection->transport->setEvents(nullptr);
    m_retired.push_back(std::move(connection));
    if (m_freeingRetired)
        return;
    m_freeingRetired = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_freeingRetired = false;
            m_retired.clear();
        },
        Qt::QueuedConnection);
}

} // namespace switchboard
