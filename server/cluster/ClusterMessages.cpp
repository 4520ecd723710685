#include "ClusterMessages.h"

#include "ClusterKeys.h"

#include "shared/JsonReader.h"

#include <algorithm>
#include <array>
#include <utility>

using namespace Qt::StringLiterals;

namespace switchboard::cluster {

using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;
using protocol::JsonReader;

namespace {

constexpr qsizetype kMaxIdLength = 256;
constexpr qsizetype kMaxReplicaNameLength = 200;
constexpr int kBusVersion = 1;
// seq travels as a JSON number: exact up to 2^53.
constexpr qint64 kMaxSeq = (qint64(1) << 53);

constexpr std::array<std::pair<BusTopic, QLatin1StringView>, 5> kTopicNames{{
    {BusTopic::SessionEvent, "session_event"_L1},
    {BusTopic::OrgBroadcast, "org_broadcast"_L1},
    {BusTopic::SessionsChanged, "sessions_changed"_L1},
    {BusTopic::AdminDelta, "admin_delta"_L1},
    {BusTopic::ReplicaLoad, "replica_load"_L1},
}};

Error tooLarge(qsizetype size)
{
    return Error{ErrorCode::FrameTooLarge, u"cluster message of %1 bytes"_s.arg(size), {}, {}};
}

Decoded<QJsonObject> parseBounded(QByteArrayView json)
{
    if (json.size() > kMaxClusterMessageBytes)
        return tooLarge(json.size());
    return protocol::parseObject(json);
}

} // namespace

bool isValidReplicaName(const QString &name)
{
    if (name.isEmpty() || name.size() > kMaxReplicaNameLength)
        return false;
    return std::all_of(name.cbegin(), name.cend(),
                       [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
}

QByteArray encodeRoutedCommand(const RoutedCommand &routed, const QDateTime &timestamp)
{
    QJsonObject object{
        {u"agentId"_s, routed.agentId},
        {u"message"_s, QString::fromUtf8(protocol::agent::encodeServerFrame(routed.command, timestamp))},
        {u"requestId"_s, routed.requestId},
    };
    if (!routed.origin.isEmpty())
        object.insert(u"origin"_s, routed.origin);
    return protocol::toJsonBytes(object);
}

Decoded<RoutedCommand> decodeRoutedCommand(QByteArrayView json)
{
    auto parsed = parseBounded(json);
    if (!parsed)
        return parsed.error();
    JsonReader reader(parsed.value());
    RoutedCommand routed;
    routed.agentId = reader.requiredString(u"agentId"_s, 1, kMaxIdLength);
    const QString message = reader.requiredString(u"message"_s, 1, protocol::kMaxAgentFrameBytes);
    routed.origin = reader.optionalString(u"origin"_s, {}, kMaxReplicaNameLength);
    routed.requestId = reader.optionalString(u"requestId"_s, {}, kMaxIdLength);
    if (!reader.ok())
        return reader.error();
    if (!routed.origin.isEmpty() && !isValidReplicaName(routed.origin))
        return Error{ErrorCode::InvalidValue, u"invalid origin replica name"_s, u"origin"_s, {}};
    if (!routed.origin.isEmpty() && routed.requestId.isEmpty())
        return Error{ErrorCode::MissingField, u"requestId is required with origin"_s, u"requestId"_s, {}};
    auto frame = protocol::agent::decodeServerFrame(message.toUtf8());
    if (!frame) {
        Error error = frame.error();
        error.message = u"message: "_s + error.message;
        return error;
    }
    const auto *command = std::get_if<protocol::agent::Command>(&frame.value());
    if (!command)
        return Error{ErrorCode::InvalidValue, u"message is not a command frame"_s, u"message"_s, {}};
    routed.command = *command;
    return routed;
}

QByteArray encodeCommandConfirmation(const CommandConfirmation &confirmation)
{
    QJsonObject object{
        {u"requestId"_s, confirmation.requestId}, {u"commandId"_s, confirmation.commandId},
        {u"agentId"_s, confirmation.agentId},     {u"replica"_s, confirmation.replica},
        {u"delivered"_s, confirmation.delivered},
    };
    if (!confirmation.error.isEmpty())
        object.insert(u"error"_s, confirmation.error);
    return protocol::toJsonBytes(object);
}

Decoded<CommandConfirmation> decodeCommandConfirmation(QByteArrayView json)
{
    auto parsed = parseBounded(json);
    if (!parsed)
        return parsed.error();
    JsonReader reader(parsed.value());
    CommandConfirmation confirmation;
    confirmation.requestId = reader.requiredString(u"requestId"_s, 1, kMaxIdLength);
    confirmation.commandId = reader.requiredString(u"commandId"_s, 1, kMaxIdLength);
    confirmation.agentId = reader.requiredString(u"agentId"_s, 1, kMaxIdLength);
    confirmation.replica = reader.requiredString(u"replica"_s, 1, kMaxReplicaNameLength);
    confirmation.delivered = reader.requiredBool(u"delivered"_s);
    confirmation.error = reader.optionalString(u"error"_s, {}, 1024);
    if (!reader.ok())
        return reader.error();
    return confirmation;
}

QString busTopicName(BusTopic topic)
{
    for (const auto &[value, name] : kTopicNames) {
        if (value == topic)
            return QString(name);
    }
    return {};
}

std::optional<BusTopic> busTopicFromName(QStringView name)
{
    for (const auto &[value, candidate] : kTopicNames) {
        if (name == candidate)
            return value;
    }
    return std::nullopt;
}

QByteArray encodeBusEnvelope(const BusEnvelope &envelope)
{
    QJsonObject object{
        {u"v"_s, kBusVersion},
        {u"origin"_s, envelope.origin},
        {u"instance"_s, envelope.instance},
        {u"seq"_s, qint64(envelope.seq)},
        {u"topic"_s, busTopicName(envelope.topic)},
        {u"payload"_s, envelope.payload},
    };
    if (!envelope.orgId.isEmpty())
        object.insert(u"orgId"_s, envelope.orgId);
    return protocol::toJsonBytes(object);
}

Decoded<BusEnvelope> decodeBusEnvelope(QByteArrayView json)
{
    auto parsed = parseBounded(json);
    if (!parsed)
        return parsed.error();
    JsonReader reader(parsed.value());
    BusEnvelope envelope;
    const qint64 version = reader.requiredInt(u"v"_s, 1, 1000);
    envelope.origin = reader.requiredString(u"origin"_s, 1, kMaxReplicaNameLength);
    envelope.instance = reader.requiredString(u"instance"_s, 1, 64);
    envelope.seq = quint64(reader.requiredInt(u"seq"_s, 1, kMaxSeq));
    const QString topic = reader.requiredString(u"topic"_s, 1, 64);
    envelope.orgId = reader.optionalString(u"orgId"_s, {}, kMaxIdLength);
    envelope.payload = reader.requiredObject(u"payload"_s);
    if (!reader.ok())
        return reader.error();
    if (version != kBusVersion)
        return Error{
            ErrorCode::InvalidValue, u"unsupported bus message version %1"_s.arg(version), u"v"_s, {}};
    if (!isValidReplicaName(envelope.origin))
        return Error{ErrorCode::InvalidValue, u"invalid origin replica name"_s, u"origin"_s, {}};
    const auto parsedTopic = busTopicFromName(topic);
    if (!parsedTopic)
        return Error{ErrorCode::InvalidValue, u"unknown topic \"%1\""_s.arg(topic), u"topic"_s, {}};
    envelope.topic = *parsedTopic;
    return envelope;
}

} // namespace switchboard::cluster
