// AdminService: the /api/v1/ws/admin stream. Sends each admin client a snapshot (agents, orgs with
// their connected-client counts, recent commands), then the live deltas in its scope, and serves
// its requests. This is the one place where an operator's or admin's permission for a request is
// checked: admins act on every org, operators on their own only.
#pragma once

#include "core/Hub.h"
#include "shared/AdminProtocol.h"

#include <QHash>
#include <QObject>

namespace switchboard {

class AgentHub;
class CommandLedger;
class SessionService;
class Store;

class AdminService : public QObject
{
    Q_OBJECT
public:
    AdminService(Store *store, Hub *hub, AgentHub *agents, CommandLedger *ledger, SessionService *sessions,
                 QObject *parent = nullptr);

    // An admin client joined (already added to the Hub with ClientKind::Admin).
    void clientJoined(quint64 clientId);
    void handleMessage(quint64 clientId, const QByteArray &utf8);

    // Deltas, each delivered to the admin clients whose scope includes orgId.
    void publishAgent(const protocol::AgentInfo &agent);
    void publishAgentRemoved(const QString &agentId, const QString &orgId);
    void publishCommand(const protocol::CommandInfo &command);
    void publishSessionEvent(const protocol::browser::SessionEvent &event);
    void publishOrg(const QString &orgId);

    static constexpr int kSnapshotCommandLimit = 200;

private:
    struct Pending
    {
        QList<OutgoingMessage> deltas; // held back until the snapshot is out
    };

    bool inScope(const BrowserClient &client, const QString &orgId) const;
    void deliver(const QString &orgId, const OutgoingMessage &message, bool isAgentState = false);
    void sendSnapshot(quint64 clientId);
    void reply(quint64 clientId, const QString &requestId, const QJsonObject &result);
    void fail(quint64 clientId, const QString &requestId, protocol::ErrorCode code, const QString &message);
    // Runs `action` if the client may act on orgId, else answers forbidden.
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

    Store *m_store;
    Hub *m_hub;
    AgentHub *m_agents;
    CommandLedger *m_ledger;
    SessionService *m_sessions;
    QHash<quint64, Pending> m_awaitingSnapshot;
};

} // namespace switchboard
