#include "AgentTable.h"

#include "OrgTable.h"
#include "SqlConnection.h"
#include "SqlValues.h"
#include "StorageLogging.h"

#include <QHash>
#include <QUuid>

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::AgentInfo;
using protocol::AgentStatus;
using protocol::Decoded;
using protocol::Done;
using protocol::Error;
using protocol::ErrorCode;

namespace {

// Column order of kAgentColumns; readAgent depends on it.
constexpr auto kAgentColumns = "agent_id, org_id, platform, region, status, approval_status, capacity, "
                               "active_sessions, last_heartbeat, replica, metadata, created_at"_L1;
constexpr int kAgentColumnCount = 12;

Error agentNotFound(const QString &agentId)
{
    return Error{ErrorCode::NotFound, u"agent "_s + agentId + u" not found"_s, u"agentId"_s, {}};
}

template<class Enum>
Enum readEnum(const QVariant &value, std::optional<Enum> (*fromName)(QStringView), Enum fallback)
{
    const QString name = value.toString();
    if (auto parsed = fromName(name))
        return *parsed;
    qCWarning(lcStorage) << "unknown value in the database:" << name;
    return fallback;
}

protocol::Capacity readCapacity(const QVariant &value)
{
    const QJsonObject object = sqlvalues::toJsonObject(value);
    if (object.isEmpty())
        return {};
    auto capacity = protocol::Capacity::fromJson(object);
    if (!capacity) {
        qCWarning(lcStorage) << "unreadable capacity in the database:" << capacity.error().message;
        return {};
    }
    return capacity.value();
}

AgentInfo readAgent(const SqlResult &row, int first = 0)
{
    AgentInfo agent;
    agent.agentId = row.value(first + 0).toString();
    agent.orgId = row.value(first + 1).toString();
    agent.platform =
        readEnum(row.value(first + 2), &protocol::platformFromName, protocol::Platform::Kubernetes);
    agent.region = sqlvalues::toText(row.value(first + 3));
    agent.status = readEnum(row.value(first + 4), &protocol::agentStatusFromName, AgentStatus::Offline);
    agent.approvalStatus =
        readEnum(row.value(first + 5), &protocol::approvalStatusFromName, protocol::ApprovalStatus::Pending);
    agent.capacity = readCapacity(row.value(first + 6));
    agent.activeSessions = row.value(first + 7).toInt();
    agent.lastHeartbeat = sqlvalues::toTime(row.value(first + 8));
    agent.replica = sqlvalues::toText(row.value(first + 9));
    agent.metadata = sqlvalues::toJsonObject(row.value(first + 10));
    agent.createdAt = sqlvalues::toTime(row.value(first + 11));
    return agent;
}

} // namespace

AgentTable::AgentTable(SqlConnection &connection, OrgTable &orgs)
    : m_connection(connection)
    , m_orgs(orgs)
{}

Decoded<AgentInfo> AgentTable::create(const AgentInfo &agent, const QByteArray &apiKeyHash)
{
    if (agent.agentId.isEmpty())
        return Error{ErrorCode::InvalidValue, u"an agent id must not be empty"_s, u"agentId"_s, {}};
    if (agent.orgId.isEmpty())
        return Error{ErrorCode::InvalidValue, u"an agent needs an organisation"_s, u"orgId"_s, {}};
    const QDateTime created = sqlvalues::orNow(agent.createdAt);
    const QDateTime now = sqlvalues::now();

    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    if (auto org = m_orgs.insertIfMissing(agent.orgId, {}, now); !org)
        return org.error();
    auto inserted = m_connection.execute(
        u"INSERT INTO agents (id, agent_id, org_id, platform, region, status, capacity, active_sessions, "
        u"last_heartbeat, metadata, created_at, updated_at, api_key_hash, api_key_created_at, "
        u"approval_status, "
        u"replica) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id) DO NOTHING"_s,
        {QUuid::createUuid().toString(QUuid::WithoutBraces), agent.agentId, agent.orgId,
         protocol::platformName(agent.platform), sqlvalues::text(agent.region),
         protocol::agentStatusName(agent.status), sqlvalues::json(agent.capacity.toJson()),
         agent.activeSessions, sqlvalues::time(agent.lastHeartbeat), sqlvalues::json(agent.metadata),
         sqlvalues::time(created), sqlvalues::time(now),
         apiKeyHash.isEmpty() ? QVariant(QMetaType::fromType<QByteArray>()) : apiKeyHash,
         apiKeyHash.isEmpty() ? sqlvalues::time({}) : sqlvalues::time(now),
         protocol::approvalStatusName(agent.approvalStatus), sqlvalues::text(agent.replica)},
        u"insert agent");
    if (!inserted)
        return inserted.error();
    if (inserted.value().rowsAffected() == 0)
        return Error{
            ErrorCode::Conflict, u"agent "_s + agent.agentId + u" already exists"_s, u"agentId"_s, {}};
    auto stored = get(agent.agentId);
    if (!stored)
        return stored;
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return stored;
}

Decoded<AgentInfo> AgentTable::get(const QString &agentId)
{
    auto found = m_connection.execute(u"SELECT "_s + kAgentColumns + u" FROM agents WHERE agent_id = ?"_s,
                                      {agentId}, u"read agent");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next())
        return agentNotFound(agentId);
    return readAgent(rows);
}

Decoded<QList<AgentInfo>> AgentTable::list(const QString &orgId)
{
    auto found =
        orgId.isEmpty()
            ? m_connection.execute(u"SELECT "_s + kAgentColumns + u" FROM agents ORDER BY agent_id"_s, {},
                                   u"list agents")
            : m_connection.execute(u"SELECT "_s + kAgentColumns +
                                       u" FROM agents WHERE org_id = ? ORDER BY agent_id"_s,
                                   {orgId}, u"list agents");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    QList<AgentInfo> agents;
    while (rows.next())
        agents.append(readAgent(rows));
    return agents;
}

Decoded<Done> AgentTable::remove(const QString &agentId)
{
    auto removed =
        m_connection.execute(u"DELETE FROM agents WHERE agent_id = ?"_s, {agentId}, u"remove agent");
    if (!removed)
        return removed.error();
    if (removed.value().rowsAffected() == 0)
        return agentNotFound(agentId);
    return Done{};
}

Decoded<AgentCredentials> AgentTable::credentials(const QString &agentId)
{
    auto found =
        m_connection.execute(u"SELECT "_s + kAgentColumns +
                                 u", api_key_hash, previous_api_key_hash, previous_api_key_expires_at "
                                 u"FROM agents WHERE agent_id = ?"_s,
                             {agentId}, u"read agent credentials");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next())
        return agentNotFound(agentId);
    const QVariant hash = rows.value(kAgentColumnCount);
    const QVariant previous = rows.value(kAgentColumnCount + 1);
    AgentCredentials credentials{readAgent(rows), hash.isNull() ? QByteArray() : hash.toByteArray(), {}, {}};
    if (!previous.isNull()) {
        credentials.previousApiKeyHash = previous.toByteArray();
        credentials.previousKeyExpiresAt = sqlvalues::toTime(rows.value(kAgentColumnCount + 2));
    }
    return credentials;
}

Decoded<Done> AgentTable::rotateKey(const QString &agentId, const QByteArray &newKeyHash,
                                    const QDateTime &graceUntil, const QDateTime &now)
{
    const QDateTime at = sqlvalues::orNow(now);
    const bool grace = graceUntil.isValid() && graceUntil > at;
    // The previous hash is the one stored now, read by the UPDATE itself: two rotations in a row
    // leave the first key dead, never the second.
    const QString previous =
        grace ? u"previous_api_key_hash = api_key_hash, "_s : u"previous_api_key_hash = NULL, "_s;
    auto updated = m_connection.execute(
        u"UPDATE agents SET "_s + previous +
            u"previous_api_key_expires_at = ?, api_key_hash = ?, api_key_created_at = ?, updated_at = ? "
            u"WHERE agent_id = ?"_s,
        {grace ? sqlvalues::time(graceUntil) : sqlvalues::time({}), newKeyHash, sqlvalues::time(at),
         sqlvalues::time(at), agentId},
        u"rotate agent key");
    if (!updated)
        return updated.error();
    if (updated.value().rowsAffected() == 0)
        return agentNotFound(agentId);
    return Done{};
}

Decoded<AgentInfo> AgentTable::updateOne(const QString &agentId, const QString &sql,
                                         const QVariantList &values, QStringView what)
{
    auto updated = m_connection.execute(sql, values, what);
    if (!updated)
        return updated.error();
    if (updated.value().rowsAffected() == 0)
        return agentNotFound(agentId);
    return get(agentId);
}

Decoded<AgentInfo> AgentTable::updateRegistration(const QString &agentId, protocol::Platform platform,
                                                  const QString &region, const protocol::Capacity &capacity,
                                                  const QJsonObject &metadata, const QDateTime &now)
{
    const QDateTime at = sqlvalues::orNow(now);
    return updateOne(agentId,
                     u"UPDATE agents SET platform = ?, region = ?, capacity = ?, metadata = ?, "
                     u"api_key_last_used_at = ?, updated_at = ? WHERE agent_id = ?"_s,
                     {protocol::platformName(platform), sqlvalues::text(region),
                      sqlvalues::json(capacity.toJson()), sqlvalues::json(metadata), sqlvalues::time(at),
                      sqlvalues::time(at), agentId},
                     u"update agent registration");
}

Decoded<AgentInfo> AgentTable::setApproval(const QString &agentId, protocol::ApprovalStatus status,
                                           const QString &decidedBy, const QDateTime &now)
{
    const QDateTime at = sqlvalues::orNow(now);
    return updateOne(
        agentId,
        u"UPDATE agents SET approval_status = ?, approved_at = ?, approved_by = ?, updated_at = ? "
        u"WHERE agent_id = ?"_s,
        {protocol::approvalStatusName(status), sqlvalues::time(at), sqlvalues::text(decidedBy),
         sqlvalues::time(at), agentId},
        u"set agent approval");
}

Decoded<AgentInfo> AgentTable::markConnected(const QString &agentId, const QString &replica,
                                             const QDateTime &now)
{
    const QDateTime at = sqlvalues::orNow(now);
    return updateOne(agentId,
                     u"UPDATE agents SET status = 'online', last_heartbeat = ?, replica = ?, updated_at = ? "
                     u"WHERE agent_id = ?"_s,
                     {sqlvalues::time(at), sqlvalues::text(replica), sqlvalues::time(at), agentId},
                     u"mark agent connected");
}

Decoded<int> AgentTable::recordHeartbeats(const QList<HeartbeatRecord> &beats)
{
    // The latest heartbeat per agent, in first-seen order.
    QList<HeartbeatRecord> latest;
    QHash<QString, qsizetype> indexOf;
    latest.reserve(beats.size());
    for (const HeartbeatRecord &beat : beats) {
        const auto found = indexOf.constFind(beat.agentId);
        if (found != indexOf.cend()) {
            latest[*found] = beat;
        } else {
            indexOf.insert(beat.agentId, latest.size());
            latest.append(beat);
        }
    }
    if (latest.isEmpty())
        return 0;

    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    int updated = 0;
    if (m_connection.isPostgres()) {
        // One statement per chunk: a round trip per agent would dominate with thousands of agents.
        constexpr qsizetype kChunk = 1000;
        for (qsizetype first = 0; first < latest.size(); first += kChunk) {
            QStringList ids, statuses, sessions, capacities, times;
            for (const HeartbeatRecord &beat : latest.mid(first, kChunk)) {
                ids.append(beat.agentId);
                statuses.append(protocol::agentStatusName(beat.status));
                sessions.append(QString::number(beat.activeSessions));
                capacities.append(sqlvalues::json(beat.capacity.toJson()).toString());
                times.append(sqlvalues::time(sqlvalues::orNow(beat.at)).toString());
            }
            auto result = m_connection.execute(
                u"UPDATE agents AS a SET status = v.status, active_sessions = v.active_sessions, "
                u"capacity = v.capacity, last_heartbeat = v.at, updated_at = v.at "
                u"FROM unnest(?::text[], ?::text[], ?::integer[], ?::jsonb[], ?::timestamptz[]) "
                u"AS v(agent_id, status, active_sessions, capacity, at) WHERE a.agent_id = v.agent_id"_s,
                {sqlvalues::postgresArray(ids), sqlvalues::postgresArray(statuses),
                 sqlvalues::postgresArray(sessions), sqlvalues::postgresArray(capacities),
                 sqlvalues::postgresArray(times)},
                u"record heartbeats");
            if (!result)
                return result.error();
            updated += result.value().rowsAffected();
        }
    } else {
        // SQLite runs in-process: a reused prepared statement per row is as fast as it gets.
        const QString sql =
            u"UPDATE agents SET status = ?, active_sessions = ?, capacity = ?, last_heartbeat = ?, "
            u"updated_at = ? WHERE agent_id = ?"_s;
        for (const HeartbeatRecord &beat : latest) {
            const QVariant at = sqlvalues::time(sqlvalues::orNow(beat.at));
            auto result =
                m_connection.execute(sql,
                                     {protocol::agentStatusName(beat.status), beat.activeSessions,
                                      sqlvalues::json(beat.capacity.toJson()), at, at, beat.agentId},
                                     u"record heartbeat");
            if (!result)
                return result.error();
            updated += result.value().rowsAffected();
        }
    }
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return updated;
}

Decoded<int> AgentTable::markOffline(const QStringList &agentIds, const QString &replica,
                                     const QDateTime &now)
{
    if (agentIds.isEmpty())
        return 0;
    const QVariant at = sqlvalues::time(sqlvalues::orNow(now));
    // Only the replica that holds the connection may take the agent offline: a late disconnect seen
    // elsewhere must not override a newer connection.
    const QString guard = replica.isEmpty() ? u"replica IS NULL AND status <> 'offline'"_s : u"replica = ?"_s;
    if (m_connection.isPostgres()) {
        QVariantList values{at, sqlvalues::postgresArray(agentIds)};
        if (!replica.isEmpty())
            values.append(replica);
        auto result =
            m_connection.execute(u"UPDATE agents SET status = 'offline', replica = NULL, updated_at = ? "
                                 u"WHERE agent_id = ANY (?::text[]) AND "_s +
                                     guard,
                                 values, u"mark agents offline");
        if (!result)
            return result.error();
        return result.value().rowsAffected();
    }
    const QString sql =
        u"UPDATE agents SET status = 'offline', replica = NULL, updated_at = ? WHERE agent_id = ? AND "_s +
        guard;
    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    int updated = 0;
    for (const QString &agentId : agentIds) {
        const QVariantList values =
            replica.isEmpty() ? QVariantList{at, agentId} : QVariantList{at, agentId, replica};
        auto result = m_connection.execute(sql, values, u"mark agent offline");
        if (!result)
            return result.error();
        updated += result.value().rowsAffected();
    }
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return updated;
}

Decoded<int> AgentTable::markReplicaOffline(const QString &replica, const QDateTime &now)
{
    const QVariant at = sqlvalues::time(sqlvalues::orNow(now));
    auto result =
        replica.isEmpty()
            ? m_connection.execute(u"UPDATE agents SET status = 'offline', updated_at = ? "
                                   u"WHERE replica IS NULL AND status <> 'offline'"_s,
                                   {at}, u"mark replica agents offline")
            : m_connection.execute(u"UPDATE agents SET status = 'offline', replica = NULL, updated_at = ? "
                                   u"WHERE replica = ?"_s,
                                   {at, replica}, u"mark replica agents offline");
    if (!result)
        return result.error();
    return result.value().rowsAffected();
}

Decoded<QString> AgentTable::orgOf(const QString &agentId)
{
    auto found = m_connection.execute(u"SELECT org_id FROM agents WHERE agent_id = ?"_s, {agentId},
                                      u"read agent organisation");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next())
        return agentNotFound(agentId);
    return rows.value(0).toString();
}

} // namespace switchboard
