// ClusterLogRelay: live session logs for viewers on a replica that does not hold the session's
// agent. The viewers' replica ("follower") finds the agent's replica through presence, subscribes
// to logs:{sessionId} and asks that replica ("server") over pod:{replica}:logs to follow the
// session; the server starts the session's stream locally (one agent stream shared with its own
// viewers) and publishes the viewers' own `log` / `log_end` messages on logs:{sessionId}. A follow
// is a lease: the follower renews it every renewInterval and the server drops a follower it has not
// heard from for leaseTimeout (a dead replica stops nothing else), and stops serving a session
// whose last follower left, expired or whose channel has no subscriber any more.
// See docs/DEPLOYMENT.md "Redis keys and channels".
#pragma once

#include "shared/LogProtocol.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <functional>
#include <optional>

namespace switchboard {

class ClusterPresence;
class RedisConnection;
class RedisSubscriber;
class RedisReply;

class ClusterLogRelay : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        QString replica;
        // Followers renew their leases (and the server sweeps expired ones) this often.
        std::chrono::milliseconds renewInterval{10000};
        // A follower not heard from for this long is dropped by the server.
        std::chrono::milliseconds leaseTimeout{30000};
        // PUBLISHes of one session's lines waiting for Redis; lines beyond are dropped (counted),
        // so a slow Redis never makes this replica buffer a stream without bound.
        int maxPublishesInFlight = 64;
    };

    struct Follow
    {
        QString sessionId;
        QString agentId;
        QString orgId;
        int tailLines = 0;
    };

    // Server side, answered synchronously by the local LogRelay: start (or join) the session's
    // stream for remote followers (nullopt), or why it cannot (sent to the followers as log_end);
    // and stop following it for them.
    using StartServing = std::function<std::optional<protocol::logs::LogEnd>(const Follow &follow)>;
    using StopServing = std::function<void(const QString &sessionId)>;

    // `redis`, `subscriber` and `presence` are not owned and may be shared.
    ClusterLogRelay(RedisConnection *redis, RedisSubscriber *subscriber, ClusterPresence *presence,
                    const Config &config, QObject *parent = nullptr);
    ~ClusterLogRelay() override;

    void setServing(StartServing start, StopServing stop);

    // Follower side: relay the session's log from the agent's replica here. Lines arrive through
    // linesReceived; the end (from the agent's replica, or because that replica or Redis cannot be
    // reached) through followEnded, after which the session is no longer followed.
    void follow(const Follow &follow);
    // The last local viewer left: tell the agent's replica (no-op for a session not followed).
    void unfollow(const QString &sessionId);

    // Server side, from the local LogRelay: a chunk of a served session's lines, and the end of a
    // served session's stream. Both ignore sessions nobody follows from elsewhere.
    void publishLines(const QString &sessionId, const QStringList &lines);
    void publishEnd(const protocol::logs::LogEnd &end);

    int followedCount() const { return int(m_following.size()); }
    int servedCount() const { return int(m_served.size()); }
    // Followers (replicas) of a served session.
    int followerCount(const QString &sessionId) const;
    quint64 droppedLines() const { return m_droppedLines; }
    int rejectedMessages() const { return m_rejected; }

    // One renew/expiry pass now (the timer calls it).
    void tick();

Q_SIGNALS:
    void linesReceived(const QString &sessionId, const QStringList &lines);
    void followEnded(const protocol::logs::LogEnd &end);

private:
    struct Following
    {
        Follow follow;
        QString replica; // empty while presence is asked
        bool requested = false;
        quint64 generation = 0;
        QDeadlineTimer setupDeadline;
    };
    struct Served
    {
        QHash<QString, QDeadlineTimer> leases; // by follower replica
        int inFlight = 0;
    };

    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onRequest(const QByteArray &payload);
    void onSessionLog(const QString &sessionId, const QByteArray &payload);
    void onLocated(const QString &sessionId, quint64 generation, const QString &replica,
                   const QString &error);
    void sendRequest(const QString &sessionId, bool follow, int tailLines);
    void endFollowing(const QString &sessionId, protocol::logs::EndReason reason, const QString &message);
    void endAllFollowing(const QString &message);
    void stopServing(const QString &sessionId);
    bool redisUp() const;

    QPointer<RedisConnection> m_redis;
    QPointer<RedisSubscriber> m_subscriber;
    QPointer<ClusterPresence> m_presence;
    Config m_config;
    QByteArray m_requestChannel;
    StartServing m_startServing;
    StopServing m_stopServing;
    QHash<QString, Following> m_following; // by sessionId
    QHash<QString, Served> m_served;       // by sessionId
    QTimer m_timer;
    quint64 m_nextGeneration = 1;
    quint64 m_droppedLines = 0;
    int m_rejected = 0;
};

} // namespace switchboard
