// SessionService: the session lifecycle. Starts sessions on the best agent (online, not draining,
// same org, fewest active sessions), turns command outcomes and agents' status reports into
// session state (failed, cancelled and timed-out commands included), fails sessions whose agent
// stays away longer than a grace period, and emits the SessionEvents the Notifier routes. Callers have
// already checked that the requester may act on the org (AdminService does that, in one place).
#pragma once

#include "shared/AdminProtocol.h"
#include "shared/BrowserProtocol.h"
#include "shared/Records.h"
#include "storage/StorageTypes.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <chrono>
#include <functional>

namespace switchboard {

class AgentHub;
class ClusterPresence;
class CommandLedger;
class Store;

class SessionService : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        // A session whose agent stays offline or stale this long is failed (agent_unavailable).
        std::chrono::milliseconds agentGracePeriod{300000};
        // How often that is checked; 0 = derived: a quarter of the grace period, 1 s to 30 s (50 ms
        // floor for grace periods under 4 s, in tests).
        std::chrono::milliseconds graceSweepInterval{0};

        std::chrono::milliseconds effectiveGraceSweepInterval() const;
    };

    // termination_reason and session.error code of a session failed by the grace period, and the
    // reason of one whose start_session command was cancelled.
    static inline const QString kAgentUnavailableReason = QStringLiteral("agent_unavailable");
    static inline const QString kCancelledReason = QStringLiteral("cancelled");

    SessionService(Store *store, AgentHub *agents, CommandLedger *ledger, QObject *parent = nullptr);
    SessionService(Store *store, AgentHub *agents, CommandLedger *ledger, const Config &config,
                   QObject *parent = nullptr);

    // Picks an agent (request.agentId if given: it must be connected, approved, in the org, online
    // and not draining), creates the session (pending) and its start_session command in one
    // transaction, emits session.created and delivers the command. NoAgentAvailable / NotFound /
    // Conflict errors leave nothing written. The futures of this class finish on this object's
    // thread: continue with then(), never block on them from this thread.
    // With cluster presence (setPresence), the agents of every live replica are candidates: their
    // rows in the shared database tell their load, and a session placed on an agent of another
    // replica gets its start_session through the CommandRouter like any other command.
    QFuture<protocol::Decoded<protocol::SessionInfo>>
    startSession(const protocol::admin::SessionStart &request);
    void setPresence(ClusterPresence *presence);

    // Issues stop/hibernate/wake for a session the caller already loaded and authorised; stop and
    // hibernate first move it to terminating / hibernating (session.state.changed).
    QFuture<protocol::Decoded<protocol::CommandInfo>> controlSession(const protocol::SessionInfo &session,
                                                                     protocol::agent::Action action);

    // Publishes an event from outside (POST /api/v1/events), already validated and org-checked.
    void publishEvent(const protocol::browser::SessionEvent &event);

    // Picks the agent for a new session among live agents, or returns an empty string: approved,
    // online (not draining/stale), of the org, below its maxSessions (when it reports one), fewest
    // active sessions, ties broken by agent id.
    static QString selectAgent(const QList<protocol::AgentInfo> &candidates, const QString &orgId);
    // Why an agent cannot take a new session of the org (empty when it can).
    static QString unavailableReason(const protocol::AgentInfo &agent, const QString &orgId);

    // Runs one grace-period sweep now (the timer calls it; tests may too): one storage job fails
    // every session whose agent row is offline/stale since before now - agentGracePeriod, so it
    // holds across restarts. At most one runs at a time.
    void sweepAbandonedSessions();

Q_SIGNALS:
    void sessionEvent(const protocol::browser::SessionEvent &event);

private:
    void onCommandFinished(const protocol::CommandInfo &command);
    void onStatusReported(const QString &agentId, const protocol::agent::StatusReport &status);
    // Writes an update; emits session.state.changed when the state moved, then calls `after`.
    void applyUpdate(const SessionUpdate &update,
                     std::function<void(const protocol::Decoded<SessionTransition> &)> after = {});
    void emitEvent(protocol::browser::EventType type, const protocol::SessionInfo &session,
                   const QJsonObject &data = {});

    // The live view of the org's agents with the sessions started here since each one's last
    // heartbeat added to its load, so that a burst of starts is spread instead of piling onto the
    // agent that looked least loaded when it last reported.
    QList<protocol::AgentInfo> candidatesOf(const QString &orgId) const;
    protocol::AgentInfo withRecentStarts(protocol::AgentInfo agent) const;
    void noteStart(const protocol::AgentInfo &agent);
    // session.start when agents of other replicas may be the answer (cluster mode).
    QFuture<protocol::Decoded<protocol::SessionInfo>>
    startOnAgentElsewhere(const protocol::admin::SessionStart &request);
    QFuture<protocol::Decoded<protocol::SessionInfo>>
    startOnAnyReplica(const protocol::admin::SessionStart &request);
    QFuture<protocol::Decoded<protocol::SessionInfo>>
    pickAndCreate(const protocol::admin::SessionStart &request, const QList<protocol::AgentInfo> &candidates);
    // Writes the session and its start_session command for the chosen agent and delivers it.
    QFuture<protocol::Decoded<protocol::SessionInfo>>
    createSession(const protocol::admin::SessionStart &request, const protocol::AgentInfo &agent);

    struct RecentStarts
    {
        QDateTime sinceHeartbeat; // the agent's lastHeartbeat when these were counted
        int count = 0;
    };

    Store *m_store;
    AgentHub *m_agents;
    CommandLedger *m_ledger;
    QPointer<ClusterPresence> m_presence;
    Config m_config;
    QTimer m_graceTimer;
    bool m_graceSweepRunning = false;
    QHash<QString, RecentStarts> m_recentStarts;
};

} // namespace switchboard
