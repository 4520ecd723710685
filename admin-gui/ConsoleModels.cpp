#include "ConsoleModels.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

ConsoleModels::ConsoleModels(ConsoleClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
    connect(client, &ConsoleClient::snapshotReceived, this, &ConsoleModels::onSnapshot);
    connect(client, &ConsoleClient::agentUpdated, this, &ConsoleModels::onAgent);
    connect(client, &ConsoleClient::agentRemoved, this, [this](const QString &agentId) {
        if (const AgentInfo *agent = m_agents.agent(agentId)) {
            EventEntry entry;
            entry.time = QDateTime::currentDateTimeUtc();
            entry.category = EventEntry::Category::Agent;
            entry.type = u"agent.removed"_s;
            entry.orgId = agent->orgId;
            entry.summary = tr("%1 was removed").arg(agentId);
            m_events.append(entry);
        }
        m_agents.remove(agentId);
    });
    connect(client, &ConsoleClient::orgUpdated, &m_orgs, &OrgTreeModel::upsertOrg);
    connect(client, &ConsoleClient::commandUpdated, this, [this](const CommandInfo &command) {
        m_commands.upsert(command);
        m_events.appendCommand(command);
    });
    connect(client, &ConsoleClient::sessionEventReceived, this, [this](const browser::SessionEvent &event) {
        m_orgs.applySessionEvent(event);
        m_events.appendSessionEvent(event);
    });
    connect(client, &ConsoleClient::orgBroadcastReceived, this,
            [this](const QString &orgId, const QJsonValue &data) {
                EventEntry entry;
                entry.time = QDateTime::currentDateTimeUtc();
                entry.category = EventEntry::Category::Org;
                entry.type = u"org.broadcast"_s;
                entry.orgId = orgId;
                entry.summary = QString::fromUtf8(
                    QJsonDocument::fromVariant(data.toVariant()).toJson(QJsonDocument::Compact));
                m_events.append(entry);
            });
    connect(client, &ConsoleClient::resyncRequired, this,
            [this](const QString &orgId, const QString &, qint64) {
                m_events.appendNotice(
                    tr("Events of %1 could not be replayed after the reconnect; its state was reloaded.")
                        .arg(orgId));
            });
    connect(client, &ConsoleClient::stateChanged, this,
            [this](ConsoleClient::State state) { m_events.appendNotice(stateName(state)); });
    connect(client, &ConsoleClient::serverError, this,
            [this](const Error &error) { m_events.appendNotice(tr("Server error: %1").arg(error.message)); });

    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, &m_agents, &AgentTableModel::tick);
    m_tick.start();
}

void ConsoleModels::onSnapshot(const Snapshot &snapshot)
{
    m_agents.setAgents(snapshot.agents);
    m_orgs.applySnapshot(snapshot);
    if (snapshot.sessionsTruncated) {
        m_events.appendNotice(
            tr("The server listed only %n session(s) that had not ended; the organisations view may be "
               "missing some until their next event.",
               nullptr, int(snapshot.sessions.size())));
    }
    m_commands.setCommands(snapshot.commands);
}

void ConsoleModels::onAgent(const AgentInfo &agent)
{
    const AgentInfo *before = m_agents.agent(agent.agentId);
    m_events.appendAgentChange(before, agent);
    m_agents.upsert(agent);
}

} // namespace switchboard::console
