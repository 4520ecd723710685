// SessionTable: the SQL of the sessions table, and of a session created together with its command.
#pragma once

#include "StorageTypes.h"

#include <QList>

#include <utility>

namespace switchboard {

class CommandTable;
class OrgTable;
class SqlConnection;

class SessionTable
{
public:
    SessionTable(SqlConnection &connection, OrgTable &orgs, CommandTable &commands);

    protocol::Decoded<std::pair<protocol::SessionInfo, protocol::CommandInfo>>
    createWithCommand(const protocol::SessionInfo &session, const protocol::CommandInfo &command);
    protocol::Decoded<protocol::SessionInfo> get(const QString &sessionId);
    protocol::Decoded<SessionTransition> update(const SessionUpdate &update);
    protocol::Decoded<QList<protocol::SessionInfo>> forOrg(const QString &orgId, bool includeEnded);
    protocol::Decoded<QList<protocol::SessionInfo>> forAgent(const QString &agentId, bool activeOnly);
    // Sessions not ended, of one org (all orgs when orgId is empty), oldest first, at most limit.
    protocol::Decoded<QList<protocol::SessionInfo>> active(const QString &orgId, int limit);
    // Fails (with `reason`) every active session whose agent has been offline or stale since before
    // awayBefore, or no longer exists, in one transaction; returns what changed.
    protocol::Decoded<QList<SessionTransition>> failAbandoned(const QDateTime &awayBefore,
                                                              const QString &reason, const QDateTime &at);

private:
    protocol::Decoded<QList<protocol::SessionInfo>> readList(const QString &sql, const QVariantList &values,
                                                             QStringView what);

    SqlConnection &m_connection;
    OrgTable &m_orgs;
    CommandTable &m_commands;
};

} // namespace switchboard
