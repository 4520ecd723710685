#include "AgentProtocol.h"

#include "JsonReader.h"
#include "JsonWriter.h"
#include "WireSupport.h"

#include <QJsonArray>

#include <algorithm>
#include <array>

using namespace Qt::StringLiterals;

namespace switchboard::protocol::agent {

namespace {

using detail::JsonWriter;
using detail::nameIn;
using detail::Overloaded;
using detail::readEnum;
using detail::valueIn;

constexpr std::array kActions{
    std::pair{Action::StartSession, "start_session"_L1},
    std::pair{Action::StopSession, "stop_session"_L1},
    std::pair{Action::HibernateSession, "hibernate_session"_L1},
    std::pair{Action::WakeSession, "wake_session"_L1},
    std::pair{Action::StreamLogs, "stream_logs"_L1},
    std::pair{Action::StopLogs, "stop_logs"_L1},
};
constexpr std::array kReportedStatuses{
    std::pair{ReportedStatus::Online, "online"_L1},
    std::pair{ReportedStatus::Draining, "draining"_L1},
};

std::optional<ReportedStatus> reportedStatusFromName(QStringView name)
{
    return valueIn(kReportedStatuses, name);
}

constexpr qsizetype kMaxIdLength = 256;
constexpr qsizetype kMaxTextLength = 4096;
constexpr qsizetype kMaxLogLineLength = 16 * 1024;
constexpr qsizetype kMaxLogLines = 1000;
constexpr qint64 kMaxSessions = 1000000;

constexpr auto kDefaultNamespace = "streamspace"_L1;

QByteArray envelope(const QString &type, const QDateTime &timestamp, const QJsonObject &payload)
{
    JsonWriter writer(96 + payload.size() * 32);
    writer.beginObject();
    writer.field("type"_L1, type);
    writer.timestampField("timestamp"_L1, timestamp.isValid() ? timestamp : QDateTime::currentDateTimeUtc());
    writer.field("payload"_L1, payload);
    writer.endObject();
    return writer.take();
}

Error unknownType(const QString &type)
{
    return Error{ErrorCode::UnknownType, u"type: unknown message type \""_s + type + u'"', u"type"_s, {}};
}

Decoded<QString> readType(const QJsonObject &object)
{
    JsonReader reader(object);
    QString type = reader.requiredString(u"type"_s, 0, 64);
    if (!reader.ok())
        return reader.error();
    return type;
}

Decoded<QJsonObject> readPayload(const QJsonObject &object, bool required)
{
    JsonReader reader(object);
    QJsonObject payload =
        required ? reader.requiredObject(u"payload"_s) : reader.optionalObject(u"payload"_s);
    if (!reader.ok())
        return reader.error();
    return payload;
}

QString nonEmptyOr(QString value, QLatin1StringView fallback)
{
    return value.isEmpty() ? QString(fallback) : value;
}

Decoded<AgentFrame> decodeHeartbeat(const QJsonObject &payload)
{
    JsonReader reader(payload, u"payload"_s);
    Heartbeat heartbeat;
    heartbeat.status = readEnum(reader, u"status"_s, ReportedStatus::Online, true, &reportedStatusFromName,
                                "agent status"_L1);
    heartbeat.activeSessions = static_cast<int>(reader.requiredInt(u"activeSessions"_s, 0, kMaxSessions));
    const QJsonObject capacity = reader.requiredObject(u"capacity"_s);
    if (!reader.ok())
        return reader.error();
    Decoded<Capacity> decoded = Capacity::fromJson(capacity, reader.pathOf(u"capacity"_s));
    if (!decoded)
        return decoded.error();
    heartbeat.capacity = std::move(decoded).value();
    return AgentFrame(std::move(heartbeat));
}

Decoded<AgentFrame> decodeStatus(const QJsonObject &payload)
{
    JsonReader reader(payload, u"payload"_s);
    StatusReport status;
    status.sessionId = reader.requiredString(u"sessionId"_s, 1, kMaxIdLength);
    status.state =
        readEnum(reader, u"state"_s, SessionState::Running, true, &sessionStateFromName, "session state"_L1);
    status.vncReady = reader.optionalBool(u"vncReady"_s, false);
    status.vncPort = static_cast<int>(reader.optionalInt(u"vncPort"_s, 0, 0, 65535));
    status.platformMetadata = reader.optionalObject(u"platformMetadata"_s);
    if (!reader.ok())
        return reader.error();
    return AgentFrame(std::move(status));
}

Decoded<AgentFrame> decodeLog(const QJsonObject &payload)
{
    JsonReader reader(payload, u"payload"_s);
    LogLines log;
    log.sessionId = reader.requiredString(u"sessionId"_s, 1, kMaxIdLength);
    if (reader.ok() && !reader.has(u"lines"_s))
        reader.fail(ErrorCode::MissingField, u"lines"_s, u"required array is missing"_s);
    log.lines = reader.optionalStringList(u"lines"_s, kMaxLogLines, kMaxLogLineLength);
    if (!reader.ok())
        return reader.error();
    return AgentFrame(std::move(log));
}

template<class Frame>
Decoded<AgentFrame> decodeCommandReport(const QJsonObject &payload)
{
    JsonReader reader(payload, u"payload"_s);
    Frame frame;
    frame.commandId = reader.requiredString(u"commandId"_s, 1, kMaxIdLength);
    if constexpr (std::is_same_v<Frame, Complete>)
        frame.result = reader.optionalObject(u"result"_s);
    if constexpr (std::is_same_v<Frame, Failed>)
        frame.error = reader.requiredString(u"error"_s, 0, kMaxTextLength);
    if (!reader.ok())
        return reader.error();
    return AgentFrame(std::move(frame));
}

} // namespace

QString actionName(Action action)
{
    return nameIn(kActions, action);
}

std::optional<Action> actionFromName(QStringView name)
{
    return valueIn(kActions, name);
}

bool isSessionLifecycleAction(Action action)
{
    switch (action) {
    case Action::StartSession:
    case Action::StopSession:
    case Action::HibernateSession:
    case Action::WakeSession:
        return true;
    case Action::StreamLogs:
    case Action::StopLogs:
        return false;
    }
    return false;
}

Decoded<QJsonObject> normalizeCommandPayload(Action action, const QJsonObject &payload)
{
    return normalizeCommandPayload(action, payload, u"payload"_s);
}

Decoded<QJsonObject> normalizeCommandPayload(Action action, const QJsonObject &payload, const QString &path)
{
    JsonReader reader(payload, path);
    const QString sessionId = reader.requiredString(u"sessionId"_s, 1, kMaxIdLength);
    QJsonObject normalized{{u"sessionId"_s, sessionId}};
    switch (action) {
    case Action::StartSession: {
        const QString user = reader.requiredString(u"user"_s, 1, kMaxIdLength);
        const QString templateName = reader.requiredString(u"template"_s, 1, kMaxIdLength);
        const QString namespaceName = reader.optionalString(u"namespace"_s, {}, kMaxIdLength);
        const QString memory = reader.optionalString(u"memory"_s, {}, 64);
        const QString cpu = reader.optionalString(u"cpu"_s, {}, 64);
        const bool persistentHome = reader.optionalBool(u"persistentHome"_s, true);
        normalized.insert("user"_L1, user);
        normalized.insert("template"_L1, templateName);
        normalized.insert("namespace"_L1, nonEmptyOr(namespaceName, kDefaultNamespace));
        normalized.insert("memory"_L1, nonEmptyOr(memory, "2Gi"_L1));
        normalized.insert("cpu"_L1, nonEmptyOr(cpu, "1000m"_L1));
        normalized.insert("persistentHome"_L1, persistentHome);
        if (reader.has(u"idleTimeout"_s))
            normalized.insert("idleTimeout"_L1, reader.optionalString(u"idleTimeout"_s, {}, 64));
        if (reader.has(u"tags"_s))
            normalized.insert("tags"_L1, QJsonArray::fromStringList(
                                             reader.optionalStringList(u"tags"_s, 64, kMaxIdLength)));
        break;
    }
    case Action::StopSession:
    case Action::HibernateSession:
    case Action::WakeSession:
        normalized.insert("namespace"_L1, nonEmptyOr(reader.optionalString(u"namespace"_s, {}, kMaxIdLength),
                                                     kDefaultNamespace));
        break;
    case Action::StreamLogs:
        normalized.insert("tailLines"_L1, reader.optionalInt(u"tailLines"_s, 100, 0, 100000));
        break;
    case Action::StopLogs:
        break;
    }
    if (!reader.ok())
        return reader.error();
    return normalized;
}

// ---- agent -> server ----

Decoded<AgentFrame> decodeAgentFrame(QByteArrayView json)
{
    const Decoded<QJsonObject> parsed = parseObject(json);
    if (!parsed)
        return parsed.error();
    const Decoded<QString> type = readType(parsed.value());
    if (!type)
        return type.error();

    const QString &name = type.value();
    const bool isPong = name == "pong"_L1;
    const Decoded<QJsonObject> payload = readPayload(parsed.value(), !isPong);
    const auto withPayload = [&](auto decode) -> Decoded<AgentFrame> {
        if (!payload)
            return payload.error();
        return decode(payload.value());
    };
    if (name == "heartbeat"_L1)
        return withPayload(&decodeHeartbeat);
    if (name == "ack"_L1)
        return withPayload(&decodeCommandReport<Ack>);
    if (name == "complete"_L1)
        return withPayload(&decodeCommandReport<Complete>);
    if (name == "failed"_L1)
        return withPayload(&decodeCommandReport<Failed>);
    if (name == "status"_L1)
        return withPayload(&decodeStatus);
    if (name == "log"_L1)
        return withPayload(&decodeLog);
    if (isPong) {
        if (!payload)
            return payload.error();
        return AgentFrame(Pong{});
    }
    return unknownType(name);
}

QString agentFrameTypeName(const AgentFrame &frame)
{
    return std::visit(Overloaded{
                          [](const Heartbeat &) { return u"heartbeat"_s; },
                          [](const Ack &) { return u"ack"_s; },
                          [](const Complete &) { return u"complete"_s; },
                          [](const Failed &) { return u"failed"_s; },
                          [](const StatusReport &) { return u"status"_s; },
                          [](const Pong &) { return u"pong"_s; },
                          [](const LogLines &) { return u"log"_s; },
                      },
                      frame);
}

QByteArray encodeAgentFrame(const AgentFrame &frame, const QDateTime &timestamp)
{
    const QJsonObject payload = std::visit(
        Overloaded{
            [](const Heartbeat &heartbeat) {
                return QJsonObject{
                    {u"status"_s, QString(nameIn(kReportedStatuses, heartbeat.status))},
                    {u"activeSessions"_s, heartbeat.activeSessions},
                    {u"capacity"_s, heartbeat.capacity.toJson()},
                };
            },
            [](const Ack &ack) {
                return QJsonObject{{u"commandId"_s, ack.commandId}};
            },
            [](const Complete &complete) {
                return QJsonObject{{u"commandId"_s, complete.commandId}, {u"result"_s, complete.result}};
            },
            [](const Failed &failed) {
                return QJsonObject{{u"commandId"_s, failed.commandId}, {u"error"_s, failed.error}};
            },
            [](const StatusReport &status) {
                QJsonObject object{
                    {u"sessionId"_s, status.sessionId},
                    {u"state"_s, sessionStateName(status.state)},
                    {u"vncReady"_s, status.vncReady},
                };
                if (status.vncPort > 0)
                    object.insert("vncPort"_L1, status.vncPort);
                if (!status.platformMetadata.isEmpty())
                    object.insert("platformMetadata"_L1, status.platformMetadata);
                return object;
            },
            [](const Pong &) { return QJsonObject{}; },
            [](const LogLines &log) {
                return QJsonObject{{u"sessionId"_s, log.sessionId},
                                   {u"lines"_s, QJsonArray::fromStringList(log.lines)}};
            },
        },
        frame);
    return envelope(agentFrameTypeName(frame), timestamp, payload);
}

// ---- server -> agent ----

QByteArray encodeServerFrame(const ServerFrame &frame, const QDateTime &timestamp)
{
    return std::visit(
        Overloaded{
            [&](const Command &command) {
                return envelope(u"command"_s, timestamp,
                                QJsonObject{
                                    {u"commandId"_s, command.commandId},
                                    {u"action"_s, actionName(command.action)},
                                    {u"payload"_s, command.payload},
                                });
            },
            [&](const Shutdown &shutdown) {
                return envelope(u"shutdown"_s, timestamp, QJsonObject{{u"reason"_s, shutdown.reason}});
            },
            [&](const Ping &) {
                const QDateTime when = timestamp.isValid() ? timestamp : QDateTime::currentDateTimeUtc();
                return envelope(u"ping"_s, when, QJsonObject{{u"timestamp"_s, formatTimestamp(when)}});
            },
            [&](const Notice &notice) {
                return envelope(u"notice"_s, timestamp, QJsonObject{{u"message"_s, notice.message}});
            },
            [&](const ErrorFrame &error) {
                return envelope(u"error"_s, timestamp,
                                QJsonObject{
                                    {u"code"_s, errorCodeName(error.error.code)},
                                    {u"message"_s, error.error.message},
                                });
            },
        },
        frame);
}

QByteArray encodeError(const Error &error, const QDateTime &timestamp)
{
    return encodeServerFrame(ErrorFrame{error}, timestamp);
}

Decoded<ServerFrame> decodeServerFrame(QByteArrayView json)
{
    const Decoded<QJsonObject> parsed = parseObject(json);
    if (!parsed)
        return parsed.error();
    const Decoded<QString> type = readType(parsed.value());
    if (!type)
        return type.error();
    const QString &name = type.value();
    static constexpr std::array kServerTypes{"command"_L1, "shutdown"_L1, "ping"_L1, "notice"_L1, "error"_L1};
    if (std::find(kServerTypes.begin(), kServerTypes.end(), name) == kServerTypes.end())
        return unknownType(name);
    const bool isPing = name == "ping"_L1;
    const Decoded<QJsonObject> payload = readPayload(parsed.value(), !isPing);
    if (!payload)
        return payload.error();
    JsonReader reader(payload.value(), u"payload"_s);

    if (name == "command"_L1) {
        Command command;
        command.commandId = reader.requiredString(u"commandId"_s, 1, kMaxIdLength);
        command.action =
            readEnum(reader, u"action"_s, Action::StartSession, true, &actionFromName, "action"_L1);
        const QJsonObject inner = reader.requiredObject(u"payload"_s);
        if (!reader.ok())
            return reader.error();
        Decoded<QJsonObject> normalized =
            normalizeCommandPayload(command.action, inner, u"payload.payload"_s);
        if (!normalized)
            return normalized.error();
        command.payload = std::move(normalized).value();
        return ServerFrame(std::move(command));
    }
    if (name == "shutdown"_L1) {
        Shutdown shutdown{reader.optionalString(u"reason"_s, {}, kMaxTextLength)};
        if (!reader.ok())
            return reader.error();
        return ServerFrame(std::move(shutdown));
    }
    if (isPing) {
        reader.optionalTimestamp(u"timestamp"_s);
        if (!reader.ok())
            return reader.error();
        return ServerFrame(Ping{});
    }
    if (name == "notice"_L1) {
        Notice notice{reader.requiredString(u"message"_s, 0, kMaxTextLength)};
        if (!reader.ok())
            return reader.error();
        return ServerFrame(std::move(notice));
    }
    if (name == "error"_L1) {
        const QString code = reader.requiredString(u"code"_s, 1, 64);
        const QString message = reader.optionalString(u"message"_s, {}, kMaxTextLength);
        if (!reader.ok())
            return reader.error();
        // A code this build does not know (a newer server) still arrives as an error.
        const ErrorCode errorCode = errorCodeFromName(code).value_or(ErrorCode::Internal);
        return ServerFrame(ErrorFrame{Error{errorCode, message, {}, {}}});
    }
    return unknownType(name);
}

} // namespace switchboard::protocol::agent
