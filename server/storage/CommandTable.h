// CommandTable: the SQL of agent_commands, including the monotonic status transition.
#pragma once

#include "StorageTypes.h"

#include <QList>

namespace switchboard {

class AgentTable;
class SqlConnection;

class CommandTable
{
public:
    CommandTable(SqlConnection &connection, AgentTable &agents);

    protocol::Decoded<protocol::CommandInfo> create(const protocol::CommandInfo &command);
    protocol::Decoded<protocol::CommandInfo> get(const QString &commandId);
    protocol::Decoded<CommandTransition> advance(const CommandTransitionRequest &request);
    // Pending commands created at or before `createdBefore`, oldest first, at most `limit`.
    protocol::Decoded<QList<protocol::CommandInfo>> pendingBefore(const QDateTime &createdBefore, int limit);
    protocol::Decoded<QList<protocol::CommandInfo>> forAgent(const QString &agentId,
                                                             const QList<protocol::CommandStatus> &statuses);
    protocol::Decoded<QList<protocol::CommandInfo>> recent(const QString &orgId, int limit);
    // Commands sent or acknowledged that have passed one of the deadlines, in creation order.
    protocol::Decoded<QList<OverdueCommand>> overdue(const CommandDeadlines &deadlines);

    // The insert alone, for callers that already run a transaction: NotFound for an unknown agent,
    // Conflict for a duplicate command id. An empty orgId becomes the agent's organisation.
    protocol::Decoded<protocol::Done> insert(const protocol::CommandInfo &command);

private:
    protocol::Decoded<protocol::CommandInfo> readOne(const QString &commandId, bool lockRow);
    protocol::Decoded<QList<protocol::CommandInfo>> readList(const QString &sql, const QVariantList &values,
                                                             QStringView what);

    SqlConnection &m_connection;
    AgentTable &m_agents;
};

} // namespace switchboard
