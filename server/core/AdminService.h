// AdminService: the /api/v1/ws/admin stream. Sends each admin client a snapshot (agents, orgs with
// their connected-client counts, recent commands, the sessions that have not ended), then the live deltas in
// its scope, and serves its requests. This is the one place where an operator's or admin's permission for a
// request is checked: admins act on every org, operators on their own only. Session events carry their seq;
// the snapshot says where each org's history stands, and a client that reconnects with those
// positions (?epoch=&since=org:seq,... or a resume request) gets the snapshot, then the session
// events it missed, then the live deltas.
#pragma once

#include "cluster/ClusterPresence.h"
#include "core/Hub.h"
#include "shared/AdminProtocol.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QUrlQuery>

#include <chrono>
#include <memory>
#include <optional>

namespace switchboard {

class AgentHub;
class ClusterLoad;
class CommandLedger;
class EventJournal;
class SessionService;
class Store;
class TokenRevocations;

class AdminService : public QObject
{
    Q_OBJECT
public:
    AdminService(Store *store, Hub *hub, AgentHub *agents, CommandLedger *ledger, SessionService *sessions,
                 QObject *parent = nullptr);

    // Where session event positions come from (snapshot epoch/seqs, resume); without it
    // snapshots carry none and resume requests are answered `unavailable`.
    void setEventJournal(EventJournal *journal) { m_journal = journal; }
    // Cluster mode: snapshots show agents connected to other replicas as connected, and are
    // marked partial when Redis cannot be asked. Not owned.
    void setPresence(ClusterPresence *presence);
    // Cluster mode: org client counts (snapshot, org.updated) add the other replicas' clients.
    // Not owned.
    void setClusterLoad(ClusterLoad *load);
    // Where token.revoke / token.revocations go; without it they are answered `unavailable`.
    void setTokenRevocations(TokenRevocations *revocations) { m_revocations = revocations; }

    // An admin client joined (already added to the Hub with ClientKind::Admin); `query` may ask
    // for a resume (epoch, since).
    void clientJoined(quint64 clientId, const QUrlQuery &query = {});
    void handleMessage(quint64 clientId, const QByteArray &utf8);

    // Deltas, each delivered to the admin clients whose scope includes orgId.
    void publishAgent(const protocol::AgentInfo &agent);
    void publishAgentRemoved(const QString &agentId, const QString &orgId);
    void publishCommand(const protocol::CommandInfo &command);
    void publishSessionEvent(const protocol::browser::SessionEvent &event);
    // An org's client count changed: at most one org.updated per org every kOrgUpdateInterval,
    // carrying the count when it is sent, so a burst of connects costs one message, not one each.
    // Nothing at all while no admin client is connected (a later one gets the counts in its
    // snapshot).
    void publishOrg(const QString &orgId);
    static constexpr std::chrono::milliseconds kOrgUpdateInterval{100};
    // The replica's load, encoded once, to role-admin clients only: the numbers span every org, and
    // operators see their own org's counts in the snapshot and org.updated. A client still waiting
    // for its snapshot skips this sample (the next one comes an interval later), so nothing
    // overtakes the snapshot and nothing piles up behind it.
    void publishMetrics(const protocol::admin::Metrics &metrics);

    // Cluster mode. A delta another replica published (an agent.updated, agent.removed or
    // command.updated message as its admins got it): decoded again here, since it comes from
    // Redis, and delivered to the local admins in scope. Anything else is dropped.
    void deliverRemoteDelta(const QString &orgId, const QJsonObject &delta);
    // Tells every admin client that this replica's cluster bus went down or came back
    // (cluster.status); new admin clients get the current state after their snapshot.
    void publishClusterStatus(bool redisAvailable);

    static constexpr int kSnapshotCommandLimit = 200;
    // Sessions a snapshot lists at most; beyond it the snapshot says sessionsTruncated. Tests lower it.
    void setSnapshotSessionLimit(int limit)
    {
        m_snapshotSessionLimit = qBound(0, limit, kMaxSnapshotSessions);
    }
    static constexpr int kMaxSnapshotSessions = int(protocol::admin::kMaxSnapshotSessions);

    // Deltas encoded so far, each once however many admins get it; none for a delta no admin
    // client has in scope. Tests use it to see that work is skipped.
    quint64 deltasEncoded() const { return m_deltasEncoded; }

Q_SIGNALS:
    // An org.broadcast was delivered to this replica's clients of the org (the cluster bus
    // forwards it to the other replicas).
    void orgBroadcastSent(const QString &orgId, const QJsonValue &data);

private:
    struct HeldDelta
    {
        OutgoingMessage message;
        QString orgId;
        qint64 seq = 0; // session events only
    };
    struct Pending
    {
        QList<HeldDelta> deltas; // held back until the snapshot (and any replay) is out
        bool snapshotSent = false;
        std::optional<protocol::admin::Resume> resume;
        QString resumeRequestId;
    };

    bool inScope(const BrowserClient &client, const QString &orgId) const;
    // `encode` (returning the message's UTF-8 JSON) runs once, and only when some admin client in
    // scope takes the message (defined in AdminService.cpp, its only user).
    template<class Encode>
    void deliver(const QString &orgId, Encode &&encode, bool isAgentState = false, qint64 seq = 0);
    void flushOrgUpdates();
    struct SnapshotParts
    {
        QList<protocol::AgentInfo> agents;
        QList<protocol::OrgInfo> orgs;
        protocol::admin::EventPosition events;
        protocol::admin::SnapshotSessions sessions;
    };
    void sendSnapshot(quint64 clientId);
    void composeSnapshot(quint64 clientId, const QString &scope, const std::shared_ptr<SnapshotParts> &parts,
                         const protocol::Decoded<QList<protocol::CommandInfo>> &commands,
                         const ClusterPresence::AgentDirectory *directory);
    // Once the snapshot frame has left (at once for a small one): a big snapshot still queued
    // must not count as a backlog against the client when the held deltas follow it.
    void afterSnapshotWritten(quint64 clientId, qsizetype snapshotBytes);
    // After the snapshot: the replay a resume asked for, then the held deltas, then live.
    void replayMissed(quint64 clientId);
    void releaseHeld(quint64 clientId, const QMap<QString, qint64> &replayedUpTo,
                     QList<OutgoingMessage> first);
    void onResume(quint64 clientId, const QString &requestId, const protocol::admin::Resume &request);
    void reply(quint64 clientId, const QString &requestId, const QJsonObject &result);
    void fail(quint64 clientId, const QString &requestId, protocol::ErrorCode code, const QString &message);
    // Runs `action` if the client may act on orgId, else answers forbidden.
    // Connected browser clients of the org: this replica's, plus the other replicas' in cluster mode.
    int orgClients(const QString &orgId) const;
    bool authorise(quint64 clientId, const QString &requestId, const QString &orgId);
    // Resolves an agent's org (live first, then storage) and continues with it.
    void withAgent(quint64 clientId, const QString &requestId, const QString &agentId,
                   std::function<void(const protocol::AgentInfo &)> next);

    void onCommandSend(quint64 clientId, const QString &requestId,
                       const protocol::admin::CommandSend &request);
    void onSessionStart(quint64 clientId, const QString &requestId,
                        const protocol::admin::SessionStart &request);
    void onSessionControl(quint64 clientId, const QString &requestId,
                          const protocol::admin::SessionControl &request);
    void onOrgBroadcast(quint64 clientId, const QString &requestId,
                        const protocol::admin::OrgBroadcast &request);
    void onAgentsBroadcast(quint64 clientId, const QString &requestId,
                           const protocol::admin::AgentsBroadcast &request);
    void onAgentDecision(quint64 clientId, const QString &requestId,
                         const protocol::admin::AgentDecision &request);
    void onCommandCancel(quint64 clientId, const QString &requestId,
                         const protocol::admin::CommandCancel &request);
    // Credentials (AdminCredentials.cpp).
    bool requireAdminRole(quint64 clientId, const QString &requestId);
    void onTokenRevoke(quint64 clientId, const QString &requestId,
                       const protocol::admin::TokenRevoke &request);
    void onTokenRevocations(quint64 clientId, const QString &requestId);
    void onAgentRotateKey(quint64 clientId, const QString &requestId,
                          const protocol::admin::AgentRotateKey &request);

    Store *m_store;
    Hub *m_hub;
    AgentHub *m_agents;
    CommandLedger *m_ledger;
    SessionService *m_sessions;
    EventJournal *m_journal = nullptr;
    TokenRevocations *m_revocations = nullptr;
    QPointer<ClusterPresence> m_presence;
    QPointer<ClusterLoad> m_load;
    std::optional<bool> m_redisAvailable; // cluster mode only: the last cluster.status
    QHash<quint64, Pending> m_awaitingSnapshot;
    int m_snapshotSessionLimit = kMaxSnapshotSessions;
    QSet<QString> m_dirtyOrgs; // org.updated due at the next flush
    QTimer m_orgUpdateTimer;   // single shot, one for all orgs
    quint64 m_deltasEncoded = 0;
};

} // namespace switchboard
