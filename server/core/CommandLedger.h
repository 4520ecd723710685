// CommandLedger: the only writer of command status. It persists commands before anything is
// sent, delivers them to connected agents (and the pending ones when an agent connects, in
// creation order), and advances status monotonically from the agents' ack/complete/failed.
#pragma once

#include "shared/AgentProtocol.h"
#include "shared/Records.h"

#include <QFuture>
#include <QHash>
#include <QObject>

namespace switchboard {

class AgentHub;
class Store;

class CommandLedger : public QObject
{
    Q_OBJECT
public:
    CommandLedger(Store *store, AgentHub *agents, QObject *parent = nullptr);

    static QString newCommandId(); // "cmd-" + 16 random hex digits

    // Builds (payload normalised), persists (pending) and, if the agent is connected here, delivers a
    // command. The future finishes on this object's thread once the command is stored: continue
    // with then(), never block on it from this thread.
    QFuture<protocol::Decoded<protocol::CommandInfo>> issue(const QString &agentId, const QString &orgId,
                                                            protocol::agent::Action action,
                                                            const QJsonObject &payload,
                                                            const QString &sessionId = {});
    // Announces (commandUpdated) and delivers a command that was just persisted by someone else
    // (e.g. created together with its session); it stays pending if its agent is not connected.
    void deliver(const protocol::CommandInfo &command);

Q_SIGNALS:
    // Every persisted status change (admin deltas).
    void commandUpdated(const protocol::CommandInfo &command);
    // Once per command, when it reaches completed or failed (SessionService closes the loop).
    void commandFinished(const protocol::CommandInfo &command);

private:
    void deliverPending(const protocol::AgentInfo &agent);
    // Sends the command frame and, if it went out, records the delivery (pending -> sent).
    bool send(const protocol::CommandInfo &command);
    void advance(const QString &agentId, const QString &commandId, protocol::CommandStatus to,
                 const QString &error, const QJsonObject &result, bool countAttempt = false);

    Store *m_store;
    AgentHub *m_agents;
    // Agents whose pending commands are being read: a command created before that read finishes
    // is part of its answer and is sent from there, in creation order.
    QHash<QString, int> m_pendingReads;
};

} // namespace switchboard
