#include "ClusterPresence.h"

#include "ClusterKeys.h"
#include "ClusterLog.h"

#include "redis/RedisConnection.h"

#include <QPromise>
#include <QRandomGenerator>

#include <memory>

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;

namespace {

// KEYS: pod, connected pairs; ARGV: replica, ttl, liveness key prefix and suffix. Claims an agent's
// keys when they are missing, ours, or name a replica that is no longer alive; returns the
// 1-based numbers and owners of the agents another live replica holds.
constexpr char kRefreshScript[] = R"lua(
local me, ttl, prefix, suffix = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local lost = {}
for i = 1, #KEYS, 2 do
  local owner = redis.call('GET', KEYS[i])
  if (not owner) or owner == me or redis.call('EXISTS', prefix .. owner .. suffix) == 0 then
    redis.call('SET', KEYS[i], me, 'EX', ttl)
    redis.call('SET', KEYS[i + 1], 'true', 'EX', ttl)
  else
    lost[#lost + 1] = tostring((i + 1) / 2)
    lost[#lost + 1] = owner
  end
end
return lost
)lua";

// KEYS: pod, connected pairs; ARGV: replica. Deletes only the pairs that still name the replica.
constexpr char kReleaseScript[] = R"lua(
local removed = 0
for i = 1, #KEYS, 2 do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    removed = removed + redis.call('DEL', KEYS[i], KEYS[i + 1])
  end
end
return removed
)lua";

// KEYS: pod; ARGV: liveness key prefix and suffix. nil, or {owner, 1 if the owner is alive}.
constexpr char kLocateScript[] = R"lua(
local owner = redis.call('GET', KEYS[1])
if not owner then return false end
return {owner, redis.call('EXISTS', ARGV[1] .. owner .. ARGV[2])}
)lua";

QByteArray seconds(std::chrono::seconds value)
{
    return QByteArray::number(qMax<qint64>(1, value.count()));
}

Error unavailable(const RedisReply &reply)
{
    return Error{ErrorCode::Unavailable, u"redis: "_s + reply.errorMessage(), {}, {}};
}

template<class T>
QFuture<T> finished(T value)
{
    QPromise<T> promise;
    promise.start();
    promise.addResult(std::move(value));
    promise.finish();
    return promise.future();
}

// Walks SCAN over agent:*:pod, reads the owners with MGET and keeps the agents of live replicas.
class DirectoryScan : public std::enable_shared_from_this<DirectoryScan>
{
public:
    DirectoryScan(RedisConnection *redis, QHash<QString, QString> local)
        : m_redis(redis)
        , m_local(std::move(local))
    {
        m_promise.start();
    }

    QFuture<ClusterPresence::AgentDirectory> future() { return m_promise.future(); }

    void scan(const QByteArray &cursor)
    {
        if (!m_redis)
            return fail();
        auto self = shared_from_this();
        m_redis->command({"SCAN", cursor, "MATCH", cluster::kAgentPodPattern, "COUNT", "1000"},
                         [self](const RedisReply &reply) { self->onScan(reply); });
    }

private:
    void onScan(const RedisReply &reply)
    {
        if (!reply.isArray() || reply.elements().size() != 2 || !reply.elements().at(1).isArray())
            return fail();
        for (const RedisReply &key : reply.elements().at(1).elements()) {
            const QByteArray name = key.toByteArray();
            const qsizetype prefix = qsizetype(sizeof(cluster::kAgentKeyPrefix) - 1);
            const qsizetype suffix = qsizetype(sizeof(cluster::kAgentPodSuffix) - 1);
            if (name.size() > prefix + suffix)
                m_keys.insert(name);
        }
        const QByteArray cursor = reply.elements().at(0).toByteArray();
        if (cursor != "0")
            return scan(cursor);
        readOwners();
    }

    void readOwners()
    {
        if (m_keys.isEmpty() || !m_redis)
            return m_keys.isEmpty() ? readLiveness() : fail();
        QList<QByteArray> args{"MGET"};
        m_order = QList<QByteArray>(m_keys.cbegin(), m_keys.cend());
        args.append(m_order);
        auto self = shared_from_this();
        m_redis->command(args, [self](const RedisReply &reply) { self->onOwners(reply); });
    }

    void onOwners(const RedisReply &reply)
    {
        if (!reply.isArray() || reply.elements().size() != m_order.size())
            return fail();
        const qsizetype prefix = qsizetype(sizeof(cluster::kAgentKeyPrefix) - 1);
        const qsizetype suffix = qsizetype(sizeof(cluster::kAgentPodSuffix) - 1);
        for (qsizetype i = 0; i < m_order.size(); ++i) {
            const RedisReply &owner = reply.elements().at(i);
            if (!owner.isString() || owner.toByteArray().isEmpty())
                continue; // expired between SCAN and MGET
            const QByteArray &key = m_order.at(i);
            const QString agentId = QString::fromUtf8(key.mid(prefix, key.size() - prefix - suffix));
            m_owners.insert(agentId, QString::fromUtf8(owner.toByteArray()));
        }
        readLiveness();
    }

    void readLiveness()
    {
        QSet<QString> replicas;
        for (const QString &owner : std::as_const(m_owners))
            replicas.insert(owner);
        if (replicas.isEmpty())
            return succeed({});
        if (!m_redis)
            return fail();
        m_replicas = QStringList(replicas.cbegin(), replicas.cend());
        QList<QByteArray> args{"MGET"};
        for (const QString &replica : std::as_const(m_replicas))
            args.append(cluster::replicaAliveKey(replica));
        auto self = shared_from_this();
        m_redis->command(args, [self](const RedisReply &reply) {
            if (!reply.isArray() || reply.elements().size() != self->m_replicas.size())
                return self->fail();
            QSet<QString> alive;
            for (qsizetype i = 0; i < self->m_replicas.size(); ++i) {
                if (!reply.elements().at(i).isNil())
                    alive.insert(self->m_replicas.at(i));
            }
            self->succeed(alive);
        });
    }

    void succeed(const QSet<QString> &alive)
    {
        ClusterPresence::AgentDirectory directory;
        for (auto it = m_owners.cbegin(); it != m_owners.cend(); ++it) {
            if (alive.contains(it.value()))
                directory.replicaByAgent.insert(it.key(), it.value());
        }
        // The local view wins for local agents: it is what this replica actually holds.
        for (auto it = m_local.cbegin(); it != m_local.cend(); ++it)
            directory.replicaByAgent.insert(it.key(), it.value());
        finish(std::move(directory));
    }

    void fail()
    {
        ClusterPresence::AgentDirectory directory;
        directory.replicaByAgent = m_local;
        directory.complete = false;
        finish(std::move(directory));
    }

    void finish(ClusterPresence::AgentDirectory directory)
    {
        m_promise.addResult(std::move(directory));
        m_promise.finish();
    }

    QPointer<RedisConnection> m_redis;
    QHash<QString, QString> m_local;
    QPromise<ClusterPresence::AgentDirectory> m_promise;
    QSet<QByteArray> m_keys;
    QList<QByteArray> m_order;
    QHash<QString, QString> m_owners;
    QStringList m_replicas;
};

} // namespace

ClusterPresence::ClusterPresence(RedisConnection *redis, const Config &config, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_config(config)
    , m_instance(QString::number(QRandomGenerator::global()->generate64(), 16))
{
    m_refreshTimer.setInterval(m_config.refreshInterval);
    connect(&m_refreshTimer, &QTimer::timeout, this, &ClusterPresence::refreshNow);
    connect(redis, &RedisConnection::connected, this, &ClusterPresence::onConnected);
    connect(redis, &RedisConnection::disconnected, this, &ClusterPresence::onConnectionTrouble);
    connect(redis, &RedisConnection::errorOccurred, this, &ClusterPresence::onConnectionTrouble);
    m_available = redis->isConnected();
    m_availabilityKnown = m_available;
}

ClusterPresence::~ClusterPresence() = default;

void ClusterPresence::start()
{
    m_started = true;
    m_refreshTimer.start();
    if (m_redis && m_redis->isConnected()) {
        setAvailable(true);
        m_announceNextPass = true;
        refreshNow();
    }
}

void ClusterPresence::stop()
{
    m_started = false;
    m_refreshTimer.stop();
}

void ClusterPresence::agentConnected(const QString &agentId)
{
    m_localAgents.insert(agentId);
    m_pendingRelease.remove(agentId);
    registerAgent(agentId);
}

void ClusterPresence::agentDisconnected(const QString &agentId)
{
    m_localAgents.remove(agentId);
    if (!m_redis || !m_redis->isConnected()) {
        m_pendingRelease.insert(agentId);
        return;
    }
    release({agentId});
}

void ClusterPresence::release(const QStringList &agentIds)
{
    QList<QByteArray> args{"EVAL", kReleaseScript, QByteArray::number(agentIds.size() * 2)};
    for (const QString &agentId : agentIds)
        args << cluster::agentPodKey(agentId) << cluster::agentConnectedKey(agentId);
    args << m_config.replica.toUtf8();
    QPointer<ClusterPresence> self(this);
    m_redis->command(args, [self, agentIds](const RedisReply &reply) {
        if (!self || !reply.isError())
            return;
        for (const QString &agentId : agentIds) {
            if (!self->m_localAgents.contains(agentId))
                self->m_pendingRelease.insert(agentId); // retried by the next pass
        }
    });
}

void ClusterPresence::agentHeartbeat(const QString &agentId)
{
    if (!m_localAgents.contains(agentId))
        agentConnected(agentId);
}

QStringList ClusterPresence::localAgents() const
{
    return QStringList(m_localAgents.cbegin(), m_localAgents.cend());
}

void ClusterPresence::registerAgent(const QString &agentId)
{
    if (!m_redis || !m_redis->isConnected())
        return; // published by the pass after recovery
    const QByteArray ttl = seconds(m_config.agentTtl);
    m_redis->command({"SET", cluster::agentPodKey(agentId), m_config.replica.toUtf8(), "EX", ttl});
    m_redis->command({"SET", cluster::agentConnectedKey(agentId), cluster::kAgentConnectedValue, "EX", ttl});
}

void ClusterPresence::refreshNow()
{
    if (!m_redis || !m_redis->isConnected())
        return;
    if (m_passInFlight) {
        m_passAgain = true;
        return;
    }
    m_passInFlight = true;
    const bool announce = std::exchange(m_announceNextPass, false);

    m_redis->command({"SET", cluster::replicaAliveKey(m_config.replica), m_instance.toUtf8(), "EX",
                      seconds(m_config.replicaTtl)});
    if (!m_pendingRelease.isEmpty()) {
        const QStringList released(m_pendingRelease.cbegin(), m_pendingRelease.cend());
        m_pendingRelease.clear();
        release(released);
    }

    const QStringList agents = localAgents();
    const qsizetype batch = qMax(1, m_config.refreshBatchSize);
    const qsizetype batches = (agents.size() + batch - 1) / batch;
    struct Pass
    {
        qsizetype outstanding = 0;
        int written = 0;
        bool failed = false;
    };
    auto pass = std::make_shared<Pass>();
    pass->outstanding = batches;

    QPointer<ClusterPresence> self(this);
    auto done = [self, pass, announce] {
        if (!self)
            return;
        self->m_passInFlight = false;
        if (announce && pass->failed)
            self->m_announceNextPass = true; // recovery must publish everything, try again
        if (!pass->failed) {
            Q_EMIT self->refreshed(pass->written);
            if (announce) {
                qCInfo(lcCluster) << "presence of" << pass->written << "agents published for replica"
                                  << self->m_config.replica;
                Q_EMIT self->republished(pass->written);
            }
        }
        if (std::exchange(self->m_passAgain, false))
            self->refreshNow();
    };
    if (batches == 0) {
        // Still wait for the liveness SET, so that `refreshed` means "Redis has it".
        m_redis->command({"PING"}, [pass, done](const RedisReply &reply) {
            pass->failed = reply.isError();
            done();
        });
        return;
    }

    const QByteArray replica = m_config.replica.toUtf8();
    const QByteArray ttl = seconds(m_config.agentTtl);
    const QByteArray prefix = cluster::kReplicaKeyPrefix;
    const QByteArray suffix = cluster::kReplicaAliveSuffix;
    for (qsizetype first = 0; first < agents.size(); first += batch) {
        const QStringList chunk = agents.mid(first, batch);
        QList<QByteArray> args{"EVAL", kRefreshScript, QByteArray::number(chunk.size() * 2)};
        args.reserve(3 + chunk.size() * 2 + 4);
        for (const QString &agentId : chunk) {
            args.append(cluster::agentPodKey(agentId));
            args.append(cluster::agentConnectedKey(agentId));
        }
        args << replica << ttl << prefix << suffix;
        m_redis->command(args, [self, pass, done, chunk](const RedisReply &reply) {
            if (!reply.isArray()) {
                if (!pass->failed && self)
                    qCDebug(lcCluster) << "presence refresh failed:" << reply.toDebugString();
                pass->failed = true;
            } else {
                const QList<RedisReply> &lost = reply.elements();
                pass->written += int(chunk.size() - lost.size() / 2);
                for (qsizetype i = 0; i + 1 < lost.size() && self; i += 2) {
                    bool ok = false;
                    const qint64 number = lost.at(i).toInteger(&ok);
                    if (!ok || number < 1 || number > chunk.size())
                        continue;
                    const QString &agentId = chunk.at(number - 1);
                    if (self->m_localAgents.contains(agentId))
                        Q_EMIT self->agentClaimedElsewhere(agentId,
                                                           QString::fromUtf8(lost.at(i + 1).toByteArray()));
                }
            }
            if (--pass->outstanding == 0)
                done();
        });
    }
}

QFuture<Decoded<ClusterPresence::AgentLocation>> ClusterPresence::locate(const QString &agentId)
{
    if (m_localAgents.contains(agentId))
        return finished(Decoded<AgentLocation>(AgentLocation{m_config.replica, true}));
    if (!m_redis)
        return finished(Decoded<AgentLocation>(Error{ErrorCode::Unavailable, u"redis: gone"_s, {}, {}}));
    auto promise = std::make_shared<QPromise<Decoded<AgentLocation>>>();
    promise->start();
    m_redis->command(
        {"EVAL", kLocateScript, "1", cluster::agentPodKey(agentId), cluster::kReplicaKeyPrefix,
         cluster::kReplicaAliveSuffix},
        [promise](const RedisReply &reply) {
            if (reply.isNil()) {
                promise->addResult(AgentLocation{});
            } else if (reply.isArray() && reply.elements().size() == 2) {
                promise->addResult(AgentLocation{QString::fromUtf8(reply.elements().at(0).toByteArray()),
                                                 reply.elements().at(1).toInteger() == 1});
            } else if (reply.isError()) {
                promise->addResult(unavailable(reply));
            } else {
                promise->addResult(
                    Error{ErrorCode::Internal, u"unexpected reply "_s + reply.toDebugString(), {}, {}});
            }
            promise->finish();
        });
    return promise->future();
}

QFuture<ClusterPresence::AgentDirectory> ClusterPresence::connectedAgents()
{
    QHash<QString, QString> local;
    for (const QString &agentId : std::as_const(m_localAgents))
        local.insert(agentId, m_config.replica);
    auto scan = std::make_shared<DirectoryScan>(m_redis.data(), std::move(local));
    QFuture<AgentDirectory> future = scan->future();
    scan->scan("0");
    return future;
}

QFuture<Decoded<QStringList>> ClusterPresence::liveReplicas()
{
    if (!m_redis)
        return finished(Decoded<QStringList>(Error{ErrorCode::Unavailable, u"redis: gone"_s, {}, {}}));
    // Few keys (one per replica): a server-side SCAN loop is fine.
    static constexpr char kScript[] = R"lua(
local names, cursor = {}, '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do names[#names + 1] = key end
until cursor == '0'
return names
)lua";
    auto promise = std::make_shared<QPromise<Decoded<QStringList>>>();
    promise->start();
    const QByteArray pattern = QByteArray(cluster::kReplicaKeyPrefix) + '*' + cluster::kReplicaAliveSuffix;
    m_redis->command({"EVAL", kScript, "0", pattern}, [promise](const RedisReply &reply) {
        if (!reply.isArray()) {
            promise->addResult(reply.isError() ? Decoded<QStringList>(unavailable(reply))
                                               : Decoded<QStringList>(Error{
                                                     ErrorCode::Internal, u"unexpected reply"_s, {}, {}}));
        } else {
            const qsizetype prefix = qsizetype(sizeof(cluster::kReplicaKeyPrefix) - 1);
            const qsizetype suffix = qsizetype(sizeof(cluster::kReplicaAliveSuffix) - 1);
            QStringList names;
            for (const RedisReply &key : reply.elements()) {
                const QByteArray name = key.toByteArray();
                if (name.size() > prefix + suffix)
                    names.append(QString::fromUtf8(name.mid(prefix, name.size() - prefix - suffix)));
            }
            names.sort();
            promise->addResult(names);
        }
        promise->finish();
    });
    return promise->future();
}

QFuture<bool> ClusterPresence::withdraw()
{
    stop();
    QStringList agents = localAgents();
    agents += QStringList(m_pendingRelease.cbegin(), m_pendingRelease.cend());
    m_localAgents.clear();
    m_pendingRelease.clear();
    if (!m_redis || !m_redis->isConnected())
        return finished(false);
    m_redis->command({"DEL", cluster::replicaAliveKey(m_config.replica)});
    QList<QByteArray> args{"EVAL", kReleaseScript, QByteArray::number(agents.size() * 2)};
    for (const QString &agentId : agents)
        args << cluster::agentPodKey(agentId) << cluster::agentConnectedKey(agentId);
    args << m_config.replica.toUtf8();
    auto promise = std::make_shared<QPromise<bool>>();
    promise->start();
    m_redis->command(args, [promise](const RedisReply &reply) {
        promise->addResult(reply.isInteger());
        promise->finish();
    });
    return promise->future();
}

void ClusterPresence::onConnected()
{
    setAvailable(true);
    if (!m_started)
        return;
    m_announceNextPass = true;
    refreshNow();
}

void ClusterPresence::onConnectionTrouble()
{
    setAvailable(false);
}

void ClusterPresence::setAvailable(bool available)
{
    if (m_availabilityKnown && m_available == available)
        return;
    m_availabilityKnown = true;
    m_available = available;
    if (available)
        qCInfo(lcCluster) << "redis reachable: cluster presence active for replica" << m_config.replica;
    else
        qCWarning(lcCluster) << "redis unreachable: replica" << m_config.replica
                             << "serves its own agents only until it is back";
    Q_EMIT availabilityChanged(available);
}

} // namespace switchboard
