#include "core/CommandLedger.h"
#include "logging/StructuredLog.h"

#include "cluster/CommandRouter.h"
#include "config/Settings.h"
#include "core/AgentHub.h"
#include "core/Continuation.h"
#include "storage/Store.h"

#include <algorithm>

#include <QLoggingCategory>
#include <QRandomGenerator>

Q_LOGGING_CATEGORY(lcCommands, "switchboard.commands")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::CommandInfo;
using protocol::CommandStatus;
using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;
using protocol::agent::Action;
using std::chrono::milliseconds;

CommandLedger::Config CommandLedger::Config::fromDelivery(const Delivery &delivery)
{
    Config config;
    config.ackTimeout = delivery.ackTimeout();
    config.maxAttempts = std::max(1, delivery.maxAttempts);
    config.startCompleteTimeout = delivery.startCompleteTimeout();
    config.stopCompleteTimeout = delivery.stopCompleteTimeout();
    config.hibernateCompleteTimeout = delivery.hibernateCompleteTimeout();
    config.wakeCompleteTimeout = delivery.wakeCompleteTimeout();
    config.logsCompleteTimeout = delivery.logsCompleteTimeout();
    return config;
}

milliseconds CommandLedger::Config::completeTimeout(Action action) const
{
    switch (action) {
    case Action::StartSession:
        return startCompleteTimeout;
    case Action::StopSession:
        return stopCompleteTimeout;
    case Action::HibernateSession:
        return hibernateCompleteTimeout;
    case Action::WakeSession:
        return wakeCompleteTimeout;
    case Action::StreamLogs:
    case Action::StopLogs:
        return logsCompleteTimeout;
    }
    return startCompleteTimeout;
}

milliseconds CommandLedger::Config::sweepInterval() const
{
    const milliseconds smallest =
        std::min({ackTimeout, startCompleteTimeout, stopCompleteTimeout, hibernateCompleteTimeout,
                  wakeCompleteTimeout, logsCompleteTimeout});
    // A deadline is overshot by at most a quarter of itself; never busier than once a second in
    // production, never lazier than every 5 s.
    const milliseconds floor = smallest >= milliseconds(4000) ? milliseconds(1000) : milliseconds(50);
    return std::clamp(smallest / 4, floor, milliseconds(5000));
}

CommandLedger::CommandLedger(Store *store, AgentHub *agents, QObject *parent)
    : CommandLedger(store, agents, Config{}, parent)
{}

CommandLedger::CommandLedger(Store *store, AgentHub *agents, const Config &config, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_agents(agents)
    , m_config(config)
{
    Q_ASSERT(m_store && m_agents);
    m_sweepTimer.setInterval(m_config.sweepInterval());
    connect(&m_sweepTimer, &QTimer::timeout, this, &CommandLedger::sweepOverdue);
    m_sweepTimer.start();
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

void CommandLedger::setRouter(CommandRouter *router)
{
    m_router = router;
    if (!router) {
        m_pendingTimer.stop();
        return;
    }
    m_pendingTimer.setInterval(m_config.pendingSweepInterval);
    connect(&m_pendingTimer, &QTimer::timeout, this, &CommandLedger::sweepPending, Qt::UniqueConnection);
    m_pendingTimer.start();
}

void CommandLedger::noteRoutedDelivery(const QString &commandId)
{
    m_routedHere.insert(commandId, QDateTime::currentDateTimeUtc());
}

void CommandLedger::sweepPending()
{
    if (m_sweepingPending)
        return;
    m_sweepingPending = true;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    // Forgotten once an ack would long have moved them on (or the agent never acks: then they
    // go out again, at least once).
    const QDateTime forgetBefore = now.addMSecs(-std::max<qint64>(m_config.ackTimeout.count(), 60000));
    for (auto it = m_routedHere.begin(); it != m_routedHere.end();)
        it = it.value() < forgetBefore ? m_routedHere.erase(it) : std::next(it);
    constexpr int kBatch = 500;
    onFinished(
        m_store->pendingCommands(now.addMSecs(-m_config.pendingMinAge.count()), kBatch), this,
        [this](const Decoded<QList<CommandInfo>> &pending) {
            m_sweepingPending = false;
            if (!pending) {
                qCWarning(lcCommands) << "could not read pending commands:" << pending.error().message;
                return;
            }
            int sent = 0;
            for (const CommandInfo &command : pending.value()) {
                // Only where the agent is: every replica runs this sweep on the same rows.
                if (!m_agents->isAgentConnected(command.agentId) ||
                    m_routedHere.contains(command.commandId) || m_pendingReads.value(command.agentId) > 0)
                    continue;
                sent += sendLocal(command) ? 1 : 0;
            }
            if (sent > 0)
                qCInfo(lcCommands) << "sent" << sent << "commands left pending to agents connected here";
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
        const CommandInfo &stored = created.value();
        logging::logWithFields(lcCommands(), QtInfoMsg, u"command created"_s,
                               {{u"commandId"_s, stored.commandId},
                                {u"action"_s, stored.action},
                                {u"agentId"_s, stored.agentId},
                                {u"orgId"_s, stored.orgId},
                                {u"sessionId"_s, stored.sessionId}});
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
    if (!m_router || m_agents->isAgentConnected(command.agentId))
        return sendLocal(command);
    if (m_cancelling.contains(command.commandId)) {
        qCInfo(lcCommands) << "command" << command.commandId << "is being cancelled; not sent";
        return true;
    }
    const std::optional<protocol::agent::Action> action = protocol::agent::actionFromName(command.action);
    if (!action) {
        qCWarning(lcCommands) << "command" << command.commandId << "has an unknown action" << command.action
                              << "and cannot be delivered";
        return false;
    }
    route(command, *action);
    return true;
}

bool CommandLedger::sendLocal(const CommandInfo &command)
{
    if (m_cancelling.contains(command.commandId)) {
        qCInfo(lcCommands) << "command" << command.commandId << "is being cancelled; not sent";
        return true; // not a reason to stop delivering the agent's other commands
    }
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

void CommandLedger::route(const CommandInfo &command, Action action)
{
    const QString agentId = command.agentId;
    const QString commandId = command.commandId;
    onFinished(m_router->deliver(agentId, {commandId, action, command.payload}), this,
               [this, agentId, commandId](const RouteResult &result) {
                   if (!result.delivered()) {
                       qCInfo(lcCommands)
                           << "command" << commandId << "for agent" << agentId
                           << "not delivered through the cluster (" << routeStatusName(result.status)
                           << result.error << "); it stays as it is until the agent connects";
                       return;
                   }
                   // The agent may already have acknowledged it on the other replica: the
                   // monotonic status update keeps the later state.
                   advance(agentId, commandId, CommandStatus::Sent, {}, {}, true);
               });
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
                       // Local only: this runs where the agent just connected.
                       if (!sendLocal(command)) {
                           qCInfo(lcCommands)
                               << "agent" << agentId << "left during delivery; the rest stays pending";
                           return;
                       }
                   }
               });
}

void CommandLedger::advance(const QString &agentId, const QString &commandId, CommandStatus to,
                            const QString &error, const QJsonObject &result, bool countAttempt,
                            std::optional<CommandStatus> onlyFrom)
{
    Store::CommandTransitionRequest request;
    request.commandId = commandId;
    request.agentId = agentId;
    request.to = to;
    request.error = error;
    request.result = result;
    request.at = QDateTime::currentDateTimeUtc();
    request.countAttempt = countAttempt;
    request.onlyFrom = onlyFrom;
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
                   logging::logWithFields(lcCommands(), QtInfoMsg, u"command status changed"_s,
                                          {{u"commandId"_s, commandId},
                                           {u"agentId"_s, done.command.agentId},
                                           {u"orgId"_s, done.command.orgId},
                                           {u"sessionId"_s, done.command.sessionId},
                                           {u"action"_s, done.command.action},
                                           {u"from"_s, protocol::commandStatusName(done.previous)},
                                           {u"status"_s, protocol::commandStatusName(done.command.status)}});
                   announce(done.command);
               });
}

void CommandLedger::announce(const CommandInfo &command)
{
    Q_EMIT commandUpdated(command);
    if (protocol::isFinalCommandStatus(command.status))
        Q_EMIT commandFinished(command);
}

QFuture<Decoded<CommandInfo>> CommandLedger::cancel(const QString &commandId)
{
    Store::CommandTransitionRequest request;
    request.commandId = commandId;
    request.to = CommandStatus::Cancelled;
    request.at = QDateTime::currentDateTimeUtc();
    // Only a pending command may go; the SQL re-checks it, so a send that won the race stays sent.
    request.onlyFrom = CommandStatus::Pending;
    m_cancelling.insert(commandId);
    return continueOn(
        m_store->advanceCommand(request), this,
        [this, commandId](Decoded<Store::CommandTransition> transition) -> Decoded<CommandInfo> {
            m_cancelling.remove(commandId);
            if (!transition) {
                qCInfo(lcCommands) << "command" << commandId
                                   << "not cancelled:" << transition.error().message;
                return transition.error();
            }
            const Store::CommandTransition &done = transition.value();
            if (!done.changed) {
                // Held back while the cancel was being written: it goes out now after all.
                if (done.command.status == CommandStatus::Pending &&
                    m_pendingReads.value(done.command.agentId) == 0)
                    send(done.command);
                return Error{ErrorCode::Conflict,
                             u"command %1 is %2; only pending commands can be cancelled"_s.arg(
                                 commandId, protocol::commandStatusName(done.command.status)),
                             u"commandId"_s,
                             {}};
            }
            qCInfo(lcCommands) << "command" << commandId << "cancelled";
            announce(done.command);
            return done.command;
        });
}

void CommandLedger::sweepOverdue()
{
    if (m_sweeping)
        return; // the previous sweep's query has not answered yet
    m_sweeping = true;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Store::CommandDeadlines deadlines;
    deadlines.ackBefore = now.addMSecs(-m_config.ackTimeout.count());
    for (Action action : {Action::StartSession, Action::StopSession, Action::HibernateSession,
                          Action::WakeSession, Action::StreamLogs, Action::StopLogs})
        deadlines.completeBefore.insert(protocol::agent::actionName(action),
                                        now.addMSecs(-m_config.completeTimeout(action).count()));
    // An action this server does not know (a newer replica's) gets the longest deadline.
    deadlines.defaultCompleteBefore =
        now.addMSecs(-std::max({m_config.startCompleteTimeout, m_config.stopCompleteTimeout,
                                m_config.hibernateCompleteTimeout, m_config.wakeCompleteTimeout,
                                m_config.logsCompleteTimeout})
                          .count());
    onFinished(m_store->overdueCommands(deadlines), this,
               [this, now](const Decoded<QList<OverdueCommand>> &overdue) {
                   m_sweeping = false;
                   if (!overdue) {
                       qCWarning(lcCommands) << "could not read overdue commands:" << overdue.error().message;
                       return;
                   }
                   for (const OverdueCommand &command : overdue.value())
                       handleOverdue(command, now);
               });
}

void CommandLedger::handleOverdue(const OverdueCommand &overdue, const QDateTime &now)
{
    const CommandInfo &command = overdue.command;
    const std::optional<Action> action = protocol::agent::actionFromName(command.action);
    const milliseconds completeTimeout =
        action ? m_config.completeTimeout(*action)
               : std::max({m_config.startCompleteTimeout, m_config.stopCompleteTimeout,
                           m_config.hibernateCompleteTimeout, m_config.wakeCompleteTimeout,
                           m_config.logsCompleteTimeout});
    if (overdue.firstSentAt.isValid() && overdue.firstSentAt.addMSecs(completeTimeout.count()) <= now) {
        qCWarning(lcCommands) << "command" << command.commandId << command.action << "not finished"
                              << completeTimeout.count() << "ms after it was first sent; failed (timeout)";
        // The rank guard keeps a completion that arrived meanwhile.
        advance(command.agentId, command.commandId, CommandStatus::Failed, kTimeoutError, {});
        return;
    }
    if (command.status != CommandStatus::Sent)
        return;
    if (command.attempts >= m_config.maxAttempts) {
        qCWarning(lcCommands) << "command" << command.commandId << "not acknowledged after"
                              << command.attempts << "sends; failed (ack_timeout)";
        // Only if still unacknowledged: an ack that arrived since the read wins.
        advance(command.agentId, command.commandId, CommandStatus::Failed, kAckTimeoutError, {}, false,
                CommandStatus::Sent);
        return;
    }
    // Every replica's sweep reads the same overdue commands from the shared database: only the
    // one holding the agent resends (routing from all of them would multiply the resends).
    if (!m_agents->isAgentConnected(command.agentId))
        return; // sent again when the agent connects (deliverPending)
    qCInfo(lcCommands) << "command" << command.commandId << "not acknowledged; sending it again (attempt"
                       << command.attempts + 1 << "of" << m_config.maxAttempts << ")";
    send(command);
}

} // namespace switchboard
