#include "BrowserProtocol.h"

#include "JsonReader.h"
#include "JsonWriter.h"
#include "WireSupport.h"

#include <QJsonArray>

#include <array>

using namespace Qt::StringLiterals;

namespace switchboard::protocol::browser {

namespace {

using detail::JsonWriter;
using detail::nameIn;
using detail::Overloaded;
using detail::readEnum;
using detail::valueIn;

constexpr std::array kEventTypes{
    std::pair{EventType::Created, "session.created"_L1},
    std::pair{EventType::Updated, "session.updated"_L1},
    std::pair{EventType::Deleted, "session.deleted"_L1},
    std::pair{EventType::StateChanged, "session.state.changed"_L1},
    std::pair{EventType::Connected, "session.connected"_L1},
    std::pair{EventType::Disconnected, "session.disconnected"_L1},
    std::pair{EventType::Heartbeat, "session.heartbeat"_L1},
    std::pair{EventType::Idle, "session.idle"_L1},
    std::pair{EventType::Active, "session.active"_L1},
    std::pair{EventType::ResourcesUpdated, "session.resources.updated"_L1},
    std::pair{EventType::TagsUpdated, "session.tags.updated"_L1},
    std::pair{EventType::Shared, "session.shared"_L1},
    std::pair{EventType::Unshared, "session.unshared"_L1},
    std::pair{EventType::Error, "session.error"_L1},
};

constexpr qsizetype kMaxIdLength = 256;
constexpr qsizetype kMaxRequestIdLength = 128;
constexpr qsizetype kMaxTextLength = 4096;

void requireDataField(JsonReader &reader, const QString &key, QLatin1StringView expected)
{
    if (reader.ok() && !reader.has(key))
        reader.fail(ErrorCode::MissingField, key, u"required "_s + expected + u" is missing"_s);
}

// The fields the UI relies on for each event type; other types carry free-form data.
void checkEventData(EventType type, JsonReader &reader)
{
    switch (type) {
    case EventType::StateChanged:
        readEnum(reader, u"oldState"_s, SessionState::Pending, true, &sessionStateFromName,
                 "session state"_L1);
        readEnum(reader, u"newState"_s, SessionState::Pending, true, &sessionStateFromName,
                 "session state"_L1);
        break;
    case EventType::Connected:
    case EventType::Disconnected:
        reader.requiredString(u"connectionId"_s, 1, kMaxIdLength);
        break;
    case EventType::Idle:
        requireDataField(reader, u"idleDuration"_s, "number"_L1);
        reader.optionalNumber(u"idleDuration"_s, 0);
        break;
    case EventType::TagsUpdated:
        requireDataField(reader, u"tags"_s, "array"_L1);
        reader.optionalStringList(u"tags"_s, 256, kMaxIdLength);
        break;
    case EventType::Shared:
        reader.requiredString(u"sharedWith"_s, 1, kMaxIdLength);
        break;
    case EventType::Unshared:
        reader.requiredString(u"unsharedFrom"_s, 1, kMaxIdLength);
        break;
    case EventType::Error:
        reader.requiredString(u"error"_s, 0, kMaxTextLength);
        break;
    case EventType::Created:
    case EventType::Updated:
    case EventType::Deleted:
    case EventType::Heartbeat:
    case EventType::Active:
    case EventType::ResourcesUpdated:
        break;
    }
}

Error withRequestId(Error error, const QString &requestId)
{
    error.requestId = requestId;
    return error;
}

} // namespace

QString eventTypeName(EventType type)
{
    return nameIn(kEventTypes, type);
}

std::optional<EventType> eventTypeFromName(QStringView name)
{
    return valueIn(kEventTypes, name);
}

QJsonObject sessionEventToJson(const SessionEvent &event, bool includeOrg)
{
    QJsonObject object{
        {u"type"_s, eventTypeName(event.type)},
        {u"sessionId"_s, event.sessionId},
        {u"userId"_s, event.userId},
    };
    if (event.timestamp.isValid())
        object.insert("timestamp"_L1, formatTimestamp(event.timestamp));
    if (!event.data.isEmpty())
        object.insert("data"_L1, event.data);
    if (event.seq > 0) {
        object.insert("seq"_L1, event.seq);
        object.insert("epoch"_L1, event.epoch);
    }
    if (includeOrg)
        object.insert("orgId"_L1, event.orgId);
    return object;
}

QByteArray encodeSessionEvent(const SessionEvent &event, bool includeOrg)
{
    JsonWriter writer(160 + event.data.size() * 32);
    writer.beginObject();
    writer.field("type"_L1, eventTypeName(event.type));
    writer.field("sessionId"_L1, event.sessionId);
    writer.field("userId"_L1, event.userId);
    if (event.timestamp.isValid())
        writer.timestampField("timestamp"_L1, event.timestamp);
    if (!event.data.isEmpty())
        writer.field("data"_L1, event.data);
    if (event.seq > 0) {
        writer.field("seq"_L1, event.seq);
        writer.field("epoch"_L1, event.epoch);
    }
    if (includeOrg)
        writer.field("orgId"_L1, event.orgId);
    writer.endObject();
    return writer.take();
}

Decoded<SessionEvent> decodeSessionEvent(const QJsonObject &object, const QDateTime &now)
{
    JsonReader reader(object);
    const QString typeName = reader.requiredString(u"type"_s, 0, 64);
    if (!reader.ok())
        return reader.error();
    const std::optional<EventType> type = eventTypeFromName(typeName);
    if (!type)
        return Error{
            ErrorCode::UnknownType, u"type: unknown event type \""_s + typeName + u'"', u"type"_s, {}};

    SessionEvent event;
    event.type = *type;
    event.sessionId = reader.requiredString(u"sessionId"_s, 1, kMaxIdLength);
    event.userId = reader.requiredString(u"userId"_s, 1, kMaxIdLength);
    event.timestamp = reader.optionalTimestamp(u"timestamp"_s);
    event.data = reader.optionalObject(u"data"_s);
    event.orgId = reader.optionalString(u"orgId"_s, {}, kMaxIdLength);
    event.seq = reader.optionalInt(u"seq"_s, 0, 0, kMaxSeq);
    event.epoch = reader.optionalString(u"epoch"_s, {}, kMaxEpochLength);
    if (!reader.ok())
        return reader.error();
    if (!event.timestamp.isValid())
        event.timestamp = now.toUTC();
    if (!event.data.isEmpty() && toJsonBytes(event.data).size() > kMaxEventDataBytes) {
        return Error{ErrorCode::InvalidValue,
                     u"data exceeds "_s + QString::number(kMaxEventDataBytes) + u" bytes"_s,
                     u"data"_s,
                     {}};
    }
    JsonReader dataReader(event.data, u"data"_s);
    checkEventData(event.type, dataReader);
    if (!dataReader.ok())
        return dataReader.error();
    return event;
}

// ---- client -> server ----

Decoded<ClientMessage> decodeClientMessage(QByteArrayView json)
{
    const Decoded<QJsonObject> parsed = parseObject(json);
    if (!parsed)
        return parsed.error();
    const QJsonObject &object = parsed.value();

    // Echo the requestId on errors whenever it is readable, even if the rest is not.
    const QJsonValue rawRequestId = object.value("requestId"_L1);
    const QString echoId = rawRequestId.isString() && rawRequestId.toString().size() <= kMaxRequestIdLength
                               ? rawRequestId.toString()
                               : QString();

    JsonReader reader(object);
    ClientMessage message;
    message.requestId = reader.optionalString(u"requestId"_s, {}, kMaxRequestIdLength);
    const QString type = reader.requiredString(u"type"_s, 0, 64);
    if (!reader.ok())
        return withRequestId(reader.error(), echoId);

    if (type == "ping"_L1) {
        message.request = ClientPing{};
        return message;
    }
    if (type == "resume"_L1) {
        Resume resume;
        resume.since = reader.requiredInt(u"since"_s, 0, kMaxSeq);
        resume.epoch = reader.requiredString(u"epoch"_s, 1, kMaxEpochLength);
        if (!reader.ok())
            return withRequestId(reader.error(), echoId);
        message.request = resume;
        return message;
    }
    const bool subscribe = type == "subscribe"_L1;
    if (!subscribe && type != "unsubscribe"_L1) {
        return Error{ErrorCode::UnknownType, u"type: unknown message type \""_s + type + u'"', u"type"_s,
                     echoId};
    }
    const bool hasUser = reader.has(u"userId"_s);
    const bool hasSession = reader.has(u"sessionId"_s);
    QString userId;
    QString sessionId;
    if (hasUser && hasSession) {
        reader.fail(ErrorCode::InvalidValue, u"sessionId"_s,
                    u"give exactly one of userId or sessionId, not both"_s);
    } else if (!hasUser && !hasSession) {
        reader.fail(ErrorCode::MissingField, u"userId"_s,
                    u"required string is missing (or give sessionId)"_s);
    } else if (hasUser) {
        userId = reader.requiredString(u"userId"_s, 1, kMaxIdLength);
    } else {
        sessionId = reader.requiredString(u"sessionId"_s, 1, kMaxIdLength);
    }
    if (!reader.ok())
        return withRequestId(reader.error(), echoId);
    if (subscribe)
        message.request = Subscribe{userId, sessionId};
    else
        message.request = Unsubscribe{userId, sessionId};
    return message;
}

QByteArray encodeClientMessage(const ClientMessage &message)
{
    QJsonObject object;
    if (!message.requestId.isEmpty())
        object.insert("requestId"_L1, message.requestId);
    const auto putTarget = [&object](const QString &userId, const QString &sessionId) {
        if (!userId.isEmpty())
            object.insert("userId"_L1, userId);
        if (!sessionId.isEmpty())
            object.insert("sessionId"_L1, sessionId);
    };
    std::visit(Overloaded{
                   [&](const Subscribe &subscribe) {
                       object.insert("type"_L1, u"subscribe"_s);
                       putTarget(subscribe.userId, subscribe.sessionId);
                   },
                   [&](const Unsubscribe &unsubscribe) {
                       object.insert("type"_L1, u"unsubscribe"_s);
                       putTarget(unsubscribe.userId, unsubscribe.sessionId);
                   },
                   [&](const ClientPing &) { object.insert("type"_L1, u"ping"_s); },
                   [&](const Resume &resume) {
                       object.insert("type"_L1, u"resume"_s);
                       object.insert("since"_L1, resume.since);
                       object.insert("epoch"_L1, resume.epoch);
                   },
               },
               message.request);
    return toJsonBytes(object);
}

// ---- server -> client ----
// Written with JsonWriter: these run for every broadcast round and every event.

QByteArray encodeSessionsUpdate(const QString &orgId, const QList<SessionInfo> &sessions,
                                const QDateTime &now)
{
    JsonWriter writer(128 + sessions.size() * 512);
    writer.beginObject();
    writer.field("type"_L1, "sessions_update"_L1);
    writer.field("org_id"_L1, orgId);
    writer.field("count"_L1, qint64(sessions.size()));
    writer.timestampField("timestamp"_L1, now);
    writer.key("sessions"_L1);
    writer.beginArray();
    for (const SessionInfo &session : sessions)
        detail::writeSessionsUpdateItem(writer, session, now);
    writer.endArray();
    writer.endObject();
    return writer.take();
}

QByteArray encodeMetricsUpdate(const QString &orgId, const OrgMetrics &metrics, const QDateTime &now)
{
    JsonWriter writer(256);
    writer.beginObject();
    writer.field("type"_L1, "metrics_update"_L1);
    writer.field("org_id"_L1, orgId);
    writer.key("metrics"_L1);
    writer.beginObject();
    writer.key("sessions"_L1);
    writer.beginObject();
    writer.field("running"_L1, metrics.running);
    writer.field("hibernated"_L1, metrics.hibernated);
    writer.field("total"_L1, metrics.total);
    writer.endObject();
    writer.field("activeConnections"_L1, metrics.activeConnections);
    writer.field("repositories"_L1, metrics.repositories);
    writer.field("templates"_L1, metrics.templates);
    writer.endObject();
    writer.timestampField("timestamp"_L1, now);
    writer.endObject();
    return writer.take();
}

QByteArray encodeOrgBroadcast(const QString &orgId, const QJsonValue &data, const QDateTime &now)
{
    JsonWriter writer(256);
    writer.beginObject();
    writer.field("type"_L1, "org.broadcast"_L1);
    writer.field("orgId"_L1, orgId);
    writer.timestampField("timestamp"_L1, now);
    writer.field("data"_L1, data);
    writer.endObject();
    return writer.take();
}

QByteArray encodeError(const Error &error)
{
    JsonWriter writer(128 + error.message.size());
    writer.beginObject();
    writer.field("type"_L1, "error"_L1);
    writer.field("code"_L1, errorCodeName(error.code));
    writer.field("message"_L1, error.message);
    if (!error.field.isEmpty())
        writer.field("field"_L1, error.field);
    if (!error.requestId.isEmpty())
        writer.field("requestId"_L1, error.requestId);
    writer.endObject();
    return writer.take();
}

QByteArray encodeReply(const QString &requestId, const QJsonObject &result)
{
    JsonWriter writer(128);
    writer.beginObject();
    writer.field("type"_L1, "reply"_L1);
    writer.field("requestId"_L1, requestId);
    writer.field("ok"_L1, true);
    writer.field("result"_L1, result);
    writer.endObject();
    return writer.take();
}

QByteArray encodePong(const QString &requestId)
{
    JsonWriter writer(64);
    writer.beginObject();
    writer.field("type"_L1, "pong"_L1);
    if (!requestId.isEmpty())
        writer.field("requestId"_L1, requestId);
    writer.endObject();
    return writer.take();
}

QByteArray encodeResyncRequired(const QString &epoch, qint64 latestSeq, const QString &orgId)
{
    JsonWriter writer(128);
    writer.beginObject();
    writer.field("type"_L1, "resync_required"_L1);
    if (!orgId.isEmpty())
        writer.field("orgId"_L1, orgId);
    writer.field("epoch"_L1, epoch);
    writer.field("seq"_L1, latestSeq);
    writer.endObject();
    return writer.take();
}

std::optional<qint64> parseSeq(QStringView text)
{
    if (text.isEmpty() || text.size() > 16)
        return std::nullopt;
    for (QChar c : text) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
    }
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    if (!ok || value > kMaxSeq)
        return std::nullopt;
    return value;
}

} // namespace switchboard::protocol::browser
