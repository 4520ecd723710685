// ConsoleClient: the console's only connection to a Switchboard server. It owns the admin stream
// socket (and the log stream sockets it opens), decodes every frame with the shared codecs and
// emits one typed signal per server message; requests return a ConsoleRequest matched by
// requestId. A lost connection is retried with exponential backoff, resuming the event history
// from the latest seq seen per organisation. The token is kept in memory only and never logged.
#pragma once

#include "AdminMessages.h"

#include "shared/AdminProtocol.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

namespace switchboard::console {

// One request on the admin stream. Exactly one of finished / failed / timedOut is emitted, then
// the object deletes itself (later): keep a QPointer if you look at it afterwards.
class ConsoleRequest : public QObject
{
    Q_OBJECT
public:
    ConsoleRequest(QString requestId, QString type, QObject *parent);
    QString requestId() const { return m_requestId; }
    QString type() const { return m_type; }
    bool isDone() const { return m_done; }

    void finish(const QJsonObject &result);
    void fail(const protocol::Error &error);
    void timeOut();

Q_SIGNALS:
    void finished(const QJsonObject &result);
    void failed(const protocol::Error &error);
    void timedOut();
    void done(); // after any of the three

private:
    bool settle();
    QString m_requestId;
    QString m_type;
    bool m_done = false;
};

// A session's live log (GET /api/v1/ws/logs/{sessionId}). Closes and deletes itself with its
// parent; close() ends it early.
class LogStream : public QObject
{
    Q_OBJECT
public:
    LogStream(const QUrl &url, const QString &token, const QString &sessionId, QObject *parent);
    ~LogStream() override;
    QString sessionId() const { return m_sessionId; }
    bool isOpen() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    void close();

Q_SIGNALS:
    void opened();
    void linesReceived(const QStringList &lines);
    void ended(const QString &reason); // the server ended the stream or the connection closed
    void failed(const QString &message);

private:
    void onText(const QString &text);
    QWebSocket m_socket;
    QString m_sessionId;
    bool m_ended = false;
};

class ConsoleClient : public QObject
{
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Connected, Reconnecting };
    Q_ENUM(State)

    explicit ConsoleClient(QObject *parent = nullptr);
    ~ConsoleClient() override;

    // serverUrl: http(s):// or ws(s):// base of the server, e.g. http://127.0.0.1:8080.
    void connectToServer(const QUrl &serverUrl, const QString &token);
    void disconnectFromServer();
    State state() const { return m_state; }
    QUrl serverUrl() const { return m_serverUrl; }
    // The admin stream URL without credentials (the token travels in the Authorization header).
    QUrl adminUrl() const;

    void setRequestTimeout(int ms) { m_requestTimeoutMs = ms; }
    void setReconnectDelays(int firstMs, int maxMs);
    int nextReconnectDelay() const { return m_reconnectDelayMs; }

    // Resume position: the history's epoch and the latest event seq per org seen so far.
    QString epoch() const { return m_epoch; }
    QHash<QString, qint64> latestSeqs() const { return m_seqs; }
    qint64 droppedDuplicates() const { return m_droppedDuplicates; }

    ConsoleRequest *sendCommand(const QString &agentId, protocol::agent::Action action,
                                const QJsonObject &payload);
    ConsoleRequest *startSession(const protocol::admin::SessionStart &request);
    ConsoleRequest *controlSession(protocol::agent::Action action, const QString &sessionId);
    ConsoleRequest *broadcastToOrg(const QString &orgId, const QJsonValue &data);
    ConsoleRequest *broadcastToAgents(const QString &message, const QString &excludeAgentId, bool shutdown);
    ConsoleRequest *decideAgent(const QString &agentId, bool approve);
    ConsoleRequest *cancelCommand(const QString &commandId);
    // Any admin request; the requestId is filled in.
    ConsoleRequest *send(const protocol::admin::Request &request);

    LogStream *openLogStream(const QString &sessionId, QObject *parent);

Q_SIGNALS:
    void stateChanged(switchboard::console::ConsoleClient::State state);
    void reconnectScheduled(int delayMs);
    void snapshotReceived(const switchboard::console::Snapshot &snapshot);
    void agentUpdated(const switchboard::protocol::AgentInfo &agent);
    void agentRemoved(const QString &agentId);
    void orgUpdated(const switchboard::protocol::OrgInfo &org);
    void commandUpdated(const switchboard::protocol::CommandInfo &command);
    void sessionEventReceived(const switchboard::protocol::browser::SessionEvent &event);
    void orgBroadcastReceived(const QString &orgId, const QJsonValue &data);
    void resyncRequired(const QString &orgId, const QString &epoch, qint64 seq);
    // The server's load (role admin only), every metrics interval.
    void metricsReceived(const switchboard::protocol::admin::Metrics &metrics);
    // An error frame without a pending request (e.g. the server refused a frame).
    void serverError(const switchboard::protocol::Error &error);
    // A frame that could not be decoded; the connection stays up.
    void protocolError(const QString &message);
    void connectionError(const QString &message);

private:
    void setState(State state);
    void open();
    void onConnected();
    void onDisconnected();
    void onText(const QString &text);
    void dispatch(AdminMessage &&message);
    void scheduleReconnect();
    void failAllPending(const QString &why);
    QUrl streamUrl(const QString &path) const;
    QNetworkRequest authorisedRequest(const QUrl &url) const;

    QWebSocket m_socket;
    QTimer m_reconnectTimer;
    QUrl m_serverUrl;
    QString m_token;
    State m_state = State::Disconnected;
    bool m_wanted = false;
    int m_firstDelayMs = 500;
    int m_maxDelayMs = 30000;
    int m_reconnectDelayMs = 500;
    int m_requestTimeoutMs = 15000;
    quint64 m_nextRequestId = 1;
    QHash<QString, QPointer<ConsoleRequest>> m_pending;
    QString m_epoch;
    QHash<QString, qint64> m_seqs;
    qint64 m_droppedDuplicates = 0;
};

QString stateName(ConsoleClient::State state); // translated, for the status bar

} // namespace switchboard::console
