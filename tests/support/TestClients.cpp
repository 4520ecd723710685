#include "TestClients.h"

#include "shared/Protocol.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace switchboard::test {

JsonSocket::JsonSocket(QObject *parent)
    : QObject(parent)
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &error);
        if (error.error != QJsonParseError::NoError || !document.isObject()) {
            ++m_badFrames;
            qWarning() << "frame is not one JSON object:" << text.left(200);
            return;
        }
        m_received.append(document.object());
        Q_EMIT messageReceived(document.object());
    });
    connect(&m_socket, &QWebSocket::disconnected, this, [this] { m_closeCode = m_socket.closeCode(); });
}

bool JsonSocket::open(const QNetworkRequest &request, int timeoutMs)
{
    QSignalSpy connected(&m_socket, &QWebSocket::connected);
    QSignalSpy disconnected(&m_socket, &QWebSocket::disconnected);
    m_socket.open(request);
    QDeadlineTimer deadline(timeoutMs);
    while (connected.isEmpty() && disconnected.isEmpty() && !deadline.hasExpired())
        QTest::qWait(5);
    return !connected.isEmpty();
}

void JsonSocket::send(const QJsonObject &message)
{
    m_socket.sendTextMessage(QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
}

void JsonSocket::sendRaw(const QString &text)
{
    m_socket.sendTextMessage(text);
}

void JsonSocket::close()
{
    m_socket.close();
}

QJsonObject JsonSocket::waitFor(const std::function<bool(const QJsonObject &)> &match, int timeoutMs,
                                int from)
{
    QDeadlineTimer deadline(timeoutMs);
    int index = from;
    while (true) {
        for (; index < m_received.size(); ++index) {
            if (match(m_received.at(index)))
                return m_received.at(index);
        }
        if (deadline.hasExpired())
            return {};
        QTest::qWait(10);
    }
}

QJsonObject JsonSocket::waitForType(const QString &type, int timeoutMs, int from)
{
    return waitFor([&type](const QJsonObject &m) { return m.value("type"_L1).toString() == type; }, timeoutMs,
                   from);
}

QList<QJsonObject> JsonSocket::ofType(const QString &type) const
{
    QList<QJsonObject> result;
    for (const QJsonObject &message : m_received) {
        if (message.value("type"_L1).toString() == type)
            result.append(message);
    }
    return result;
}

bool JsonSocket::waitForDisconnect(int timeoutMs)
{
    if (m_socket.state() == QAbstractSocket::UnconnectedState)
        return true;
    QSignalSpy disconnected(&m_socket, &QWebSocket::disconnected);
    return disconnected.wait(timeoutMs) || m_socket.state() == QAbstractSocket::UnconnectedState;
}

bool TestAgent::connectTo(const QUrl &wsBase, const QString &agentId, const QByteArray &apiKey, int timeoutMs)
{
    QUrl url = wsBase;
    url.setPath(u"/api/v1/agents/connect"_s);
    QUrlQuery query;
    query.addQueryItem(u"agent_id"_s, agentId);
    url.setQuery(query);
    QNetworkRequest request(url);
    request.setRawHeader("X-Agent-API-Key", apiKey);
    return open(request, timeoutMs);
}

void TestAgent::sendFrame(const QString &type, const QJsonObject &payload)
{
    send({{"type"_L1, type},
          {"timestamp"_L1, protocol::formatTimestamp(QDateTime::currentDateTimeUtc())},
          {"payload"_L1, payload}});
}

void TestAgent::heartbeat(const QString &status, int activeSessions, int maxSessions)
{
    sendFrame(u"heartbeat"_s,
              {{"status"_L1, status},
               {"activeSessions"_L1, activeSessions},
               {"capacity"_L1,
                QJsonObject{{"maxSessions"_L1, maxSessions}, {"cpu"_L1, u"8"_s}, {"memory"_L1, u"16Gi"_s}}}});
}

} // namespace switchboard::test

namespace switchboard::test {

RawHttpResponse rawHttp(quint16 port, const QByteArray &request, int timeoutMs)
{
    // The server under test usually runs on this very thread: wait by spinning the event loop,
    // never with the blocking waitFor* calls. Bytes are collected as they arrive, because a
    // server that answers and closes at once (a rejected connection) may do both before the loop
    // looks at the socket again, even before it has seen the connection established.
    QTcpSocket socket;
    QByteArray data;
    bool connected = false;
    bool closed = false;
    QObject::connect(&socket, &QTcpSocket::connected, &socket, [&] { connected = true; });
    QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [&] { data += socket.readAll(); });
    QObject::connect(&socket, &QTcpSocket::stateChanged, &socket, [&](QAbstractSocket::SocketState state) {
        if (state == QAbstractSocket::UnconnectedState) {
            data += socket.readAll();
            closed = true;
        }
    });
    socket.connectToHost(QHostAddress::LocalHost, port);
    QDeadlineTimer deadline(timeoutMs);
    while (!connected && !closed && !deadline.hasExpired())
        QTest::qWait(2);
    if (!connected)
        return {};
    if (!closed)
        socket.write(request);
    RawHttpResponse response;
    for (;;) {
        const bool last = closed || deadline.hasExpired();
        const qsizetype headEnd = data.indexOf("\r\n\r\n");
        if (headEnd >= 0) {
            response.head = data.left(headEnd);
            const QList<QByteArray> statusLine = response.head.split('\n').first().split(' ');
            response.status = statusLine.size() > 1 ? statusLine.at(1).toInt() : 0;
            response.body = data.mid(headEnd + 4);
            qsizetype length = -1;
            for (const QByteArray &line : response.head.split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            if (response.status == 101 || (length >= 0 && response.body.size() >= length))
                break;
        }
        if (last)
            break;
        QTest::qWait(2);
    }
    return response;
}

QByteArray upgradeRequest(const QByteArray &target, const QList<QByteArray> &extraHeaders)
{
    QByteArray request = "GET " + target +
                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    for (const QByteArray &header : extraHeaders)
        request += header + "\r\n";
    return request + "\r\n";
}

QByteArray httpRequest(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                       const QList<QByteArray> &extraHeaders)
{
    QByteArray request = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const QByteArray &header : extraHeaders)
        request += header + "\r\n";
    if (!body.isEmpty() || method == "POST")
        request +=
            "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    return request + "\r\n" + body;
}

QString startSessionOnAdmin(JsonSocket &admin, const QString &orgId, const QString &userId,
                            const QString &requestId, int timeoutMs)
{
    admin.send({{"type"_L1, u"session.start"_s},
                {"requestId"_L1, requestId},
                {"orgId"_L1, orgId},
                {"userId"_L1, userId},
                {"template"_L1, u"firefox"_s}});
    const QJsonObject reply = admin.waitFor(
        [&requestId](const QJsonObject &m) { return m.value("requestId"_L1).toString() == requestId; },
        timeoutMs);
    return reply.value("result"_L1)
        .toObject()
        .value("session"_L1)
        .toObject()
        .value("sessionId"_L1)
        .toString();
}

} // namespace switchboard::test
