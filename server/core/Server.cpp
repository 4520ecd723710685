#include "core/Server.h"
#include "core/Continuation.h"

#include "cluster/ClusterBus.h"
#include "cluster/ClusterLoad.h"
#include "cluster/ClusterLogRelay.h"
#include "cluster/ClusterPresence.h"
#include "cluster/CommandRouter.h"
#include "redis/RedisConnection.h"
#include "redis/RedisSubscriber.h"
#include "redis/RedisUrl.h"
#include "shared/AdminProtocol.h"

#include <QJsonDocument>

#include "core/AdminService.h"
#include "core/AgentHub.h"
#include "core/AgentRegistrar.h"
#include "core/BrowserEndpoint.h"
#include "core/CommandLedger.h"
#include "core/DatabaseProbe.h"
#include "core/EventJournal.h"
#include "core/Gateway.h"
#include "core/Hub.h"
#include "core/LogRelay.h"
#include "core/Manager.h"
#include "core/MetricsEndpoint.h"
#include "core/Notifier.h"
#include "core/SessionService.h"
#include "core/TokenRevocations.h"
#include "metrics/ServerMetrics.h"
#include "net/Authenticator.h"
#include "net/HttpFront.h"
#include "net/TlsSetup.h"
#include "storage/Store.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSet>
#include <QTimer>

Q_LOGGING_CATEGORY(lcServer, "switchboard.server")

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {
// Agents registered with the bootstrap key join this org until an admin approves them.
const QString kBootstrapOrg = u"default"_s;
// How late a replica learns of a token revoked on another one (docs/SECURITY.md).
constexpr std::chrono::milliseconds kRevocationReloadInterval{10000};

HttpLimits httpLimitsFrom(const Limits &limits)
{
    HttpLimits http;
    http.listenBacklog = limits.listenBacklog;
    http.handshakeTimeout = limits.handshakeTimeout();
    http.maxHeaderBytes = limits.maxHeaderBytes;
    http.maxBodyBytes = limits.maxBodyBytes;
    http.maxConnectionsPerAddress = limits.maxConnectionsPerAddress;
    http.handshakesPerAddressPerSecond = limits.handshakesPerAddressPerSecond;
    for (const QString &text : limits.exemptSubnets) {
        if (const auto subnet = parseSubnetOrAddress(text))
            http.exemptSubnets.append(*subnet);
    }
    return http;
}
} // namespace

Server::Server(const Settings &settings, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
{
    const QString version = QCoreApplication::applicationVersion();
    m_metrics = std::make_unique<metrics::ServerMetrics>(
        m_settings.replicaName, version.isEmpty() ? u"unknown"_s : version,
        double(QDateTime::currentMSecsSinceEpoch()) / 1000.0);
    m_store = new Store(this);
    // Runs on the storage thread: ServerMetrics::databaseOperation only touches atomics.
    m_store->setJobObserver(
        [metrics = m_metrics.get()](std::chrono::nanoseconds elapsed, const protocol::Error *error) {
            const char *code = nullptr;
            if (error && error->code == protocol::ErrorCode::Unavailable)
                code = "unavailable";
            else if (error && error->code == protocol::ErrorCode::Internal)
                code = "internal";
            metrics->databaseOperation(elapsed, code);
        });
    m_authenticator = std::make_unique<Authenticator>(m_settings.jwtSecret, 30, m_settings.tokenCacheSize);

    AgentHub::Config agentConfig;
    agentConfig.heartbeatTimeout = m_settings.heartbeatTimeout();
    agentConfig.staleSweepInterval = m_settings.staleSweepInterval();
    agentConfig.pingInterval = m_settings.agentPingInterval();
    agentConfig.readTimeout = m_settings.readTimeout();
    agentConfig.maxFrameBytes = m_settings.limits.agentMaxFrameBytes;
    agentConfig.maxBadFrames = m_settings.limits.maxBadFrames;
    agentConfig.maxMessagesPerSecond = m_settings.limits.agentMessagesPerSecond;
    agentConfig.replica = m_settings.replicaName;
    m_agents = new AgentHub(m_store, agentConfig, this);
    m_agents->setMetrics(m_metrics.get());
    m_ledger =
        new CommandLedger(m_store, m_agents, CommandLedger::Config::fromDelivery(m_settings.delivery), this);
    SessionService::Config sessionConfig;
    sessionConfig.agentGracePeriod = m_settings.delivery.agentGracePeriod();
    m_sessions = new SessionService(m_store, m_agents, m_ledger, sessionConfig, this);

    Hub::Config hubConfig;
    hubConfig.maxUnsentMessages = m_settings.limits.slowClientMaxMessages;
    hubConfig.maxUnsentBytes = m_settings.limits.slowClientMaxBytes;
    hubConfig.pingInterval = m_settings.uiPingInterval();
    hubConfig.readTimeout = m_settings.readTimeout();
    hubConfig.maxFrameBytes = m_settings.limits.browserMaxFrameBytes;
    hubConfig.maxBadFrames = m_settings.limits.maxBadFrames;
    hubConfig.maxMessagesPerSecond = m_settings.limits.browserMessagesPerSecond;
    m_hub = new Hub(hubConfig, this);
    m_hub->setMetrics(m_metrics.get());
    m_notifier = new Notifier(m_hub, this);
    EventJournal::Config journalConfig;
    journalConfig.maxEventsPerOrg = m_settings.delivery.eventHistoryMaxEvents;
    journalConfig.maxAge = m_settings.delivery.eventHistoryMaxAge();
    m_journal = new EventJournal(m_store, journalConfig, this);
    m_manager =
        new Manager(m_store, m_hub, {m_settings.sessionsInterval(), m_settings.metricsInterval()}, this);
    m_browsers = new BrowserEndpoint(m_store, m_hub, m_notifier, m_journal, m_manager, this);
    m_browsers->setMaxSubscriptions(m_settings.limits.maxSubscriptionsPerClient);
    m_admin = new AdminService(m_store, m_hub, m_agents, m_ledger, m_sessions, this);
    m_admin->setEventJournal(m_journal);
    m_revocations = new TokenRevocations(m_store, m_hub, this);
    m_authenticator->setRevocations(&m_revocations->list());
    m_admin->setTokenRevocations(m_revocations);
    m_registrar = new AgentRegistrar(m_store, m_settings.bootstrapKey, kBootstrapOrg, this);
    m_logs = new LogRelay(m_hub, m_agents, m_ledger, LogRelay::Config{}, this);

    Gateway::Services services;
    services.store = m_store;
    services.authenticator = m_authenticator.get();
    services.agents = m_agents;
    services.hub = m_hub;
    services.browsers = m_browsers;
    services.admin = m_admin;
    services.sessions = m_sessions;
    services.registrar = m_registrar;
    services.logs = m_logs;
    services.maxEventDataBytes = m_settings.limits.maxEventDataBytes;
    services.access = AccessPolicy(m_settings.allowedOrigins, !m_settings.tls.clientCaFile.isEmpty());
    m_databaseProbe = new DatabaseProbe(m_store, m_settings.probeInterval(), this);
    m_metricsEndpoint = new MetricsEndpoint(
        m_metrics.get(), m_store, m_settings.metrics, m_settings.probeInterval(), [this] { sampleMetrics(); },
        this);
    services.metricsEndpoint = m_metricsEndpoint;
    services.database = m_databaseProbe;
    services.metrics = m_metrics.get();
    m_gateway = std::make_unique<Gateway>(services);

    m_front = new HttpFront(m_gateway.get(), httpLimitsFrom(m_settings.limits), this);
    wire();
    if (!m_settings.redisUrl.isEmpty())
        createCluster();
}

Server::~Server()
{
    // Reverse order of construction: the front door and the sockets go first, storage last, so
    // nothing ever calls into a component that is already gone.
    delete m_front;
    m_gateway.reset();
    delete m_metricsEndpoint;
    delete m_databaseProbe;
    // The cluster parts call into the ledger, the hub and the admin service: they go first.
    delete m_load;
    delete m_clusterLogs;
    delete m_bus;
    delete m_router;
    delete m_presence;
    delete m_subscriber;
    delete m_redis;
    delete m_logs;
    delete m_registrar;
    delete m_admin;
    delete m_manager;
    delete m_browsers;
    delete m_journal;
    delete m_notifier;
    delete m_hub;
    delete m_sessions;
    delete m_ledger;
    delete m_agents;
    m_store->close();
    delete m_store;
}

void Server::wire()
{
    connect(m_hub, &Hub::messageReceived, this, [this](quint64 clientId, const QByteArray &utf8) {
        const BrowserClient *client = m_hub->client(clientId);
        if (!client)
            return;
        if (client->kind == ClientKind::Admin)
            m_admin->handleMessage(clientId, utf8);
        else if (client->kind == ClientKind::Logs)
            m_logs->handleMessage(clientId, utf8);
        else
            m_browsers->handleMessage(clientId, utf8);
    });
    connect(m_hub, &Hub::orgClientCountChanged, m_admin,
            [this](const QString &orgId, int) { m_admin->publishOrg(orgId); });

    connect(m_agents, &AgentHub::agentConnected, m_admin, &AdminService::publishAgent);
    connect(m_agents, &AgentHub::agentUpdated, m_admin, &AdminService::publishAgent);
    connect(
        m_agents, &AgentHub::agentDisconnected, m_admin,
        [this](const protocol::AgentInfo &agent, protocol::AgentStatus) { m_admin->publishAgent(agent); });
    connect(m_registrar, &AgentRegistrar::agentRegistered, m_admin, [this](const protocol::AgentInfo &agent) {
        if (const AgentConnection *connection = m_agents->connection(agent.agentId)) {
            m_admin->publishAgent(connection->info);
            return;
        }
        protocol::AgentInfo offline = agent;
        offline.status = protocol::AgentStatus::Offline;
        m_admin->publishAgent(offline);
    });
    connect(m_ledger, &CommandLedger::commandUpdated, m_admin, &AdminService::publishCommand);
    connect(m_ledger, &CommandLedger::commandFinished, this, [this](const protocol::CommandInfo &command) {
        if (command.createdAt.isValid())
            m_metrics->commandFinished(protocol::commandStatusName(command.status),
                                       double(command.createdAt.msecsTo(QDateTime::currentDateTimeUtc())) /
                                           1000.0);
    });
    connect(m_databaseProbe, &DatabaseProbe::reachabilityChanged, this,
            [this](bool reachable) { m_metrics->setDatabaseUp(reachable); });
    connect(m_manager, &Manager::metricsTick, m_admin, [this] {
        if (!m_load) {
            m_admin->publishMetrics(
                ClusterLoad::composeMetrics(sampleLoad(), {}, false, QDateTime::currentDateTimeUtc()));
            return;
        }
        // Cluster mode: the other replicas' numbers as Redis has them now (this replica's own are
        // sampled when the answer comes; without an answer they are all the message holds).
        onFinished(m_load->refresh(), m_load, [this](bool) {
            m_admin->publishMetrics(m_load->metrics(QDateTime::currentDateTimeUtc()));
        });
    });
    // Events reach clients only once recorded, with their seq (see EventJournal).
    connect(m_sessions, &SessionService::sessionEvent, m_journal, &EventJournal::append);
    connect(m_journal, &EventJournal::eventRecorded, m_notifier, &Notifier::notifySessionEvent);
    connect(m_journal, &EventJournal::eventRecorded, m_admin, &AdminService::publishSessionEvent);
    connect(m_sessions, &SessionService::sessionEvent, m_logs,
            [this](const protocol::browser::SessionEvent &event) {
                if (event.type != protocol::browser::EventType::StateChanged)
                    return;
                const auto state = protocol::sessionStateFromName(event.data.value("newState"_L1).toString());
                if (state)
                    m_logs->sessionStateChanged(event.sessionId, *state);
            });
}

cluster::LoadReport Server::sampleLoad() const
{
    cluster::LoadReport load;
    load.replica = m_settings.replicaName;
    const int sessions = int(m_hub->clientsOfKind(ClientKind::Sessions).size());
    const int clusterStreams = int(m_hub->clientsOfKind(ClientKind::Cluster).size());
    load.clients.insert(u"sessions"_s, sessions);
    load.clients.insert(u"cluster"_s, clusterStreams);
    load.clients.insert(u"admin"_s, int(m_hub->clientsOfKind(ClientKind::Admin).size()));
    load.clients.insert(u"logs"_s, int(m_hub->clientsOfKind(ClientKind::Logs).size()));
    load.counts.agentsConnected = int(m_agents->connectedAgents().size());
    load.counts.browserClients = sessions + clusterStreams;
    load.counts.messagesIn = m_hub->messagesReceived() + m_agents->framesReceived();
    load.counts.messagesOut = m_hub->messagesSent() + m_agents->framesSent();
    for (const QString &orgId : m_hub->uniqueOrgs())
        load.orgClients.insert(orgId, m_hub->clientCount(orgId));
    return load;
}

void Server::sampleMetrics()
{
    m_metrics->setConnections(u"agent"_s, int(m_agents->connectedAgents().size()));
    m_metrics->setConnections(u"sessions"_s, int(m_hub->clientsOfKind(ClientKind::Sessions).size()));
    m_metrics->setConnections(u"cluster"_s, int(m_hub->clientsOfKind(ClientKind::Cluster).size()));
    m_metrics->setConnections(u"admin"_s, int(m_hub->clientsOfKind(ClientKind::Admin).size()));
    m_metrics->setConnections(u"logs"_s, int(m_hub->clientsOfKind(ClientKind::Logs).size()));
    QSet<QString> orgs;
    for (const QString &org : m_hub->uniqueOrgs())
        orgs.insert(org);
    for (const protocol::AgentInfo &agent : m_agents->connectedAgentInfos())
        orgs.insert(agent.orgId);
    m_metrics->setOrgsConnected(int(orgs.size()));
    for (const auto &hits : {m_front->limitHits(), m_hub->limitHits(), m_agents->limitHits()}) {
        for (auto it = hits.cbegin(); it != hits.cend(); ++it)
            m_metrics->setLimitHits(it.key(), it.value());
    }
    m_metrics->setTokenCache(m_authenticator->tokenCacheHits(), m_authenticator->tokenCacheMisses(),
                             m_authenticator->cachedTokens());
}

void Server::createCluster()
{
    QString why;
    const std::optional<RedisUrl> url = RedisUrl::parse(m_settings.redisUrl, &why);
    if (!url) {
        // Settings validated it already; a bad URL here is a programming error, not an outage.
        qCCritical(lcServer) << "invalid Redis URL:" << why << "- running as a single node";
        return;
    }
    m_redis = new RedisConnection(*url, {}, this);
    m_redis->setCommandObserver([metrics = m_metrics.get()](std::chrono::nanoseconds elapsed, bool failed) {
        metrics->redisCommand(elapsed, failed);
    });
    m_subscriber = new RedisSubscriber(*url, {}, this);
    ClusterPresence::Config presenceConfig;
    presenceConfig.replica = m_settings.replicaName;
    m_presence = new ClusterPresence(m_redis, presenceConfig, this);
    CommandRouter::Config routerConfig;
    routerConfig.replica = m_settings.replicaName;
    m_router = new CommandRouter(m_redis, m_subscriber, m_presence, routerConfig, this);
    ClusterBus::Config busConfig;
    busConfig.replica = m_settings.replicaName;
    m_bus = new ClusterBus(m_redis, m_subscriber, busConfig, this);
    ClusterLoad::Config loadConfig;
    loadConfig.replica = m_settings.replicaName;
    loadConfig.ttl = presenceConfig.replicaTtl;
    m_load = new ClusterLoad(
        m_redis, m_bus, [this] { return sampleLoad(); }, loadConfig, this);
    m_ledger->setRouter(m_router);
    m_admin->setPresence(m_presence);
    m_admin->setClusterLoad(m_load);
    m_sessions->setPresence(m_presence);
    m_logs->setReplicaName(m_settings.replicaName);
    ClusterLogRelay::Config logConfig;
    logConfig.replica = m_settings.replicaName;
    m_clusterLogs = new ClusterLogRelay(m_redis, m_subscriber, m_presence, logConfig, this);
    wireCluster();
}

void Server::wireCluster()
{
    m_router->setLocalDelivery([this](const QString &agentId, const protocol::agent::Command &command) {
        const bool sent = m_agents->sendCommandToAgent(agentId, command);
        if (sent)
            m_ledger->noteRoutedDelivery(command.commandId);
        return sent;
    });

    connect(m_agents, &AgentHub::agentConnected, m_presence,
            [this](const protocol::AgentInfo &agent) { m_presence->agentConnected(agent.agentId); });
    connect(m_agents, &AgentHub::agentDisconnected, m_presence,
            [this](const protocol::AgentInfo &agent, protocol::AgentStatus) {
                m_presence->agentDisconnected(agent.agentId);
            });
    connect(m_presence, &ClusterPresence::agentClaimedElsewhere, m_agents, &AgentHub::closeClaimedElsewhere);

    // Live logs: viewers here of an agent elsewhere follow its replica's stream; other replicas'
    // viewers of an agent here follow ours.
    m_logs->setRemoteSource(
        {[this](const QString &sessionId, const QString &agentId, const QString &orgId, int tailLines) {
             m_clusterLogs->follow({sessionId, agentId, orgId, tailLines});
         },
         [this](const QString &sessionId) { m_clusterLogs->unfollow(sessionId); }});
    m_clusterLogs->setServing(
        [this](const ClusterLogRelay::Follow &follow) {
            return m_logs->serveRemote(follow.sessionId, follow.agentId, follow.orgId, follow.tailLines);
        },
        [this](const QString &sessionId) { m_logs->releaseRemote(sessionId); });
    connect(m_clusterLogs, &ClusterLogRelay::linesReceived, m_logs, &LogRelay::deliverRemoteLines);
    connect(m_clusterLogs, &ClusterLogRelay::followEnded, m_logs, &LogRelay::endRemoteStream);
    connect(m_logs, &LogRelay::remoteLines, m_clusterLogs, &ClusterLogRelay::publishLines);
    connect(m_logs, &LogRelay::remoteStreamEnded, m_clusterLogs, &ClusterLogRelay::publishEnd);
    // ClusterPresence logs the outage and the recovery, once each.
    connect(m_presence, &ClusterPresence::availabilityChanged, this, [this](bool available) {
        m_gateway->setRedisAvailable(available);
        m_metrics->setRedisUp(available);
        m_admin->publishClusterStatus(available);
        m_load->setAvailable(available);
    });

    // Load: this replica's report goes out when a count changes and with every liveness refresh
    // (its key lives as long as the liveness key); other replicas' reports update the admin
    // stream's org client counts as they arrive.
    connect(m_hub, &Hub::orgClientCountChanged, m_load,
            [this](const QString &, int) { m_load->localChanged(); });
    connect(m_agents, &AgentHub::agentConnected, m_load,
            [this](const protocol::AgentInfo &) { m_load->localChanged(); });
    connect(m_agents, &AgentHub::agentDisconnected, m_load,
            [this](const protocol::AgentInfo &, protocol::AgentStatus) { m_load->localChanged(); });
    connect(m_presence, &ClusterPresence::refreshed, m_load, [this](int) { m_load->refresh(); });
    connect(m_bus, &ClusterBus::replicaLoadReceived, m_load, &ClusterLoad::applyRemote);
    connect(m_load, &ClusterLoad::remoteOrgClientsChanged, m_admin, &AdminService::publishOrg);

    // Session events: published once recorded (with their org seq, allocated by the shared
    // database, so a remote event's seq is as valid here as a local one); received ones go to
    // the local subscribers without being recorded again.
    connect(m_journal, &EventJournal::eventRecorded, m_bus, &ClusterBus::publishSessionEvent);
    connect(m_bus, &ClusterBus::sessionEventReceived, this,
            [this](const QString &orgId, const QJsonObject &json, const QString &origin) {
                auto event = protocol::browser::decodeSessionEvent(json, QDateTime::currentDateTimeUtc());
                if (!event || event.value().orgId != orgId || event.value().seq <= 0) {
                    qCDebug(lcServer) << "dropped an unreadable session event from replica" << origin;
                    return;
                }
                m_notifier->notifySessionEvent(event.value());
                m_admin->publishSessionEvent(event.value());
            });

    connect(m_admin, &AdminService::orgBroadcastSent, m_bus, &ClusterBus::publishOrgBroadcast);
    connect(m_bus, &ClusterBus::orgBroadcastReceived, this,
            [this](const QString &orgId, const QJsonValue &data, const QString &) {
                if (orgId.isEmpty())
                    return;
                m_hub->broadcastToOrg(orgId,
                                      OutgoingMessage::fromUtf8(protocol::browser::encodeOrgBroadcast(
                                          orgId, data, QDateTime::currentDateTimeUtc())),
                                      ClientKind::Sessions);
            });

    // Admin deltas of this replica's agents and commands. Org deltas are not relayed: each replica
    // sends its admins org.updated with the cluster-wide count when a local count changes or a
    // load report of another replica changes it (ClusterLoad above).
    const auto publishDelta = [this](const QString &orgId, const QByteArray &utf8) {
        m_bus->publishAdminDelta(orgId, QJsonDocument::fromJson(utf8).object());
    };
    connect(m_agents, &AgentHub::agentConnected, m_bus, [publishDelta](const protocol::AgentInfo &agent) {
        publishDelta(agent.orgId, protocol::admin::encodeAgentUpdated(agent));
    });
    connect(m_agents, &AgentHub::agentUpdated, m_bus, [publishDelta](const protocol::AgentInfo &agent) {
        publishDelta(agent.orgId, protocol::admin::encodeAgentUpdated(agent));
    });
    connect(m_agents, &AgentHub::agentDisconnected, m_bus,
            [publishDelta](const protocol::AgentInfo &agent, protocol::AgentStatus) {
                publishDelta(agent.orgId, protocol::admin::encodeAgentUpdated(agent));
            });
    connect(m_ledger, &CommandLedger::commandUpdated, m_bus,
            [publishDelta](const protocol::CommandInfo &command) {
                publishDelta(command.orgId, protocol::admin::encodeCommandUpdated(command));
            });
    connect(m_bus, &ClusterBus::adminDeltaReceived, m_admin,
            [this](const QString &orgId, const QJsonObject &delta, const QString &) {
                m_admin->deliverRemoteDelta(orgId, delta);
            });
}

protocol::Decoded<protocol::Done> Server::start()
{
    // Startup may wait on storage: nothing is connected yet.
    protocol::Decoded<protocol::Done> opened = m_store->open(m_settings.databaseUrl).result();
    if (!opened)
        return opened;
    const auto cleaned =
        m_store->markReplicaAgentsOffline(m_settings.replicaName, QDateTime::currentDateTimeUtc()).result();
    if (cleaned && cleaned.value() > 0)
        qCInfo(lcServer) << cleaned.value() << "agents left online by a previous run are now offline";
    // Revoked tokens are refused from the first connection on.
    if (const auto revoked = m_revocations->loadNow(); !revoked)
        return revoked.error();
    if (m_settings.tls.enabled()) {
        const auto tls =
            loadServerTls({m_settings.tls.certFile, m_settings.tls.keyFile, m_settings.tls.clientCaFile});
        if (!tls)
            return tls.error();
        m_front->setTlsConfiguration(tls.value());
    }
    if (!m_front->listen(m_settings.listenAddress, m_settings.listenPort)) {
        protocol::Error error;
        error.code = protocol::ErrorCode::Unavailable;
        error.message = u"cannot listen on %1:%2: %3"_s.arg(m_settings.listenAddress.toString())
                            .arg(m_settings.listenPort)
                            .arg(m_front->errorString());
        return error;
    }
    m_metrics->setDatabaseUp(true);
    m_databaseProbe->start();
    m_manager->start();
    m_journal->start();
    // Cluster mode: revocations made on other replicas arrive through storage.
    m_revocations->startReloading(m_presence ? kRevocationReloadInterval : std::chrono::milliseconds(0));
    if (m_presence) {
        m_redis->open();
        m_subscriber->open();
        m_presence->start();
    }
    m_running = true;
    return protocol::Done{};
}

QHostAddress Server::serverAddress() const
{
    return m_front->serverAddress();
}

quint16 Server::serverPort() const
{
    return m_front->serverPort();
}

void Server::shutdown()
{
    if (m_stopping)
        return;
    m_stopping = true;
    qCInfo(lcServer) << "shutting down";
    m_gateway->setDraining(true);
    m_front->stopListening();
    m_manager->stop();
    m_journal->stop();
    m_databaseProbe->stop();
    m_logs->shutdown();
    m_hub->closeAll(QWebSocketProtocol::CloseCodeGoingAway, u"going away"_s);
    // Both must finish: the agents marked offline in storage, and this replica's presence
    // withdrawn from Redis (its agents would otherwise count as connected until their TTL).
    auto remaining = std::make_shared<int>(m_presence ? 2 : 1);
    const auto oneDone = [this, remaining] {
        if (--*remaining == 0)
            finishShutdown();
    };
    whenFinished(this, m_agents->shutdown(), [oneDone](protocol::Decoded<int> marked) {
        if (!marked)
            qCWarning(lcServer) << "could not mark agents offline:" << marked.error().message;
        oneDone();
    });
    if (m_presence) {
        onFinished(m_presence->withdraw(), this, [oneDone](bool withdrawn) {
            if (!withdrawn)
                qCWarning(lcServer) << "could not withdraw this replica's presence from Redis";
            oneDone();
        });
    }
}

void Server::finishShutdown()
{
    if (m_presence)
        m_presence->stop();
    m_store->close();
    m_running = false;
    // One more turn of the event loop writes the close frames queued above.
    QTimer::singleShot(100, this, &Server::stopped);
}

} // namespace switchboard
