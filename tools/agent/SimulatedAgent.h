// One simulated agent's connection to the server: opens the agent WebSocket with its key,
// heartbeats, acknowledges and dispatches commands to its SessionSimulator, sends the results,
// reconnects with backoff forever, and drains cleanly on shutdown.
#pragma once

#include "Backoff.h"
#include "SessionSimulator.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QQueue>
#include <QTimer>
#include <QUrl>

class QWebSocket;

namespace switchboard::agentsim {

struct AgentConfig
{
    QString agentId;
    QString apiKey;
    QUrl connectUrl; // ws(s)://host[:port]/api/v1/agents/connect, without the query
    protocol::Capacity capacity;
    std::chrono::milliseconds heartbeatInterval{30000};
    std::chrono::milliseconds connectTimeout{10000};
    // Nothing at all from the server (frames or pongs to our pings) for this long: the connection
    // is dead even if TCP has not noticed; 0 = 3 heartbeat intervals, at least 10 s.
    std::chrono::milliseconds silenceTimeout{0};
    std::chrono::milliseconds closeTimeout{1500}; // wait for the close handshake on shutdown
    SimulationSettings simulation;
    Backoff::Policy reconnect;
    int maxOutbox = 10000; // results kept while disconnected
};

class SimulatedAgent : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Connecting, Connected, WaitingToReconnect, ShuttingDown, Stopped };
    Q_ENUM(State)

    explicit SimulatedAgent(AgentConfig config, SessionSimulator::RandomSource random = {},
                            QObject *parent = nullptr);
    ~SimulatedAgent() override;

    void setApiKey(const QString &apiKey) { m_config.apiKey = apiKey; }
    // Connects now and keeps reconnecting until shutdown().
    void start();
    // Sends a "draining" heartbeat, closes with 1000 and emits stopped() (at once if not connected).
    void shutdown();

    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    const QString &agentId() const { return m_config.agentId; }
    SessionSimulator *sessions() const { return m_sessions; }
    // Attempts made since the last stable connection (what the backoff is based on).
    int reconnectAttempts() const { return m_backoff.attempts(); }

Q_SIGNALS:
    void connected();
    void disconnected();
    void commandReceived(const QString &commandId, const QString &action);
    void commandFinished(const QString &commandId, bool ok);
    void sessionStateChanged(const QString &sessionId, protocol::SessionState state);
    // The server answered the upgrade with an HTTP error (e.g. 401, 403, 404); retrying continues.
    void connectRefused(int httpStatus);
    void reconnectScheduled(qint64 delayMs);
    void shutdownRequested(const QString &reason); // the server's `shutdown` frame
    void stopped();

private:
    void openConnection();
    void onConnected();
    void onTextMessage(const QString &message);
    void onSocketError();
    void endConnection(const QString &why);
    void scheduleReconnect();
    void finishStop();
    void sendHeartbeat();
    void checkSilence();
    void send(const protocol::agent::AgentFrame &frame);
    bool sendNow(const protocol::agent::AgentFrame &frame);
    void flushOutbox();
    void handleUndecodable(const QString &message, const protocol::Error &error);
    void dispatch(const protocol::agent::Command &command);
    std::chrono::milliseconds silenceLimit() const;

    AgentConfig m_config;
    SessionSimulator *m_sessions;
    State m_state = State::Idle;
    QPointer<QWebSocket> m_socket;
    Backoff m_backoff;
    QTimer m_heartbeatTimer;
    QTimer m_reconnectTimer;
    QTimer m_connectTimer;
    QTimer m_closeTimer;
    QElapsedTimer m_connectedSince;
    QElapsedTimer m_lastHeard;
    QQueue<protocol::agent::AgentFrame> m_outbox;
};

} // namespace switchboard::agentsim
