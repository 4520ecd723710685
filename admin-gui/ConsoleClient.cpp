#include "ConsoleClient.h"

#include "shared/JsonReader.h"
#include "shared/LogProtocol.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QNetworkRequest>
#include <QUrlQuery>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

Q_LOGGING_CATEGORY(lcConsoleClient, "switchboard.console.client")

namespace switchboard::console {

// ---- ConsoleRequest ----

ConsoleRequest::ConsoleRequest(QString requestId, QString type, QObject *parent)
    : QObject(parent)
    , m_requestId(std::move(requestId))
    , m_type(std::move(type))
{}

bool ConsoleRequest::settle()
{
    if (m_done)
        return false;
    m_done = true;
    deleteLater();
    return true;
}

void ConsoleRequest::finish(const QJsonObject &result)
{
    if (!settle())
        return;
    Q_EMIT finished(result);
    Q_EMIT done();
}

void ConsoleRequest::fail(const Error &error)
{
    if (!settle())
        return;
    Q_EMIT failed(error);
    Q_EMIT done();
}

void ConsoleRequest::timeOut()
{
    if (!settle())
        return;
    Q_EMIT timedOut();
    Q_EMIT done();
}

// ---- LogStream ----

LogStream::LogStream(const QUrl &url, const QString &token, const QString &sessionId, QObject *parent)
    : QObject(parent)
    , m_sessionId(sessionId)
{
    connect(&m_socket, &QWebSocket::connected, this, &LogStream::opened);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &LogStream::onText);
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        if (m_ended)
            return;
        m_ended = true;
        const QString reason = m_socket.closeReason();
        Q_EMIT ended(reason.isEmpty() ? tr("The connection closed.") : reason);
    });
    connect(&m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError) { Q_EMIT failed(m_socket.errorString()); });
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    m_socket.open(request);
}

LogStream::~LogStream()
{
    m_ended = true;
    m_socket.abort();
}

void LogStream::close()
{
    m_socket.close();
}

void LogStream::onText(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    auto decoded = logs::decodeServerMessage(utf8);
    if (decoded) {
        if (const auto *log = std::get_if<logs::LogLines>(&decoded.value())) {
            Q_EMIT linesReceived(log->lines);
        } else if (const auto *end = std::get_if<logs::LogEnd>(&decoded.value())) {
            if (!m_ended) {
                m_ended = true;
                Q_EMIT ended(end->message.isEmpty() ? logs::endReasonName(end->reason) : end->message);
            }
        }
        return;
    }
    // Not a log message: the browser error frame (e.g. a refused ping), or garbage.
    auto parsed = parseObject(utf8);
    if (parsed && parsed.value().value("type"_L1) == "error"_L1)
        Q_EMIT failed(parsed.value().value("message"_L1).toString());
    else
        Q_EMIT failed(decoded.error().message);
}

// ---- ConsoleClient ----

QString stateName(ConsoleClient::State state)
{
    switch (state) {
    case ConsoleClient::State::Disconnected:
        return QCoreApplication::translate("switchboard::console::ConsoleClient", "Disconnected");
    case ConsoleClient::State::Connecting:
        return QCoreApplication::translate("switchboard::console::ConsoleClient", "Connecting…");
    case ConsoleClient::State::Connected:
        return QCoreApplication::translate("switchboard::console::ConsoleClient", "Connected");
    case ConsoleClient::State::Reconnecting:
        return QCoreApplication::translate("switchboard::console::ConsoleClient", "Reconnecting…");
    }
    return {};
}

ConsoleClient::ConsoleClient(QObject *parent)
    : QObject(parent)
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &ConsoleClient::open);
    connect(&m_socket, &QWebSocket::connected, this, &ConsoleClient::onConnected);
    connect(&m_socket, &QWebSocket::disconnected, this, &ConsoleClient::onDisconnected);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &ConsoleClient::onText);
    connect(&m_socket, &QWebSocket::binaryMessageReceived, this,
            [this](const QByteArray &) { Q_EMIT protocolError(tr("The server sent a binary frame.")); });
    connect(&m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError) {
                // errorString() names the host and the HTTP status, never the request headers.
                Q_EMIT connectionError(m_socket.errorString());
                // A refused connection or handshake never was "connected": no disconnected() follows.
                if (m_socket.state() == QAbstractSocket::UnconnectedState)
                    onDisconnected();
            });
}

ConsoleClient::~ConsoleClient()
{
    m_wanted = false;
    m_socket.disconnect(this);
    m_socket.abort();
}

void ConsoleClient::setReconnectDelays(int firstMs, int maxMs)
{
    m_firstDelayMs = qMax(1, firstMs);
    m_maxDelayMs = qMax(m_firstDelayMs, maxMs);
    m_reconnectDelayMs = m_firstDelayMs;
}

void ConsoleClient::connectToServer(const QUrl &serverUrl, const QString &token)
{
    const bool sameServer = serverUrl == m_serverUrl;
    disconnectFromServer();
    m_serverUrl = serverUrl;
    m_token = token;
    if (!sameServer) {
        // A different server has a different history: start from its snapshot.
        m_epoch.clear();
        m_seqs.clear();
    }
    m_wanted = true;
    m_reconnectDelayMs = m_firstDelayMs;
    qCInfo(lcConsoleClient) << "connecting to" << adminUrl().toString();
    open();
}

void ConsoleClient::disconnectFromServer()
{
    m_wanted = false;
    m_reconnectTimer.stop();
    if (m_socket.state() != QAbstractSocket::UnconnectedState)
        m_socket.abort();
    failAllPending(tr("Disconnected from the server."));
    setState(State::Disconnected);
}

QUrl ConsoleClient::streamUrl(const QString &path) const
{
    QUrl url = m_serverUrl;
    const QString scheme = url.scheme();
    if (scheme == "https"_L1 || scheme == "wss"_L1)
        url.setScheme(u"wss"_s);
    else
        url.setScheme(u"ws"_s);
    QString base = url.path();
    while (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path);
    url.setQuery(QString());
    url.setUserInfo(QString());
    return url;
}

QUrl ConsoleClient::adminUrl() const
{
    return streamUrl(u"/api/v1/ws/admin"_s);
}

QNetworkRequest ConsoleClient::authorisedRequest(const QUrl &url) const
{
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    return request;
}

void ConsoleClient::open()
{
    if (!m_wanted)
        return;
    QUrl url = adminUrl();
    if (!m_epoch.isEmpty() && !m_seqs.isEmpty()) {
        // Resume (docs/PROTOCOL.md, admin stream): the server replays what each org missed.
        QStringList since;
        for (auto it = m_seqs.cbegin(); it != m_seqs.cend(); ++it)
            since.append(it.key() + u':' + QString::number(it.value()));
        since.sort();
        QUrlQuery query;
        query.addQueryItem(u"epoch"_s, m_epoch);
        query.addQueryItem(u"since"_s, since.join(u','));
        url.setQuery(query);
    }
    setState(m_state == State::Disconnected ? State::Connecting : State::Reconnecting);
    m_socket.open(authorisedRequest(url));
}

void ConsoleClient::onConnected()
{
    qCInfo(lcConsoleClient) << "admin stream open";
    // Connected once the snapshot is in: only then are the models the server's truth.
}

void ConsoleClient::onDisconnected()
{
    failAllPending(tr("The connection to the server was lost."));
    if (!m_wanted) {
        setState(State::Disconnected);
        return;
    }
    if (m_reconnectTimer.isActive())
        return; // error() and disconnected() may both report the same loss
    qCInfo(lcConsoleClient) << "admin stream closed:" << m_socket.closeCode() << m_socket.closeReason();
    scheduleReconnect();
}

void ConsoleClient::scheduleReconnect()
{
    setState(State::Reconnecting);
    const int delay = m_reconnectDelayMs;
    m_reconnectDelayMs = qMin(m_maxDelayMs, m_reconnectDelayMs * 2);
    m_reconnectTimer.start(delay);
    Q_EMIT reconnectScheduled(delay);
}

void ConsoleClient::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void ConsoleClient::failAllPending(const QString &why)
{
    const auto pending = std::exchange(m_pending, {});
    for (const QPointer<ConsoleRequest> &request : pending) {
        if (request)
            request->fail(Error{ErrorCode::Unavailable, why, {}, request->requestId()});
    }
}

void ConsoleClient::onText(const QString &text)
{
    auto decoded = decodeAdminMessage(text.toUtf8(), QDateTime::currentDateTimeUtc());
    if (!decoded) {
        if (decoded.error().code != ErrorCode::UnknownType) {
            qCWarning(lcConsoleClient) << "undecodable frame:" << decoded.error().message;
            Q_EMIT protocolError(decoded.error().message);
        }
        return;
    }
    dispatch(std::move(decoded).value());
}

void ConsoleClient::dispatch(AdminMessage &&message)
{
    if (auto *snapshot = std::get_if<Snapshot>(&message)) {
        if (snapshot->epoch != m_epoch) {
            m_epoch = snapshot->epoch;
            m_seqs = snapshot->seqs;
        } else {
            // Same history: keep our positions so that the replay that follows is not dropped.
            for (auto it = snapshot->seqs.cbegin(); it != snapshot->seqs.cend(); ++it) {
                if (!m_seqs.contains(it.key()))
                    m_seqs.insert(it.key(), it.value());
            }
        }
        m_reconnectDelayMs = m_firstDelayMs;
        Q_EMIT snapshotReceived(*snapshot);
        setState(State::Connected);
    } else if (auto *agent = std::get_if<AgentUpdated>(&message)) {
        Q_EMIT agentUpdated(agent->agent);
    } else if (auto *removed = std::get_if<AgentRemoved>(&message)) {
        Q_EMIT agentRemoved(removed->agentId);
    } else if (auto *org = std::get_if<OrgUpdated>(&message)) {
        Q_EMIT orgUpdated(org->org);
    } else if (auto *command = std::get_if<CommandUpdated>(&message)) {
        Q_EMIT commandUpdated(command->command);
    } else if (auto *event = std::get_if<SessionEventMessage>(&message)) {
        const browser::SessionEvent &sessionEvent = event->event;
        if (sessionEvent.seq > 0) {
            if (sessionEvent.epoch != m_epoch) {
                m_epoch = sessionEvent.epoch;
                m_seqs.clear();
            }
            const qint64 latest = m_seqs.value(sessionEvent.orgId, 0);
            if (sessionEvent.seq <= latest) {
                ++m_droppedDuplicates;
                return;
            }
            m_seqs.insert(sessionEvent.orgId, sessionEvent.seq);
        }
        Q_EMIT sessionEventReceived(sessionEvent);
    } else if (auto *metrics = std::get_if<protocol::admin::Metrics>(&message)) {
        Q_EMIT metricsReceived(*metrics);
    } else if (auto *broadcast = std::get_if<OrgBroadcastMessage>(&message)) {
        Q_EMIT orgBroadcastReceived(broadcast->orgId, broadcast->data);
    } else if (auto *resync = std::get_if<ResyncRequired>(&message)) {
        m_epoch = resync->epoch;
        if (!resync->orgId.isEmpty())
            m_seqs.insert(resync->orgId, resync->seq);
        Q_EMIT resyncRequired(resync->orgId, resync->epoch, resync->seq);
    } else if (auto *reply = std::get_if<ReplyMessage>(&message)) {
        const QPointer<ConsoleRequest> request = m_pending.take(reply->requestId);
        if (request)
            request->finish(reply->result);
    } else if (auto *error = std::get_if<ErrorMessage>(&message)) {
        const QPointer<ConsoleRequest> request =
            error->error.requestId.isEmpty() ? nullptr : m_pending.take(error->error.requestId);
        if (request)
            request->fail(error->error);
        else
            Q_EMIT serverError(error->error);
    }
}

ConsoleRequest *ConsoleClient::send(const admin::Request &request)
{
    const QString requestId = u"c"_s + QString::number(m_nextRequestId++);
    auto *pending = new ConsoleRequest(requestId, admin::requestTypeName(request), this);
    if (m_state != State::Connected) {
        // Fail on the next turn of the event loop so that callers can connect first.
        QTimer::singleShot(0, pending, [pending] {
            pending->fail(
                Error{ErrorCode::Unavailable, tr("Not connected to a server."), {}, pending->requestId()});
        });
        return pending;
    }
    m_pending.insert(requestId, pending);
    QTimer::singleShot(m_requestTimeoutMs, pending, [this, pending] {
        m_pending.remove(pending->requestId());
        pending->timeOut();
    });
    m_socket.sendTextMessage(QString::fromUtf8(admin::encodeRequest({requestId, request})));
    return pending;
}

ConsoleRequest *ConsoleClient::sendCommand(const QString &agentId, agent::Action action,
                                           const QJsonObject &payload)
{
    return send(admin::CommandSend{agentId, action, payload});
}

ConsoleRequest *ConsoleClient::startSession(const admin::SessionStart &request)
{
    return send(request);
}

ConsoleRequest *ConsoleClient::controlSession(agent::Action action, const QString &sessionId)
{
    return send(admin::SessionControl{action, sessionId});
}

ConsoleRequest *ConsoleClient::broadcastToOrg(const QString &orgId, const QJsonValue &data)
{
    return send(admin::OrgBroadcast{orgId, data});
}

ConsoleRequest *ConsoleClient::broadcastToAgents(const QString &message, const QString &excludeAgentId,
                                                 bool shutdown)
{
    return send(admin::AgentsBroadcast{message, excludeAgentId, shutdown});
}

ConsoleRequest *ConsoleClient::decideAgent(const QString &agentId, bool approve)
{
    return send(admin::AgentDecision{agentId, approve});
}

ConsoleRequest *ConsoleClient::cancelCommand(const QString &commandId)
{
    return send(admin::CommandCancel{commandId});
}

LogStream *ConsoleClient::openLogStream(const QString &sessionId, QObject *parent)
{
    const QUrl url = streamUrl(u"/api/v1/ws/logs/"_s + sessionId);
    return new LogStream(url, m_token, sessionId, parent);
}

} // namespace switchboard::console
