// Agent <-> server frames (StreamSpace v2 compatible): {"type","timestamp","payload"}.
#pragma once

#include "Protocol.h"
#include "Records.h"

#include <QStringList>

namespace switchboard::protocol::agent {

enum class Action { StartSession, StopSession, HibernateSession, WakeSession, StreamLogs, StopLogs };
QString actionName(Action action); // start_session, stop_session, ...
std::optional<Action> actionFromName(QStringView name);
bool isSessionLifecycleAction(Action action); // the four session actions

// Validates a command payload for an action and fills StreamSpace's defaults (start_session:
// namespace streamspace, memory 2Gi, cpu 1000m, persistentHome true; idleTimeout and tags kept
// when given). start_session needs sessionId, user, template; stop/hibernate/wake need sessionId
// (namespace defaults to streamspace); stream_logs needs sessionId (tailLines 0..100000, default
// 100); stop_logs needs sessionId. Unknown fields are dropped. Errors name fields under "payload"
// (e.g. "payload.sessionId").
Decoded<QJsonObject> normalizeCommandPayload(Action action, const QJsonObject &payload);
// Same, naming fields under `path` instead (e.g. "payload.payload" inside an agent frame).
Decoded<QJsonObject> normalizeCommandPayload(Action action, const QJsonObject &payload, const QString &path);

// ---- agent -> server ----
enum class ReportedStatus { Online, Draining };
struct Heartbeat
{
    ReportedStatus status = ReportedStatus::Online;
    int activeSessions = 0;
    Capacity capacity;
};
struct Ack
{
    QString commandId;
};
struct Complete
{
    QString commandId;
    QJsonObject result;
};
struct Failed
{
    QString commandId;
    QString error;
};
struct StatusReport
{
    QString sessionId;
    SessionState state = SessionState::Running;
    bool vncReady = false;
    int vncPort = 0;
    QJsonObject platformMetadata; // podName, podIP, ...
};
struct Pong
{
};
struct LogLines
{
    QString sessionId;
    QStringList lines;
};
using AgentFrame = std::variant<Heartbeat, Ack, Complete, Failed, StatusReport, Pong, LogLines>;

// Decodes one text frame from an agent. Errors name the field (e.g. "payload.commandId").
Decoded<AgentFrame> decodeAgentFrame(QByteArrayView json);
QByteArray encodeAgentFrame(const AgentFrame &frame, const QDateTime &timestamp);
QString agentFrameTypeName(const AgentFrame &frame); // heartbeat, ack, complete, failed, status, pong, log

// ---- server -> agent ----
struct Command
{
    QString commandId;
    Action action = Action::StartSession;
    QJsonObject payload;
};
struct Shutdown
{
    QString reason;
};
struct Ping
{
};
// An operator's message to every agent (agents.broadcast); agents log it.
struct Notice
{
    QString message;
};
struct ErrorFrame
{
    Error error;
};
using ServerFrame = std::variant<Command, Shutdown, Ping, Notice, ErrorFrame>;

QByteArray encodeServerFrame(const ServerFrame &frame, const QDateTime &timestamp);
// {"type":"error","timestamp","payload":{"code","message"}}
QByteArray encodeError(const Error &error, const QDateTime &timestamp);
// Used by the agent simulator and the load tool.
Decoded<ServerFrame> decodeServerFrame(QByteArrayView json);

} // namespace switchboard::protocol::agent
