#include "metrics/ServerMetrics.h"

#include "metrics/MessageTypes.h"

#include <cstring>

using namespace Qt::StringLiterals;

namespace switchboard::metrics {

namespace {

QString endpointName(ServerMetrics::Endpoint endpoint)
{
    return endpoint == ServerMetrics::Endpoint::Agent ? u"agent"_s : u"browser"_s;
}

double toSeconds(std::chrono::nanoseconds elapsed)
{
    return std::chrono::duration<double>(elapsed).count();
}

} // namespace

ServerMetrics::ServerMetrics(const QString &replica, const QString &version, double startTime)
{
    MetricsRegistry &r = m_registry;
    r.gaugeFamily(u"switchboard_replica_info"_s, u"This replica's name and server version (always 1)."_s,
                  {u"replica"_s, u"version"_s})
        ->gauge({replica, version})
        ->set(1);
    r.gauge(u"process_start_time_seconds"_s, u"Start time of the process since the Unix epoch in seconds."_s)
        ->set(startTime);
    m_connections = r.gaugeFamily(u"switchboard_connections"_s,
                                  u"Open WebSocket connections of this replica by kind."_s, {u"kind"_s});
    for (const QString &kind : {u"agent"_s, u"sessions"_s, u"cluster"_s, u"admin"_s, u"logs"_s})
        m_connections->gauge({kind});
    m_orgsConnected =
        r.gauge(u"switchboard_orgs_connected"_s,
                u"Organisations with at least one connected agent or client on this replica."_s);
    m_messagesReceived = r.counterFamily(
        u"switchboard_messages_received_total"_s,
        u"Text messages taken from connections (within the rate limit), by endpoint and message type."_s,
        {u"endpoint"_s, u"type"_s});
    m_messagesSent = r.counterFamily(u"switchboard_messages_sent_total"_s,
                                     u"Text messages queued to connections, by endpoint and message type."_s,
                                     {u"endpoint"_s, u"type"_s});
    for (auto *caches : {&m_receivedByType, &m_sentByType}) {
        for (auto &cache : *caches)
            cache.assign(std::size_t(knownMessageTypeCount() + 1), nullptr);
    }
    m_broadcasts = r.counter(u"switchboard_broadcasts_total"_s,
                             u"Messages fanned out to every client, or every client of an organisation."_s);
    m_broadcastDeliveries = r.counter(u"switchboard_broadcast_deliveries_total"_s,
                                      u"Deliveries of broadcast messages (one per recipient)."_s);
    m_slowClientDrops = r.counter(u"switchboard_slow_client_drops_total"_s,
                                  u"Browser and tool clients closed (1008) for not reading fast enough."_s);
    m_authFailures = r.counterFamily(u"switchboard_auth_failures_total"_s,
                                     u"Requests and upgrades refused for missing or invalid credentials."_s,
                                     {u"endpoint"_s});
    m_commands =
        r.gaugeFamily(u"switchboard_commands"_s,
                      u"Commands in the database by status (sampled periodically)."_s, {u"status"_s});
    m_commandLatency = r.histogramFamily(
        u"switchboard_command_duration_seconds"_s,
        u"Time from a command's creation to its final status, for commands finished on this replica."_s,
        latencyBuckets(), {u"status"_s});
    for (const QString &status : {u"completed"_s, u"failed"_s, u"cancelled"_s})
        m_commandLatencyByStatus.insert(status, m_commandLatency->histogram({status}));
    m_databaseLatency =
        r.histogram(u"switchboard_database_operation_duration_seconds"_s,
                    u"Time the storage thread spent on one job (query or transaction)."_s, latencyBuckets());
    m_databaseErrors = r.counterFamily(u"switchboard_database_errors_total"_s,
                                       u"Storage jobs that failed, by error code."_s, {u"code"_s});
    m_databaseUnavailable = m_databaseErrors->counter({u"unavailable"_s});
    m_databaseInternal = m_databaseErrors->counter({u"internal"_s});
    m_databaseUp = r.gauge(u"switchboard_database_up"_s,
                           u"1 when the last periodic database probe (SELECT 1) succeeded."_s);
    m_redisLatency = r.histogram(u"switchboard_redis_command_duration_seconds"_s,
                                 u"Time from sending a Redis command to its reply."_s, latencyBuckets());
    m_redisErrors =
        r.counter(u"switchboard_redis_errors_total"_s,
                  u"Redis commands answered with an error, timed out or lost with the connection."_s);
    m_redisUp =
        r.gauge(u"switchboard_redis_up"_s, u"1 while the cluster's Redis is reachable (cluster mode)."_s);
    m_limitHits =
        r.counterFamily(u"switchboard_limit_hits_total"_s,
                        u"Requests, connections and messages refused by a limit, by limit."_s, {u"limit"_s});
    for (const QString &limit : {u"connections_per_ip"_s, u"handshakes_per_ip"_s, u"agent_message_rate"_s,
                                 u"browser_message_rate"_s})
        m_limitHits->counter({limit});
    Family *tokenCacheLookups = r.counterFamily(
        u"switchboard_token_cache_lookups_total"_s,
        u"Browser and admin token checks answered from the verified-token cache (hit) or verified afresh (miss)."_s,
        {u"result"_s});
    m_tokenCacheHits = tokenCacheLookups->counter({u"hit"_s});
    m_tokenCacheMisses = tokenCacheLookups->counter({u"miss"_s});
    m_tokenCacheEntries =
        r.gauge(u"switchboard_token_cache_entries"_s, u"Verified tokens held in the token cache."_s);
}

Counter *ServerMetrics::messageCounter(Family *family, Endpoint endpoint, std::vector<Counter *> &cache,
                                       QByteArrayView type)
{
    const auto index = std::size_t(messageTypeIndex(type));
    Counter *&counter = cache[index];
    if (!counter)
        counter = family->counter({endpointName(endpoint), QString(messageTypeLabel(qsizetype(index)))});
    return counter;
}

void ServerMetrics::messageReceived(Endpoint endpoint, QByteArrayView type)
{
    auto &cache = m_receivedByType[std::size_t(endpoint)];
    messageCounter(m_messagesReceived, endpoint, cache, type)->increment();
}

void ServerMetrics::messageSent(Endpoint endpoint, QByteArrayView type)
{
    auto &cache = m_sentByType[std::size_t(endpoint)];
    messageCounter(m_messagesSent, endpoint, cache, type)->increment();
}

void ServerMetrics::broadcast(int deliveries)
{
    m_broadcasts->increment();
    m_broadcastDeliveries->increment(quint64(qMax(0, deliveries)));
}

void ServerMetrics::authFailure(const QString &endpoint)
{
    m_authFailures->counter({endpoint})->increment();
}

void ServerMetrics::commandFinished(const QString &status, double seconds)
{
    if (Histogram *histogram = m_commandLatencyByStatus.value(status))
        histogram->observe(qMax(0.0, seconds));
}

void ServerMetrics::databaseOperation(std::chrono::nanoseconds elapsed, const char *errorCode)
{
    m_databaseLatency->observe(toSeconds(elapsed));
    if (!errorCode)
        return;
    if (std::strcmp(errorCode, "unavailable") == 0)
        m_databaseUnavailable->increment();
    else
        m_databaseInternal->increment();
}

void ServerMetrics::redisCommand(std::chrono::nanoseconds elapsed, bool failed)
{
    m_redisLatency->observe(toSeconds(elapsed));
    if (failed)
        m_redisErrors->increment();
}

void ServerMetrics::setConnections(const QString &kind, int count)
{
    m_connections->gauge({kind})->set(count);
}

void ServerMetrics::setCommandCount(const QString &status, qint64 count)
{
    m_commands->gauge({status})->set(double(count));
}

void ServerMetrics::setLimitHits(const QString &limit, quint64 total)
{
    m_limitHits->counter({limit})->raiseTo(total);
}

void ServerMetrics::setTokenCache(quint64 hits, quint64 misses, qint64 entries)
{
    m_tokenCacheHits->raiseTo(hits);
    m_tokenCacheMisses->raiseTo(misses);
    m_tokenCacheEntries->set(double(entries));
}

} // namespace switchboard::metrics
