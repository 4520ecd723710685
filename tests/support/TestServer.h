// An in-process Switchboard server for integration tests: temp SQLite database, port 0, short
// intervals, a fixed JWT secret, plus helpers to create agents and tokens.
#pragma once

#include "config/Settings.h"
#include "core/Server.h"
#include "net/OrgContext.h"
#include "shared/Records.h"

#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace switchboard::test {

struct CreatedAgent
{
    QString agentId;
    QString orgId;
    QByteArray apiKey;
};

class TestServer
{
public:
    // Short intervals for tests; adjust `settings()` before start() when a test needs others.
    TestServer();
    ~TestServer();

    Settings &settings() { return m_settings; }
    bool start(); // QVERIFY(server.start())
    Server *server() const { return m_server.get(); }
    QString databasePath() const;

    QUrl httpUrl(const QString &path) const;
    QUrl wsUrl(const QString &path, const QString &token = {}) const;

    // Creates an agent directly in storage (approved unless told otherwise) with a fresh key.
    CreatedAgent createAgent(const QString &agentId, const QString &orgId,
                             protocol::ApprovalStatus approval = protocol::ApprovalStatus::Approved,
                             protocol::Platform platform = protocol::Platform::Docker);
    QString token(const QString &userId, const QString &orgId, Role role, int ttlSeconds = 3600) const;
    // Stores a session directly, with a completed start_session command for its agent (nothing is
    // sent to the agent). False (and a warning) when storage refused it.
    bool createSession(const protocol::SessionInfo &session);

private:
    QTemporaryDir m_dir;
    Settings m_settings;
    std::unique_ptr<Server> m_server;
};

} // namespace switchboard::test
