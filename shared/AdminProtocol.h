// The admin stream (/api/v1/ws/admin): snapshot, live deltas and requests with a requestId.
// Replies and errors use browser::encodeReply / browser::encodeError.
#pragma once

#include "AgentProtocol.h"
#include "BrowserProtocol.h"
#include "Records.h"

namespace switchboard::protocol::admin {

// ---- requests ----
struct CommandSend // command.send
{
    QString agentId;
    agent::Action action = agent::Action::StartSession;
    QJsonObject payload; // normalised with agent::normalizeCommandPayload
};
struct SessionStart // session.start
{
    QString orgId;
    QString userId;
    QString templateName; // "template" on the wire
    QString agentId;      // optional
    QString memory;       // optional, default 2Gi
    QString cpu;          // optional, default 1000m
};
struct SessionControl // session.stop | session.hibernate | session.wake
{
    agent::Action action = agent::Action::StopSession;
    QString sessionId;
};
struct OrgBroadcast // org.broadcast
{
    QString orgId;
    QJsonValue data; // any JSON value, at most browser::kMaxEventDataBytes encoded
};
struct AgentsBroadcast // agents.broadcast
{
    QString message;        // delivered as shutdown{reason} when shutdown is true, else as notice{message}
    QString excludeAgentId; // optional
    bool shutdown = false;
};
struct AgentDecision // agent.approve | agent.reject
{
    QString agentId;
    bool approve = true;
};
struct CommandCancel // command.cancel: a command still pending becomes cancelled
{
    QString commandId;
};
using Request = std::variant<CommandSend, SessionStart, SessionControl, OrgBroadcast, AgentsBroadcast,
                             AgentDecision, CommandCancel>;
struct RequestMessage
{
    QString requestId; // required on the admin stream
    Request request;
};
QString requestTypeName(const Request &request);
Decoded<RequestMessage> decodeRequest(QByteArrayView json);
QByteArray encodeRequest(const RequestMessage &message);

// ---- server -> admin ----
// {"type":"snapshot","timestamp","agents":[...],"orgs":[...],"commands":[...]}
QByteArray encodeSnapshot(const QList<AgentInfo> &agents, const QList<OrgInfo> &orgs,
                          const QList<CommandInfo> &commands, const QDateTime &now);
QByteArray encodeAgentUpdated(const AgentInfo &agent);       // {"type":"agent.updated","agent":{...}}
QByteArray encodeAgentRemoved(const QString &agentId);       // {"type":"agent.removed","agentId"}
QByteArray encodeOrgUpdated(const OrgInfo &org);             // {"type":"org.updated","org":{...}}
QByteArray encodeCommandUpdated(const CommandInfo &command); // {"type":"command.updated","command":{...}}

} // namespace switchboard::protocol::admin
