#include "core/Manager.h"

#include "core/Continuation.h"
#include "core/Hub.h"
#include "storage/Store.h"

#include <QLoggingCategory>

#include <map>

Q_LOGGING_CATEGORY(lcManager, "switchboard.manager")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::SessionInfo;
using protocol::SessionState;

Manager::Manager(Store *store, Hub *hub, const Config &config, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_hub(hub)
    , m_config(config)
{
    m_sessionsTimer.setInterval(m_config.sessionsInterval);
    m_metricsTimer.setInterval(m_config.metricsInterval);
    connect(&m_sessionsTimer, &QTimer::timeout, this, &Manager::broadcastSessions);
    connect(&m_metricsTimer, &QTimer::timeout, this, &Manager::broadcastMetrics);
}

void Manager::start()
{
    m_sessionsTimer.start();
    m_metricsTimer.start();
}

void Manager::stop()
{
    m_sessionsTimer.stop();
    m_metricsTimer.stop();
}

void Manager::broadcastSessions()
{
    for (const QString &orgId : m_hub->uniqueOrgs(ClientKind::Sessions)) {
        // A slow database must not pile up queries: skip the org until the last one answered.
        if (m_sessionsInFlight.contains(orgId))
            continue;
        m_sessionsInFlight.insert(orgId);
        Q_EMIT sessionsQueried(orgId);
        whenFinished(this, m_store->sessionsForOrg(orgId),
                     [this, orgId](const Decoded<QList<SessionInfo>> &sessions) {
                         m_sessionsInFlight.remove(orgId);
                         if (!sessions) {
                             qCWarning(lcManager)
                                 << "sessions of org" << orgId << "unavailable:" << sessions.error().message;
                             return;
                         }
                         deliverSessions(orgId, sessions.value());
                     });
    }
}

void Manager::deliverSessions(const QString &orgId, const QList<SessionInfo> &sessions)
{
    // The clients as they are now, not as they were when the query started.
    const QList<quint64> clients = m_hub->clientsByOrg(orgId, ClientKind::Sessions);
    if (clients.isEmpty())
        return;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    std::optional<OutgoingMessage> orgWide;     // operators and admins: the whole org
    std::map<QString, OutgoingMessage> perUser; // role user: their own sessions only
    int recipients = 0;
    for (quint64 clientId : clients) {
        const BrowserClient *client = m_hub->client(clientId);
        if (!client)
            continue;
        const OutgoingMessage *message = nullptr;
        if (client->context.role == Role::User) {
            const QString &userId = client->context.userId;
            auto it = perUser.find(userId);
            if (it == perUser.end()) {
                const QList<SessionInfo> own = sessionsOfUser(sessions, userId);
                it = perUser
                         .emplace(userId, OutgoingMessage::fromUtf8(
                                              protocol::browser::encodeSessionsUpdate(orgId, own, now)))
                         .first;
            }
            message = &it->second;
        } else {
            if (!orgWide)
                orgWide =
                    OutgoingMessage::fromUtf8(protocol::browser::encodeSessionsUpdate(orgId, sessions, now));
            message = &*orgWide;
        }
        if (m_hub->send(clientId, *message))
            ++recipients;
    }
    qCDebug(lcManager) << "sessions_update of org" << orgId << "(" << sessions.size() << "sessions ) to"
                       << recipients << "clients";
    Q_EMIT sessionsBroadcast(orgId, recipients);
}

QList<SessionInfo> Manager::sessionsOfUser(const QList<SessionInfo> &sessions, const QString &userId)
{
    QList<SessionInfo> own;
    for (const SessionInfo &session : sessions) {
        if (session.userId == userId)
            own.append(session);
    }
    return own;
}

void Manager::sendSessionsTo(quint64 clientId, std::function<void()> done)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client || client->kind != ClientKind::Sessions) {
        if (done)
            done();
        return;
    }
    const QString orgId = client->context.orgId;
    whenFinished(
        this, m_store->sessionsForOrg(orgId),
        [this, clientId, orgId, done = std::move(done)](const Decoded<QList<SessionInfo>> &sessions) {
            const BrowserClient *current = m_hub->client(clientId);
            if (!sessions) {
                qCWarning(lcManager) << "sessions of org" << orgId << "for client" << clientId
                                     << "unavailable:" << sessions.error().message;
            } else if (current) {
                const QList<SessionInfo> visible =
                    current->context.role == Role::User
                        ? sessionsOfUser(sessions.value(), current->context.userId)
                        : sessions.value();
                m_hub->send(clientId, protocol::browser::encodeSessionsUpdate(
                                          orgId, visible, QDateTime::currentDateTimeUtc()));
            }
            if (done)
                done();
        });
}

void Manager::broadcastMetrics()
{
    Q_EMIT metricsTick();
    for (const QString &orgId : m_hub->uniqueOrgs(ClientKind::Cluster)) {
        if (m_metricsInFlight.contains(orgId))
            continue;
        m_metricsInFlight.insert(orgId);
        Q_EMIT metricsQueried(orgId);
        whenFinished(this, m_store->sessionsForOrg(orgId),
                     [this, orgId](const Decoded<QList<SessionInfo>> &sessions) {
                         m_metricsInFlight.remove(orgId);
                         if (!sessions) {
                             qCWarning(lcManager)
                                 << "metrics of org" << orgId << "unavailable:" << sessions.error().message;
                             return;
                         }
                         deliverMetrics(orgId, sessions.value());
                     });
    }
}

void Manager::deliverMetrics(const QString &orgId, const QList<SessionInfo> &sessions)
{
    const QList<quint64> clients = m_hub->clientsByOrg(orgId, ClientKind::Cluster);
    if (clients.isEmpty())
        return;
    protocol::browser::OrgMetrics metrics;
    for (const SessionInfo &session : sessions) {
        if (session.state == SessionState::Running)
            ++metrics.running;
        else if (session.state == SessionState::Hibernated)
            ++metrics.hibernated;
    }
    // The org's live sessions: sessionsForOrg leaves out the ended (terminated, failed) ones.
    metrics.total = int(sessions.size());
    metrics.activeConnections = m_hub->clientCount(orgId);
    // Repositories and templates live in StreamSpace's catalogue, which Switchboard does not
    // know; the fields stay for the UI's sake, at 0.
    metrics.repositories = 0;
    metrics.templates = 0;
    const OutgoingMessage message = OutgoingMessage::fromUtf8(
        protocol::browser::encodeMetricsUpdate(orgId, metrics, QDateTime::currentDateTimeUtc()));
    int recipients = 0;
    for (quint64 clientId : clients) {
        if (m_hub->send(clientId, message))
            ++recipients;
    }
    Q_EMIT metricsBroadcast(orgId, recipients);
}

} // namespace switchboard
