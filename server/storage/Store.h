// Store: the asynchronous storage facade used on the socket thread. Every operation is a job for
// the storage thread (a StorageWorker with its own connection), run in the order the calls were
// made; the caller gets a QFuture and never blocks on SQL. Continue with
// future.then(contextObject, ...) to get the result on the caller's thread, or result() in CLI code.
// Database errors arrive as protocol::Error with ErrorCode::Unavailable (try again later) or
// ErrorCode::Internal (a bug or a broken database). Call a Store from the thread it lives in.
#pragma once

#include "EventTable.h"
#include "StorageTypes.h"

#include "shared/Records.h"

#include <QFuture>
#include <QObject>
#include <QPromise>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>

class QThread;

namespace switchboard {

class StorageWorker;

class Store : public QObject
{
    Q_OBJECT
public:
    using AgentCredentials = switchboard::AgentCredentials;
    using HeartbeatRecord = switchboard::HeartbeatRecord;
    using CommandTransitionRequest = switchboard::CommandTransitionRequest;
    using CommandTransition = switchboard::CommandTransition;
    using SessionUpdate = switchboard::SessionUpdate;
    using SessionTransition = switchboard::SessionTransition;
    using OverdueCommand = switchboard::OverdueCommand;
    using CommandDeadlines = switchboard::CommandDeadlines;
    template<class T>
    using Result = QFuture<protocol::Decoded<T>>;

    explicit Store(QObject *parent = nullptr);
    ~Store() override; // close()

    // "sqlite:///absolute/path/file.db" (parent folders are created), "sqlite::memory:", or
    // "postgres://user:pass@host:port/db[?libpq options]". Connects and applies the migrations.
    // Opening an open store is a Conflict; after a failed open, open may be tried again.
    Result<protocol::Done> open(const QString &databaseUrl);
    // How a lost PostgreSQL connection is won back (SqlConnection::ReconnectPolicy); takes effect
    // at the next open().
    void setReconnectPolicy(const SqlReconnectPolicy &policy) { m_policy = policy; }
    // Runs every job queued so far, closes the database and stops the storage thread. Idempotent;
    // blocks (use it at shutdown); a later open() starts over. Jobs queued after close() finish at
    // once with Unavailable. Must not be called from the storage thread.
    void close();
    // The thread the jobs run on (nullptr when closed).
    QThread *storageThread() const { return m_thread; }

    Result<int> schemaVersion();
    // SELECT 1, for /readyz; Unavailable when the database is not reachable. While the connection
    // is known to be lost it answers at once (not behind jobs waiting for the database) and queues
    // a reconnect attempt.
    Result<bool> ping();
    // True from the moment a job finds the server connection lost until a job reconnects.
    bool databaseLost() const { return m_outage->load(); }

    // Organisations
    Result<protocol::OrgInfo> ensureOrg(const QString &orgId, const QString &name = {}); // inserts if missing
    Result<QList<protocol::OrgInfo>> listOrgs();                                         // ordered by id

    // Agents
    // Conflict if the agent id exists; creates the organisation row if missing. createdAt invalid = now.
    Result<protocol::AgentInfo> createAgent(const protocol::AgentInfo &agent, const QByteArray &apiKeyHash);
    Result<protocol::AgentInfo> getAgent(const QString &agentId);             // NotFound
    Result<QList<protocol::AgentInfo>> listAgents(const QString &orgId = {}); // empty = all; by agent_id
    Result<protocol::Done> removeAgent(const QString &agentId);               // NotFound; its commands go too
    Result<AgentCredentials> agentCredentials(const QString &agentId);        // NotFound
    // Platform, region, capacity, metadata; api_key_last_used_at = now. NotFound.
    Result<protocol::AgentInfo> updateAgentRegistration(const QString &agentId, protocol::Platform platform,
                                                        const QString &region,
                                                        const protocol::Capacity &capacity,
                                                        const QJsonObject &metadata, const QDateTime &now);
    // approval_status, approved_at = now, approved_by = decidedBy. NotFound.
    Result<protocol::AgentInfo> setAgentApproval(const QString &agentId, protocol::ApprovalStatus status,
                                                 const QString &decidedBy, const QDateTime &now);
    // Status online, last_heartbeat = now, replica = the replica holding the connection. NotFound.
    Result<protocol::AgentInfo> markAgentConnected(const QString &agentId, const QString &replica,
                                                   const QDateTime &now);
    // One transaction for the whole batch; the number of agent rows updated (unknown ids are skipped).
    Result<int> recordHeartbeats(const QList<HeartbeatRecord> &beats);
    // Status offline and replica NULL, in one transaction, only for rows whose replica is `replica`
    // (a late disconnect seen on another replica must not override a newer connection). An empty
    // replica means "single node": rows without a replica. Returns rows updated.
    Result<int> markAgentsOffline(const QStringList &agentIds, const QString &replica, const QDateTime &now);
    // Every agent still held by `replica` (online, draining or stale) goes offline: startup after a
    // crash, shutdown. Returns rows updated.
    Result<int> markReplicaAgentsOffline(const QString &replica, const QDateTime &now);

    // Credentials (issue 7)
    // A new key hash for the agent; the old one stays valid until graceUntil (invalid = not at all).
    Result<protocol::Done> rotateAgentKey(const QString &agentId, const QByteArray &newKeyHash,
                                          const QDateTime &graceUntil, const QDateTime &now);
    // Stores a revoked jti (a later expiry wins over an earlier one); returns the stored row.
    Result<TokenRevocation> revokeToken(const TokenRevocation &revocation);
    // Revocations still in force at now, after deleting the expired ones.
    Result<QList<TokenRevocation>> activeTokenRevocations(const QDateTime &now);

    // Commands
    // NotFound for an unknown agent, Conflict on a duplicate command id. createdAt/updatedAt invalid
    // = now; an empty orgId becomes the agent's organisation.
    Result<protocol::CommandInfo> createCommand(const protocol::CommandInfo &command);
    Result<protocol::CommandInfo> getCommand(const QString &commandId); // NotFound
    // Monotonic by protocol::commandStatusRank, in one transaction whose UPDATE re-checks the rank:
    // when rank(to) <= rank(current) nothing changes (changed = false, not an error), so an ack after
    // completed stays completed. Cancelled only from pending (Conflict otherwise; cancelling a
    // cancelled command is a no-op). Sets sent_at / acknowledged_at / completed_at, error_message and
    // result (when given), attempts+1 with countAttempt (see CommandTransitionRequest). NotFound for
    // an unknown command or one of another agent.
    Result<CommandTransition> advanceCommand(const CommandTransitionRequest &request);
    // In creation order; no statuses = all.
    Result<QList<protocol::CommandInfo>> commandsForAgent(const QString &agentId,
                                                          const QList<protocol::CommandStatus> &statuses);
    // Pending commands of any agent created at or before createdBefore, oldest first, at most
    // `limit` (CommandLedger's pending sweep in cluster mode).
    Result<QList<protocol::CommandInfo>> pendingCommands(const QDateTime &createdBefore, int limit);
    // Newest first; empty orgId = all organisations.
    Result<QList<protocol::CommandInfo>> recentCommands(const QString &orgId, int limit);
    // Commands sent or acknowledged past a deadline (see CommandDeadlines), in creation order, with
    // their first delivery time: one query, for CommandLedger's timeout sweep.
    Result<QList<OverdueCommand>> overdueCommands(const CommandDeadlines &deadlines);

    // Sessions
    // The session and its command in one transaction, nothing half-written: Conflict if the session
    // (or the command id) exists, NotFound if the command's agent does not. The command's empty
    // sessionId/orgId are taken from the session.
    Result<std::pair<protocol::SessionInfo, protocol::CommandInfo>>
    createSessionWithCommand(const protocol::SessionInfo &session, const protocol::CommandInfo &command);
    Result<protocol::SessionInfo> getSession(const QString &sessionId); // NotFound
    // Applies the given fields; Terminated sets terminated_at. A terminated or failed session keeps
    // its state (stateChanged = false). NotFound; Forbidden if agentId is set and not the session's.
    Result<SessionTransition> updateSession(const SessionUpdate &update);
    // Oldest first; terminated/failed only with includeEnded.
    Result<QList<protocol::SessionInfo>> sessionsForOrg(const QString &orgId, bool includeEnded = false);
    Result<QList<protocol::SessionInfo>> sessionsForAgent(const QString &agentId, bool activeOnly = true);
    // Sessions not terminated or failed, of one org (empty orgId = all orgs), oldest first, at
    // most limit (ask for one more than you show to know whether there were more).
    Result<QList<protocol::SessionInfo>> activeSessions(const QString &orgId, int limit);
    // Every active session whose agent has been offline or stale since before awayBefore (its row's
    // updated_at), or was deleted, becomes failed with `reason`, in one transaction. Returns the
    // transitions (previous state included) for the events.
    Result<QList<SessionTransition>> failAbandonedSessions(const QDateTime &awayBefore, const QString &reason,
                                                           const QDateTime &at);

    // Session event history (see EventTable)
    // Gives each event the next seq of its org and stores them, in one transaction; the events come
    // back with seq and epoch, in the order given.
    Result<QList<protocol::browser::SessionEvent>>
    appendEvents(const QList<protocol::browser::SessionEvent> &events, const QDateTime &now);
    // The org's events after afterSeq (at most limit, else EventHistory::truncated), its latest and
    // oldest kept seq, and the epoch.
    Result<EventHistory> eventsSince(const QString &orgId, qint64 afterSeq, int limit);
    // The epoch and latest seq of the given orgs (empty = all).
    Result<EventCursors> eventCursors(const QStringList &orgIds = {});
    Result<EventPruneResult> pruneEvents(const EventPruneLimits &limits);

    // Runs any job on the storage thread, in order with the others (maintenance tasks, tests).
    template<class T>
    Result<T> submit(std::function<protocol::Decoded<T>(StorageWorker &)> job);

    // Called on the storage thread after every job with its duration and its error (null when it
    // succeeded): what /metrics reports as database latency and errors. Must be thread-safe and
    // outlive the store; set it before open().
    using JobObserver = std::function<void(std::chrono::nanoseconds elapsed, const protocol::Error *error)>;
    void setJobObserver(JobObserver observer) { m_jobObserver = std::move(observer); }

private:
    // Queues a job for the storage thread; false when the store is closed.
    bool post(std::function<void(StorageWorker &)> job);
    // submit() for jobs that need an open database.
    template<class T, class Job>
    Result<T> query(Job job);
    static protocol::Error closedError();

    QThread *m_thread = nullptr;
    StorageWorker *m_worker = nullptr; // lives on m_thread; deleted when it finishes
    JobObserver m_jobObserver;
    SqlReconnectPolicy m_policy;
    std::shared_ptr<std::atomic_bool> m_outage = std::make_shared<std::atomic_bool>(false);
};

template<class T>
Store::Result<T> Store::submit(std::function<protocol::Decoded<T>(StorageWorker &)> job)
{
    // If a job were ever dropped unrun, its future still finishes (with an error) instead of
    // leaving a caller waiting.
    auto promise = std::shared_ptr<QPromise<protocol::Decoded<T>>>(
        new QPromise<protocol::Decoded<T>>, [](QPromise<protocol::Decoded<T>> *unfinished) {
            if (!unfinished->future().isFinished()) {
                unfinished->addResult(protocol::Decoded<T>(closedError()));
                unfinished->finish();
            }
            delete unfinished;
        });
    Result<T> future = promise->future();
    promise->start();
    post([promise, job = std::move(job), observer = m_jobObserver](StorageWorker &worker) {
        const auto started = std::chrono::steady_clock::now();
        protocol::Decoded<T> result = job(worker);
        if (observer)
            observer(std::chrono::steady_clock::now() - started, result ? nullptr : &result.error());
        promise->addResult(std::move(result));
        promise->finish();
    });
    return future;
}

} // namespace switchboard
