// The values Store's operations take and give besides the protocol records.
#pragma once

#include "shared/Records.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace switchboard {

struct AgentCredentials
{
    protocol::AgentInfo agent;
    QByteArray apiKeyHash; // empty when the agent has no key
    // After a key rotation: the previous key's hash, accepted until previousKeyExpiresAt.
    QByteArray previousApiKeyHash;
    QDateTime previousKeyExpiresAt;

    // Whether a presented key's hash opens this agent at `now`: the current key, or the previous
    // one within its grace period. Compared in constant time.
    bool acceptsKeyHash(QByteArrayView keyHash, const QDateTime &now) const;
};

// A revoked JWT id (`jti`), kept until the token it names would have expired.
struct TokenRevocation
{
    QString jti;
    QDateTime expiresAt;
    QDateTime revokedAt;
    QString revokedBy; // "<user>@<org>" of the admin, or "cli"
};

// One agent's latest heartbeat; AgentHub coalesces them and writes a batch at a time.
struct HeartbeatRecord
{
    QString agentId;
    protocol::AgentStatus status = protocol::AgentStatus::Online;
    int activeSessions = 0;
    protocol::Capacity capacity;
    QDateTime at; // invalid = now
};

struct CommandTransitionRequest
{
    QString commandId;
    QString agentId; // if non-empty the command must belong to this agent, else NotFound
    protocol::CommandStatus to = protocol::CommandStatus::Sent;
    QString error;      // stored as error_message when non-empty
    QJsonObject result; // stored when non-empty
    QDateTime at;       // invalid = now
    // Counts a delivery attempt: attempts+1 when the status moves (normally pending -> sent), and
    // also when a command still Sent is sent again (a redelivery: changed = false, sent_at refreshed).
    // Never counted for a command past Sent.
    bool countAttempt = false;
    // When set, nothing changes unless the command is still in this status (a timeout decided on
    // an earlier read must not fail a command the agent acknowledged in the meantime).
    std::optional<protocol::CommandStatus> onlyFrom;
};

struct CommandTransition
{
    protocol::CommandInfo command; // as stored after the request
    protocol::CommandStatus previous = protocol::CommandStatus::Pending;
    bool changed = false; // the status moved
};

// A command sent or acknowledged whose acknowledgement or completion deadline has passed.
struct OverdueCommand
{
    protocol::CommandInfo command;
    QDateTime firstSentAt; // the first delivery; the completion deadline counts from it
};

// Deadlines as points in time: commands sent (last delivery) before ackBefore are overdue for an
// ack; commands first sent before completeBefore[action] (defaultCompleteBefore for other actions)
// are overdue for completion.
struct CommandDeadlines
{
    QDateTime ackBefore;
    QHash<QString, QDateTime> completeBefore;
    QDateTime defaultCompleteBefore;
};

struct SessionUpdate
{
    QString sessionId;
    QString agentId; // if non-empty it must be the session's agent, else Forbidden
    std::optional<protocol::SessionState> state;
    std::optional<QString> podName;
    std::optional<QString> url;
    std::optional<QString> terminationReason;
    QDateTime at; // invalid = now
};

struct SessionTransition
{
    protocol::SessionInfo session; // as stored after the update
    protocol::SessionState previous = protocol::SessionState::Pending;
    bool stateChanged = false;
};

// How a lost PostgreSQL connection is won back. A job waits for the database at most until
// `windowMs` after the outage began (reconnecting with backoff from `firstDelayMs` doubling to
// `maxDelayMs`); once the outage is older, jobs fail at once and only try to reconnect when the
// backoff allows, so a long outage neither blocks the queue nor spins.
struct SqlReconnectPolicy
{
    int windowMs = 10000;
    int firstDelayMs = 100;
    int maxDelayMs = 2000;
    // Without libpq's socket to look at, a connection idle longer than this is checked before use.
    int idleProbeMs = 1000;
};

} // namespace switchboard
