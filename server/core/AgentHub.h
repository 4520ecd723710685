// AgentHub: the registry of connected agents on this replica. It owns their sockets, decodes their
// frames with the shared protocol library, keeps liveness (heartbeats, pings, one stale sweep
// timer) and reports what agents say through signals. It never decides what a frame means for
// commands or sessions: CommandLedger and SessionService do.
#pragma once

#include "net/RateLimit.h"
#include "net/WsConnection.h"
#include "shared/AgentProtocol.h"
#include "shared/Records.h"
#include "storage/StorageTypes.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QWebSocketProtocol>

#include <chrono>

namespace switchboard {

namespace metrics {
class ServerMetrics;
}
class Store;

struct AgentConnection
{
    quint64 serial = 0; // identity of this connection: a replaced one is never mistaken for its successor
    QPointer<WsConnection> socket;
    protocol::AgentInfo info;   // live view: status, capacity, activeSessions, lastHeartbeat, replica
    qint64 lastHeartbeatMs = 0; // monotonic (AgentHub's clock), for the stale sweep
    qint64 lastSeenMs = 0;      // any frame or pong, for the read timeout
    int consecutiveBadFrames = 0;
    TokenBucket messageRate; // frames from the agent
};

class AgentHub : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        std::chrono::milliseconds heartbeatTimeout{45000};
        std::chrono::milliseconds staleSweepInterval{10000};
        std::chrono::milliseconds pingInterval{54000};
        std::chrono::milliseconds readTimeout{60000};
        // Heartbeats are coalesced into one DB batch per interval. Short enough that a batch (and
        // so what other writes wait behind on the storage thread) stays small: at 15,000 agents
        // heartbeating every 10 s, 1 s batches of 1,500 rows put 30-50 ms into commands' p99.
        std::chrono::milliseconds heartbeatFlushInterval{250};
        qint64 maxFrameBytes = protocol::kMaxAgentFrameBytes;
        int maxBadFrames = protocol::kMaxConsecutiveBadFrames;
        // Frames per second an agent may send (bursts of twice as many); 0 = unlimited. More get
        // an error (rate_limited) and a close with 1008.
        int maxMessagesPerSecond = 0;
        // How long a socket we closed may take to complete the close handshake before it is
        // aborted (a dead peer never answers); checked by the ping and stale sweeps.
        std::chrono::milliseconds closeTimeout{10000};
        QString replica;
    };

    AgentHub(Store *store, const Config &config, QObject *parent = nullptr);
    ~AgentHub() override;

    // Takes ownership of an upgraded socket of an authenticated, approved agent. A connection the
    // agent already had is closed with 4000 "replaced by a newer connection"; its later close
    // never unregisters the new one.
    void acceptConnection(WsConnection *socket, const protocol::AgentInfo &agent);

    // The original's public API (Qt-style names).
    bool sendCommandToAgent(const QString &agentId, const protocol::agent::Command &command);
    // orgId empty = every agent; otherwise only that organisation's agents (an operator's reach).
    int broadcastToAllAgents(const protocol::agent::ServerFrame &frame, const QString &excludeAgentId = {},
                             const QString &orgId = {});
    QStringList connectedAgents() const;
    bool isAgentConnected(const QString &agentId) const;
    const AgentConnection *connection(const QString &agentId) const;
    // Live info of connected agents, optionally of one org (for selection and snapshots).
    QList<protocol::AgentInfo> connectedAgentInfos(const QString &orgId = {}) const;

    // Sends {"type":"error",...} to one agent (e.g. "not your command").
    void sendError(const QString &agentId, const protocol::Error &error);

    // An admin decided on a connected agent: the live view follows (agentUpdated); a rejected
    // agent loses its connection (4003 "agent rejected") and goes offline.
    void setApprovalStatus(const QString &agentId, protocol::ApprovalStatus status);

    // Another replica holds a newer connection of this agent (ClusterPresence found it registered
    // there): ours is stale and is closed with 4000, like a connection replaced on this replica.
    void closeClaimedElsewhere(const QString &agentId, const QString &replica);

    // Shutdown: closes every agent socket with 1001 "going away", flushes coalesced heartbeats and
    // marks the agents offline. The future finishes when storage has the writes.
    QFuture<protocol::Decoded<int>> shutdown();

    // Runs one stale sweep now (the timer calls it; tests may too).
    void sweepStaleAgents();

    // Totals since start, for the metrics message: text frames taken from agents (within the
    // rate limit, valid or not) and frames sent to them.
    quint64 framesReceived() const { return m_framesReceived; }
    quint64 framesSent() const { return m_framesSent; }
    // Hits of agent_message_rate so far.
    QHash<QString, quint64> limitHits() const { return m_limitLog.allHits(); }
    // Counts frames by type (null = not measured); must outlive this hub.
    void setMetrics(metrics::ServerMetrics *metrics) { m_metrics = metrics; }

Q_SIGNALS:
    void agentConnected(const protocol::AgentInfo &agent);
    // Status, capacity, activeSessions or lastHeartbeat changed (admin deltas).
    void agentUpdated(const protocol::AgentInfo &agent);
    // finalStatus is Stale when the sweep gave up on it, Offline for a normal close.
    void agentDisconnected(const protocol::AgentInfo &agent, protocol::AgentStatus finalStatus);
    void commandAcknowledged(const QString &agentId, const QString &commandId);
    void commandCompleted(const QString &agentId, const QString &commandId, const QJsonObject &result);
    void commandFailed(const QString &agentId, const QString &commandId, const QString &error);
    void statusReported(const QString &agentId, const protocol::agent::StatusReport &status);
    void logLinesReceived(const QString &agentId, const protocol::agent::LogLines &lines);

private:
    struct Closing
    {
        QPointer<WsConnection> socket;
        qint64 abortAtMs = 0;
    };

    void onTextMessage(quint64 serial, const QString &agentId, const QByteArray &utf8);
    void onBinaryMessage(quint64 serial, const QString &agentId);
    void onDisconnected(quint64 serial, const QString &agentId);
    void handleFrame(AgentConnection &connection, const protocol::agent::AgentFrame &frame);
    void handleHeartbeat(AgentConnection &connection, const protocol::agent::Heartbeat &heartbeat);
    void rejectFrame(AgentConnection &connection, const protocol::Error &error);
    // Takes a token for one frame; when there is none, answers rate_limited and drops the agent.
    bool withinMessageRate(AgentConnection &connection);
    void pingSweep();
    void flushHeartbeats();
    AgentConnection *liveConnection(quint64 serial, const QString &agentId);
    bool sendBytes(const AgentConnection &connection, const QByteArray &utf8);
    // Closes a socket we no longer want; a peer that never completes the close is aborted later.
    void closeSocket(const QPointer<WsConnection> &socket, QWebSocketProtocol::CloseCode code,
                     const QString &reason);
    void abortOverdueClosings(qint64 now);
    // Takes the agents out of the registry, closes their sockets, writes one offline batch and
    // reports each one as gone with finalStatus.
    void dropAgents(const QStringList &agentIds, QWebSocketProtocol::CloseCode code, const QString &reason,
                    protocol::AgentStatus finalStatus);

    QPointer<Store> m_store; // guarded: the destructor flushes only into a store that still exists
    Config m_config;
    QElapsedTimer m_clock;
    quint64 m_nextSerial = 1;
    bool m_shutDown = false;
    QHash<QString, AgentConnection> m_connections;
    QTimer m_staleSweepTimer;
    QTimer m_pingTimer;
    QTimer m_heartbeatFlushTimer;
    // Latest unwritten heartbeat per agent; kept after the agent left so that its last state is
    // written before it is marked offline (storage runs jobs in order).
    QHash<QString, HeartbeatRecord> m_dirtyHeartbeats;
    QList<Closing> m_closing;
    LimitLog m_limitLog;
    quint64 m_framesReceived = 0;
    quint64 m_framesSent = 0;
    metrics::ServerMetrics *m_metrics = nullptr;
};

} // namespace switchboard
