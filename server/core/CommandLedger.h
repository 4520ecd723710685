// CommandLedger: the only writer of command status. It persists commands before anything is
// sent, delivers them to connected agents (and the pending ones when an agent connects, in
// creation order), advances status monotonically from the agents' ack/complete/failed, resends
// unacknowledged commands and fails overdue ones from one sweep timer, and cancels pending ones.
#pragma once

#include "shared/AgentProtocol.h"
#include "shared/Records.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <chrono>

namespace switchboard {

class AgentHub;
class CommandRouter;
class Store;
struct Delivery;
struct OverdueCommand;

class CommandLedger : public QObject
{
    Q_OBJECT
public:
    // Deadlines of delivery. They are checked against stored timestamps (sent_at, first_sent_at),
    // so they hold across restarts; one sweep timer checks them all.
    struct Config
    {
        std::chrono::milliseconds ackTimeout{30000}; // a sent command not acked by then is sent again
        int maxAttempts = 5;                         // sends before an unacked command fails (ack_timeout)
        // From the first send to completed/failed, by action (timeout).
        std::chrono::milliseconds startCompleteTimeout{300000};
        std::chrono::milliseconds stopCompleteTimeout{120000};
        std::chrono::milliseconds hibernateCompleteTimeout{300000};
        std::chrono::milliseconds wakeCompleteTimeout{300000};
        std::chrono::milliseconds logsCompleteTimeout{30000};

        // Cluster mode: pending commands (of any replica) for agents connected here are sent
        // again from a sweep at this interval once they are this old — a routing that failed
        // (no subscriber, no confirmation) is retried where the agent is, not only when it
        // reconnects. The age stays above the router's confirm timeout so that a routing still
        // in flight is never doubled.
        std::chrono::milliseconds pendingSweepInterval{5000};
        std::chrono::milliseconds pendingMinAge{7000};

        static Config fromDelivery(const Delivery &delivery);
        std::chrono::milliseconds completeTimeout(protocol::agent::Action action) const;
        // A quarter of the smallest deadline, between 1 s and 5 s (tests may go lower by giving
        // deadlines under 4 s: the floor then is 50 ms).
        std::chrono::milliseconds sweepInterval() const;
    };

    // Error stored on a command failed by a deadline (PROTOCOL.md section 8).
    static inline const QString kAckTimeoutError = QStringLiteral("ack_timeout");
    static inline const QString kTimeoutError = QStringLiteral("timeout");

    CommandLedger(Store *store, AgentHub *agents, QObject *parent = nullptr);
    CommandLedger(Store *store, AgentHub *agents, const Config &config, QObject *parent = nullptr);

    static QString newCommandId(); // "cmd-" + 16 random hex digits

    // Builds (payload normalised), persists (pending) and, if the agent is connected here, delivers a
    // command. The future finishes on this object's thread once the command is stored: continue
    // with then(), never block on it from this thread.
    QFuture<protocol::Decoded<protocol::CommandInfo>> issue(const QString &agentId, const QString &orgId,
                                                            protocol::agent::Action action,
                                                            const QJsonObject &payload,
                                                            const QString &sessionId = {});
    // Announces (commandUpdated) and delivers a command that was just persisted by someone else
    // (e.g. created together with its session); it stays pending if its agent is not connected.
    void deliver(const protocol::CommandInfo &command);

    // A pending command becomes cancelled (and is never sent); anything else is a Conflict naming
    // its status, an unknown id NotFound. Emits commandUpdated and commandFinished on success.
    QFuture<protocol::Decoded<protocol::CommandInfo>> cancel(const QString &commandId);

    // Cluster mode: a command for an agent that is not connected here is routed to the replica
    // holding it, and becomes sent only when that replica confirms the delivery (anything else
    // leaves it pending). Not owned; null = single node.
    void setRouter(CommandRouter *router);

    // Runs one deadline sweep now (the timer calls it; tests may too). At most one runs at a time.
    void sweepOverdue();
    // Runs one pending sweep now (cluster mode's timer calls it; tests may too).
    void sweepPending();
    // The router handed a command routed from another replica to an agent here: the pending
    // sweep leaves it alone (its origin records the delivery when it gets the confirmation).
    void noteRoutedDelivery(const QString &commandId);
    const Config &config() const { return m_config; }

Q_SIGNALS:
    // Every persisted status change (admin deltas).
    void commandUpdated(const protocol::CommandInfo &command);
    // Once per command, when it reaches completed, failed (reported by the agent or by a deadline)
    // or cancelled (SessionService closes the loop).
    void commandFinished(const protocol::CommandInfo &command);

private:
    void deliverPending(const protocol::AgentInfo &agent);
    // Sends the command frame to the agent if it is connected here, else routes it (cluster mode),
    // and records the delivery (pending -> sent) once it happened. False if it could not go out
    // here and there is no router.
    bool send(const protocol::CommandInfo &command);
    // The local half of send(): false if the agent is not connected here.
    bool sendLocal(const protocol::CommandInfo &command);
    void route(const protocol::CommandInfo &command, protocol::agent::Action action);
    void advance(const QString &agentId, const QString &commandId, protocol::CommandStatus to,
                 const QString &error, const QJsonObject &result, bool countAttempt = false,
                 std::optional<protocol::CommandStatus> onlyFrom = std::nullopt);
    void handleOverdue(const OverdueCommand &overdue, const QDateTime &now);
    void announce(const protocol::CommandInfo &command);

    Store *m_store;
    AgentHub *m_agents;
    QPointer<CommandRouter> m_router;
    Config m_config;
    QTimer m_sweepTimer;
    bool m_sweeping = false;
    QTimer m_pendingTimer;
    bool m_sweepingPending = false;
    QHash<QString, QDateTime> m_routedHere; // commandId -> when delivered for another replica
    // Commands whose cancellation is being written: never sent meanwhile (a read of pending
    // commands made just before the cancel must not send them).
    QSet<QString> m_cancelling;
    // Agents whose pending commands are being read: a command created before that read finishes
    // is part of its answer and is sent from there, in creation order.
    QHash<QString, int> m_pendingReads;
};

} // namespace switchboard
