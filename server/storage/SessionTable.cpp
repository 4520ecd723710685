#include "SessionTable.h"

#include "CommandTable.h"
#include "OrgTable.h"
#include "SqlConnection.h"
#include "SqlValues.h"
#include "StorageLogging.h"

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::CommandInfo;
using protocol::Decoded;
using protocol::Done;
using protocol::Error;
using protocol::ErrorCode;
using protocol::SessionInfo;
using protocol::SessionState;

namespace {

// Column order of kSessionColumns; readSession depends on it.
constexpr auto kSessionColumns =
    "id, org_id, user_id, template, state, agent_id, platform, namespace, pod_name, "
    "url, memory, cpu, idle_timeout, last_activity, tags, termination_reason, "
    "created_at, updated_at"_L1;

constexpr auto kNotEnded = "state NOT IN ('terminated', 'failed')"_L1;

Error sessionNotFound(const QString &sessionId)
{
    return Error{ErrorCode::NotFound, u"session "_s + sessionId + u" not found"_s, u"sessionId"_s, {}};
}

SessionInfo readSession(const SqlResult &row)
{
    SessionInfo session;
    session.sessionId = row.value(0).toString();
    session.orgId = row.value(1).toString();
    session.userId = row.value(2).toString();
    session.templateName = row.value(3).toString();
    const QString state = row.value(4).toString();
    if (auto parsed = protocol::sessionStateFromName(state))
        session.state = *parsed;
    else
        qCWarning(lcStorage) << "unknown session state in the database:" << state;
    session.agentId = sqlvalues::toText(row.value(5));
    session.platform = sqlvalues::toText(row.value(6));
    session.namespaceName = sqlvalues::toText(row.value(7));
    session.podName = sqlvalues::toText(row.value(8));
    session.url = sqlvalues::toText(row.value(9));
    session.memory = sqlvalues::toText(row.value(10));
    session.cpu = sqlvalues::toText(row.value(11));
    session.idleTimeoutSeconds = row.value(12).toInt();
    session.lastActivity = sqlvalues::toTime(row.value(13));
    session.tags = sqlvalues::toStringList(row.value(14));
    session.terminationReason = sqlvalues::toText(row.value(15));
    session.createdAt = sqlvalues::toTime(row.value(16));
    session.updatedAt = sqlvalues::toTime(row.value(17));
    return session;
}

} // namespace

SessionTable::SessionTable(SqlConnection &connection, OrgTable &orgs, CommandTable &commands)
    : m_connection(connection)
    , m_orgs(orgs)
    , m_commands(commands)
{}

Decoded<std::pair<SessionInfo, CommandInfo>> SessionTable::createWithCommand(const SessionInfo &session,
                                                                             const CommandInfo &command)
{
    if (session.sessionId.isEmpty())
        return Error{ErrorCode::InvalidValue, u"a session id must not be empty"_s, u"sessionId"_s, {}};
    const QDateTime now = sqlvalues::now();
    const QDateTime created = sqlvalues::orNow(session.createdAt);
    const QDateTime updated = session.updatedAt.isValid() ? session.updatedAt.toUTC() : created;

    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    if (auto org = m_orgs.insertIfMissing(session.orgId, {}, now); !org)
        return org.error();
    auto inserted = m_connection.execute(
        u"INSERT INTO sessions (id, org_id, user_id, template, state, agent_id, platform, namespace, "
        u"pod_name, "
        u"url, memory, cpu, idle_timeout, last_activity, tags, termination_reason, terminated_at, "
        u"created_at, "
        u"updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        u"ON CONFLICT (id) DO NOTHING"_s,
        {session.sessionId, session.orgId, session.userId, session.templateName,
         protocol::sessionStateName(session.state), sqlvalues::text(session.agentId),
         sqlvalues::text(session.platform), sqlvalues::text(session.namespaceName),
         sqlvalues::text(session.podName), sqlvalues::text(session.url), sqlvalues::text(session.memory),
         sqlvalues::text(session.cpu), session.idleTimeoutSeconds, sqlvalues::time(session.lastActivity),
         sqlvalues::jsonArray(session.tags), sqlvalues::text(session.terminationReason),
         session.state == SessionState::Terminated ? sqlvalues::time(updated) : sqlvalues::time({}),
         sqlvalues::time(created), sqlvalues::time(updated)},
        u"insert session");
    if (!inserted)
        return inserted.error();
    if (inserted.value().rowsAffected() == 0)
        return Error{ErrorCode::Conflict,
                     u"session "_s + session.sessionId + u" already exists"_s,
                     u"sessionId"_s,
                     {}};

    CommandInfo sessionCommand = command;
    if (sessionCommand.sessionId.isEmpty())
        sessionCommand.sessionId = session.sessionId;
    if (sessionCommand.orgId.isEmpty())
        sessionCommand.orgId = session.orgId;
    if (!sessionCommand.createdAt.isValid())
        sessionCommand.createdAt = created;
    if (auto commandInserted = m_commands.insert(sessionCommand); !commandInserted)
        return commandInserted.error();

    auto storedSession = get(session.sessionId);
    if (!storedSession)
        return storedSession.error();
    auto storedCommand = m_commands.get(sessionCommand.commandId);
    if (!storedCommand)
        return storedCommand.error();
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return std::pair{storedSession.value(), storedCommand.value()};
}

Decoded<SessionInfo> SessionTable::get(const QString &sessionId)
{
    auto found = m_connection.execute(u"SELECT "_s + kSessionColumns + u" FROM sessions WHERE id = ?"_s,
                                      {sessionId}, u"read session");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next())
        return sessionNotFound(sessionId);
    return readSession(rows);
}

Decoded<SessionTransition> SessionTable::update(const SessionUpdate &update)
{
    const QDateTime at = sqlvalues::orNow(update.at);
    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    auto current = get(update.sessionId);
    if (!current)
        return current.error();
    const SessionInfo &before = current.value();
    if (!update.agentId.isEmpty() && before.agentId != update.agentId)
        return Error{ErrorCode::Forbidden,
                     u"session "_s + update.sessionId + u" is not assigned to agent "_s + update.agentId,
                     u"sessionId"_s,
                     {}};

    // An ended session stays ended: a late status report must not bring it back.
    const bool ended = protocol::isTerminalSessionState(before.state);
    const bool stateChanged = update.state && !ended && *update.state != before.state;

    QString sql = u"UPDATE sessions SET updated_at = ?"_s;
    QVariantList values{sqlvalues::time(at)};
    if (stateChanged) {
        sql += u", state = ?"_s;
        values.append(protocol::sessionStateName(*update.state));
        if (*update.state == SessionState::Terminated) {
            sql += u", terminated_at = ?"_s;
            values.append(sqlvalues::time(at));
        }
    }
    if (update.podName) {
        sql += u", pod_name = ?"_s;
        values.append(sqlvalues::text(*update.podName));
    }
    if (update.url) {
        sql += u", url = ?"_s;
        values.append(sqlvalues::text(*update.url));
    }
    if (update.terminationReason) {
        sql += u", termination_reason = ?"_s;
        values.append(sqlvalues::text(*update.terminationReason));
    }
    sql += u" WHERE id = ?"_s;
    values.append(update.sessionId);
    if (auto updated = m_connection.execute(sql, values, u"update session"); !updated)
        return updated.error();
    auto after = get(update.sessionId);
    if (!after)
        return after.error();
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return SessionTransition{after.value(), before.state, stateChanged};
}

Decoded<QList<SessionTransition>> SessionTable::failAbandoned(const QDateTime &awayBefore,
                                                              const QString &reason, const QDateTime &at)
{
    // An agent row left offline or stale since before awayBefore has been gone longer than the
    // grace period (its updated_at is the moment it went away, or later); a deleted agent is gone
    // for good. The same condition selects and updates, inside one transaction.
    const QString abandoned =
        kNotEnded + u" AND agent_id IS NOT NULL AND (agent_id NOT IN (SELECT agent_id FROM agents) OR "_s +
        u"agent_id IN (SELECT agent_id FROM agents WHERE status IN ('offline', 'stale') AND "_s +
        u"updated_at <= ?))"_s;
    const QDateTime stamp = sqlvalues::orNow(at);
    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    auto found = readList(u"SELECT "_s + kSessionColumns + u" FROM sessions WHERE "_s + abandoned +
                              u" ORDER BY created_at, id"_s,
                          {sqlvalues::time(awayBefore)}, u"list abandoned sessions");
    if (!found)
        return found.error();
    if (found.value().isEmpty())
        return QList<SessionTransition>{};
    auto updated =
        m_connection.execute(u"UPDATE sessions SET state = 'failed', termination_reason = ?, updated_at = ? "
                             u"WHERE "_s +
                                 abandoned,
                             {sqlvalues::text(reason), sqlvalues::time(stamp), sqlvalues::time(awayBefore)},
                             u"fail abandoned sessions");
    if (!updated)
        return updated.error();
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    QList<SessionTransition> transitions;
    for (const SessionInfo &before : found.value()) {
        SessionInfo after = before;
        after.state = SessionState::Failed;
        after.terminationReason = reason;
        after.updatedAt = stamp;
        transitions.append(SessionTransition{after, before.state, true});
    }
    return transitions;
}

Decoded<QList<SessionInfo>> SessionTable::readList(const QString &sql, const QVariantList &values,
                                                   QStringView what)
{
    auto found = m_connection.execute(sql, values, what);
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    QList<SessionInfo> sessions;
    while (rows.next())
        sessions.append(readSession(rows));
    return sessions;
}

Decoded<QList<SessionInfo>> SessionTable::forOrg(const QString &orgId, bool includeEnded)
{
    return readList(u"SELECT "_s + kSessionColumns + u" FROM sessions WHERE org_id = ?"_s +
                        (includeEnded ? u""_s : u" AND "_s + kNotEnded) + u" ORDER BY created_at, id"_s,
                    {orgId}, u"list organisation sessions");
}

Decoded<QList<SessionInfo>> SessionTable::forAgent(const QString &agentId, bool activeOnly)
{
    return readList(u"SELECT "_s + kSessionColumns + u" FROM sessions WHERE agent_id = ?"_s +
                        (activeOnly ? u" AND "_s + kNotEnded : u""_s) + u" ORDER BY created_at, id"_s,
                    {agentId}, u"list agent sessions");
}

Decoded<QList<SessionInfo>> SessionTable::active(const QString &orgId, int limit)
{
    if (limit <= 0)
        return QList<SessionInfo>{};
    if (orgId.isEmpty())
        return readList(u"SELECT "_s + kSessionColumns + u" FROM sessions WHERE "_s + kNotEnded +
                            u" ORDER BY created_at, id LIMIT ?"_s,
                        {limit}, u"list active sessions");
    return readList(u"SELECT "_s + kSessionColumns + u" FROM sessions WHERE org_id = ? AND "_s + kNotEnded +
                        u" ORDER BY created_at, id LIMIT ?"_s,
                    {orgId, limit}, u"list active sessions");
}

} // namespace switchboard
