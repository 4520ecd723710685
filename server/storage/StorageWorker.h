// StorageWorker: lives on the storage thread and owns everything SQL there: the one connection,
// the migrations and the tables. Store hands it jobs; nothing else touches it.
#pragma once

#include "AgentTable.h"
#include "CommandTable.h"
#include "EventTable.h"
#include "OrgTable.h"
#include "RevocationTable.h"
#include "SessionTable.h"
#include "SqlConnection.h"

#include <QObject>

namespace switchboard {

class StorageWorker : public QObject
{
    Q_OBJECT
public:
    explicit StorageWorker(QObject *parent = nullptr);
    ~StorageWorker() override;

    // Connects and migrates; Conflict if already open (close first).
    protocol::Decoded<protocol::Done> open(const QString &databaseUrl);
    void close();
    // Done when jobs can run: reconnects a lost server connection (waiting as the connection's
    // ReconnectPolicy says unless `wait` is false), Unavailable when it cannot or when not open.
    protocol::Decoded<protocol::Done> ready(bool wait = true);
    // After a failed job: see SqlConnection::lostBeforeApplying() / lostInDoubt().
    bool lostBeforeApplying() const { return m_connection.lostBeforeApplying(); }
    bool lostInDoubt() const { return m_connection.lostInDoubt(); }

    protocol::Decoded<int> schemaVersion();
    protocol::Decoded<bool> ping();

    OrgTable &orgs() { return m_orgs; }
    AgentTable &agents() { return m_agents; }
    CommandTable &commands() { return m_commands; }
    SessionTable &sessions() { return m_sessions; }
    EventTable &events() { return m_events; }
    // For read-only maintenance queries that belong to no table (CommandCounts).
    SqlConnection &connection() { return m_connection; }
    RevocationTable &revocations() { return m_revocations; }

private:
    SqlConnection m_connection;
    OrgTable m_orgs;
    AgentTable m_agents;
    CommandTable m_commands;
    SessionTable m_sessions;
    EventTable m_events;
    RevocationTable m_revocations;
};

} // namespace switchboard
