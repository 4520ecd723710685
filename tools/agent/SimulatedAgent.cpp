#include "SimulatedAgent.h"

#include "shared/JsonReader.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QUrlQuery>
#include <QWebSocket>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcSimAgent, "switchboard.agent")

namespace switchboard::agentsim {

namespace wire = protocol::agent;
using std::chrono::milliseconds;

namespace {

double seconds(milliseconds duration)
{
    return double(duration.count()) / 1000.0;
}

// QtWebSockets reports a refused upgrade only as text, e.g. "QWebSocketPrivate::processHandshake:
// Unhandled http status code: 403 (Forbidden)."; the status is what tells the operator what to fix.
std::optional<int> httpStatusOf(const QString &errorString)
{
    static const QRegularExpression pattern(u"status code:?\\s*(\\d{3})"_s,
                                            QRegularExpression::CaseInsensitiveOption);
    const auto match = pattern.match(errorString);
    if (!match.hasMatch())
        return std::nullopt;
    return match.captured(1).toInt();
}

QString hintFor(int status)
{
    switch (status) {
    case 400:
        return u"the request lacked agent_id"_s;
    case 401:
        return u"missing or malformed API key"_s;
    case 403:
        return u"wrong API key, or the agent is not approved (yet)"_s;
    case 404:
        return u"the server does not know this agent id (add it with `switchboard-server agent add` or "
               u"register "
               "with the bootstrap key)"_s;
    case 429:
        return u"rate limited"_s;
    default:
        return u"unexpected answer to the upgrade"_s;
    }
}

bool isResult(const wire::AgentFrame &frame)
{
    return std::holds_alternative<wire::Complete>(frame) || std::holds_alternative<wire::Failed>(frame) ||
           std::holds_alternative<wire::StatusReport>(frame);
}

} // namespace

SimulatedAgent::SimulatedAgent(AgentConfig config, SessionSimulator::RandomSource random, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_sessions(new SessionSimulator(m_config.agentId, m_config.simulation, std::move(random), this))
    , m_backoff(m_config.reconnect)
{
    m_heartbeatTimer.setInterval(std::max(m_config.heartbeatInterval, milliseconds(10)));
    connect(&m_heartbeatTimer, &QTimer::timeout, this, [this] {
        checkSilence();
        if (m_state == State::Connected)
            sendHeartbeat();
    });
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &SimulatedAgent::openConnection);
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this,
            [this] { endConnection(u"no connection within %1 s"_s.arg(seconds(m_config.connectTimeout))); });
    m_closeTimer.setSingleShot(true);
    connect(&m_closeTimer, &QTimer::timeout, this,
            [this] { endConnection(u"the server did not answer the close handshake"_s); });

    connect(m_sessions, &SessionSimulator::frameReady, this, &SimulatedAgent::send);
    connect(m_sessions, &SessionSimulator::commandFinished, this, &SimulatedAgent::commandFinished);
    connect(m_sessions, &SessionSimulator::sessionStateChanged, this,
            [this](const QString &sessionId, protocol::SessionState state) {
                Q_EMIT sessionStateChanged(sessionId, state);
                // A changed session count is news for the scheduler; do not wait for the next interval.
                if (m_state == State::Connected)
                    sendHeartbeat();
            });
}

SimulatedAgent::~SimulatedAgent()
{
    if (m_socket) {
        disconnect(m_socket, nullptr, this, nullptr);
        m_socket->abort();
    }
}

void SimulatedAgent::start()
{
    if (m_state != State::Idle && m_state != State::Stopped)
        return;
    m_backoff.reset();
    openConnection();
}

void SimulatedAgent::openConnection()
{
    if (m_state == State::ShuttingDown || m_state == State::Stopped)
        return;
    m_state = State::Connecting;

    auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    socket->setMaxAllowedIncomingMessageSize(quint64(protocol::kMaxAgentFrameBytes));
    socket->setMaxAllowedIncomingFrameSize(quint64(protocol::kMaxAgentFrameBytes));
    m_socket = socket;
    connect(socket, &QWebSocket::connected, this, &SimulatedAgent::onConnected);
    connect(socket, &QWebSocket::disconnected, this, [this] { endConnection(u"connection closed"_s); });
    connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            &SimulatedAgent::onSocketError);
    connect(socket, &QWebSocket::textMessageReceived, this, &SimulatedAgent::onTextMessage);
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this] {
        m_lastHeard.restart();
        qCWarning(lcSimAgent).noquote() << m_config.agentId << "ignored a binary frame from the server";
    });
    connect(socket, &QWebSocket::pong, this, [this] { m_lastHeard.restart(); });

    QUrl url = m_config.connectUrl;
    QUrlQuery query;
    query.addQueryItem(u"agent_id"_s, m_config.agentId);
    url.setQuery(query);
    QNetworkRequest request(url);
    request.setRawHeader("X-Agent-API-Key", m_config.apiKey.toLatin1());
    qCDebug(lcSimAgent).noquote() << m_config.agentId << "connecting to" << url.toString();
    m_connectTimer.start(std::max(m_config.connectTimeout, milliseconds(100)));
    socket->open(request);
}

void SimulatedAgent::onConnected()
{
    m_connectTimer.stop();
    m_state = State::Connected;
    m_connectedSince.start();
    m_lastHeard.start();
    qCInfo(lcSimAgent).noquote() << m_config.agentId << "connected to" << m_config.connectUrl.toString();
    sendHeartbeat();
    m_heartbeatTimer.start();
    flushOutbox();
    Q_EMIT connected();
}

void SimulatedAgent::onSocketError()
{
    if (!m_socket)
        return;
    const QString text = m_socket->errorString();
    if (const auto status = httpStatusOf(text); status && m_state == State::Connecting) {
        Q_EMIT connectRefused(*status);
        return endConnection(
            u"the server refused the upgrade with HTTP %1: %2"_s.arg(*status).arg(hintFor(*status)));
    }
    endConnection(text);
}

void SimulatedAgent::endConnection(const QString &why)
{
    QWebSocket *socket = m_socket;
    if (!socket)
        return;
    m_socket = nullptr;
    disconnect(socket, nullptr, this, nullptr);
    const int closeCode = int(socket->closeCode());
    const QString closeReason = socket->closeReason();
    // "connection closed" says little when the socket knows why (e.g. "Connection refused").
    const QString reason = !m_connectedSince.isValid() &&
                                   socket->error() != QAbstractSocket::UnknownSocketError &&
                                   why == u"connection closed"_s
                               ? socket->errorString()
                               : why;
    socket->abort();
    socket->deleteLater();
    m_connectTimer.stop();
    m_heartbeatTimer.stop();
    m_closeTimer.stop();
    m_sessions->stopAllLogStreams();

    if (m_connectedSince.isValid()) {
        const milliseconds upTime(m_connectedSince.elapsed());
        m_connectedSince.invalidate();
        m_backoff.connectionEnded(upTime);
        if (closeCode == 4000)
            qCWarning(lcSimAgent).noquote()
                << u"%1 was replaced by another connection with the same agent id (close 4000)"_s.arg(
                       m_config.agentId);
        else
            qCInfo(lcSimAgent).noquote() << u"%1 disconnected after %2 s: %3 (close code %4%5)"_s.arg(
                m_config.agentId, QString::number(seconds(upTime)), why, QString::number(closeCode),
                closeReason.isEmpty() ? QString() : u", "_s + closeReason);
        Q_EMIT disconnected();
    } else if (m_state != State::ShuttingDown) {
        qCWarning(lcSimAgent).noquote() << u"%1 could not connect to %2: %3"_s.arg(
            m_config.agentId, m_config.connectUrl.toString(), reason);
    }

    if (m_state == State::ShuttingDown)
        return finishStop();
    scheduleReconnect();
}

void SimulatedAgent::scheduleReconnect()
{
    m_state = State::WaitingToReconnect;
    const milliseconds delay = m_backoff.nextDelay();
    qCInfo(lcSimAgent).noquote() << m_config.agentId << "reconnecting in" << seconds(delay) << "s";
    m_reconnectTimer.start(delay);
    Q_EMIT reconnectScheduled(delay.count());
}

void SimulatedAgent::shutdown()
{
    switch (m_state) {
    case State::Connected:
        m_state = State::ShuttingDown;
        m_heartbeatTimer.stop();
        sendHeartbeat(); // "draining": the scheduler stops choosing this agent at once
        qCInfo(lcSimAgent).noquote() << m_config.agentId << "draining and closing";
        m_closeTimer.start(std::max(m_config.closeTimeout, milliseconds(10)));
        m_socket->close(QWebSocketProtocol::CloseCodeNormal, u"agent shutting down"_s);
        return;
    case State::Connecting:
        m_state = State::ShuttingDown;
        return endConnection(u"shutting down while connecting"_s);
    case State::Idle:
    case State::WaitingToReconnect:
        m_reconnectTimer.stop();
        return finishStop();
    case State::ShuttingDown:
    case State::Stopped:
        return;
    }
}

void SimulatedAgent::finishStop()
{
    m_state = State::Stopped;
    m_reconnectTimer.stop();
    m_heartbeatTimer.stop();
    m_connectTimer.stop();
    m_closeTimer.stop();
    m_sessions->stopAllLogStreams();
    Q_EMIT stopped();
}

milliseconds SimulatedAgent::silenceLimit() const
{
    if (m_config.silenceTimeout > milliseconds(0))
        return m_config.silenceTimeout;
    return std::max(3 * m_config.heartbeatInterval, milliseconds(10000));
}

void SimulatedAgent::checkSilence()
{
    if (m_state != State::Connected || !m_lastHeard.isValid())
        return;
    if (milliseconds(m_lastHeard.elapsed()) > silenceLimit())
        endConnection(
            u"nothing heard from the server for %1 s"_s.arg(seconds(milliseconds(m_lastHeard.elapsed()))));
}

void SimulatedAgent::sendHeartbeat()
{
    wire::Heartbeat heartbeat;
    heartbeat.status =
        m_state == State::ShuttingDown ? wire::ReportedStatus::Draining : wire::ReportedStatus::Online;
    heartbeat.activeSessions = m_sessions->activeSessions();
    heartbeat.capacity = m_config.capacity;
    sendNow(heartbeat);
    // A WebSocket ping makes a healthy server answer even when it has nothing to say.
    if (m_socket && m_state == State::Connected)
        m_socket->ping();
}

void SimulatedAgent::send(const wire::AgentFrame &frame)
{
    if (m_state == State::Connected && sendNow(frame))
        return;
    // Results must reach the server even if the connection dropped while a command ran: keep them
    // for the next connection. Log lines are only useful live.
    if (!isResult(frame))
        return;
    if (m_outbox.size() >= m_config.maxOutbox) {
        m_outbox.dequeue();
        qCWarning(lcSimAgent).noquote()
            << m_config.agentId << "dropped the oldest unsent result (outbox full)";
    }
    m_outbox.enqueue(frame);
}

bool SimulatedAgent::sendNow(const wire::AgentFrame &frame)
{
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
        return false;
    const QByteArray bytes = wire::encodeAgentFrame(frame, QDateTime::currentDateTimeUtc());
    qCDebug(lcSimAgent).noquote() << m_config.agentId << "->" << bytes;
    m_socket->sendTextMessage(QString::fromUtf8(bytes));
    return true;
}

void SimulatedAgent::flushOutbox()
{
    if (!m_outbox.isEmpty())
        qCInfo(lcSimAgent).noquote() << m_config.agentId << "sending" << m_outbox.size()
                                     << "results held while disconnected";
    while (!m_outbox.isEmpty() && m_state == State::Connected) {
        if (!sendNow(m_outbox.head()))
            return;
        m_outbox.dequeue();
    }
}

void SimulatedAgent::onTextMessage(const QString &message)
{
    m_lastHeard.restart();
    if (m_state != State::Connected)
        return; // shutting down: nothing new is taken on
    const QByteArray bytes = message.toUtf8();
    qCDebug(lcSimAgent).noquote() << m_config.agentId << "<-" << bytes;
    auto decoded = wire::decodeServerFrame(bytes);
    if (!decoded)
        return handleUndecodable(message, decoded.error());

    std::visit(
        [this](const auto &frame) {
            using T = std::decay_t<decltype(frame)>;
            if constexpr (std::is_same_v<T, wire::Command>) {
                dispatch(frame);
            } else if constexpr (std::is_same_v<T, wire::Ping>) {
                sendNow(wire::Pong{});
            } else if constexpr (std::is_same_v<T, wire::Shutdown>) {
                qCWarning(lcSimAgent).noquote()
                    << m_config.agentId << "server asked this agent to disconnect:"
                    << (frame.reason.isEmpty() ? u"(no reason given)"_s : frame.reason);
                Q_EMIT shutdownRequested(frame.reason);
                // The server is going away (or wants us gone for now): close and come back later.
                if (m_socket)
                    m_socket->close(QWebSocketProtocol::CloseCodeNormal,
                                    u"shutdown requested by the server"_s);
            } else if constexpr (std::is_same_v<T, wire::Notice>) {
                qCInfo(lcSimAgent).noquote()
                    << m_config.agentId << "notice from the server:" << frame.message;
            } else if constexpr (std::is_same_v<T, wire::ErrorFrame>) {
                qCWarning(lcSimAgent).noquote()
                    << m_config.agentId
                    << "server reported an error:" << protocol::errorCodeName(frame.error.code)
                    << frame.error.message
                    << (frame.error.field.isEmpty() ? QString() : u"(%1)"_s.arg(frame.error.field));
            }
        },
        decoded.value());
}

void SimulatedAgent::dispatch(const wire::Command &command)
{
    const QString action = wire::actionName(command.action);
    Q_EMIT commandReceived(command.commandId, action);
    sendNow(wire::Ack{command.commandId});
    switch (m_sessions->submit(command)) {
    case SessionSimulator::Delivery::New:
        qCInfo(lcSimAgent).noquote() << m_config.agentId << "command" << command.commandId << action;
        break;
    case SessionSimulator::Delivery::InProgress:
        qCInfo(lcSimAgent).noquote() << m_config.agentId << "command" << command.commandId
                                     << "delivered again while running; acknowledged only";
        break;
    case SessionSimulator::Delivery::AlreadyDone:
        qCInfo(lcSimAgent).noquote() << m_config.agentId << "command" << command.commandId
                                     << "delivered again after it finished; result sent again";
        break;
    }
}

void SimulatedAgent::handleUndecodable(const QString &message, const protocol::Error &error)
{
    // A command this agent cannot run still names its id: answer `failed` so the server does not
    // wait for a timeout.
    const auto object = protocol::parseObject(message.toUtf8());
    if (object) {
        protocol::JsonReader envelope(object.value());
        const QString type = envelope.optionalString(u"type"_s);
        protocol::JsonReader payload(envelope.optionalObject(u"payload"_s), u"payload"_s);
        const QString commandId = payload.optionalString(u"commandId"_s);
        if (type == "command"_L1 && envelope.ok() && payload.ok() && !commandId.isEmpty()) {
            const QString action = payload.optionalString(u"action"_s);
            qCWarning(lcSimAgent).noquote() << u"%1 cannot run command %2 (%3): %4"_s.arg(
                m_config.agentId, commandId, action, error.message);
            Q_EMIT commandReceived(commandId, action);
            sendNow(wire::Ack{commandId});
            m_sessions->reject(commandId, u"agent cannot run this command: %1"_s.arg(error.message));
            return;
        }
    }
    qCWarning(lcSimAgent).noquote() << m_config.agentId
                                    << "ignored an invalid frame from the server:" << error.message;
}

} // namespace switchboard::agentsim
