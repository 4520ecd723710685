// The things the protocol talks about (agents, commands, sessions, organisations), as plain values
// with their JSON form. The server, the console and tests all use these same encodings.
#pragma once

#include "Protocol.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace switchboard::protocol {

enum class Platform { Kubernetes, Docker, Vm, Cloud };
QString platformName(Platform platform);
std::optional<Platform> platformFromName(QStringView name);

// What the server knows of an agent's liveness. Online/Draining come from heartbeats; Stale is
// the moment the sweep gave up on it; Offline is "not connected".
enum class AgentStatus { Online, Draining, Stale, Offline };
QString agentStatusName(AgentStatus status);
std::optional<AgentStatus> agentStatusFromName(QStringView name);

enum class ApprovalStatus { Approved, Pending, Rejected };
QString approvalStatusName(ApprovalStatus status);
std::optional<ApprovalStatus> approvalStatusFromName(QStringView name);

// pending -> sent -> ack -> completed | failed; cancelled only from pending. Never backwards.
enum class CommandStatus { Pending, Sent, Ack, Completed, Failed, Cancelled };
QString commandStatusName(CommandStatus status);
std::optional<CommandStatus> commandStatusFromName(QStringView name);
int commandStatusRank(CommandStatus status); // pending 0, sent 1, ack 2, completed/failed/cancelled 3
bool isFinalCommandStatus(CommandStatus status);

struct Capacity
{
    int maxSessions = 0;
    QString cpu;
    QString memory;
    QString storage; // optional
    QJsonObject toJson() const;
    static Decoded<Capacity> fromJson(const QJsonObject &object, const QString &path = {});
    bool operator==(const Capacity &) const = default;
};

struct AgentInfo
{
    QString agentId;
    QString orgId;
    Platform platform = Platform::Kubernetes;
    QString region;
    AgentStatus status = AgentStatus::Offline;
    ApprovalStatus approvalStatus = ApprovalStatus::Approved;
    Capacity capacity;
    int activeSessions = 0;
    QDateTime lastHeartbeat; // invalid = never
    QString replica;         // which server replica holds its connection; empty when offline
    QJsonObject metadata;
    QDateTime createdAt;
    QJsonObject toJson() const; // agentId, orgId, platform, region, status, approvalStatus, capacity,
                                // activeSessions, lastHeartbeat, replica, metadata, createdAt
    static Decoded<AgentInfo> fromJson(const QJsonObject &object);
};

struct CommandInfo
{
    QString commandId;
    QString agentId;
    QString orgId;
    QString sessionId; // empty when the action has none
    QString action;    // wire name, e.g. start_session
    QJsonObject payload;
    CommandStatus status = CommandStatus::Pending;
    QString error;
    QJsonObject result;
    int attempts = 0;
    QDateTime createdAt;
    QDateTime sentAt;
    QDateTime acknowledgedAt;
    QDateTime completedAt;
    QDateTime updatedAt;
    QJsonObject toJson() const;
    static Decoded<CommandInfo> fromJson(const QJsonObject &object);
};

struct SessionInfo
{
    QString sessionId;
    QString orgId;
    QString userId;
    QString templateName;
    SessionState state = SessionState::Pending;
    QString agentId;
    QString platform;
    QString namespaceName;
    QString podName;
    QString url;
    QString memory;
    QString cpu;
    int idleTimeoutSeconds = 0; // 0 = unknown
    QDateTime lastActivity;
    QStringList tags;
    int activeConnections = 0;
    QString terminationReason;
    QDateTime createdAt;
    QDateTime updatedAt;
    // StreamSpace's sessions_update item: name, namespace, user, template, state, createdAt,
    // activeConnections, status{phase,podName?,url?}, resources{memory,cpu}, platform, agent_id,
    // lastActivity/idleDuration/idleThreshold/isIdle/isActive when known.
    QJsonObject toSessionsUpdateJson(const QDateTime &now) const;
    // The full record (camelCase), used in events' data and on the admin stream.
    QJsonObject toJson() const;
    static Decoded<SessionInfo> fromJson(const QJsonObject &object);
};

struct OrgInfo
{
    QString orgId;
    QString name;
    int clients = 0; // connected browser clients
    QJsonObject toJson() const;
    static Decoded<OrgInfo> fromJson(const QJsonObject &object);
};

} // namespace switchboard::protocol
