#include "core/CommandLedger.h"

#include "core/AgentHub.h"
#include "core/Continuation.h"
#include "storage/Store.h"

#include <QLoggingCategory>
#include <QRandomGenerator>

Q_LOGGING_CATEGORY(lcCommands, "switchboard.commands")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::CommandInfo;
using protocol::CommandStatus;
using protocol::Decoded;

CommandLedger::CommandLedger(Store *store, AgentHub *agents, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_agents(agents)
{
    Q_ASSERT(m_store && m_agents);
    connect(m_agents, &AgentHub::agentConnected, this, &CommandLedger::deliverPending);
    connect(m_agents, &AgentHub::commandAcknowledged, this,
            [this](const QString &agentId, const QString &commandId) {
                advance(agentId, commandId, CommandStatus::Ack, {}, {});
            });
    connect(m_agents, &AgentHub::commandCompleted, this,
            [this](const QString &agentId, const QString &commandId, const QJsonObject &result) {
                advance(agentId, commandId, CommandStatus::Completed, {}, result);
            });
    connect(m_agents, &AgentHub::commandFailed, this,
            [this](const QString &agentId, const QString &commandId, const QString &error) {
                // An agent may fail without saying why; the stored error must still explain it.
                advance(agentId, commandId, CommandStatus::Failed,
                        error.isEmpty() ? u"the agent reported a failure without a reason"_s : error, {});
            });
}

QString CommandLedger::newCommandId()
{
    return u"cmd-"_s + QString::number(QRandomGenerator::system()->generate64(), 16).rightJustified(16, u'0');
}

QFuture<Decoded<CommandInfo>> CommandLedger::issue(const QString &agentId, const QString &orgId,
                                                   protocol::agent::Action action, const QJsonObject &payload,
                                                   const QString &sessionId)
{
    Decoded<QJsonObject> normalized = protocol::agent::normalizeCommandPayload(action, payload);
    if (!normalized)
        return readyFuture(Decoded<CommandInfo>(normalized.error()));

    CommandInfo command;
    command.commandId = newCommandId();
    command.agentId = agentId;
    command.orgId = orgId;
    command.sessionId = sessionId;
    command.action = protocol::agent::actionName(action);
    command.payload = std::move(normalized).value();
    command.status = CommandStatus::Pending;
    return continueOn(m_store->createCommand(command), this, [this](Decoded<CommandInfo> created) {
        if (!created) {
            qCWarning(lcCommands) << "could not create a command:" << created.error().message;
            return created;
        }
        qCInfo(lcCommands) << "command" << created.value().commandId << created.value().action << "for agent"
                           << created.value().agentId << "created";
        deliver(created.value());
        return created;
    });
}

void CommandLedger::deliver(const CommandInfo &command)
{
    Q_EMIT commandUpdated(command);
    if (command.status != CommandStatus::Pending && command.status != CommandStatus::Sent)
        return;
    if (m_pendingReads.value(command.agentId) > 0) {
        // The agent just connected and its pending commands are being read: that answer includes
        // this command (storage runs jobs in order), which is sent from there in creation order.
        qCDebug(lcCommands) << "command" << command.commandId << "goes out with agent" << command.agentId
                            << "'s pending commands";
        return;
    }
    if (!send(command))
        qCInfo(lcCommands) << "agent" << command.agentId << "is not connected here; command"
                           << command.commandId << "stays pending until it connects";
}

bool CommandLedger::send(const CommandInfo &command)
{
    const std::optional<protocol::agent::Action> action = protocol::agent::actionFromName(command.action);
    if (!action) {
        qCWarning(lcCommands) << "command" << command.commandId << "has an unknown action" << command.action
                              << "and cannot be delivered";
        return false;
    }
    if (!m_agents->sendCommandToAgent(command.agentId, {command.commandId, *action, command.payload}))
        return false;
    // Queued right after the frame: whatever the agent answers is written after this.
    advance(command.agentId, command.commandId, CommandStatus::Sent, {}, {}, true);
    return true;
}

void CommandLedger::deliverPending(const protocol::AgentInfo &agent)
{
    const QString agentId = agent.agentId;
    ++m_pendingReads[agentId];
    // Sent but never acknowledged ones go again: delivery is at least once, agents dedupe by id.
    onFinished(m_store->commandsForAgent(agentId, {CommandStatus::Pending, CommandStatus::Sent}), this,
               [this, agentId](const Decoded<QList<CommandInfo>> &commands) {
                   if (--m_pendingReads[agentId] <= 0)
                       m_pendingReads.remove(agentId);
                   if (!commands) {
                       qCWarning(lcCommands) << "could not read the pending commands of agent" << agentId
                                             << ":" << commands.error().message;
                       return;
                   }
                   if (commands.value().isEmpty())
                       return;
                   qCInfo(lcCommands)
                       << "delivering" << commands.value().size() << "waiting commands to agent" << agentId;
                   for (const CommandInfo &command : commands.value()) {
                       if (!send(command)) {
                           qCInfo(lcCommands)
                               << "agent" << agentId << "left during delivery; the rest stays pending";
                           return;
                       }
                   }
               });
}

void CommandLedger::advance(const QString &agentId, const QString &commandId, CommandStatus to,
                            const QString &error, const QJsonObject &result, bool countAttempt)
{
    Store::CommandTransitionRequest request;
    request.commandId = commandId;
    request.agentId = agentId;
    request.to = to;
    request.error = error;
    request.result = result;
    request.at = QDateTime::currentDateTimeUtc();
    request.countAttempt = countAttempt;
    onFinished(m_store->advanceCommand(request), this,
               [this, agentId, commandId, to](const Decoded<Store::CommandTransition> &transition) {
                   if (!transition) {
                       const protocol::Error &failure = transition.error();
                       if (failure.code == protocol::ErrorCode::NotFound) {
                           // Unknown, or another agent's: the agent learns which of its messages was refused.
                           qCWarning(lcCommands)
                               << "agent" << agentId << "reported" << protocol::commandStatusName(to)
                               << "for command" << commandId << "which is not one of its commands";
                           m_agents->sendError(agentId,
                                               {protocol::ErrorCode::NotFound,
                                                u"payload.commandId: command \"%1\" is not a command of "
                                                u"agent %2"_s.arg(commandId, agentId),
                                                u"payload.commandId"_s,
                                                {}});
                       } else {
                           qCWarning(lcCommands) << "could not move command" << commandId << "to"
                                                 << protocol::commandStatusName(to) << ":" << failure.message;
                       }
                       return;
                   }
                   const Store::CommandTransition &done = transition.value();
                   if (!done.changed) {
                       qCDebug(lcCommands) << "command" << commandId << "stays"
                                           << protocol::commandStatusName(done.command.status) << "("
                                           << protocol::commandStatusName(to) << "arrived late)";
                       return;
                   }
                   qCDebug(lcCommands) << "command" << commandId << protocol::commandStatusName(done.previous)
                                       << "->" << protocol::commandStatusName(done.command.status);
                   Q_EMIT commandUpdated(done.command);
                   if (done.command.status == CommandStatus::Completed ||
                       done.command.status == CommandStatus::Failed)
                       Q_EMIT commandFinished(done.command);
               });
}

} // namespace switchboard
