// AgentTable: the SQL of the agents table (registration, approval, liveness, replica ownership).
#pragma once

#include "StorageTypes.h"

#include <QList>
#include <QStringList>

namespace switchboard {

class OrgTable;
class SqlConnection;

class AgentTable
{
public:
    AgentTable(SqlConnection &connection, OrgTable &orgs);

    protocol::Decoded<protocol::AgentInfo> create(const protocol::AgentInfo &agent,
                                                  const QByteArray &apiKeyHash);
    protocol::Decoded<protocol::AgentInfo> get(const QString &agentId);
    protocol::Decoded<QList<protocol::AgentInfo>> list(const QString &orgId);
    protocol::Decoded<protocol::Done> remove(const QString &agentId);
    protocol::Decoded<AgentCredentials> credentials(const QString &agentId);
    // Replaces the agent's key hash; the old hash stays valid until graceUntil (invalid or not
    // after now = not at all). NotFound.
    protocol::Decoded<protocol::Done> rotateKey(const QString &agentId, const QByteArray &newKeyHash,
                                                const QDateTime &graceUntil, const QDateTime &now);
    protocol::Decoded<protocol::AgentInfo>
    updateRegistration(const QString &agentId, protocol::Platform platform, const QString &region,
                       const protocol::Capacity &capacity, const QJsonObject &metadata, const QDateTime &now);
    protocol::Decoded<protocol::AgentInfo> setApproval(const QString &agentId,
                                                       protocol::ApprovalStatus status,
                                                       const QString &decidedBy, const QDateTime &now);
    protocol::Decoded<protocol::AgentInfo> markConnected(const QString &agentId, const QString &replica,
                                                         const QDateTime &now);
    protocol::Decoded<int> recordHeartbeats(const QList<HeartbeatRecord> &beats);
    protocol::Decoded<int> markOffline(const QStringList &agentIds, const QString &replica,
                                       const QDateTime &now);
    protocol::Decoded<int> markReplicaOffline(const QString &replica, const QDateTime &now);

    // The agent's organisation, NotFound if there is no such agent (for callers in a transaction).
    protocol::Decoded<QString> orgOf(const QString &agentId);

private:
    // Runs an UPDATE on one agent row and returns the row, NotFound if none matched.
    protocol::Decoded<protocol::AgentInfo> updateOne(const QString &agentId, const QString &sql,
                                                     const QVariantList &values, QStringView what);

    SqlConnection &m_connection;
    OrgTable &m_orgs;
};

} // namespace switchboard
