#include "AdminProtocol.h"

#include "JsonReader.h"
#include "JsonWriter.h"
#include "WireSupport.h"

#include <QJsonArray>

#include <algorithm>
#include <array>
#include <limits>

using namespace Qt::StringLiterals;

namespace switchboard::protocol::admin {

namespace {

using detail::JsonWriter;
using detail::Overloaded;
using detail::readEnum;

constexpr qsizetype kMaxIdLength = 256;
constexpr qsizetype kMaxRequestIdLength = 128;
constexpr qsizetype kMaxMessageLength = 4096;

// Size of `value` as it would appear inside a frame, for values that are not objects too.
qsizetype encodedSize(const QJsonValue &value)
{
    static constexpr qsizetype kWrapper = sizeof(R"({"v":})") - 1;
    return toJsonBytes(QJsonObject{{u"v"_s, value}}).size() - kWrapper;
}

QString sessionControlName(agent::Action action)
{
    switch (action) {
    case agent::Action::HibernateSession:
        return u"session.hibernate"_s;
    case agent::Action::WakeSession:
        return u"session.wake"_s;
    case agent::Action::StopSession:
    case agent::Action::StartSession:
    case agent::Action::StreamLogs:
    case agent::Action::StopLogs:
        break;
    }
    return u"session.stop"_s;
}

std::optional<agent::Action> sessionControlAction(QStringView type)
{
    if (type == "session.stop"_L1)
        return agent::Action::StopSession;
    if (type == "session.hibernate"_L1)
        return agent::Action::HibernateSession;
    if (type == "session.wake"_L1)
        return agent::Action::WakeSession;
    return std::nullopt;
}

// token.revoke, token.revocations, agent.rotate_key; nullopt for any other type.
std::optional<Decoded<Request>> readCredentialRequest(const QString &type, JsonReader &reader)
{
    if (type == "token.revoke"_L1) {
        TokenRevoke revoke;
        // JWT ids are opaque strings; ours are 32 hex characters.
        revoke.jti = reader.requiredString(u"jti"_s, 1, kMaxIdLength);
        revoke.expiresAt = reader.optionalTimestamp(u"expiresAt"_s);
        if (!reader.ok())
            return Decoded<Request>(reader.error());
        return Decoded<Request>(Request(std::move(revoke)));
    }
    if (type == "token.revocations"_L1)
        return Decoded<Request>(Request(TokenRevocationList{}));
    if (type == "agent.rotate_key"_L1) {
        AgentRotateKey rotate;
        rotate.agentId = reader.requiredString(u"agentId"_s, 1, kMaxIdLength);
        rotate.graceSeconds = reader.optionalInt(u"graceSeconds"_s, 0, 0, kMaxKeyGraceSeconds);
        if (!reader.ok())
            return Decoded<Request>(reader.error());
        return Decoded<Request>(Request(std::move(rotate)));
    }
    return std::nullopt;
}

// Reads the fields of one request type; `reader` already holds the top-level object.
Decoded<Request> readRequest(const QString &type, const QJsonObject &object, JsonReader &reader)
{
    if (auto credential = readCredentialRequest(type, reader))
        return std::move(*credential);
    if (type == "command.send"_L1) {
        CommandSend command;
        command.agentId = reader.requiredString(u"agentId"_s, 1, kMaxIdLength);
        command.action = readEnum(reader, u"action"_s, agent::Action::StartSession, true,
                                  &agent::actionFromName, "action"_L1);
        const QJsonObject payload = reader.optionalObject(u"payload"_s);
        if (!reader.ok())
            return reader.error();
        Decoded<QJsonObject> normalized =
            agent::normalizeCommandPayload(command.action, payload, u"payload"_s);
        if (!normalized)
            return normalized.error();
        command.payload = std::move(normalized).value();
        return Request(std::move(command));
    }
    if (type == "session.start"_L1) {
        SessionStart start;
        start.orgId = reader.requiredString(u"orgId"_s, 1, kMaxIdLength);
        start.userId = reader.requiredString(u"userId"_s, 1, kMaxIdLength);
        start.templateName = reader.requiredString(u"template"_s, 1, kMaxIdLength);
        start.agentId = reader.optionalString(u"agentId"_s, {}, kMaxIdLength);
        start.memory = reader.optionalString(u"memory"_s, {}, 64);
        start.cpu = reader.optionalString(u"cpu"_s, {}, 64);
        if (!reader.ok())
            return reader.error();
        if (start.memory.isEmpty())
            start.memory = u"2Gi"_s;
        if (start.cpu.isEmpty())
            start.cpu = u"1000m"_s;
        return Request(std::move(start));
    }
    if (const std::optional<agent::Action> action = sessionControlAction(type)) {
        SessionControl control{*action, reader.requiredString(u"sessionId"_s, 1, kMaxIdLength)};
        if (!reader.ok())
            return reader.error();
        return Request(std::move(control));
    }
    if (type == "org.broadcast"_L1) {
        OrgBroadcast broadcast;
        broadcast.orgId = reader.requiredString(u"orgId"_s, 1, kMaxIdLength);
        if (reader.ok() && !reader.has(u"data"_s))
            reader.fail(ErrorCode::MissingField, u"data"_s, u"required value is missing"_s);
        if (!reader.ok())
            return reader.error();
        broadcast.data = object.value("data"_L1);
        if (encodedSize(broadcast.data) > browser::kMaxEventDataBytes) {
            return Error{ErrorCode::InvalidValue,
                         u"data exceeds "_s + QString::number(browser::kMaxEventDataBytes) + u" bytes"_s,
                         u"data"_s,
                         {}};
        }
        return Request(std::move(broadcast));
    }
    if (type == "agents.broadcast"_L1) {
        AgentsBroadcast broadcast;
        broadcast.message = reader.requiredString(u"message"_s, 1, kMaxMessageLength);
        broadcast.excludeAgentId = reader.optionalString(u"excludeAgentId"_s, {}, kMaxIdLength);
        broadcast.shutdown = reader.optionalBool(u"shutdown"_s, false);
        if (!reader.ok())
            return reader.error();
        return Request(std::move(broadcast));
    }
    if (type == "agent.approve"_L1 || type == "agent.reject"_L1) {
        AgentDecision decision{reader.requiredString(u"agentId"_s, 1, kMaxIdLength),
                               type == "agent.approve"_L1};
        if (!reader.ok())
            return reader.error();
        return Request(std::move(decision));
    }
    if (type == "command.cancel"_L1) {
        CommandCancel cancel{reader.requiredString(u"commandId"_s, 1, kMaxIdLength)};
        if (!reader.ok())
            return reader.error();
        return Request(std::move(cancel));
    }
    if (type == "resume"_L1) {
        Resume resume;
        resume.epoch = reader.requiredString(u"epoch"_s, 1, browser::kMaxEpochLength);
        const QJsonObject since = reader.requiredObject(u"since"_s);
        if (!reader.ok())
            return reader.error();
        if (since.size() > kMaxResumeOrgs)
            return Error{ErrorCode::InvalidValue,
                         u"since: at most "_s + QString::number(kMaxResumeOrgs) + u" orgs"_s,
                         u"since"_s,
                         {}};
        JsonReader positions(since, u"since"_s);
        for (auto it = since.begin(); it != since.end(); ++it) {
            if (it.key().isEmpty() || it.key().size() > kMaxIdLength) {
                positions.fail(ErrorCode::InvalidValue, it.key(), u"not an org id"_s);
                break;
            }
            resume.since.insert(it.key(), positions.requiredInt(it.key(), 0, browser::kMaxSeq));
        }
        if (!positions.ok())
            return positions.error();
        return Request(std::move(resume));
    }
    return Error{ErrorCode::UnknownType, u"type: unknown request type \""_s + type + u'"', u"type"_s, {}};
}

bool isRequestType(QStringView type)
{
    static constexpr std::array kTypes{
        "command.send"_L1,      "session.start"_L1,    "session.stop"_L1,     "session.hibernate"_L1,
        "session.wake"_L1,      "org.broadcast"_L1,    "agents.broadcast"_L1, "agent.approve"_L1,
        "agent.reject"_L1,      "command.cancel"_L1,   "resume"_L1,           "token.revoke"_L1,
        "token.revocations"_L1, "agent.rotate_key"_L1,
    };
    return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

Error withRequestId(Error error, const QString &requestId)
{
    error.requestId = requestId;
    return error;
}

} // namespace

QString requestTypeName(const Request &request)
{
    return std::visit(Overloaded{
                          [](const CommandSend &) { return u"command.send"_s; },
                          [](const SessionStart &) { return u"session.start"_s; },
                          [](const SessionControl &control) { return sessionControlName(control.action); },
                          [](const OrgBroadcast &) { return u"org.broadcast"_s; },
                          [](const AgentsBroadcast &) { return u"agents.broadcast"_s; },
                          [](const AgentDecision &decision) {
                              return decision.approve ? u"agent.approve"_s : u"agent.reject"_s;
                          },
                          [](const CommandCancel &) { return u"command.cancel"_s; },
                          [](const Resume &) { return u"resume"_s; },
                          [](const TokenRevoke &) { return u"token.revoke"_s; },
                          [](const TokenRevocationList &) { return u"token.revocations"_s; },
                          [](const AgentRotateKey &) { return u"agent.rotate_key"_s; },
                      },
                      request);
}

Decoded<RequestMessage> decodeRequest(QByteArrayView json)
{
    const Decoded<QJsonObject> parsed = parseObject(json);
    if (!parsed)
        return parsed.error();
    const QJsonObject &object = parsed.value();

    const QJsonValue rawRequestId = object.value("requestId"_L1);
    const QString echoId = rawRequestId.isString() && rawRequestId.toString().size() <= kMaxRequestIdLength
                               ? rawRequestId.toString()
                               : QString();

    JsonReader reader(object);
    const QString type = reader.requiredString(u"type"_s, 0, 64);
    if (!reader.ok())
        return withRequestId(reader.error(), echoId);
    if (!isRequestType(type)) {
        return Error{ErrorCode::UnknownType, u"type: unknown request type \""_s + type + u'"', u"type"_s,
                     echoId};
    }
    RequestMessage message;
    message.requestId = reader.requiredString(u"requestId"_s, 1, kMaxRequestIdLength);
    if (!reader.ok())
        return withRequestId(reader.error(), echoId);
    Decoded<Request> request = readRequest(type, object, reader);
    if (!request)
        return withRequestId(request.error(), echoId);
    message.request = std::move(request).value();
    return message;
}

QByteArray encodeRequest(const RequestMessage &message)
{
    QJsonObject object{
        {u"type"_s, requestTypeName(message.request)},
        {u"requestId"_s, message.requestId},
    };
    std::visit(Overloaded{
                   [&](const CommandSend &command) {
                       object.insert("agentId"_L1, command.agentId);
                       object.insert("action"_L1, agent::actionName(command.action));
                       object.insert("payload"_L1, command.payload);
                   },
                   [&](const SessionStart &start) {
                       object.insert("orgId"_L1, start.orgId);
                       object.insert("userId"_L1, start.userId);
                       object.insert("template"_L1, start.templateName);
                       if (!start.agentId.isEmpty())
                           object.insert("agentId"_L1, start.agentId);
                       if (!start.memory.isEmpty())
                           object.insert("memory"_L1, start.memory);
                       if (!start.cpu.isEmpty())
                           object.insert("cpu"_L1, start.cpu);
                   },
                   [&](const SessionControl &control) { object.insert("sessionId"_L1, control.sessionId); },
                   [&](const OrgBroadcast &broadcast) {
                       object.insert("orgId"_L1, broadcast.orgId);
                       object.insert("data"_L1, broadcast.data);
                   },
                   [&](const AgentsBroadcast &broadcast) {
                       object.insert("message"_L1, broadcast.message);
                       if (!broadcast.excludeAgentId.isEmpty())
                           object.insert("excludeAgentId"_L1, broadcast.excludeAgentId);
                       object.insert("shutdown"_L1, broadcast.shutdown);
                   },
                   [&](const AgentDecision &decision) { object.insert("agentId"_L1, decision.agentId); },
                   [&](const CommandCancel &cancel) { object.insert("commandId"_L1, cancel.commandId); },
                   [&](const Resume &resume) {
                       object.insert("epoch"_L1, resume.epoch);
                       QJsonObject since;
                       for (auto it = resume.since.begin(); it != resume.since.end(); ++it)
                           since.insert(it.key(), it.value());
                       object.insert("since"_L1, since);
                   },
                   [&](const TokenRevoke &revoke) {
                       object.insert("jti"_L1, revoke.jti);
                       if (revoke.expiresAt.isValid())
                           object.insert("expiresAt"_L1, formatTimestamp(revoke.expiresAt));
                   },
                   [&](const TokenRevocationList &) {},
                   [&](const AgentRotateKey &rotate) {
                       object.insert("agentId"_L1, rotate.agentId);
                       object.insert("graceSeconds"_L1, rotate.graceSeconds);
                   },
               },
               message.request);
    return toJsonBytes(object);
}

// ---- server -> admin ----

namespace {

template<class Record>
void writeRecords(JsonWriter &writer, QLatin1StringView name, const QList<Record> &records)
{
    writer.key(name);
    writer.beginArray();
    for (const Record &record : records)
        writer.value(record.toJson());
    writer.endArray();
}

QByteArray delta(QLatin1StringView type, QLatin1StringView name, const QJsonObject &record)
{
    JsonWriter writer(128 + record.size() * 48);
    writer.beginObject();
    writer.field("type"_L1, type);
    writer.field(name, record);
    writer.endObject();
    return writer.take();
}

} // namespace

Decoded<QMap<QString, qint64>> parseResumePositions(QStringView text)
{
    QMap<QString, qint64> since;
    if (text.isEmpty())
        return since;
    const auto invalid = [](const QString &message) {
        return Error{ErrorCode::InvalidValue, u"since: "_s + message, u"since"_s, {}};
    };
    const QList<QStringView> items = text.split(u',');
    if (items.size() > kMaxResumeOrgs)
        return invalid(u"at most "_s + QString::number(kMaxResumeOrgs) + u" orgs"_s);
    for (QStringView item : items) {
        const qsizetype colon = item.lastIndexOf(u':');
        if (colon <= 0 || colon > kMaxIdLength)
            return invalid(u"expected org:seq, got \""_s + item.left(64).toString() + u'"');
        const std::optional<qint64> seq = browser::parseSeq(item.mid(colon + 1));
        if (!seq)
            return invalid(u"not a sequence number in \""_s + item.left(64).toString() + u'"');
        since.insert(item.left(colon).toString(), *seq);
    }
    return since;
}

QString formatResumePositions(const QMap<QString, qint64> &since)
{
    QStringList items;
    for (auto it = since.begin(); it != since.end(); ++it)
        items.append(it.key() + u':' + QString::number(it.value()));
    return items.join(u',');
}

QByteArray encodeSnapshot(const QList<AgentInfo> &agents, const QList<OrgInfo> &orgs,
                          const QList<CommandInfo> &commands, const QDateTime &now,
                          const EventPosition &events, bool partial, const SnapshotSessions &sessions)
{
    JsonWriter writer(256 + agents.size() * 512 + orgs.size() * 64 + commands.size() * 512 +
                      sessions.sessions.size() * 512);
    writer.beginObject();
    writer.field("type"_L1, "snapshot"_L1);
    writer.timestampField("timestamp"_L1, now);
    writeRecords(writer, "agents"_L1, agents);
    writeRecords(writer, "orgs"_L1, orgs);
    writeRecords(writer, "commands"_L1, commands);
    writeRecords(writer, "sessions"_L1, sessions.sessions);
    if (sessions.truncated)
        writer.field("sessionsTruncated"_L1, true);
    if (!events.epoch.isEmpty()) {
        writer.field("epoch"_L1, events.epoch);
        // Org ids are data, not keys known to be plain ASCII: QJsonObject escapes them.
        QJsonObject seqs;
        for (auto it = events.seqs.begin(); it != events.seqs.end(); ++it)
            seqs.insert(it.key(), it.value());
        writer.field("seqs"_L1, seqs);
    }
    if (partial)
        writer.field("partial"_L1, true);
    writer.endObject();
    return writer.take();
}

Decoded<SnapshotSessions> decodeSnapshotSessions(const QJsonObject &snapshot)
{
    JsonReader reader(snapshot);
    SnapshotSessions result;
    const QJsonArray items = reader.optionalArray(u"sessions"_s);
    result.truncated = reader.optionalBool(u"sessionsTruncated"_s, false);
    if (!reader.ok())
        return reader.error();
    if (items.size() > kMaxSnapshotSessions) {
        return Error{ErrorCode::InvalidValue,
                     u"sessions: must have at most "_s + QString::number(kMaxSnapshotSessions) + u" items"_s,
                     u"sessions"_s,
                     {}};
    }
    result.sessions.reserve(items.size());
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QString path = u"sessions["_s + QString::number(i) + u']';
        const QJsonValue item = items.at(i);
        if (!item.isObject()) {
            return Error{
                ErrorCode::WrongType, path + u": expected object, got "_s + jsonTypeName(item), path, {}};
        }
        auto session = SessionInfo::fromJson(item.toObject());
        if (!session) {
            Error error = session.error();
            error.field = error.field.isEmpty() ? path : path + u'.' + error.field;
            error.message = path + u'.' + error.message;
            return error;
        }
        // The tree files a session under its org: one without is no use and not what servers send.
        if (session.value().orgId.isEmpty()) {
            return Error{ErrorCode::MissingField,
                         path + u".orgId: required string is missing"_s,
                         path + u".orgId"_s,
                         {}};
        }
        result.sessions.append(std::move(session).value());
    }
    return result;
}

QByteArray encodeAgentUpdated(const AgentInfo &agentInfo)
{
    return delta("agent.updated"_L1, "agent"_L1, agentInfo.toJson());
}

QByteArray encodeAgentRemoved(const QString &agentId)
{
    JsonWriter writer(64);
    writer.beginObject();
    writer.field("type"_L1, "agent.removed"_L1);
    writer.field("agentId"_L1, agentId);
    writer.endObject();
    return writer.take();
}

QByteArray encodeOrgUpdated(const OrgInfo &org)
{
    return delta("org.updated"_L1, "org"_L1, org.toJson());
}

QByteArray encodeCommandUpdated(const CommandInfo &command)
{
    return delta("command.updated"_L1, "command"_L1, command.toJson());
}

namespace {
void writeCounts(JsonWriter &writer, const LoadCounts &counts)
{
    writer.field("agentsConnected"_L1, counts.agentsConnected);
    writer.field("browserClients"_L1, counts.browserClients);
    writer.field("messagesIn"_L1, qint64(qMin(counts.messagesIn, kMaxMetricsCounter)));
    writer.field("messagesOut"_L1, qint64(qMin(counts.messagesOut, kMaxMetricsCounter)));
}

LoadCounts readCounts(JsonReader &reader)
{
    LoadCounts counts;
    counts.agentsConnected =
        int(reader.requiredInt(u"agentsConnected"_s, 0, std::numeric_limits<int>::max()));
    counts.browserClients = int(reader.requiredInt(u"browserClients"_s, 0, std::numeric_limits<int>::max()));
    counts.messagesIn = quint64(reader.requiredInt(u"messagesIn"_s, 0, qint64(kMaxMetricsCounter)));
    counts.messagesOut = quint64(reader.requiredInt(u"messagesOut"_s, 0, qint64(kMaxMetricsCounter)));
    return counts;
}

// At most this many stream kinds per replica (the server knows four).
constexpr qsizetype kMaxClientKinds = 16;
} // namespace

QByteArray encodeMetrics(const Metrics &metrics)
{
    JsonWriter writer(256 + 160 * metrics.replicas.size());
    writer.beginObject();
    writer.field("type"_L1, "metrics"_L1);
    writer.timestampField("timestamp"_L1, metrics.timestamp);
    writer.field("replica"_L1, metrics.replica);
    writeCounts(writer,
                {metrics.agentsConnected, metrics.browserClients, metrics.messagesIn, metrics.messagesOut});
    if (metrics.cluster) {
        writer.key("cluster"_L1);
        writer.beginObject();
        writeCounts(writer, *metrics.cluster);
        writer.field("replicas"_L1, int(metrics.replicas.size()));
        writer.endObject();
        writer.key("replicas"_L1);
        writer.beginArray();
        for (const ReplicaLoad &load :
             metrics.replicas.first(qMin(metrics.replicas.size(), kMaxMetricsReplicas))) {
            writer.beginObject();
            writer.field("replica"_L1, load.replica);
            writeCounts(writer, load.counts);
            writer.key("clients"_L1);
            writer.beginObject();
            for (auto it = load.clients.cbegin(); it != load.clients.cend(); ++it)
                writer.field(QLatin1StringView(it.key().toLatin1()), it.value());
            writer.endObject();
            writer.endObject();
        }
        writer.endArray();
    }
    if (metrics.partial)
        writer.field("partial"_L1, true);
    writer.endObject();
    return writer.take();
}

QByteArray encodeClusterStatus(bool redisAvailable, const QDateTime &now)
{
    JsonWriter writer(96);
    writer.beginObject();
    writer.field("type"_L1, "cluster.status"_L1);
    writer.field("redis"_L1, redisAvailable ? "ok"_L1 : "unavailable"_L1);
    writer.timestampField("timestamp"_L1, now);
    writer.endObject();
    return writer.take();
}

Decoded<Metrics> decodeMetrics(const QJsonObject &object)
{
    JsonReader reader(object);
    Metrics metrics;
    metrics.timestamp = reader.optionalTimestamp(u"timestamp"_s);
    metrics.replica = reader.optionalString(u"replica"_s, {}, kMaxIdLength);
    const LoadCounts own = readCounts(reader);
    metrics.agentsConnected = own.agentsConnected;
    metrics.browserClients = own.browserClients;
    metrics.messagesIn = own.messagesIn;
    metrics.messagesOut = own.messagesOut;
    metrics.partial = reader.optionalBool(u"partial"_s, false);
    if (reader.ok() && reader.has(u"cluster"_s)) {
        JsonReader cluster(reader.requiredObject(u"cluster"_s), reader.pathOf(u"cluster"_s));
        if (reader.ok()) {
            metrics.cluster = readCounts(cluster);
            if (!cluster.ok())
                return cluster.error();
        }
    }
    const QJsonArray replicas = reader.optionalArray(u"replicas"_s);
    if (replicas.size() > kMaxMetricsReplicas)
        reader.fail(ErrorCode::InvalidValue, u"replicas"_s, u"too many replicas"_s);
    for (qsizetype i = 0; reader.ok() && i < replicas.size(); ++i) {
        const QString path = reader.pathOf(u"replicas[%1]"_s.arg(i));
        if (!replicas.at(i).isObject())
            return Error{ErrorCode::InvalidValue, u"a replica must be an object"_s, path, {}};
        JsonReader entry(replicas.at(i).toObject(), path);
        ReplicaLoad load;
        load.replica = entry.requiredString(u"replica"_s, 1, kMaxIdLength);
        load.counts = readCounts(entry);
        const QJsonObject clients = entry.optionalObject(u"clients"_s);
        if (clients.size() > kMaxClientKinds)
            entry.fail(ErrorCode::InvalidValue, u"clients"_s, u"too many client kinds"_s);
        for (auto it = clients.constBegin(); entry.ok() && it != clients.constEnd(); ++it) {
            const qint64 count = it.value().toInteger(-1);
            if (it.key().isEmpty() || it.key().size() > 32 || count < 0 ||
                count > std::numeric_limits<int>::max())
                entry.fail(ErrorCode::InvalidValue, u"clients"_s, u"invalid client count"_s);
            else
                load.clients.insert(it.key(), int(count));
        }
        if (!entry.ok())
            return entry.error();
        metrics.replicas.append(load);
    }
    if (!reader.ok())
        return reader.error();
    if (!metrics.timestamp.isValid())
        return Error{ErrorCode::MissingField, u"timestamp is required"_s, u"timestamp"_s, {}};
    return metrics;
}

Decoded<Metrics> decodeMetrics(QByteArrayView json)
{
    auto parsed = parseObject(json);
    if (!parsed)
        return parsed.error();
    JsonReader reader(parsed.value());
    const QString type = reader.requiredString(u"type"_s, 1, 64);
    if (!reader.ok())
        return reader.error();
    if (type != "metrics"_L1)
        return Error{ErrorCode::UnknownType, u"not a metrics message: "_s + type, u"type"_s, {}};
    return decodeMetrics(parsed.value());
}

} // namespace switchboard::protocol::admin
