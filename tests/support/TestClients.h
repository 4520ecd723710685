// WebSocket clients for integration tests: they record every frame as one JSON object (a frame
// holding anything else, e.g. two joined messages, fails the test) and wait for what is expected.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QNetworkRequest>
#include <QObject>
#include <QWebSocket>

#include <functional>

namespace switchboard::test {

class JsonSocket : public QObject
{
    Q_OBJECT
public:
    explicit JsonSocket(QObject *parent = nullptr);

    // Opens and waits for the handshake (up to timeoutMs); false on failure.
    bool open(const QNetworkRequest &request, int timeoutMs = 5000);
    bool open(const QUrl &url, int timeoutMs = 5000) { return open(QNetworkRequest(url), timeoutMs); }
    void send(const QJsonObject &message);
    void sendRaw(const QString &text);
    void close();

    QWebSocket &socket() { return m_socket; }
    const QList<QJsonObject> &received() const { return m_received; }
    int badFrames() const { return m_badFrames; }
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    int closeCode() const { return m_closeCode; }

    // Waits until a received message (from index `from`) satisfies `match`; returns it or {}.
    QJsonObject waitFor(const std::function<bool(const QJsonObject &)> &match, int timeoutMs = 5000,
                        int from = 0);
    QJsonObject waitForType(const QString &type, int timeoutMs = 5000, int from = 0);
    QList<QJsonObject> ofType(const QString &type) const;
    bool waitForDisconnect(int timeoutMs = 5000);

Q_SIGNALS:
    void messageReceived(const QJsonObject &message);

private:
    QWebSocket m_socket;
    QList<QJsonObject> m_received;
    int m_badFrames = 0;
    int m_closeCode = -1;
};

// A bare agent speaking the protocol by hand (for tests that need exact control).
class TestAgent : public JsonSocket
{
    Q_OBJECT
public:
    explicit TestAgent(QObject *parent = nullptr)
        : JsonSocket(parent)
    {}
    bool connectTo(const QUrl &wsBase, const QString &agentId, const QByteArray &apiKey,
                   int timeoutMs = 5000);
    void sendFrame(const QString &type, const QJsonObject &payload);
    void heartbeat(const QString &status = QStringLiteral("online"), int activeSessions = 0,
                   int maxSessions = 10);
};

// Sends session.start (template firefox) on an open admin stream and waits for its answer: the new
// session's id, or empty when it was refused or did not come within timeoutMs.
QString startSessionOnAdmin(JsonSocket &admin, const QString &orgId, const QString &userId,
                            const QString &requestId, int timeoutMs = 10000);

} // namespace switchboard::test

namespace switchboard::test {

struct RawHttpResponse
{
    int status = 0; // 0 = no response
    QByteArray head;
    QByteArray body;
};

// Sends raw bytes to 127.0.0.1:port and reads the HTTP response until the peer closes, the body
// is complete or timeoutMs passes. For status codes QWebSocket cannot show (rejected upgrades).
RawHttpResponse rawHttp(quint16 port, const QByteArray &request, int timeoutMs = 5000);
// A WebSocket upgrade request for `target` (path + query) with extra header lines ("Name: value").
QByteArray upgradeRequest(const QByteArray &target, const QList<QByteArray> &extraHeaders = {});
// A plain HTTP request with an optional JSON body.
QByteArray httpRequest(const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                       const QList<QByteArray> &extraHeaders = {});

} // namespace switchboard::test
