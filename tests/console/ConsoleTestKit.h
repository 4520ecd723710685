// Helpers for the console tests: sample records, a running agent simulator process, and a
// server that can be stopped and started again on the same port and database.
#pragma once

#include "shared/BrowserProtocol.h"
#include "shared/Records.h"

#include <QProcess>
#include <QTemporaryDir>

#include <memory>

namespace switchboard::console::test {

using namespace Qt::StringLiterals;

inline protocol::AgentInfo sampleAgent(const QString &agentId, const QString &orgId = u"acme"_s,
                                       protocol::AgentStatus status = protocol::AgentStatus::Online,
                                       protocol::ApprovalStatus approval = protocol::ApprovalStatus::Approved)
{
    protocol::AgentInfo agent;
    agent.agentId = agentId;
    agent.orgId = orgId;
    agent.platform = protocol::Platform::Docker;
    agent.region = u"eu-west-1"_s;
    agent.status = status;
    agent.approvalStatus = approval;
    agent.capacity.maxSessions = 10;
    agent.capacity.cpu = u"8 cores"_s;
    agent.capacity.memory = u"32Gi"_s;
    agent.replica = u"sb-0"_s;
    agent.lastHeartbeat = QDateTime(QDate(2025, 12, 4), QTime(10, 0), Qt::UTC);
    return agent;
}

inline protocol::CommandInfo sampleCommand(const QString &commandId, protocol::CommandStatus status,
                                           const QDateTime &created = QDateTime(QDate(2025, 12, 4),
                                                                                QTime(10, 0), Qt::UTC))
{
    protocol::CommandInfo command;
    command.commandId = commandId;
    command.agentId = u"k8s-1"_s;
    command.orgId = u"acme"_s;
    command.sessionId = u"alice-firefox-1"_s;
    command.action = u"start_session"_s;
    command.status = status;
    command.createdAt = created;
    command.updatedAt = created;
    return command;
}

inline protocol::browser::SessionEvent sampleEvent(protocol::browser::EventType type,
                                                   const QString &sessionId, const QString &orgId = u"acme"_s,
                                                   const QString &userId = u"alice"_s,
                                                   const QJsonObject &data = {})
{
    protocol::browser::SessionEvent event;
    event.type = type;
    event.sessionId = sessionId;
    event.userId = userId;
    event.orgId = orgId;
    event.timestamp = QDateTime(QDate(2025, 12, 4), QTime(10, 0), Qt::UTC);
    event.data = data;
    return event;
}

#ifdef SWITCHBOARD_AGENT_BINARY
// Starts the real agent simulator for one agent, heartbeating fast.
inline std::unique_ptr<QProcess> startAgent(quint16 port, const QString &agentId, const QByteArray &apiKey,
                                            const QStringList &extra = {})
{
    auto process = std::make_unique<QProcess>();
    process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process->setStandardOutputFile(QProcess::nullDevice());
    process->start(QStringLiteral(SWITCHBOARD_AGENT_BINARY),
                   QStringList{u"--server"_s, u"http://127.0.0.1:%1"_s.arg(port), u"--agent-id"_s, agentId,
                               u"--api-key"_s, QString::fromLatin1(apiKey), u"--heartbeat-interval"_s,
                               u"0.5"_s, u"--start-delay"_s, u"0.1"_s, u"--stop-delay"_s, u"0.1"_s,
                               u"--quiet"_s} +
                       extra);
    process->waitForStarted();
    return process;
}

inline void stopAgent(QProcess *process)
{
    if (!process || process->state() == QProcess::NotRunning)
        return;
    process->terminate();
    if (!process->waitForFinished(5000)) {
        process->kill();
        process->waitForFinished(5000);
    }
}
#endif

} // namespace switchboard::console::test
