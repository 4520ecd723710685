// A Store on a temporary SQLite file with sessions put in place the way the server does it
// (agent row first, then the session with its start command in one transaction).
#pragma once

#include "storage/Store.h"

#include <QTemporaryDir>

#include <memory>

namespace switchboard::test {

class StoreFixture
{
public:
    // QVERIFY(fixture.open());
    bool open()
    {
        if (!m_dir.isValid())
            return false;
        m_store = std::make_unique<Store>();
        return m_store->open(QStringLiteral("sqlite:///") + m_dir.filePath(QStringLiteral("core.db")))
            .result()
            .ok();
    }
    Store *store() const { return m_store.get(); }

    bool addAgent(const QString &agentId, const QString &orgId)
    {
        protocol::AgentInfo agent;
        agent.agentId = agentId;
        agent.orgId = orgId;
        agent.platform = protocol::Platform::Kubernetes;
        agent.capacity.maxSessions = 100;
        return m_store->createAgent(agent, QByteArray(32, 'k')).result().ok();
    }

    bool addSession(const QString &sessionId, const QString &orgId, const QString &userId,
                    const QString &agentId, protocol::SessionState state = protocol::SessionState::Running)
    {
        protocol::SessionInfo session;
        session.sessionId = sessionId;
        session.orgId = orgId;
        session.userId = userId;
        session.templateName = QStringLiteral("firefox");
        session.state = state;
        session.agentId = agentId;
        session.platform = QStringLiteral("kubernetes");
        session.namespaceName = QStringLiteral("ns-") + orgId;
        session.memory = QStringLiteral("2Gi");
        session.cpu = QStringLiteral("1000m");
        protocol::CommandInfo command;
        command.commandId = QStringLiteral("cmd-") + sessionId;
        command.agentId = agentId;
        command.action = QStringLiteral("start_session");
        command.payload = QJsonObject{{QStringLiteral("sessionId"), sessionId}};
        return m_store->createSessionWithCommand(session, command).result().ok();
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Store> m_store;
};

} // namespace switchboard::test
