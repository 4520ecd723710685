#include "Store.h"

#include "StorageLogging.h"
#include "StorageWorker.h"

#include <QThread>

using namespace Qt::StringLiterals;

namespace switchboard {

Q_LOGGING_CATEGORY(lcStorage, "switchboard.storage")

using protocol::AgentInfo;
using protocol::CommandInfo;
using protocol::Decoded;
using protocol::Done;
using protocol::Error;
using protocol::ErrorCode;
using protocol::OrgInfo;
using protocol::SessionInfo;

Store::Store(QObject *parent)
    : QObject(parent)
{}

Store::~Store()
{
    close();
}

Error Store::closedError()
{
    return Error{ErrorCode::Unavailable, u"the store is closed"_s, {}, {}};
}

bool Store::post(std::function<void(StorageWorker &)> job)
{
    if (!m_worker)
        return false;
    // Queued events to one receiver are delivered in the order they were posted: jobs run FIFO.
    return QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, job = std::move(job)] { job(*worker); }, Qt::QueuedConnection);
}

template<class T, class Job>
Store::Result<T> Store::query(Job job)
{
    // A job that failed because the server connection went before any of it could have been
    // applied runs again on a new connection (a few times, within the reconnect window); one whose
    // COMMIT or autocommit write was lost reports that its outcome is unknown. Never a success
    // that was not stored.
    return submit<T>([job = std::move(job)](StorageWorker &worker) -> Decoded<T> {
        constexpr int kMaxRuns = 4;
        for (int run = 1;; ++run) {
            if (auto ready = worker.ready(); !ready)
                return ready.error();
            Decoded<T> result = job(worker);
            if (result || run == kMaxRuns)
                return result;
            if (worker.lostInDoubt())
                return Error{ErrorCode::Unavailable,
                             u"the database connection was lost while the change was being committed; it "
                             "may or may not have been stored: "_s +
                                 result.error().message,
                             {},
                             {}};
            if (!worker.lostBeforeApplying())
                return result;
        }
    });
}

Store::Result<Done> Store::open(const QString &databaseUrl)
{
    if (!m_thread) {
        m_thread = new QThread(this);
        m_thread->setObjectName(u"switchboard-storage"_s);
        m_worker = new StorageWorker;
        m_worker->connection().setOutageFlag(m_outage);
        m_worker->moveToThread(m_thread);
        // Deleted on its own thread, after the last job, when the thread finishes.
        connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
        m_thread->start();
    }
    return submit<Done>([databaseUrl, policy = m_policy](StorageWorker &worker) {
        worker.connection().setReconnectPolicy(policy);
        return worker.open(databaseUrl);
    });
}

void Store::close()
{
    if (!m_thread)
        return;
    if (QThread::currentThread() == m_thread) {
        qCCritical(lcStorage) << "Store::close() called from the storage thread; ignored";
        return;
    }
    // The close job queues behind every job posted so far, so all of them run first.
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker] { worker->close(); }, Qt::BlockingQueuedConnection);
    m_worker = nullptr;
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

Store::Result<int> Store::schemaVersion()
{
    return query<int>([](StorageWorker &worker) { return worker.schemaVersion(); });
}

Store::Result<bool> Store::ping()
{
    auto probe = [](StorageWorker &worker) -> Decoded<bool> {
        if (auto ready = worker.ready(false); !ready)
            return ready.error();
        return worker.ping();
    };
    if (m_worker && m_outage->load()) {
        // Jobs ahead may be waiting for the database: answer now, and let the queued probe
        // reconnect (if the backoff allows) so that readiness comes back without other traffic.
        submit<bool>(probe);
        return QtFuture::makeReadyFuture(Decoded<bool>(
            Error{ErrorCode::Unavailable, u"the database connection is lost; reconnecting"_s, {}, {}}));
    }
    return submit<bool>(probe);
}

Store::Result<OrgInfo> Store::ensureOrg(const QString &orgId, const QString &name)
{
    return query<OrgInfo>([orgId, name](StorageWorker &worker) { return worker.orgs().ensure(orgId, name); });
}

Store::Result<QList<OrgInfo>> Store::listOrgs()
{
    return query<QList<OrgInfo>>([](StorageWorker &worker) { return worker.orgs().list(); });
}

Store::Result<AgentInfo> Store::createAgent(const AgentInfo &agent, const QByteArray &apiKeyHash)
{
    return query<AgentInfo>(
        [agent, apiKeyHash](StorageWorker &worker) { return worker.agents().create(agent, apiKeyHash); });
}

Store::Result<AgentInfo> Store::getAgent(const QString &agentId)
{
    return query<AgentInfo>([agentId](StorageWorker &worker) { return worker.agents().get(agentId); });
}

Store::Result<QList<AgentInfo>> Store::listAgents(const QString &orgId)
{
    return query<QList<AgentInfo>>([orgId](StorageWorker &worker) { return worker.agents().list(orgId); });
}

Store::Result<Done> Store::removeAgent(const QString &agentId)
{
    return query<Done>([agentId](StorageWorker &worker) { return worker.agents().remove(agentId); });
}

Store::Result<AgentCredentials> Store::agentCredentials(const QString &agentId)
{
    return query<AgentCredentials>(
        [agentId](StorageWorker &worker) { return worker.agents().credentials(agentId); });
}

Store::Result<Done> Store::rotateAgentKey(const QString &agentId, const QByteArray &newKeyHash,
                                          const QDateTime &graceUntil, const QDateTime &now)
{
    return query<Done>([agentId, newKeyHash, graceUntil, now](StorageWorker &worker) {
        return worker.agents().rotateKey(agentId, newKeyHash, graceUntil, now);
    });
}

Store::Result<TokenRevocation> Store::revokeToken(const TokenRevocation &revocation)
{
    return query<TokenRevocation>(
        [revocation](StorageWorker &worker) { return worker.revocations().revoke(revocation); });
}

Store::Result<QList<TokenRevocation>> Store::activeTokenRevocations(const QDateTime &now)
{
    return query<QList<TokenRevocation>>([now](StorageWorker &worker) -> Decoded<QList<TokenRevocation>> {
        if (auto pruned = worker.revocations().prune(now); !pruned)
            return pruned.error();
        return worker.revocations().active(now);
    });
}

Store::Result<AgentInfo> Store::updateAgentRegistration(const QString &agentId, protocol::Platform platform,
                                                        const QString &region,
                                                        const protocol::Capacity &capacity,
                                                        const QJsonObject &metadata, const QDateTime &now)
{
    return query<AgentInfo>([=](StorageWorker &worker) {
        return worker.agents().updateRegistration(agentId, platform, region, capacity, metadata, now);
    });
}

Store::Result<AgentInfo> Store::setAgentApproval(const QString &agentId, protocol::ApprovalStatus status,
                                                 const QString &decidedBy, const QDateTime &now)
{
    return query<AgentInfo>(
        [=](StorageWorker &worker) { return worker.agents().setApproval(agentId, status, decidedBy, now); });
}

Store::Result<AgentInfo> Store::markAgentConnected(const QString &agentId, const QString &replica,
                                                   const QDateTime &now)
{
    return query<AgentInfo>(
        [=](StorageWorker &worker) { return worker.agents().markConnected(agentId, replica, now); });
}

Store::Result<int> Store::recordHeartbeats(const QList<HeartbeatRecord> &beats)
{
    return query<int>([beats](StorageWorker &worker) { return worker.agents().recordHeartbeats(beats); });
}

Store::Result<int> Store::markAgentsOffline(const QStringList &agentIds, const QString &replica,
                                            const QDateTime &now)
{
    return query<int>(
        [=](StorageWorker &worker) { return worker.agents().markOffline(agentIds, replica, now); });
}

Store::Result<int> Store::markReplicaAgentsOffline(const QString &replica, const QDateTime &now)
{
    return query<int>(
        [=](StorageWorker &worker) { return worker.agents().markReplicaOffline(replica, now); });
}

Store::Result<CommandInfo> Store::createCommand(const CommandInfo &command)
{
    return query<CommandInfo>([command](StorageWorker &worker) { return worker.commands().create(command); });
}

Store::Result<CommandInfo> Store::getCommand(const QString &commandId)
{
    return query<CommandInfo>(
        [commandId](StorageWorker &worker) { return worker.commands().get(commandId); });
}

Store::Result<CommandTransition> Store::advanceCommand(const CommandTransitionRequest &request)
{
    return query<CommandTransition>(
        [request](StorageWorker &worker) { return worker.commands().advance(request); });
}

Store::Result<QList<CommandInfo>> Store::pendingCommands(const QDateTime &createdBefore, int limit)
{
    return query<QList<CommandInfo>>([createdBefore, limit](StorageWorker &worker) {
        return worker.commands().pendingBefore(createdBefore, limit);
    });
}

Store::Result<QList<CommandInfo>> Store::commandsForAgent(const QString &agentId,
                                                          const QList<protocol::CommandStatus> &statuses)
{
    return query<QList<CommandInfo>>(
        [agentId, statuses](StorageWorker &worker) { return worker.commands().forAgent(agentId, statuses); });
}

Store::Result<QList<CommandInfo>> Store::recentCommands(const QString &orgId, int limit)
{
    return query<QList<CommandInfo>>(
        [orgId, limit](StorageWorker &worker) { return worker.commands().recent(orgId, limit); });
}

Store::Result<QList<OverdueCommand>> Store::overdueCommands(const CommandDeadlines &deadlines)
{
    return query<QList<OverdueCommand>>(
        [deadlines](StorageWorker &worker) { return worker.commands().overdue(deadlines); });
}

Store::Result<std::pair<SessionInfo, CommandInfo>> Store::createSessionWithCommand(const SessionInfo &session,
                                                                                   const CommandInfo &command)
{
    return query<std::pair<SessionInfo, CommandInfo>>([session, command](StorageWorker &worker) {
        return worker.sessions().createWithCommand(session, command);
    });
}

Store::Result<SessionInfo> Store::getSession(const QString &sessionId)
{
    return query<SessionInfo>(
        [sessionId](StorageWorker &worker) { return worker.sessions().get(sessionId); });
}

Store::Result<SessionTransition> Store::updateSession(const SessionUpdate &update)
{
    return query<SessionTransition>(
        [update](StorageWorker &worker) { return worker.sessions().update(update); });
}

Store::Result<QList<SessionInfo>> Store::sessionsForOrg(const QString &orgId, bool includeEnded)
{
    return query<QList<SessionInfo>>([orgId, includeEnded](StorageWorker &worker) {
        return worker.sessions().forOrg(orgId, includeEnded);
    });
}

Store::Result<QList<SessionTransition>>
Store::failAbandonedSessions(const QDateTime &awayBefore, const QString &reason, const QDateTime &at)
{
    return query<QList<SessionTransition>>([awayBefore, reason, at](StorageWorker &worker) {
        return worker.sessions().failAbandoned(awayBefore, reason, at);
    });
}

Store::Result<QList<SessionInfo>> Store::sessionsForAgent(const QString &agentId, bool activeOnly)
{
    return query<QList<SessionInfo>>([agentId, activeOnly](StorageWorker &worker) {
        return worker.sessions().forAgent(agentId, activeOnly);
    });
}

Store::Result<QList<SessionInfo>> Store::activeSessions(const QString &orgId, int limit)
{
    return query<QList<SessionInfo>>(
        [orgId, limit](StorageWorker &worker) { return worker.sessions().active(orgId, limit); });
}

Store::Result<QList<protocol::browser::SessionEvent>>
Store::appendEvents(const QList<protocol::browser::SessionEvent> &events, const QDateTime &now)
{
    return query<QList<protocol::browser::SessionEvent>>(
        [events, now](StorageWorker &worker) { return worker.events().append(events, now); });
}

Store::Result<EventHistory> Store::eventsSince(const QString &orgId, qint64 afterSeq, int limit)
{
    return query<EventHistory>([orgId, afterSeq, limit](StorageWorker &worker) {
        return worker.events().since(orgId, afterSeq, limit);
    });
}

Store::Result<EventCursors> Store::eventCursors(const QStringList &orgIds)
{
    return query<EventCursors>([orgIds](StorageWorker &worker) { return worker.events().cursors(orgIds); });
}

Store::Result<EventPruneResult> Store::pruneEvents(const EventPruneLimits &limits)
{
    return query<EventPruneResult>([limits](StorageWorker &worker) { return worker.events().prune(limits); });
}

} // namespace switchboard
