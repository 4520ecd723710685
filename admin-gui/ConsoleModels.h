// The console's state: the four models, fed by one ConsoleClient. Views read these models; the
// models never see the socket.
#pragma once

#include "AgentTableModel.h"
#include "CommandTableModel.h"
#include "ConsoleClient.h"
#include "EventLogModel.h"
#include "OrgTreeModel.h"

#include <QObject>
#include <QTimer>

namespace switchboard::console {

class ConsoleModels : public QObject
{
    Q_OBJECT
public:
    explicit ConsoleModels(ConsoleClient *client, QObject *parent = nullptr);

    ConsoleClient *client() const { return m_client; }
    AgentTableModel *agents() { return &m_agents; }
    OrgTreeModel *orgs() { return &m_orgs; }
    EventLogModel *events() { return &m_events; }
    CommandTableModel *commands() { return &m_commands; }

private:
    void onSnapshot(const Snapshot &snapshot);
    void onAgent(const protocol::AgentInfo &agent);

    ConsoleClient *m_client;
    AgentTableModel m_agents;
    OrgTreeModel m_orgs;
    EventLogModel m_events;
    CommandTableModel m_commands;
    QTimer m_tick; // refreshes "12 s ago"
};

} // namespace switchboard::console
