#include "ClusterLoad.h"

#include "ClusterBus.h"
#include "ClusterKeys.h"
#include "ClusterLog.h"
#include "ClusterMessages.h"

#include "redis/RedisConnection.h"
#include "shared/JsonReader.h"

#include <QPromise>
#include <QRandomGenerator>
#include <QSet>

#include <algorithm>
#include <limits>

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;
using protocol::JsonReader;

namespace {

constexpr int kLoadReportVersion = 1;
constexpr qsizetype kMaxIdLength = 256;
constexpr qint64 kMaxCount = std::numeric_limits<int>::max();
// The stream kinds a report may name (Hub's ClientKind names).
const QStringList kClientKinds{u"sessions"_s, u"cluster"_s, u"admin"_s, u"logs"_s};

// ARGV: load key pattern, key prefix, load suffix, liveness suffix. The load reports of replicas
// whose liveness key exists: a replica that stopped refreshing leaves with its liveness key.
// Few keys (one per replica): a server-side SCAN loop is fine.
constexpr char kReadScript[] = R"lua(
local reports, cursor = {}, '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local name = string.sub(key, #ARGV[2] + 1, #key - #ARGV[3])
    if redis.call('EXISTS', ARGV[2] .. name .. ARGV[4]) == 1 then
      local report = redis.call('GET', key)
      if report then reports[#reports + 1] = report end
    end
  end
until cursor == '0'
return reports
)lua";

QFuture<bool> finishedWith(bool value)
{
    QPromise<bool> promise;
    promise.start();
    promise.addResult(value);
    promise.finish();
    return promise.future();
}

protocol::admin::LoadCounts &operator+=(protocol::admin::LoadCounts &sum,
                                        const protocol::admin::LoadCounts &add)
{
    sum.agentsConnected = int(qMin(kMaxCount, qint64(sum.agentsConnected) + add.agentsConnected));
    sum.browserClients = int(qMin(kMaxCount, qint64(sum.browserClients) + add.browserClients));
    sum.messagesIn = qMin(protocol::admin::kMaxMetricsCounter, sum.messagesIn + add.messagesIn);
    sum.messagesOut = qMin(protocol::admin::kMaxMetricsCounter, sum.messagesOut + add.messagesOut);
    return sum;
}

} // namespace

namespace cluster {

QJsonObject loadReportToJson(const LoadReport &report)
{
    QJsonObject clients;
    for (auto it = report.clients.cbegin(); it != report.clients.cend(); ++it)
        clients.insert(it.key(), it.value());
    QJsonObject orgs;
    for (auto it = report.orgClients.cbegin(); it != report.orgClients.cend(); ++it) {
        if (it.value() > 0)
            orgs.insert(it.key(), it.value());
    }
    return QJsonObject{
        {u"v"_s, kLoadReportVersion},
        {u"replica"_s, report.replica},
        {u"instance"_s, report.instance},
        {u"version"_s, qint64(qMin(report.version, protocol::admin::kMaxMetricsCounter))},
        {u"at"_s, report.atMs},
        {u"agentsConnected"_s, report.counts.agentsConnected},
        {u"browserClients"_s, report.counts.browserClients},
        {u"messagesIn"_s, qint64(qMin(report.counts.messagesIn, protocol::admin::kMaxMetricsCounter))},
        {u"messagesOut"_s, qint64(qMin(report.counts.messagesOut, protocol::admin::kMaxMetricsCounter))},
        {u"clients"_s, clients},
        {u"orgs"_s, orgs},
    };
}

Decoded<LoadReport> decodeLoadReport(const QJsonObject &json)
{
    JsonReader reader(json);
    LoadReport report;
    const qint64 version = reader.requiredInt(u"v"_s, 1, 1000);
    report.replica = reader.requiredString(u"replica"_s, 1, 200);
    report.instance = reader.requiredString(u"instance"_s, 1, 64);
    report.version =
        quint64(reader.requiredInt(u"version"_s, 0, qint64(protocol::admin::kMaxMetricsCounter)));
    report.atMs = reader.requiredInt(u"at"_s, 0, std::numeric_limits<qint64>::max() / 2);
    report.counts.agentsConnected = int(reader.requiredInt(u"agentsConnected"_s, 0, kMaxCount));
    report.counts.browserClients = int(reader.requiredInt(u"browserClients"_s, 0, kMaxCount));
    report.counts.messagesIn =
        quint64(reader.requiredInt(u"messagesIn"_s, 0, qint64(protocol::admin::kMaxMetricsCounter)));
    report.counts.messagesOut =
        quint64(reader.requiredInt(u"messagesOut"_s, 0, qint64(protocol::admin::kMaxMetricsCounter)));
    const QJsonObject clients = reader.optionalObject(u"clients"_s);
    const QJsonObject orgs = reader.optionalObject(u"orgs"_s);
    if (!reader.ok())
        return reader.error();
    if (version != kLoadReportVersion)
        return Error{
            ErrorCode::InvalidValue, u"unsupported load report version %1"_s.arg(version), u"v"_s, {}};
    if (!isValidReplicaName(report.replica))
        return Error{ErrorCode::InvalidValue, u"invalid replica name"_s, u"replica"_s, {}};
    for (auto it = clients.constBegin(); it != clients.constEnd(); ++it) {
        const qint64 count = it.value().toInteger(-1);
        if (!kClientKinds.contains(it.key()) || count < 0 || count > kMaxCount)
            return Error{ErrorCode::InvalidValue, u"invalid client count"_s, u"clients"_s, {}};
        report.clients.insert(it.key(), int(count));
    }
    if (orgs.size() > kMaxLoadReportOrgs)
        return Error{ErrorCode::InvalidValue, u"too many organisations"_s, u"orgs"_s, {}};
    report.orgClients.reserve(orgs.size());
    for (auto it = orgs.constBegin(); it != orgs.constEnd(); ++it) {
        const qint64 count = it.value().toInteger(-1);
        if (it.key().isEmpty() || it.key().size() > kMaxIdLength || count < 0 || count > kMaxCount)
            return Error{ErrorCode::InvalidValue, u"invalid organisation count"_s, u"orgs"_s, {}};
        if (count > 0)
            report.orgClients.insert(it.key(), int(count));
    }
    return report;
}

Decoded<LoadReport> decodeLoadReport(QByteArrayView json)
{
    if (json.size() > kMaxClusterMessageBytes)
        return Error{ErrorCode::InvalidValue, u"load report too large"_s, {}, {}};
    auto parsed = protocol::parseObject(json);
    if (!parsed)
        return parsed.error();
    return decodeLoadReport(parsed.value());
}

} // namespace cluster

ClusterLoad::ClusterLoad(RedisConnection *redis, ClusterBus *bus, Sampler sampler, const Config &config,
                         QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_bus(bus)
    , m_sampler(std::move(sampler))
    , m_config(config)
    , m_instance(QString::number(QRandomGenerator::global()->generate64(), 16))
{
    m_publishTimer.setSingleShot(true);
    m_publishTimer.setInterval(m_config.publishDelay);
    connect(&m_publishTimer, &QTimer::timeout, this, &ClusterLoad::publish);
}

ClusterLoad::~ClusterLoad()
{
    if (m_reading) {
        m_reading->addResult(false);
        m_reading->finish();
    }
}

cluster::LoadReport ClusterLoad::sample()
{
    cluster::LoadReport report = m_sampler ? m_sampler() : cluster::LoadReport{};
    report.replica = m_config.replica;
    report.instance = m_instance;
    report.version = ++m_version;
    report.atMs = QDateTime::currentMSecsSinceEpoch();
    return report;
}

void ClusterLoad::localChanged()
{
    if (!m_publishTimer.isActive())
        m_publishTimer.start();
}

void ClusterLoad::publish()
{
    if (!m_redis || !m_redis->isConnected())
        return; // the first refresh after recovery writes it
    const QJsonObject report = cluster::loadReportToJson(sample());
    // Written before it is announced: a replica that reads the key after the bus message sees
    // this report or a newer one.
    m_redis->command({"SET", cluster::replicaLoadKey(m_config.replica), protocol::toJsonBytes(report), "EX",
                      QByteArray::number(qMax<qint64>(1, m_config.ttl.count()))});
    if (m_bus)
        m_bus->publishReplicaLoad(report);
}

QFuture<bool> ClusterLoad::refresh()
{
    if (m_reading)
        return m_reading->future();
    if (!m_redis || !m_redis->isConnected())
        return finishedWith(false);
    m_publishTimer.stop(); // this write carries the latest numbers
    m_redis->command({"SET", cluster::replicaLoadKey(m_config.replica),
                      protocol::toJsonBytes(cluster::loadReportToJson(sample())), "EX",
                      QByteArray::number(qMax<qint64>(1, m_config.ttl.count()))});
    m_reading = std::make_shared<QPromise<bool>>();
    m_reading->start();
    QFuture<bool> future = m_reading->future();
    const quint64 startedAt = ++m_generation;
    const QByteArray prefix = cluster::kReplicaKeyPrefix;
    const QByteArray pattern = prefix + '*' + cluster::kReplicaLoadSuffix;
    QPointer<ClusterLoad> self(this);
    m_redis->command({"EVAL", kReadScript, "0", pattern, prefix, cluster::kReplicaLoadSuffix,
                      cluster::kReplicaAliveSuffix},
                     [self, startedAt](const RedisReply &reply) {
                         if (!self || !self->m_reading)
                             return;
                         const std::shared_ptr<QPromise<bool>> reading =
                             std::exchange(self->m_reading, nullptr);
                         const bool answered = reply.isArray();
                         if (answered) {
                             QList<QByteArray> reports;
                             for (const RedisReply &element : reply.elements())
                                 reports.append(element.toByteArray());
                             self->onRead(reports, startedAt);
                         } else {
                             qCDebug(lcCluster)
                                 << "reading the replicas' load failed:" << reply.toDebugString();
                         }
                         reading->addResult(answered);
                         reading->finish();
                     });
    return future;
}

void ClusterLoad::onRead(const QList<QByteArray> &reports, quint64 startedAt)
{
    QSet<QString> seen;
    for (const QByteArray &bytes : reports) {
        Decoded<cluster::LoadReport> report = cluster::decodeLoadReport(bytes);
        if (!report) {
            ++m_rejected;
            qCDebug(lcCluster) << "dropped a load report:" << report.error().message;
            continue;
        }
        if (report.value().replica == m_config.replica)
            continue;
        seen.insert(report.value().replica);
        apply(std::move(report.value()));
    }
    // Gone from Redis (dead or withdrawn), unless a bus report arrived after the read started.
    QStringList gone;
    for (auto it = m_remote.cbegin(); it != m_remote.cend(); ++it) {
        if (!seen.contains(it.key()) && it->touched <= startedAt)
            gone.append(it.key());
    }
    for (const QString &replica : std::as_const(gone)) {
        qCInfo(lcCluster) << "replica" << replica << "no longer reports its load";
        remove(replica);
    }
}

void ClusterLoad::setAvailable(bool available)
{
    if (available == m_available)
        return;
    m_available = available;
    if (!available) {
        const QStringList replicas = m_remote.keys();
        for (const QString &replica : replicas)
            remove(replica);
        return;
    }
    refresh();
}

void ClusterLoad::applyRemote(const QJsonObject &report, const QString &origin)
{
    Decoded<cluster::LoadReport> decoded = cluster::decodeLoadReport(report);
    if (!decoded || decoded.value().replica != origin) {
        ++m_rejected;
        qCDebug(lcCluster) << "dropped a load report from" << origin;
        return;
    }
    if (!m_available || origin == m_config.replica)
        return;
    apply(std::move(decoded.value()));
}

void ClusterLoad::apply(cluster::LoadReport report)
{
    const auto it = m_remote.find(report.replica);
    if (it != m_remote.end()) {
        const cluster::LoadReport &known = it->report;
        const bool sameInstance = known.instance == report.instance;
        if ((sameInstance && report.version < known.version) || (!sameInstance && report.atMs < known.atMs))
            return; // older than what we have
        it->touched = ++m_generation;
        if (sameInstance && report.version == known.version)
            return;
        const QHash<QString, int> before = known.orgClients;
        it->report = std::move(report);
        emitOrgDiff(before, it->report.orgClients);
        return;
    }
    if (m_remote.size() >= m_config.maxReplicas) {
        ++m_rejected;
        return;
    }
    const QString replica = report.replica;
    const QHash<QString, int> after = report.orgClients;
    m_remote.insert(replica, Remote{std::move(report), ++m_generation});
    emitOrgDiff({}, after);
}

void ClusterLoad::remove(const QString &replica)
{
    const auto it = m_remote.find(replica);
    if (it == m_remote.end())
        return;
    const QHash<QString, int> before = it->report.orgClients;
    m_remote.erase(it);
    emitOrgDiff(before, {});
}

void ClusterLoad::emitOrgDiff(const QHash<QString, int> &before, const QHash<QString, int> &after)
{
    QStringList changed;
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        if (after.value(it.key()) != it.value())
            changed.append(it.key());
    }
    for (auto it = after.cbegin(); it != after.cend(); ++it) {
        if (!before.contains(it.key()) && it.value() != 0)
            changed.append(it.key());
    }
    for (const QString &orgId : std::as_const(changed))
        Q_EMIT remoteOrgClientsChanged(orgId);
}

int ClusterLoad::remoteOrgClients(const QString &orgId) const
{
    qint64 sum = 0;
    for (const Remote &remote : m_remote)
        sum += remote.report.orgClients.value(orgId);
    return int(qMin(kMaxCount, sum));
}

QStringList ClusterLoad::remoteOrgs() const
{
    QSet<QString> orgs;
    for (const Remote &remote : m_remote) {
        for (auto it = remote.report.orgClients.cbegin(); it != remote.report.orgClients.cend(); ++it)
            orgs.insert(it.key());
    }
    QStringList list(orgs.cbegin(), orgs.cend());
    list.sort();
    return list;
}

QList<cluster::LoadReport> ClusterLoad::remoteReports() const
{
    QList<cluster::LoadReport> reports;
    reports.reserve(m_remote.size());
    for (const Remote &remote : m_remote)
        reports.append(remote.report);
    std::sort(reports.begin(), reports.end(),
              [](const auto &a, const auto &b) { return a.replica < b.replica; });
    return reports;
}

protocol::admin::Metrics ClusterLoad::composeMetrics(const cluster::LoadReport &local,
                                                     const QList<cluster::LoadReport> &remote, bool partial,
                                                     const QDateTime &now)
{
    protocol::admin::Metrics metrics;
    metrics.timestamp = now;
    metrics.replica = local.replica;
    metrics.agentsConnected = local.counts.agentsConnected;
    metrics.browserClients = local.counts.browserClients;
    metrics.messagesIn = local.counts.messagesIn;
    metrics.messagesOut = local.counts.messagesOut;
    metrics.partial = partial;
    protocol::admin::LoadCounts total;
    const auto add = [&metrics, &total](const cluster::LoadReport &report) {
        total += report.counts;
        metrics.replicas.append({report.replica, report.counts, report.clients});
    };
    add(local);
    for (const cluster::LoadReport &report : remote) {
        if (metrics.replicas.size() >= protocol::admin::kMaxMetricsReplicas)
            break;
        if (report.replica != local.replica)
            add(report);
    }
    std::sort(metrics.replicas.begin(), metrics.replicas.end(),
              [](const auto &a, const auto &b) { return a.replica < b.replica; });
    metrics.cluster = total;
    return metrics;
}

protocol::admin::Metrics ClusterLoad::metrics(const QDateTime &now)
{
    cluster::LoadReport local = m_sampler ? m_sampler() : cluster::LoadReport{};
    local.replica = m_config.replica;
    return composeMetrics(local, remoteReports(), !m_available, now);
}

} // namespace switchboard
