#include "AdminMessages.h"

#include "shared/JsonReader.h"

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

namespace {

template<class Record>
Decoded<QList<Record>> readRecords(JsonReader &reader, const QString &key)
{
    QList<Record> records;
    const QJsonArray array = reader.optionalArray(key);
    if (!reader.ok())
        return reader.error();
    for (qsizetype i = 0; i < array.size(); ++i) {
        if (!array.at(i).isObject()) {
            reader.fail(ErrorCode::WrongType, key,
                        key + u'[' + QString::number(i) + u"] must be an object"_s);
            return reader.error();
        }
        auto decoded = Record::fromJson(array.at(i).toObject());
        if (!decoded) {
            Error error = decoded.error();
            error.message = key + u'[' + QString::number(i) + u"]: "_s + error.message;
            return error;
        }
        records.append(std::move(decoded).value());
    }
    return records;
}

template<class Record>
Decoded<Record> readRecord(JsonReader &reader, const QString &key)
{
    const QJsonObject object = reader.requiredObject(key);
    if (!reader.ok())
        return reader.error();
    auto decoded = Record::fromJson(object);
    if (!decoded) {
        Error error = decoded.error();
        error.message = key + u": "_s + error.message;
        return error;
    }
    return std::move(decoded).value();
}

Decoded<AdminMessage> decodeSnapshot(const QJsonObject &object)
{
    JsonReader reader(object);
    Snapshot snapshot;
    snapshot.timestamp = reader.optionalTimestamp(u"timestamp"_s);
    auto agents = readRecords<AgentInfo>(reader, u"agents"_s);
    if (!agents)
        return agents.error();
    auto orgs = readRecords<OrgInfo>(reader, u"orgs"_s);
    if (!orgs)
        return orgs.error();
    auto commands = readRecords<CommandInfo>(reader, u"commands"_s);
    if (!commands)
        return commands.error();
    snapshot.agents = std::move(agents).value();
    snapshot.orgs = std::move(orgs).value();
    snapshot.commands = std::move(commands).value();
    auto sessions = admin::decodeSnapshotSessions(object);
    if (!sessions)
        return sessions.error();
    snapshot.sessions = std::move(sessions.value().sessions);
    snapshot.sessionsListed = object.contains("sessions"_L1) && !object.value("sessions"_L1).isNull();
    snapshot.sessionsTruncated = sessions.value().truncated;
    snapshot.epoch = reader.optionalString(u"epoch"_s, {}, browser::kMaxEpochLength);
    const QJsonObject seqs = reader.optionalObject(u"seqs"_s);
    if (!reader.ok())
        return reader.error();
    for (auto it = seqs.begin(); it != seqs.end(); ++it) {
        const double seq = it.value().toDouble(-1);
        if (!it.value().isDouble() || seq < 0 || seq > double(browser::kMaxSeq)) {
            reader.fail(ErrorCode::InvalidValue, u"seqs."_s + it.key(),
                        u"seq must be a non-negative integer"_s);
            return reader.error();
        }
        snapshot.seqs.insert(it.key(), qint64(seq));
    }
    return AdminMessage(std::move(snapshot));
}

Decoded<AdminMessage> decodeError(const QJsonObject &object)
{
    JsonReader reader(object);
    Error error;
    const QString code = reader.requiredString(u"code"_s, 1, 64);
    error.message = reader.optionalString(u"message"_s, {}, 4096);
    error.field = reader.optionalString(u"field"_s, {}, 256);
    error.requestId = reader.optionalString(u"requestId"_s, {}, 128);
    if (!reader.ok())
        return reader.error();
    // An unknown code is treated like internal (docs/PROTOCOL.md, error codes).
    error.code = errorCodeFromName(code).value_or(ErrorCode::Internal);
    return AdminMessage(ErrorMessage{std::move(error)});
}

} // namespace

Decoded<AdminMessage> decodeAdminMessage(QByteArrayView json, const QDateTime &now)
{
    auto parsed = parseObject(json);
    if (!parsed)
        return parsed.error();
    const QJsonObject &object = parsed.value();
    JsonReader reader(object);
    const QString type = reader.requiredString(u"type"_s, 1, 64);
    if (!reader.ok())
        return reader.error();

    if (type == "snapshot"_L1)
        return decodeSnapshot(object);
    if (type == "agent.updated"_L1) {
        auto agent = readRecord<AgentInfo>(reader, u"agent"_s);
        if (!agent)
            return agent.error();
        return AdminMessage(AgentUpdated{std::move(agent).value()});
    }
    if (type == "agent.removed"_L1) {
        const QString agentId = reader.requiredString(u"agentId"_s);
        if (!reader.ok())
            return reader.error();
        return AdminMessage(AgentRemoved{agentId});
    }
    if (type == "org.updated"_L1) {
        auto org = readRecord<OrgInfo>(reader, u"org"_s);
        if (!org)
            return org.error();
        return AdminMessage(OrgUpdated{std::move(org).value()});
    }
    if (type == "command.updated"_L1) {
        auto command = readRecord<CommandInfo>(reader, u"command"_s);
        if (!command)
            return command.error();
        return AdminMessage(CommandUpdated{std::move(command).value()});
    }
    if (type == "reply"_L1) {
        ReplyMessage reply;
        reply.requestId = reader.requiredString(u"requestId"_s, 1, 128);
        reply.result = reader.optionalObject(u"result"_s);
        if (!reader.ok())
            return reader.error();
        return AdminMessage(std::move(reply));
    }
    if (type == "error"_L1)
        return decodeError(object);
    if (type == "resync_required"_L1) {
        ResyncRequired resync;
        resync.orgId = reader.optionalString(u"orgId"_s);
        resync.epoch = reader.optionalString(u"epoch"_s, {}, browser::kMaxEpochLength);
        resync.seq = reader.optionalInt(u"seq"_s, 0, 0, browser::kMaxSeq);
        if (!reader.ok())
            return reader.error();
        return AdminMessage(std::move(resync));
    }
    if (type == "metrics"_L1) {
        auto metrics = admin::decodeMetrics(object);
        if (!metrics)
            return metrics.error();
        return AdminMessage(std::move(metrics).value());
    }
    if (type == "org.broadcast"_L1) {
        OrgBroadcastMessage broadcast;
        broadcast.orgId = reader.requiredString(u"orgId"_s);
        broadcast.timestamp = reader.optionalTimestamp(u"timestamp"_s);
        if (!reader.ok())
            return reader.error();
        broadcast.data = object.value("data"_L1);
        return AdminMessage(std::move(broadcast));
    }
    if (browser::eventTypeFromName(type)) {
        auto event = browser::decodeSessionEvent(object, now);
        if (!event)
            return event.error();
        return AdminMessage(SessionEventMessage{std::move(event).value(), object});
    }
    reader.fail(ErrorCode::UnknownType, u"type"_s, u"unknown message type \""_s + type + u'"');
    return reader.error();
}

} // namespace switchboard::console
