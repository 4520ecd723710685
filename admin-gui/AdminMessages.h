// What the server sends on /api/v1/ws/admin, decoded into typed values. The records inside come
// from the shared codecs (Records.h, BrowserProtocol.h); this file only reads the envelopes,
// which the shared library encodes for the server but has no client-side decoder for.
#pragma once

#include "shared/AdminProtocol.h"
#include "shared/BrowserProtocol.h"
#include "shared/Records.h"

#include <QHash>
#include <QJsonObject>
#include <QList>

#include <variant>

namespace switchboard::console {

struct Snapshot
{
    QDateTime timestamp;
    QList<protocol::AgentInfo> agents;
    QList<protocol::OrgInfo> orgs;
    QList<protocol::CommandInfo> commands;
    // The sessions that had not ended, as of the seqs below (later events apply on top); none
    // from a server older than this list. Truncated: the server had more than it listed.
    QList<protocol::SessionInfo> sessions;
    bool sessionsListed = false; // the server sent the list (even if empty)
    bool sessionsTruncated = false;
    QString epoch;               // empty until the server keeps an event history
    QHash<QString, qint64> seqs; // latest event seq per org in scope
};
struct AgentUpdated
{
    protocol::AgentInfo agent;
};
struct AgentRemoved
{
    QString agentId;
};
struct OrgUpdated
{
    protocol::OrgInfo org;
};
struct CommandUpdated
{
    protocol::CommandInfo command;
};
struct SessionEventMessage
{
    protocol::browser::SessionEvent event; // carries orgId, seq and epoch when the server sent them
    QJsonObject raw;
};
struct ReplyMessage
{
    QString requestId;
    QJsonObject result;
};
struct ErrorMessage
{
    protocol::Error error; // requestId set when the failed request carried one
};
struct ResyncRequired
{
    QString orgId;
    QString epoch;
    qint64 seq = 0;
};
struct OrgBroadcastMessage
{
    QString orgId;
    QJsonValue data;
    QDateTime timestamp;
};

using AdminMessage =
    std::variant<Snapshot, AgentUpdated, AgentRemoved, OrgUpdated, CommandUpdated, SessionEventMessage,
                 ReplyMessage, ErrorMessage, ResyncRequired, OrgBroadcastMessage, protocol::admin::Metrics>;

// Decodes one text frame of the admin stream. Unknown types are an UnknownType error so that a
// newer server does not break an older console (the caller ignores them).
protocol::Decoded<AdminMessage> decodeAdminMessage(QByteArrayView json, const QDateTime &now);

} // namespace switchboard::console
