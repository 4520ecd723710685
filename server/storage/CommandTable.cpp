#include "CommandTable.h"

#include "AgentTable.h"
#include "SqlConnection.h"
#include "SqlValues.h"
#include "StorageLogging.h"

#include <QStringList>

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::CommandInfo;
using protocol::CommandStatus;
using protocol::Decoded;
using protocol::Done;
using protocol::Error;
using protocol::ErrorCode;

namespace {

// Column order of kCommandColumns; readCommand depends on it.
constexpr auto kCommandColumns = "command_id, agent_id, org_id, session_id, action, payload, status, "
                                 "error_message, result, attempts, created_at, sent_at, acknowledged_at, "
                                 "completed_at, updated_at"_L1;

// The SQL twin of protocol::commandStatusRank.
constexpr auto kStatusRank = "(CASE status WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'ack' THEN 2 "
                             "ELSE 3 END)"_L1;

Error commandNotFound(const QString &commandId)
{
    return Error{ErrorCode::NotFound, u"command "_s + commandId + u" not found"_s, u"commandId"_s, {}};
}

CommandInfo readCommand(const SqlResult &row)
{
    CommandInfo command;
    command.commandId = row.value(0).toString();
    command.agentId = row.value(1).toString();
    command.orgId = row.value(2).toString();
    command.sessionId = sqlvalues::toText(row.value(3));
    command.action = row.value(4).toString();
    command.payload = sqlvalues::toJsonObject(row.value(5));
    const QString status = row.value(6).toString();
    if (auto parsed = protocol::commandStatusFromName(status))
        command.status = *parsed;
    else
        qCWarning(lcStorage) << "unknown command status in the database:" << status;
    command.error = sqlvalues::toText(row.value(7));
    command.result = sqlvalues::toJsonObject(row.value(8));
    command.attempts = row.value(9).toInt();
    command.createdAt = sqlvalues::toTime(row.value(10));
    command.sentAt = sqlvalues::toTime(row.value(11));
    command.acknowledgedAt = sqlvalues::toTime(row.value(12));
    command.completedAt = sqlvalues::toTime(row.value(13));
    command.updatedAt = sqlvalues::toTime(row.value(14));
    return command;
}

// The timestamp column a status sets.
QLatin1StringView timeColumnOf(CommandStatus status)
{
    switch (status) {
    case CommandStatus::Pending:
        return {};
    case CommandStatus::Sent:
        return "sent_at"_L1;
    case CommandStatus::Ack:
        return "acknowledged_at"_L1;
    case CommandStatus::Completed:
    case CommandStatus::Failed:
    case CommandStatus::Cancelled:
        return "completed_at"_L1;
    }
    return {};
}

} // namespace

CommandTable::CommandTable(SqlConnection &connection, AgentTable &agents)
    : m_connection(connection)
    , m_agents(agents)
{}

Decoded<Done> CommandTable::insert(const CommandInfo &command)
{
    if (command.commandId.isEmpty())
        return Error{ErrorCode::InvalidValue, u"a command id must not be empty"_s, u"commandId"_s, {}};
    if (command.action.isEmpty())
        return Error{ErrorCode::InvalidValue, u"a command needs an action"_s, u"action"_s, {}};
    auto agentOrg = m_agents.orgOf(command.agentId);
    if (!agentOrg)
        return agentOrg.error();
    const QDateTime created = sqlvalues::orNow(command.createdAt);
    const QDateTime updated = command.updatedAt.isValid() ? command.updatedAt.toUTC() : created;
    auto inserted = m_connection.execute(
        u"INSERT INTO agent_commands (command_id, agent_id, org_id, session_id, action, payload, status, "
        u"error_message, result, attempts, created_at, sent_at, acknowledged_at, completed_at, updated_at) "
        u"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (command_id) DO NOTHING"_s,
        {command.commandId, command.agentId, command.orgId.isEmpty() ? agentOrg.value() : command.orgId,
         sqlvalues::text(command.sessionId), command.action, sqlvalues::json(command.payload),
         protocol::commandStatusName(command.status), sqlvalues::text(command.error),
         command.result.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                  : sqlvalues::json(command.result),
         command.attempts, sqlvalues::time(created), sqlvalues::time(command.sentAt),
         sqlvalues::time(command.acknowledgedAt), sqlvalues::time(command.completedAt),
         sqlvalues::time(updated)},
        u"insert command");
    if (!inserted)
        return inserted.error();
    if (inserted.value().rowsAffected() == 0)
        return Error{ErrorCode::Conflict,
                     u"command "_s + command.commandId + u" already exists"_s,
                     u"commandId"_s,
                     {}};
    return Done{};
}

Decoded<CommandInfo> CommandTable::create(const CommandInfo &command)
{
    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    if (auto inserted = insert(command); !inserted)
        return inserted.error();
    auto stored = get(command.commandId);
    if (!stored)
        return stored;
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return stored;
}

Decoded<CommandInfo> CommandTable::readOne(const QString &commandId, bool lockRow)
{
    // Inside advance() PostgreSQL locks the row so that `previous` is the status the UPDATE acts on;
    // SQLite's BEGIN IMMEDIATE already holds the database's write lock.
    const bool forUpdate = lockRow && m_connection.isPostgres();
    auto found =
        m_connection.execute(u"SELECT "_s + kCommandColumns + u" FROM agent_commands WHERE command_id = ?"_s +
                                 (forUpdate ? " FOR UPDATE"_L1 : ""_L1),
                             {commandId}, u"read command");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next())
        return commandNotFound(commandId);
    return readCommand(rows);
}

Decoded<CommandInfo> CommandTable::get(const QString &commandId)
{
    return readOne(commandId, false);
}

Decoded<CommandTransition> CommandTable::advance(const CommandTransitionRequest &request)
{
    const QDateTime at = sqlvalues::orNow(request.at);
    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    auto current = readOne(request.commandId, true);
    if (!current)
        return current.error();
    const CommandInfo &before = current.value();
    if (!request.agentId.isEmpty() && before.agentId != request.agentId)
        return Error{ErrorCode::NotFound,
                     u"command "_s + request.commandId + u" is not assigned to agent "_s + request.agentId,
                     u"commandId"_s,
                     {}};
    const CommandStatus previous = before.status;
    if (request.onlyFrom && previous != *request.onlyFrom)
        return CommandTransition{before, previous, false};
    if (request.to == CommandStatus::Cancelled && previous != CommandStatus::Pending &&
        previous != CommandStatus::Cancelled)
        return Error{ErrorCode::Conflict,
                     u"command "_s + request.commandId + u" is "_s + protocol::commandStatusName(previous) +
                         u"; only pending commands can be cancelled"_s,
                     u"commandId"_s,
                     {}};

    const bool forward = protocol::commandStatusRank(request.to) > protocol::commandStatusRank(previous);
    const bool resend =
        request.countAttempt && request.to == CommandStatus::Sent && previous == CommandStatus::Sent;
    if (!forward && !resend)
        return CommandTransition{before, previous, false};

    QString sql = u"UPDATE agent_commands SET updated_at = ?"_s;
    QVariantList values{sqlvalues::time(at)};
    if (forward) {
        sql += u", status = ?"_s;
        values.append(protocol::commandStatusName(request.to));
    }
    if (const QLatin1StringView column = timeColumnOf(request.to); !column.isEmpty()) {
        sql += u", "_s + column + u" = ?"_s;
        values.append(sqlvalues::time(at));
    }
    if (request.to == CommandStatus::Sent) {
        // The completion deadline counts from the first delivery, whatever the resends.
        sql += u", first_sent_at = COALESCE(first_sent_at, ?)"_s;
        values.append(sqlvalues::time(at));
    }
    if (forward && !request.error.isEmpty()) {
        sql += u", error_message = ?"_s;
        values.append(request.error);
    }
    if (forward && !request.result.isEmpty()) {
        sql += u", result = ?"_s;
        values.append(sqlvalues::json(request.result));
    }
    if (request.countAttempt)
        sql += u", attempts = attempts + 1"_s;
    // The condition repeats the check above inside the statement, so that the write can never move
    // a command backwards whatever else ran since the read.
    sql += u" WHERE command_id = ? AND "_s;
    values.append(request.commandId);
    if (forward) {
        sql += kStatusRank + u" < ?"_s;
        values.append(protocol::commandStatusRank(request.to));
        if (request.to == CommandStatus::Cancelled)
            sql += u" AND status = 'pending'"_s;
    } else {
        sql += u"status = 'sent'"_s;
    }
    if (request.onlyFrom) {
        sql += u" AND status = ?"_s;
        values.append(protocol::commandStatusName(*request.onlyFrom));
    }
    auto updated = m_connection.execute(sql, values, u"advance command");
    if (!updated)
        return updated.error();
    const bool changed = forward && updated.value().rowsAffected() > 0;
    auto after = readOne(request.commandId, false);
    if (!after)
        return after.error();
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return CommandTransition{after.value(), previous, changed};
}

Decoded<QList<CommandInfo>> CommandTable::readList(const QString &sql, const QVariantList &values,
                                                   QStringView what)
{
    auto found = m_connection.execute(sql, values, what);
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    QList<CommandInfo> commands;
    while (rows.next())
        commands.append(readCommand(rows));
    return commands;
}

Decoded<QList<CommandInfo>> CommandTable::forAgent(const QString &agentId,
                                                   const QList<CommandStatus> &statuses)
{
    QString sql = u"SELECT "_s + kCommandColumns + u" FROM agent_commands WHERE agent_id = ?"_s;
    if (!statuses.isEmpty()) {
        // Names come from the enum, never from input, so they can be part of the cached statement.
        QStringList names;
        for (CommandStatus status : statuses)
            names.append(u'\'' + protocol::commandStatusName(status) + u'\'');
        names.removeDuplicates();
        sql += u" AND status IN ("_s + names.join(u", "_s) + u')';
    }
    sql += u" ORDER BY id"_s;
    return readList(sql, {agentId}, u"list agent commands");
}

Decoded<QList<CommandInfo>> CommandTable::pendingBefore(const QDateTime &createdBefore, int limit)
{
    return readList(
        u"SELECT "_s + kCommandColumns +
            u" FROM agent_commands WHERE status = 'pending' AND created_at <= ? ORDER BY id LIMIT ?"_s,
        {sqlvalues::time(createdBefore), limit}, u"list pending commands");
}

Decoded<QList<OverdueCommand>> CommandTable::overdue(const CommandDeadlines &deadlines)
{
    // One statement for every deadline: the sweep costs one query whatever the number of actions.
    QString sql = u"SELECT "_s + kCommandColumns +
                  u", first_sent_at FROM agent_commands WHERE status IN ('sent', 'ack') AND ("_s;
    QVariantList values;
    QStringList conditions;
    if (deadlines.ackBefore.isValid()) {
        conditions.append(u"(status = 'sent' AND sent_at <= ?)"_s);
        values.append(sqlvalues::time(deadlines.ackBefore));
    }
    QStringList named;
    for (auto it = deadlines.completeBefore.cbegin(); it != deadlines.completeBefore.cend(); ++it) {
        conditions.append(u"(action = ? AND first_sent_at <= ?)"_s);
        values.append(it.key());
        values.append(sqlvalues::time(it.value()));
        named.append(it.key());
    }
    if (deadlines.defaultCompleteBefore.isValid()) {
        QString other = u"(first_sent_at <= ?"_s;
        values.append(sqlvalues::time(deadlines.defaultCompleteBefore));
        if (!named.isEmpty()) {
            other += u" AND action NOT IN ("_s + QStringList(named.size(), u"?"_s).join(u", "_s) + u')';
            for (const QString &action : std::as_const(named))
                values.append(action);
        }
        conditions.append(other + u')');
    }
    if (conditions.isEmpty())
        return QList<OverdueCommand>{};
    sql += conditions.join(u" OR "_s) + u") ORDER BY id"_s;
    auto found = m_connection.execute(sql, values, u"list overdue commands");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    QList<OverdueCommand> overdue;
    while (rows.next())
        overdue.append(OverdueCommand{readCommand(rows), sqlvalues::toTime(rows.value(15))});
    return overdue;
}

Decoded<QList<CommandInfo>> CommandTable::recent(const QString &orgId, int limit)
{
    if (limit <= 0)
        return QList<CommandInfo>{};
    if (orgId.isEmpty())
        return readList(u"SELECT "_s + kCommandColumns + u" FROM agent_commands ORDER BY id DESC LIMIT ?"_s,
                        {limit}, u"list recent commands");
    return readList(u"SELECT "_s + kCommandColumns +
                        u" FROM agent_commands WHERE org_id = ? ORDER BY id DESC LIMIT ?"_s,
                    {orgId, limit}, u"list recent commands");
}

} // namespace switchboard
