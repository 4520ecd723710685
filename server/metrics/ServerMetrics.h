// The metrics of one switchboard-server process, registered once in their registry, with one
// cheap method per thing a component observes. Owned by Server and handed to the components as
// a pointer (null = not measured, as in most unit tests).
//
// Threads: the storage worker calls databaseOperation() on the storage thread; everything else is
// called on the socket thread. Values are atomics, so that mix is safe; the per-type message
// counters are created lazily (at most knownMessageTypeCount() + 1 per endpoint and direction) and
// therefore only on the socket thread, which is also where the renderer runs.
#pragma once

#include "metrics/Metrics.h"

#include <QByteArrayView>
#include <QHash>
#include <QString>

#include <array>
#include <chrono>
#include <vector>

namespace switchboard::metrics {

class ServerMetrics
{
public:
    enum class Endpoint { Agent, Browser };
    static constexpr std::size_t kEndpointCount = 2;

    // `replica` and `version` end up in switchboard_replica_info; `startTime` (seconds since the
    // epoch) in process_start_time_seconds.
    ServerMetrics(const QString &replica, const QString &version, double startTime);
    ServerMetrics(const ServerMetrics &) = delete;
    ServerMetrics &operator=(const ServerMetrics &) = delete;

    MetricsRegistry &registry() { return m_registry; }
    const MetricsRegistry &registry() const { return m_registry; }

    // A text message taken from / sent to a connection. `type` is the message's "type" as sent;
    // anything not in the known list counts as "other".
    void messageReceived(Endpoint endpoint, QByteArrayView type);
    void messageSent(Endpoint endpoint, QByteArrayView type);
    // One broadcast to `deliveries` connections.
    void broadcast(int deliveries);
    void slowClientDropped() { m_slowClientDrops->increment(); }
    // An upgrade or request refused for its credentials; `endpoint` is one of a fixed set
    // (agent, sessions, cluster, admin, logs, events, metrics).
    void authFailure(const QString &endpoint);
    // A command reached a final status (completed, failed, cancelled) `seconds` after it was created.
    void commandFinished(const QString &status, double seconds);
    // Thread-safe: one storage job; errorCode null when it succeeded (or failed for a reason that
    // is not the database's, such as not_found), else "unavailable" or "internal".
    void databaseOperation(std::chrono::nanoseconds elapsed, const char *errorCode);
    void redisCommand(std::chrono::nanoseconds elapsed, bool failed);

    // Samples taken when /metrics is scraped or a probe finished.
    void setConnections(const QString &kind, int count);
    void setOrgsConnected(int count) { m_orgsConnected->set(count); }
    void setCommandCount(const QString &status, qint64 count);
    void setLimitHits(const QString &limit, quint64 total);
    void setTokenCache(quint64 hits, quint64 misses, qint64 entries);
    void setDatabaseUp(bool up) { m_databaseUp->set(up ? 1 : 0); }
    void setRedisUp(bool up) { m_redisUp->set(up ? 1 : 0); }

private:
    Counter *messageCounter(Family *family, Endpoint endpoint, std::vector<Counter *> &cache,
                            QByteArrayView type);

    MetricsRegistry m_registry;
    Family *m_connections;
    Gauge *m_orgsConnected;
    Family *m_messagesReceived;
    Family *m_messagesSent;
    std::array<std::vector<Counter *>, kEndpointCount> m_receivedByType;
    std::array<std::vector<Counter *>, kEndpointCount> m_sentByType;
    Counter *m_broadcasts;
    Counter *m_broadcastDeliveries;
    Counter *m_slowClientDrops;
    Family *m_authFailures;
    Family *m_commands;
    Family *m_commandLatency;
    QHash<QString, Histogram *> m_commandLatencyByStatus;
    Histogram *m_databaseLatency;
    Family *m_databaseErrors;
    Counter *m_databaseUnavailable;
    Counter *m_databaseInternal;
    Histogram *m_redisLatency;
    Counter *m_redisErrors;
    Gauge *m_databaseUp;
    Gauge *m_redisUp;
    Family *m_limitHits;
    Counter *m_tokenCacheHits;
    Counter *m_tokenCacheMisses;
    Gauge *m_tokenCacheEntries;
};

} // namespace switchboard::metrics
