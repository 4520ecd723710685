#include "TestServer.h"

#include "net/Authenticator.h"
#include "storage/Store.h"

#include <QTest>

using namespace Qt::StringLiterals;

namespace switchboard::test {

TestServer::TestServer()
{
    m_settings = Settings::defaults();
    m_settings.listenAddress = QHostAddress(QHostAddress::LocalHost);
    m_settings.listenPort = 0;
    m_settings.dataDir = m_dir.path();
    m_settings.databaseUrl = u"sqlite:///"_s + m_dir.filePath(u"switchboard.db"_s);
    m_settings.jwtSecret = "test-secret-for-switchboard-integration-tests";
    m_settings.bootstrapKey = u"bootstrap-key-for-tests"_s;
    m_settings.heartbeatTimeoutSeconds = 2;
    m_settings.staleSweepIntervalSeconds = 0.2;
    m_settings.sessionsIntervalSeconds = 0.2;
    m_settings.metricsIntervalSeconds = 0.2;
    m_settings.uiPingIntervalSeconds = 5;
    m_settings.agentPingIntervalSeconds = 5;
    m_settings.readTimeoutSeconds = 10;
    m_settings.probeIntervalSeconds = 0.2;
    m_settings.replicaName = u"test-replica"_s;
}

TestServer::~TestServer() = default;

bool TestServer::start()
{
    m_server = std::make_unique<Server>(m_settings);
    const auto started = m_server->start();
    if (!started) {
        qWarning() << "server did not start:" << started.error().message;
        return false;
    }
    return true;
}

QString TestServer::databasePath() const
{
    return m_dir.filePath(u"switchboard.db"_s);
}

QUrl TestServer::httpUrl(const QString &path) const
{
    return QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_server->serverPort()).arg(path));
}

QUrl TestServer::wsUrl(const QString &path, const QString &token) const
{
    QUrl url(u"ws://127.0.0.1:%1%2"_s.arg(m_server->serverPort()).arg(path));
    if (!token.isEmpty()) {
        QUrlQuery query(url);
        query.addQueryItem(u"token"_s, token);
        url.setQuery(query);
    }
    return url;
}

CreatedAgent TestServer::createAgent(const QString &agentId, const QString &orgId,
                                     protocol::ApprovalStatus approval, protocol::Platform platform)
{
    protocol::AgentInfo agent;
    agent.agentId = agentId;
    agent.orgId = orgId;
    agent.platform = platform;
    agent.region = u"test-region"_s;
    agent.approvalStatus = approval;
    agent.capacity.maxSessions = 10;
    agent.capacity.cpu = u"8"_s;
    agent.capacity.memory = u"16Gi"_s;
    const QByteArray key = Authenticator::generateApiKey();
    const auto created = m_server->store()->createAgent(agent, Authenticator::hashApiKey(key)).result();
    if (!created)
        qWarning() << "createAgent failed:" << created.error().message;
    return {agentId, orgId, key};
}

QString TestServer::token(const QString &userId, const QString &orgId, Role role, int ttlSeconds) const
{
    OrgContext context;
    context.userId = userId;
    context.username = userId;
    context.orgId = orgId;
    context.role = role;
    context.k8sNamespace = u"ns-"_s + orgId;
    return QString::fromLatin1(m_server->authenticator()->issueToken(
        context, std::chrono::seconds(ttlSeconds), QDateTime::currentDateTimeUtc()));
}

bool TestServer::createSession(const protocol::SessionInfo &session)
{
    protocol::CommandInfo start;
    start.commandId = u"cmd-start-"_s + session.sessionId;
    start.agentId = session.agentId;
    start.action = u"start_session"_s;
    start.payload = {{"sessionId"_L1, session.sessionId},
                     {"user"_L1, session.userId},
                     {"template"_L1, session.templateName}};
    start.status = protocol::CommandStatus::Completed;
    const auto created = m_server->store()->createSessionWithCommand(session, start).result();
    if (!created)
        qWarning() << "createSession failed:" << created.error().message;
    return created.ok();
}

} // namespace switchboard::test
