#include "Records.h"

#include "JsonReader.h"
#include "JsonWriter.h"
#include "WireSupport.h"

#include <QJsonArray>

#include <array>
#include <limits>

using namespace Qt::StringLiterals;

namespace switchboard::protocol {

namespace {

using detail::nameIn;
using detail::readEnum;
using detail::valueIn;

constexpr std::array kPlatforms{
    std::pair{Platform::Kubernetes, "kubernetes"_L1},
    std::pair{Platform::Docker, "docker"_L1},
    std::pair{Platform::Vm, "vm"_L1},
    std::pair{Platform::Cloud, "cloud"_L1},
};
constexpr std::array kAgentStatuses{
    std::pair{AgentStatus::Online, "online"_L1},
    std::pair{AgentStatus::Draining, "draining"_L1},
    std::pair{AgentStatus::Stale, "stale"_L1},
    std::pair{AgentStatus::Offline, "offline"_L1},
};
constexpr std::array kApprovalStatuses{
    std::pair{ApprovalStatus::Approved, "approved"_L1},
    std::pair{ApprovalStatus::Pending, "pending"_L1},
    std::pair{ApprovalStatus::Rejected, "rejected"_L1},
};
constexpr std::array kCommandStatuses{
    std::pair{CommandStatus::Pending, "pending"_L1}, std::pair{CommandStatus::Sent, "sent"_L1},
    std::pair{CommandStatus::Ack, "ack"_L1},         std::pair{CommandStatus::Completed, "completed"_L1},
    std::pair{CommandStatus::Failed, "failed"_L1},   std::pair{CommandStatus::Cancelled, "cancelled"_L1},
};

void insertTime(QJsonObject &object, QLatin1StringView key, const QDateTime &time)
{
    if (time.isValid())
        object.insert(key, formatTimestamp(time));
}

constexpr qint64 kMaxCount = 1000000;
constexpr qsizetype kMaxIdLength = 256;
constexpr qsizetype kMaxErrorLength = 4096;

} // namespace

QString platformName(Platform platform)
{
    return nameIn(kPlatforms, platform);
}
std::optional<Platform> platformFromName(QStringView name)
{
    return valueIn(kPlatforms, name);
}
QString agentStatusName(AgentStatus status)
{
    return nameIn(kAgentStatuses, status);
}
std::optional<AgentStatus> agentStatusFromName(QStringView name)
{
    return valueIn(kAgentStatuses, name);
}
QString approvalStatusName(ApprovalStatus status)
{
    return nameIn(kApprovalStatuses, status);
}
std::optional<ApprovalStatus> approvalStatusFromName(QStringView name)
{
    return valueIn(kApprovalStatuses, name);
}
QString commandStatusName(CommandStatus status)
{
    return nameIn(kCommandStatuses, status);
}
std::optional<CommandStatus> commandStatusFromName(QStringView name)
{
    return valueIn(kCommandStatuses, name);
}

int commandStatusRank(CommandStatus status)
{
    switch (status) {
    case CommandStatus::Pending:
        return 0;
    case CommandStatus::Sent:
        return 1;
    case CommandStatus::Ack:
        return 2;
    case CommandStatus::Completed:
    case CommandStatus::Failed:
    case CommandStatus::Cancelled:
        return 3;
    }
    return 3;
}

bool isFinalCommandStatus(CommandStatus status)
{
    return commandStatusRank(status) == 3;
}

// ---- Capacity ----

QJsonObject Capacity::toJson() const
{
    QJsonObject object{
        {u"maxSessions"_s, maxSessions},
        {u"cpu"_s, cpu},
        {u"memory"_s, memory},
    };
    if (!storage.isEmpty())
        object.insert("storage"_L1, storage);
    return object;
}

Decoded<Capacity> Capacity::fromJson(const QJsonObject &object, const QString &path)
{
    JsonReader reader(object, path);
    Capacity capacity;
    capacity.maxSessions = static_cast<int>(reader.requiredInt(u"maxSessions"_s, 0, kMaxCount));
    capacity.cpu = reader.requiredString(u"cpu"_s, 0, 64);
    capacity.memory = reader.requiredString(u"memory"_s, 0, 64);
    capacity.storage = reader.optionalString(u"storage"_s, {}, 64);
    if (!reader.ok())
        return reader.error();
    return capacity;
}

// ---- AgentInfo ----

QJsonObject AgentInfo::toJson() const
{
    QJsonObject object{
        {u"agentId"_s, agentId},
        {u"orgId"_s, orgId},
        {u"platform"_s, platformName(platform)},
        {u"region"_s, region},
        {u"status"_s, agentStatusName(status)},
        {u"approvalStatus"_s, approvalStatusName(approvalStatus)},
        {u"capacity"_s, capacity.toJson()},
        {u"activeSessions"_s, activeSessions},
        {u"replica"_s, replica},
        {u"metadata"_s, metadata},
    };
    insertTime(object, "lastHeartbeat"_L1, lastHeartbeat);
    insertTime(object, "createdAt"_L1, createdAt);
    return object;
}

Decoded<AgentInfo> AgentInfo::fromJson(const QJsonObject &object)
{
    JsonReader reader(object);
    AgentInfo agent;
    agent.agentId = reader.requiredString(u"agentId"_s, 1, kMaxIdLength);
    agent.orgId = reader.optionalString(u"orgId"_s, {}, kMaxIdLength);
    agent.platform =
        readEnum(reader, u"platform"_s, Platform::Kubernetes, true, &platformFromName, "platform"_L1);
    agent.region = reader.optionalString(u"region"_s, {}, 64);
    agent.status =
        readEnum(reader, u"status"_s, AgentStatus::Offline, false, &agentStatusFromName, "status"_L1);
    agent.approvalStatus = readEnum(reader, u"approvalStatus"_s, ApprovalStatus::Approved, false,
                                    &approvalStatusFromName, "approval status"_L1);
    if (reader.ok() && reader.has(u"capacity"_s)) {
        const Decoded<Capacity> capacity =
            Capacity::fromJson(reader.optionalObject(u"capacity"_s), reader.pathOf(u"capacity"_s));
        if (reader.ok() && !capacity)
            return capacity.error();
        if (capacity)
            agent.capacity = capacity.value();
    }
    agent.activeSessions = static_cast<int>(reader.optionalInt(u"activeSessions"_s, 0, 0, kMaxCount));
    agent.lastHeartbeat = reader.optionalTimestamp(u"lastHeartbeat"_s);
    agent.replica = reader.optionalString(u"replica"_s, {}, kMaxIdLength);
    agent.metadata = reader.optionalObject(u"metadata"_s);
    agent.createdAt = reader.optionalTimestamp(u"createdAt"_s);
    if (!reader.ok())
        return reader.error();
    return agent;
}

// ---- CommandInfo ----

QJsonObject CommandInfo::toJson() const
{
    QJsonObject object{
        {u"commandId"_s, commandId},
        {u"agentId"_s, agentId},
        {u"orgId"_s, orgId},
        {u"sessionId"_s, sessionId},
        {u"action"_s, action},
        {u"payload"_s, payload},
        {u"status"_s, commandStatusName(status)},
        {u"error"_s, error},
        {u"result"_s, result},
        {u"attempts"_s, attempts},
    };
    insertTime(object, "createdAt"_L1, createdAt);
    insertTime(object, "sentAt"_L1, sentAt);
    insertTime(object, "acknowledgedAt"_L1, acknowledgedAt);
    insertTime(object, "completedAt"_L1, completedAt);
    insertTime(object, "updatedAt"_L1, updatedAt);
    return object;
}

Decoded<CommandInfo> CommandInfo::fromJson(const QJsonObject &object)
{
    JsonReader reader(object);
    CommandInfo command;
    command.commandId = reader.requiredString(u"commandId"_s, 1, kMaxIdLength);
    command.agentId = reader.requiredString(u"agentId"_s, 1, kMaxIdLength);
    command.orgId = reader.optionalString(u"orgId"_s, {}, kMaxIdLength);
    command.sessionId = reader.optionalString(u"sessionId"_s, {}, kMaxIdLength);
    command.action = reader.requiredString(u"action"_s, 1, 64);
    command.payload = reader.optionalObject(u"payload"_s);
    command.status = readEnum(reader, u"status"_s, CommandStatus::Pending, true, &commandStatusFromName,
                              "command status"_L1);
    command.error = reader.optionalString(u"error"_s, {}, kMaxErrorLength);
    command.result = reader.optionalObject(u"result"_s);
    command.attempts = static_cast<int>(reader.optionalInt(u"attempts"_s, 0, 0, kMaxCount));
    command.createdAt = reader.optionalTimestamp(u"createdAt"_s);
    command.sentAt = reader.optionalTimestamp(u"sentAt"_s);
    command.acknowledgedAt = reader.optionalTimestamp(u"acknowledgedAt"_s);
    command.completedAt = reader.optionalTimestamp(u"completedAt"_s);
    command.updatedAt = reader.optionalTimestamp(u"updatedAt"_s);
    if (!reader.ok())
        return reader.error();
    return command;
}

// ---- SessionInfo ----

namespace {

// StreamSpace's status.phase: the state with a capital first letter.
QString phaseOf(SessionState state)
{
    QString phase = sessionStateName(state);
    if (!phase.isEmpty())
        phase[0] = phase[0].toUpper();
    return phase;
}

qint64 idleSecondsAt(const QDateTime &lastActivity, const QDateTime &now)
{
    return qMax<qint64>(0, lastActivity.secsTo(now));
}

} // namespace

QJsonObject SessionInfo::toSessionsUpdateJson(const QDateTime &now) const
{
    QJsonObject status{{u"phase"_s, phaseOf(state)}};
    if (!podName.isEmpty())
        status.insert("podName"_L1, podName);
    if (!url.isEmpty())
        status.insert("url"_L1, url);

    QJsonObject item{
        {u"name"_s, sessionId},
        {u"namespace"_s, namespaceName},
        {u"user"_s, userId},
        {u"template"_s, templateName},
        {u"state"_s, sessionStateName(state)},
        {u"activeConnections"_s, activeConnections},
        {u"status"_s, status},
        {u"resources"_s, QJsonObject{{u"memory"_s, memory}, {u"cpu"_s, cpu}}},
        {u"platform"_s, platform},
        {u"agent_id"_s, agentId},
    };
    insertTime(item, "createdAt"_L1, createdAt);
    if (lastActivity.isValid() && idleTimeoutSeconds > 0) {
        const qint64 idleSeconds = idleSecondsAt(lastActivity, now);
        item.insert("lastActivity"_L1, formatTimestamp(lastActivity));
        item.insert("idleDuration"_L1, idleSeconds);
        item.insert("idleThreshold"_L1, idleTimeoutSeconds);
        item.insert("isIdle"_L1, idleSeconds >= idleTimeoutSeconds);
        item.insert("isActive"_L1, state == SessionState::Running);
    }
    return item;
}

void detail::writeSessionsUpdateItem(JsonWriter &writer, const SessionInfo &session, const QDateTime &now)
{
    writer.beginObject();
    writer.field("name"_L1, session.sessionId);
    writer.field("namespace"_L1, session.namespaceName);
    writer.field("user"_L1, session.userId);
    writer.field("template"_L1, session.templateName);
    writer.field("state"_L1, sessionStateName(session.state));
    if (session.createdAt.isValid())
        writer.timestampField("createdAt"_L1, session.createdAt);
    writer.field("activeConnections"_L1, session.activeConnections);
    writer.key("status"_L1);
    writer.beginObject();
    writer.field("phase"_L1, phaseOf(session.state));
    if (!session.podName.isEmpty())
        writer.field("podName"_L1, session.podName);
    if (!session.url.isEmpty())
        writer.field("url"_L1, session.url);
    writer.endObject();
    writer.key("resources"_L1);
    writer.beginObject();
    writer.field("memory"_L1, session.memory);
    writer.field("cpu"_L1, session.cpu);
    writer.endObject();
    writer.field("platform"_L1, session.platform);
    writer.field("agent_id"_L1, session.agentId);
    if (session.lastActivity.isValid() && session.idleTimeoutSeconds > 0) {
        const qint64 idleSeconds = idleSecondsAt(session.lastActivity, now);
        writer.timestampField("lastActivity"_L1, session.lastActivity);
        writer.field("idleDuration"_L1, idleSeconds);
        writer.field("idleThreshold"_L1, session.idleTimeoutSeconds);
        writer.field("isIdle"_L1, idleSeconds >= session.idleTimeoutSeconds);
        writer.field("isActive"_L1, session.state == SessionState::Running);
    }
    writer.endObject();
}

QJsonObject SessionInfo::toJson() const
{
    QJsonObject object{
        {u"sessionId"_s, sessionId},
        {u"orgId"_s, orgId},
        {u"userId"_s, userId},
        {u"template"_s, templateName},
        {u"state"_s, sessionStateName(state)},
        {u"agentId"_s, agentId},
        {u"platform"_s, platform},
        {u"namespace"_s, namespaceName},
        {u"podName"_s, podName},
        {u"url"_s, url},
        {u"memory"_s, memory},
        {u"cpu"_s, cpu},
        {u"idleTimeoutSeconds"_s, idleTimeoutSeconds},
        {u"tags"_s, QJsonArray::fromStringList(tags)},
        {u"activeConnections"_s, activeConnections},
        {u"terminationReason"_s, terminationReason},
    };
    insertTime(object, "lastActivity"_L1, lastActivity);
    insertTime(object, "createdAt"_L1, createdAt);
    insertTime(object, "updatedAt"_L1, updatedAt);
    return object;
}

Decoded<SessionInfo> SessionInfo::fromJson(const QJsonObject &object)
{
    JsonReader reader(object);
    SessionInfo session;
    session.sessionId = reader.requiredString(u"sessionId"_s, 1, kMaxIdLength);
    session.orgId = reader.optionalString(u"orgId"_s, {}, kMaxIdLength);
    session.userId = reader.requiredString(u"userId"_s, 1, kMaxIdLength);
    session.templateName = reader.optionalString(u"template"_s, {}, kMaxIdLength);
    session.state =
        readEnum(reader, u"state"_s, SessionState::Pending, true, &sessionStateFromName, "session state"_L1);
    session.agentId = reader.optionalString(u"agentId"_s, {}, kMaxIdLength);
    session.platform = reader.optionalString(u"platform"_s, {}, 64);
    session.namespaceName = reader.optionalString(u"namespace"_s, {}, kMaxIdLength);
    session.podName = reader.optionalString(u"podName"_s, {}, kMaxIdLength);
    session.url = reader.optionalString(u"url"_s, {}, 2048);
    session.memory = reader.optionalString(u"memory"_s, {}, 64);
    session.cpu = reader.optionalString(u"cpu"_s, {}, 64);
    session.idleTimeoutSeconds =
        static_cast<int>(reader.optionalInt(u"idleTimeoutSeconds"_s, 0, 0, std::numeric_limits<int>::max()));
    session.lastActivity = reader.optionalTimestamp(u"lastActivity"_s);
    session.tags = reader.optionalStringList(u"tags"_s, 256, kMaxIdLength);
    session.activeConnections = static_cast<int>(reader.optionalInt(u"activeConnections"_s, 0, 0, kMaxCount));
    session.terminationReason = reader.optionalString(u"terminationReason"_s, {}, kMaxErrorLength);
    session.createdAt = reader.optionalTimestamp(u"createdAt"_s);
    session.updatedAt = reader.optionalTimestamp(u"updatedAt"_s);
    if (!reader.ok())
        return reader.error();
    return session;
}

// ---- OrgInfo ----

QJsonObject OrgInfo::toJson() const
{
    return QJsonObject{{u"orgId"_s, orgId}, {u"name"_s, name}, {u"clients"_s, clients}};
}

Decoded<OrgInfo> OrgInfo::fromJson(const QJsonObject &object)
{
    JsonReader reader(object);
    OrgInfo org;
    org.orgId = reader.requiredString(u"orgId"_s, 1, kMaxIdLength);
    org.name = reader.optionalString(u"name"_s, {}, kMaxIdLength);
    org.clients = static_cast<int>(reader.optionalInt(u"clients"_s, 0, 0, std::numeric_limits<int>::max()));
    if (!reader.ok())
        return reader.error();
    return org;
}

} // namespace switchboard::protocol
