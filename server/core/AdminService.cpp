#include "core/AdminService.h"

#include "cluster/ClusterLoad.h"

#include "core/AgentHub.h"
#include "core/CommandLedger.h"
#include "core/Continuation.h"
#include "core/EventJournal.h"
#include "core/ReplayStream.h"
#include "core/SessionService.h"
#include "logging/StructuredLog.h"
#include "storage/Store.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QTimer>

Q_LOGGING_CATEGORY(lcAdmin, "switchboard.admin")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::ErrorCode;

AdminService::AdminService(Store *store, Hub *hub, AgentHub *agents, CommandLedger *ledger,
                           SessionService *sessions, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_hub(hub)
    , m_agents(agents)
    , m_ledger(ledger)
    , m_sessions(sessions)
{
    connect(m_hub, &Hub::clientRemoved, this,
            [this](quint64 clientId, const BrowserClient &) { m_awaitingSnapshot.remove(clientId); });
    // Hub announces a new client's org count (org.updated) before clientJoined runs: from the
    // moment it exists, an admin client waits for its snapshot, so nothing overtakes it.
    connect(m_hub, &Hub::clientAdded, this, [this](quint64 clientId) {
        const BrowserClient *client = m_hub->client(clientId);
        if (client && client->kind == ClientKind::Admin)
            m_awaitingSnapshot.insert(clientId, Pending{});
    });
    m_orgUpdateTimer.setSingleShot(true);
    m_orgUpdateTimer.setInterval(kOrgUpdateInterval);
    connect(&m_orgUpdateTimer, &QTimer::timeout, this, &AdminService::flushOrgUpdates);
}

bool AdminService::inScope(const BrowserClient &client, const QString &orgId) const
{
    if (client.kind != ClientKind::Admin)
        return false;
    return client.context.role == Role::Admin || client.context.orgId == orgId;
}

template<class Encode>
void AdminService::deliver(const QString &orgId, Encode &&encode, bool isAgentState, qint64 seq)
{
    std::optional<OutgoingMessage> message;
    const auto encoded = [&]() -> const OutgoingMessage & {
        if (!message) {
            message = OutgoingMessage::fromUtf8(encode());
            ++m_deltasEncoded;
        }
        return *message;
    };
    for (quint64 clientId : m_hub->clientsOfKind(ClientKind::Admin)) {
        const BrowserClient *client = m_hub->client(clientId);
        if (!client || !inScope(*client, orgId))
            continue;
        const auto pending = m_awaitingSnapshot.find(clientId);
        if (pending != m_awaitingSnapshot.end()) {
            // The snapshot takes agents' live state when it is sent, which is newer than any
            // agent delta queued before it; everything else is replayed after the snapshot.
            if (!isAgentState || pending->snapshotSent)
                pending->deltas.append({encoded(), orgId, seq});
            continue;
        }
        m_hub->send(clientId, encoded());
    }
}

void AdminService::publishAgent(const protocol::AgentInfo &agent)
{
    deliver(
        agent.orgId, [&agent] { return protocol::admin::encodeAgentUpdated(agent); }, true);
}

void AdminService::publishAgentRemoved(const QString &agentId, const QString &orgId)
{
    deliver(orgId, [&agentId] { return protocol::admin::encodeAgentRemoved(agentId); });
}

void AdminService::publishCommand(const protocol::CommandInfo &command)
{
    deliver(command.orgId, [&command] { return protocol::admin::encodeCommandUpdated(command); });
}

void AdminService::publishSessionEvent(const protocol::browser::SessionEvent &event)
{
    deliver(
        event.orgId, [&event] { return protocol::browser::encodeSessionEvent(event, true); }, false,
        event.seq);
}

void AdminService::publishOrg(const QString &orgId)
{
    // Every browser connect and disconnect lands here: with no admin client there is nobody to
    // tell, and an admin that connects later reads the counts in its snapshot.
    if (m_hub->clientsOfKind(ClientKind::Admin).isEmpty())
        return;
    m_dirtyOrgs.insert(orgId);
    if (!m_orgUpdateTimer.isActive())
        m_orgUpdateTimer.start();
}

void AdminService::flushOrgUpdates()
{
    // Counts are read now, so each org.updated carries the latest; a change after this flush
    // starts the timer again. Admins still waiting for their snapshot hold it behind the
    // snapshot as before, and since a later change always flushes again, the last org.updated
    // they get is never older than what their snapshot showed.
    QStringList orgs(m_dirtyOrgs.cbegin(), m_dirtyOrgs.cend());
    m_dirtyOrgs.clear();
    orgs.sort();
    for (const QString &orgId : std::as_const(orgs)) {
        deliver(orgId, [this, &orgId] {
            protocol::OrgInfo org;
            org.orgId = orgId;
            org.name = orgId;
            org.clients = orgClients(orgId);
            return protocol::admin::encodeOrgUpdated(org);
        });
    }
}

void AdminService::publishMetrics(const protocol::admin::Metrics &metrics)
{
    std::optional<OutgoingMessage> message; // encoded only when somebody will get it
    for (quint64 clientId : m_hub->clientsOfKind(ClientKind::Admin)) {
        const BrowserClient *client = m_hub->client(clientId);
        if (!client || client->context.role != Role::Admin || m_awaitingSnapshot.contains(clientId))
            continue;
        if (!message)
            message = OutgoingMessage::fromUtf8(protocol::admin::encodeMetrics(metrics));
        m_hub->send(clientId, *message);
    }
}

void AdminService::clientJoined(quint64 clientId, const QUrlQuery &query)
{
    Pending pending;
    pending.deltas = m_awaitingSnapshot.take(clientId).deltas; // held since the client was added
    if (query.hasQueryItem(u"since"_s)) {
        const auto since =
            protocol::admin::parseResumePositions(query.queryItemValue(u"since"_s, QUrl::FullyDecoded));
        if (!since) {
            // Not a frame: reported, not counted; the client still gets its snapshot.
            m_hub->send(clientId, protocol::browser::encodeError(since.error()));
        } else {
            pending.resume = protocol::admin::Resume{query.queryItemValue(u"epoch"_s, QUrl::FullyDecoded)
                                                         .left(protocol::browser::kMaxEpochLength + 1),
                                                     since.value()};
        }
    }
    m_awaitingSnapshot.insert(clientId, pending);
    sendSnapshot(clientId);
}

void AdminService::onResume(quint64 clientId, const QString &requestId,
                            const protocol::admin::Resume &request)
{
    if (m_awaitingSnapshot.contains(clientId)) {
        fail(clientId, requestId, ErrorCode::Conflict, u"a snapshot or resume is already on its way"_s);
        return;
    }
    // Like a reconnection: the state again in full, then what was missed, then live.
    Pending pending;
    pending.resume = request;
    pending.resumeRequestId = requestId;
    m_awaitingSnapshot.insert(clientId, pending);
    sendSnapshot(clientId);
}

void AdminService::replayMissed(quint64 clientId)
{
    const auto pending = m_awaitingSnapshot.find(clientId);
    if (pending == m_awaitingSnapshot.end())
        return;
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return;
    const protocol::admin::Resume request = *pending->resume;
    const QString requestId = pending->resumeRequestId;
    // Orgs outside the client's scope are ignored as if not listed.
    QStringList orgs;
    for (auto it = request.since.begin(); it != request.since.end(); ++it) {
        if (inScope(*client, it.key()))
            orgs.append(it.key());
    }
    if (!m_journal) {
        if (!requestId.isEmpty())
            fail(clientId, requestId, ErrorCode::Unavailable, u"this server keeps no event history"_s);
        releaseHeld(clientId, {}, {});
        return;
    }
    if (orgs.isEmpty()) {
        QList<OutgoingMessage> first;
        if (!requestId.isEmpty())
            first.append(OutgoingMessage::fromUtf8(protocol::browser::encodeReply(
                requestId, {{u"replayed"_s, 0}, {u"resync"_s, QJsonArray{}}})));
        releaseHeld(clientId, {}, first);
        return;
    }
    struct Replay
    {
        QHash<QString, protocol::Decoded<EventHistory>> histories;
        int waiting = 0;
    };
    auto replay = std::make_shared<Replay>();
    replay->waiting = int(orgs.size());
    for (const QString &orgId : std::as_const(orgs)) {
        whenFinished(
            this, m_journal->history(orgId, request.since.value(orgId)),
            [this, clientId, requestId, request, orgs, orgId, replay](const Decoded<EventHistory> &history) {
                replay->histories.insert(orgId, history);
                if (--replay->waiting > 0 || !m_hub->client(clientId))
                    return;
                QList<OutgoingMessage> frames;
                QMap<QString, qint64> replayedUpTo;
                QJsonArray resynced;
                qint64 replayed = 0;
                for (const QString &org : orgs) {
                    const Decoded<EventHistory> &found = replay->histories.value(org);
                    const qint64 since = request.since.value(org);
                    if (!found) {
                        qCWarning(lcAdmin)
                            << "event history of org" << org << "unavailable:" << found.error().message;
                        protocol::Error error;
                        error.code = ErrorCode::Unavailable;
                        error.message =
                            u"could not read the event history of org %1; resume again"_s.arg(org);
                        error.field = u"since"_s;
                        error.requestId = requestId;
                        frames.append(OutgoingMessage::fromUtf8(protocol::browser::encodeError(error)));
                        continue;
                    }
                    const EventHistory &events = found.value();
                    if (request.epoch != events.epoch || !events.reachesBack(since) || events.truncated) {
                        frames.append(OutgoingMessage::fromUtf8(
                            protocol::browser::encodeResyncRequired(events.epoch, events.latestSeq, org)));
                        resynced.append(org);
                        continue;
                    }
                    for (const protocol::browser::SessionEvent &event : events.events)
                        frames.append(
                            OutgoingMessage::fromUtf8(protocol::browser::encodeSessionEvent(event, true)));
                    replayed += events.events.size();
                    replayedUpTo.insert(org, events.latestSeq);
                }
                if (!requestId.isEmpty())
                    frames.append(OutgoingMessage::fromUtf8(protocol::browser::encodeReply(
                        requestId, {{u"replayed"_s, replayed}, {u"resync"_s, resynced}})));
                releaseHeld(clientId, replayedUpTo, frames);
            });
    }
}

void AdminService::releaseHeld(quint64 clientId, const QMap<QString, qint64> &replayedUpTo,
                               QList<OutgoingMessage> first)
{
    // Session events already replayed are dropped; everything else goes in the order it came.
    ReplayStream::start(
        m_hub, clientId, std::move(first),
        [this, clientId, replayedUpTo] {
            QList<OutgoingMessage> more;
            const auto pending = m_awaitingSnapshot.find(clientId);
            if (pending == m_awaitingSnapshot.end())
                return more;
            for (const HeldDelta &delta : std::as_const(pending->deltas)) {
                if (delta.seq > 0 && delta.seq <= replayedUpTo.value(delta.orgId, 0))
                    continue;
                more.append(delta.message);
            }
            pending->deltas.clear();
            return more;
        },
        [this, clientId](bool) { m_awaitingSnapshot.remove(clientId); }, this);
}

void AdminService::sendSnapshot(quint64 clientId)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return;
    const QString scope = client->context.role == Role::Admin ? QString() : client->context.orgId;

    auto parts = std::make_shared<SnapshotParts>();
    if (m_journal) {
        whenFinished(this, m_journal->cursors(scope.isEmpty() ? QStringList{} : QStringList{scope}),
                     [parts](Decoded<EventCursors> cursors) {
                         if (!cursors) {
                             qCWarning(lcAdmin)
                                 << "snapshot without event positions:" << cursors.error().message;
                             return;
                         }
                         parts->events.epoch = cursors.value().epoch;
                         parts->events.seqs = cursors.value().latest;
                     });
    }
    // Sessions are read right after the seqs, on the same storage queue: every event up to those
    // seqs is already in the session rows (SessionService writes the row before the event is
    // recorded), and events after them, delivered after the snapshot, apply on top (a state
    // carried twice is harmless). One row more than the limit tells whether there were more.
    const int sessionLimit = m_snapshotSessionLimit;
    whenFinished(this, m_store->activeSessions(scope, sessionLimit + 1),
                 [parts, sessionLimit](Decoded<QList<protocol::SessionInfo>> result) {
                     if (!result) {
                         // Listed as truncated: the console then keeps what it knew instead of
                         // dropping every session.
                         qCWarning(lcAdmin) << "snapshot without sessions:" << result.error().message;
                         parts->sessions.truncated = true;
                         return;
                     }
                     parts->sessions.sessions = std::move(result).value();
                     if (parts->sessions.sessions.size() > sessionLimit) {
                         parts->sessions.sessions.resize(sessionLimit);
                         parts->sessions.truncated = true;
                     }
                 });

    // Reads queued back to back on the storage thread; the last one's continuation sends.
    whenFinished(this, m_store->listAgents(scope), [parts](Decoded<QList<protocol::AgentInfo>> result) {
        if (result)
            parts->agents = result.value();
    });
    whenFinished(this, m_store->listOrgs(), [parts](Decoded<QList<protocol::OrgInfo>> result) {
        if (result)
            parts->orgs = result.value();
    });
    whenFinished(this, m_store->recentCommands(scope, kSnapshotCommandLimit),
                 [this, clientId, scope, parts](Decoded<QList<protocol::CommandInfo>> commands) {
                     if (!m_presence) {
                         composeSnapshot(clientId, scope, parts, commands, nullptr);
                         return;
                     }
                     // Cluster mode: agents connected to other replicas count as connected too.
                     onFinished(m_presence->connectedAgents(), this,
                                [this, clientId, scope, parts,
                                 commands](const ClusterPresence::AgentDirectory &directory) {
                                    composeSnapshot(clientId, scope, parts, commands, &directory);
                                });
                 });
}

void AdminService::composeSnapshot(quint64 clientId, const QString &scope,
                                   const std::shared_ptr<SnapshotParts> &parts,
                                   const Decoded<QList<protocol::CommandInfo>> &commands,
                                   const ClusterPresence::AgentDirectory *directory)
{
    const BrowserClient *current = m_hub->client(clientId);
    if (!current)
        return;
    // Agents: the live view of connected agents wins over the stored row; an agent not
    // connected here is offline whatever the row says, unless presence says another
    // live replica holds it (then its stored row, written by that replica, is shown).
    QHash<QString, protocol::AgentInfo> live;
    for (const protocol::AgentInfo &agent : m_agents->connectedAgentInfos(scope))
        live.insert(agent.agentId, agent);
    QList<protocol::AgentInfo> agents;
    for (protocol::AgentInfo agent : parts->agents) {
        if (const auto it = live.constFind(agent.agentId); it != live.constEnd()) {
            agents.append(*it);
            live.remove(agent.agentId);
        } else if (const QString remote =
                       directory ? directory->replicaByAgent.value(agent.agentId) : QString();
                   !remote.isEmpty()) {
            agent.replica = remote;
            if (agent.status == protocol::AgentStatus::Offline)
                agent.status = protocol::AgentStatus::Online;
            agents.append(agent);
        } else {
            agent.status = protocol::AgentStatus::Offline;
            agent.replica.clear();
            agents.append(agent);
        }
    }
    for (const protocol::AgentInfo &agent : std::as_const(live))
        agents.append(agent);

    QHash<QString, protocol::OrgInfo> orgs;
    for (const protocol::OrgInfo &org : std::as_const(parts->orgs)) {
        if (scope.isEmpty() || org.orgId == scope)
            orgs.insert(org.orgId, org);
    }
    QStringList orgsWithClients = m_hub->uniqueOrgs();
    if (m_load)
        orgsWithClients += m_load->remoteOrgs();
    for (const QString &orgId : std::as_const(orgsWithClients)) {
        if (!scope.isEmpty() && orgId != scope)
            continue;
        auto &org = orgs[orgId];
        org.orgId = orgId;
        if (org.name.isEmpty())
            org.name = orgId;
    }
    QList<protocol::OrgInfo> orgList;
    for (protocol::OrgInfo org : std::as_const(orgs)) {
        org.clients = orgClients(org.orgId);
        orgList.append(org);
    }
    std::sort(orgList.begin(), orgList.end(), [](const auto &a, const auto &b) { return a.orgId < b.orgId; });

    // Every org of the snapshot has a position; one without events is at 0.
    if (!parts->events.epoch.isEmpty()) {
        for (const protocol::OrgInfo &org : std::as_const(orgList))
            parts->events.seqs.insert(org.orgId, parts->events.seqs.value(org.orgId, 0));
    }
    const QList<protocol::CommandInfo> commandList =
        commands ? commands.value() : QList<protocol::CommandInfo>{};
    if (!commands)
        qCWarning(lcAdmin) << "snapshot without commands:" << commands.error().message;
    const QByteArray snapshot =
        protocol::admin::encodeSnapshot(agents, orgList, commandList, QDateTime::currentDateTimeUtc(),
                                        parts->events, directory && !directory->complete, parts->sessions);
    m_hub->send(clientId, snapshot);
    const auto pending = m_awaitingSnapshot.find(clientId);
    if (pending == m_awaitingSnapshot.end())
        return;
    pending->snapshotSent = true;
    afterSnapshotWritten(clientId, snapshot.size());
}

void AdminService::afterSnapshotWritten(quint64 clientId, qsizetype snapshotBytes)
{
    // Below this the snapshot and what follows fit the slow-client byte limit together.
    constexpr qsizetype kSmallSnapshot = 256 * 1024;
    const BrowserClient *client = m_hub->client(clientId);
    if (!client || !m_awaitingSnapshot.contains(clientId))
        return;
    if (snapshotBytes > kSmallSnapshot && client->socket && client->socket->messagesToWrite() > 0) {
        // Until the kernel took the snapshot, deltas stay held.
        QTimer::singleShot(
            5, this, [this, clientId, snapshotBytes] { afterSnapshotWritten(clientId, snapshotBytes); });
        return;
    }
    if (m_redisAvailable)
        m_hub->send(clientId,
                    protocol::admin::encodeClusterStatus(*m_redisAvailable, QDateTime::currentDateTimeUtc()));
    if (m_awaitingSnapshot.value(clientId).resume)
        replayMissed(clientId);
    else
        releaseHeld(clientId, {}, {});
}

void AdminService::reply(quint64 clientId, const QString &requestId, const QJsonObject &result)
{
    m_hub->send(clientId, protocol::browser::encodeReply(requestId, result));
}

void AdminService::fail(quint64 clientId, const QString &requestId, ErrorCode code, const QString &message)
{
    protocol::Error error;
    error.code = code;
    error.message = message;
    error.requestId = requestId;
    logging::logWithFields(
        lcAdmin(), QtInfoMsg, u"admin request refused"_s,
        {{u"requestId"_s, requestId}, {u"code"_s, protocol::errorCodeName(code)}, {u"reason"_s, message}});
    m_hub->send(clientId, protocol::browser::encodeError(error));
}

bool AdminService::authorise(quint64 clientId, const QString &requestId, const QString &orgId)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return false;
    if (client->context.role == Role::Admin || client->context.orgId == orgId)
        return true;
    fail(clientId, requestId, ErrorCode::Forbidden,
         u"an operator may only act on their own organisation (%1)"_s.arg(client->context.orgId));
    return false;
}

void AdminService::withAgent(quint64 clientId, const QString &requestId, const QString &agentId,
                             std::function<void(const protocol::AgentInfo &)> next)
{
    if (const AgentConnection *connection = m_agents->connection(agentId)) {
        const protocol::AgentInfo agent = connection->info;
        if (authorise(clientId, requestId, agent.orgId))
            next(agent);
        return;
    }
    whenFinished(
        this, m_store->getAgent(agentId),
        [this, clientId, requestId, agentId, next = std::move(next)](Decoded<protocol::AgentInfo> agent) {
            if (!m_hub->client(clientId))
                return;
            if (!agent) {
                fail(clientId, requestId, agent.error().code, agent.error().message);
                return;
            }
            if (authorise(clientId, requestId, agent.value().orgId))
                next(agent.value());
        });
}

void AdminService::handleMessage(quint64 clientId, const QByteArray &utf8)
{
    Decoded<protocol::admin::RequestMessage> decoded = protocol::admin::decodeRequest(utf8);
    if (!decoded) {
        m_hub->reportBadFrame(clientId, decoded.error());
        return;
    }
    m_hub->reportGoodFrame(clientId);
    const QString requestId = decoded.value().requestId;
    // Operators' requests are few and each may change the fleet: one line each, searchable by
    // request id (the same id the reply or error carries back to the console).
    if (const BrowserClient *client = m_hub->client(clientId)) {
        logging::logWithFields(lcAdmin(), QtInfoMsg, u"admin request"_s,
                               {{u"requestId"_s, requestId},
                                {u"type"_s, protocol::admin::requestTypeName(decoded.value().request)},
                                {u"orgId"_s, client->context.orgId},
                                {u"userId"_s, client->context.userId}});
    }
    std::visit(
        [&](const auto &request) {
            using T = std::decay_t<decltype(request)>;
            if constexpr (std::is_same_v<T, protocol::admin::Resume>)
                onResume(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::CommandSend>)
                onCommandSend(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::SessionStart>)
                onSessionStart(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::SessionControl>)
                onSessionControl(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::OrgBroadcast>)
                onOrgBroadcast(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::AgentsBroadcast>)
                onAgentsBroadcast(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::AgentDecision>)
                onAgentDecision(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::CommandCancel>)
                onCommandCancel(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::TokenRevoke>)
                onTokenRevoke(clientId, requestId, request);
            else if constexpr (std::is_same_v<T, protocol::admin::TokenRevocationList>)
                onTokenRevocations(clientId, requestId);
            else if constexpr (std::is_same_v<T, protocol::admin::AgentRotateKey>)
                onAgentRotateKey(clientId, requestId, request);
        },
        decoded.value().request);
}

void AdminService::onCommandSend(quint64 clientId, const QString &requestId,
                                 const protocol::admin::CommandSend &request)
{
    withAgent(clientId, requestId, request.agentId,
              [this, clientId, requestId, request](const protocol::AgentInfo &agent) {
                  if (agent.approvalStatus != protocol::ApprovalStatus::Approved) {
                      fail(clientId, requestId, ErrorCode::Conflict,
                           u"agent %1 is not approved"_s.arg(agent.agentId));
                      return;
                  }
                  const QString sessionId = request.payload.value("sessionId"_L1).toString();
                  whenFinished(
                      this,
                      m_ledger->issue(agent.agentId, agent.orgId, request.action, request.payload, sessionId),
                      [this, clientId, requestId](Decoded<protocol::CommandInfo> command) {
                          if (!command) {
                              fail(clientId, requestId, command.error().code, command.error().message);
                              return;
                          }
                          reply(clientId, requestId, {{"command"_L1, command.value().toJson()}});
                      });
              });
}

void AdminService::onSessionStart(quint64 clientId, const QString &requestId,
                                  const protocol::admin::SessionStart &request)
{
    if (!authorise(clientId, requestId, request.orgId))
        return;
    whenFinished(this, m_sessions->startSession(request),
                 [this, clientId, requestId](Decoded<protocol::SessionInfo> session) {
                     if (!session) {
                         fail(clientId, requestId, session.error().code, session.error().message);
                         return;
                     }
                     reply(clientId, requestId, {{"session"_L1, session.value().toJson()}});
                 });
}

void AdminService::onSessionControl(quint64 clientId, const QString &requestId,
                                    const protocol::admin::SessionControl &request)
{
    whenFinished(this, m_store->getSession(request.sessionId),
                 [this, clientId, requestId, request](Decoded<protocol::SessionInfo> session) {
                     if (!m_hub->client(clientId))
                         return;
                     if (!session) {
                         fail(clientId, requestId, session.error().code, session.error().message);
                         return;
                     }
                     if (!authorise(clientId, requestId, session.value().orgId))
                         return;
                     if (protocol::isTerminalSessionState(session.value().state)) {
                         fail(clientId, requestId, ErrorCode::Conflict,
                              u"session %1 is %2"_s.arg(request.sessionId,
                                                        protocol::sessionStateName(session.value().state)));
                         return;
                     }
                     whenFinished(this, m_sessions->controlSession(session.value(), request.action),
                                  [this, clientId, requestId](Decoded<protocol::CommandInfo> command) {
                                      if (!command) {
                                          fail(clientId, requestId, command.error().code,
                                               command.error().message);
                                          return;
                                      }
                                      reply(clientId, requestId, {{"command"_L1, command.value().toJson()}});
                                  });
                 });
}

void AdminService::onCommandCancel(quint64 clientId, const QString &requestId,
                                   const protocol::admin::CommandCancel &request)
{
    whenFinished(this, m_store->getCommand(request.commandId),
                 [this, clientId, requestId](Decoded<protocol::CommandInfo> command) {
                     if (!m_hub->client(clientId))
                         return;
                     if (!command) {
                         fail(clientId, requestId, command.error().code, command.error().message);
                         return;
                     }
                     if (!authorise(clientId, requestId, command.value().orgId))
                         return;
                     whenFinished(
                         this, m_ledger->cancel(command.value().commandId),
                         [this, clientId, requestId](Decoded<protocol::CommandInfo> cancelled) {
                             if (!cancelled) {
                                 fail(clientId, requestId, cancelled.error().code, cancelled.error().message);
                                 return;
                             }
                             reply(clientId, requestId, {{"command"_L1, cancelled.value().toJson()}});
                         });
                 });
}

void AdminService::setPresence(ClusterPresence *presence)
{
    m_presence = presence;
}

void AdminService::setClusterLoad(ClusterLoad *load)
{
    m_load = load;
}

int AdminService::orgClients(const QString &orgId) const
{
    return m_hub->clientCount(orgId) + (m_load ? m_load->remoteOrgClients(orgId) : 0);
}

void AdminService::deliverRemoteDelta(const QString &orgId, const QJsonObject &delta)
{
    const QString type = delta.value("type"_L1).toString();
    if (type == "agent.updated"_L1) {
        Decoded<protocol::AgentInfo> agent =
            protocol::AgentInfo::fromJson(delta.value("agent"_L1).toObject());
        if (agent && agent.value().orgId == orgId) {
            publishAgent(agent.value());
            return;
        }
    } else if (type == "command.updated"_L1) {
        Decoded<protocol::CommandInfo> command =
            protocol::CommandInfo::fromJson(delta.value("command"_L1).toObject());
        if (command && command.value().orgId == orgId) {
            publishCommand(command.value());
            return;
        }
    } else if (type == "agent.removed"_L1) {
        const QString agentId = delta.value("agentId"_L1).toString();
        if (!agentId.isEmpty() && agentId.size() <= 256) {
            publishAgentRemoved(agentId, orgId);
            return;
        }
    }
    qCDebug(lcAdmin) << "dropped an unreadable admin delta from another replica:" << type.left(64);
}

void AdminService::publishClusterStatus(bool redisAvailable)
{
    m_redisAvailable = redisAvailable;
    const OutgoingMessage message = OutgoingMessage::fromUtf8(
        protocol::admin::encodeClusterStatus(redisAvailable, QDateTime::currentDateTimeUtc()));
    for (quint64 clientId : m_hub->clientsOfKind(ClientKind::Admin)) {
        // One waiting for its snapshot gets the state right after it.
        if (!m_awaitingSnapshot.contains(clientId))
            m_hub->send(clientId, message);
    }
}

void AdminService::onOrgBroadcast(quint64 clientId, const QString &requestId,
                                  const protocol::admin::OrgBroadcast &request)
{
    if (!authorise(clientId, requestId, request.orgId))
        return;
    const OutgoingMessage message = OutgoingMessage::fromUtf8(
        protocol::browser::encodeOrgBroadcast(request.orgId, request.data, QDateTime::currentDateTimeUtc()));
    const int delivered = m_hub->broadcastToOrg(request.orgId, message, ClientKind::Sessions);
    Q_EMIT orgBroadcastSent(request.orgId, request.data);
    reply(clientId, requestId, {{"delivered"_L1, delivered}});
}

void AdminService::onAgentsBroadcast(quint64 clientId, const QString &requestId,
                                     const protocol::admin::AgentsBroadcast &request)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return;
    protocol::agent::ServerFrame frame;
    if (request.shutdown)
        frame = protocol::agent::Shutdown{request.message};
    else
        frame = protocol::agent::Notice{request.message};
    // An operator reaches only the agents of their own organisation.
    const QString scope = client->context.role == Role::Admin ? QString() : client->context.orgId;
    const int delivered = m_agents->broadcastToAllAgents(frame, request.excludeAgentId, scope);
    reply(clientId, requestId, {{"delivered"_L1, delivered}});
}

void AdminService::onAgentDecision(quint64 clientId, const QString &requestId,
                                   const protocol::admin::AgentDecision &request)
{
    withAgent(clientId, requestId, request.agentId,
              [this, clientId, requestId, request](const protocol::AgentInfo &) {
                  const BrowserClient *client = m_hub->client(clientId);
                  const QString decidedBy = client ? client->context.userId : QString();
                  const auto status = request.approve ? protocol::ApprovalStatus::Approved
                                                      : protocol::ApprovalStatus::Rejected;
                  whenFinished(this,
                               m_store->setAgentApproval(request.agentId, status, decidedBy,
                                                         QDateTime::currentDateTimeUtc()),
                               [this, clientId, requestId](Decoded<protocol::AgentInfo> agent) {
                                   if (!agent) {
                                       fail(clientId, requestId, agent.error().code, agent.error().message);
                                       return;
                                   }
                                   // The live registry must learn the decision too: selection reads it, and a
                                   // rejected agent that is connected right now is closed.
                                   m_agents->setApprovalStatus(agent.value().agentId,
                                                               agent.value().approvalStatus);
                                   protocol::AgentInfo info = agent.value();
                                   if (const AgentConnection *connection = m_agents->connection(info.agentId))
                                       info = connection->info;
                                   else
                                       info.status = protocol::AgentStatus::Offline;
                                   info.approvalStatus = agent.value().approvalStatus;
                                   publishAgent(info);
                                   reply(clientId, requestId, {{"agent"_L1, info.toJson()}});
                               });
              });
}

} // namespace switchboard
