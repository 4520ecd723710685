// Hub: the browser and tool connections of this replica, indexed by org, with fan-out of messages
// encoded once and a slow-client policy that drops a client instead of letting it stall anybody.
// It knows nothing of what messages mean: handlers receive frames through messageReceived.
#pragma once

#include "net/OrgContext.h"
#include "net/RateLimit.h"
#include "net/WsConnection.h"
#include "shared/Protocol.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QWebSocketProtocol>

#include <array>
#include <chrono>
#include <optional>

namespace switchboard {

namespace metrics {
class ServerMetrics;
}

enum class ClientKind { Sessions, Cluster, Admin, Logs };

// A text frame encoded once (header and payload) and shared by every recipient: QByteArray is
// implicitly shared, so queuing it on a thousand connections copies no bytes.
class OutgoingMessage
{
public:
    // `utf8` must be valid UTF-8 (everything we send is JSON we encoded).
    static OutgoingMessage fromUtf8(const QByteArray &utf8);
    const QByteArray &frame() const { return m_frame; }
    // The top-level "type" of the JSON object (for metrics; empty when none).
    const QByteArray &type() const { return m_type; }

private:
    QByteArray m_frame;
    QByteArray m_type;
};

struct BrowserClient
{
    quint64 id = 0;
    ClientKind kind = ClientKind::Sessions;
    OrgContext context; // from the verified token only
    QPointer<WsConnection> socket;
    qint64 lastSeenMs = 0;
    int consecutiveBadFrames = 0;
    TokenBucket messageRate;   // messages from the client
    bool flushPending = false; // frames queued this turn of the event loop, see Hub::send
};

class Hub : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        int maxUnsentMessages = 256;
        qint64 maxUnsentBytes = 1024 * 1024;
        std::chrono::milliseconds pingInterval{30000};
        std::chrono::milliseconds readTimeout{60000};
        qint64 maxFrameBytes = protocol::kMaxBrowserFrameBytes;
        int maxBadFrames = protocol::kMaxConsecutiveBadFrames;
        // Messages per second a client may send (bursts of twice as many); 0 = unlimited. More
        // get an error (rate_limited) and a close with 1008.
        int maxMessagesPerSecond = 0;
        // How long a closed socket may take to flush its close frame before it is aborted
        // (checked by the ping sweep, so the real bound is closeTimeout + pingInterval).
        std::chrono::milliseconds closeTimeout{10000};
    };

    explicit Hub(const Config &config, QObject *parent = nullptr);
    ~Hub() override;

    // Takes ownership of an upgraded connection; returns the client's id.
    quint64 addClient(WsConnection *socket, ClientKind kind, const OrgContext &context);

    // Queues one message; a client over the slow limits is closed with 1008 and removed instead.
    // Slow = more than maxUnsentMessages messages not yet handed to the kernel, or more than
    // maxUnsentBytes of them while at least two messages wait (one big message alone is not a
    // backlog). Returns false when the client is gone or was just dropped.
    bool send(quint64 clientId, const OutgoingMessage &message);
    bool send(quint64 clientId, const QByteArray &utf8)
    {
        return send(clientId, OutgoingMessage::fromUtf8(utf8));
    }
    // The original's API: to every client / to every client of an org (optionally of one kind).
    int broadcast(const OutgoingMessage &message);
    int broadcastToOrg(const QString &orgId, const OutgoingMessage &message,
                       std::optional<ClientKind> kind = {});

    int clientCount() const;
    int clientCount(const QString &orgId) const;
    QList<quint64> clientsByOrg(const QString &orgId, std::optional<ClientKind> kind = {}) const;
    QList<quint64> clientsOfKind(ClientKind kind) const;
    QStringList uniqueOrgs(std::optional<ClientKind> kind = {}) const;
    QString k8sNamespaceForOrg(const QString &orgId) const;
    const BrowserClient *client(quint64 clientId) const;

    // Totals since start, for the metrics message: text messages handed to handlers (within the
    // rate limit) and messages send() accepted.
    quint64 messagesReceived() const { return m_messagesReceived; }
    quint64 messagesSent() const { return m_messagesSent; }
    // Hits of browser_message_rate so far.
    QHash<QString, quint64> limitHits() const { return m_limitLog.allHits(); }
    // Counts messages by type, broadcasts and slow-client drops (null = not measured); must
    // outlive this hub.
    void setMetrics(metrics::ServerMetrics *metrics) { m_metrics = metrics; }

    // Handlers report the outcome of each frame: a bad one is answered with an error (echoing its
    // requestId) and counted; maxBadFrames in a row close the socket with 1008.
    void reportBadFrame(quint64 clientId, const protocol::Error &error);
    void reportGoodFrame(quint64 clientId);
    // A handler refused a request because a per-client limit (e.g. "subscriptions") is reached:
    // counted, and logged once per offender and limit per minute (switchboard.limits).
    void reportLimitHit(quint64 clientId, const QString &limit, const QString &detail);
    quint64 limitHits(const QString &limit) const { return m_limitLog.hits(limit); }

    void closeClient(quint64 clientId, QWebSocketProtocol::CloseCode code, const QString &reason);
    void closeAll(QWebSocketProtocol::CloseCode code, const QString &reason);

    // One sweep for every client: ping, and close those silent (no frame, no pong) for longer
    // than readTimeout with 4002 "read timeout"; also aborts closed sockets past closeTimeout.
    void pingSweep();

Q_SIGNALS:
    void clientAdded(quint64 clientId);
    // Emitted after the client left the indexes; `client` is its last state.
    void clientRemoved(quint64 clientId, const switchboard::BrowserClient &client);
    void messageReceived(quint64 clientId, const QByteArray &utf8);
    void orgClientCountChanged(const QString &orgId, int count);
    void slowClientDropped(quint64 clientId);

private:
    struct Closing
    {
        QPointer<WsConnection> socket;
        qint64 abortAtMs = 0;
    };

    void removeClient(quint64 clientId);
    // Takes a token for one message; when there is none, answers rate_limited and closes 1008.
    bool withinMessageRate(quint64 clientId);
    bool overLimits(const BrowserClient &client) const;
    // Writes what send() queued during this turn of the event loop: one gathered write per
    // client for a whole burst of broadcasts (posted, so it runs before the loop waits again).
    void flushQueued();

    Config m_config;
    QElapsedTimer m_clock;
    quint64 m_nextId = 1;
    QHash<quint64, BrowserClient> m_clients;
    // Ids only grow, so appending keeps these lists sorted (oldest first) without sorting; a
    // broadcast takes a shared copy of one of them instead of building and sorting a new list.
    QHash<QString, QList<quint64>> m_clientsByOrg;
    std::array<QList<quint64>, 4> m_clientsByKind; // indexed by ClientKind
    QTimer m_pingTimer;
    QList<Closing> m_closing;   // closed by us, waiting for the peer or the abort deadline
    QList<quint64> m_unflushed; // clients with frames queued since the last flushQueued()
    bool m_flushScheduled = false;
    LimitLog m_limitLog;
    quint64 m_messagesReceived = 0;
    quint64 m_messagesSent = 0;
    metrics::ServerMetrics *m_metrics = nullptr;
};

} // namespace switchboard
