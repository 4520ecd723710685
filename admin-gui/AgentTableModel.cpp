#include "AgentTableModel.h"

#include "ConsoleIcons.h"

#include <QSet>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

AgentTableModel::AgentTableModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_clock([] { return QDateTime::currentDateTimeUtc(); })
{}

int AgentTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_agents.size());
}

int AgentTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AgentTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AgentInfo &agent = m_agents.at(index.row());
    const AgentDisplayStatus status = displayStatus(agent);
    switch (role) {
    case AgentIdRole:
        return agent.agentId;
    case OrgIdRole:
        return agent.orgId;
    case DisplayStatusRole:
        return int(status);
    case Qt::DecorationRole:
        return index.column() == Status ? QVariant(displayStatusIcon(status)) : QVariant();
    case Qt::ToolTipRole:
        if (index.column() == LastHeartbeat && agent.lastHeartbeat.isValid())
            return QLocale().toString(agent.lastHeartbeat.toLocalTime(), QLocale::LongFormat);
        if (index.column() == Sessions)
            return tr("%1 CPU, %2 memory").arg(agent.capacity.cpu, agent.capacity.memory);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Sessions || index.column() == LastHeartbeat)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case SortRole:
        switch (index.column()) {
        case Status:
            return int(status);
        case LastHeartbeat:
            return agent.lastHeartbeat.isValid() ? agent.lastHeartbeat.toMSecsSinceEpoch() : qint64(0);
        case Sessions:
            return agent.activeSessions;
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::DisplayRole:
        switch (index.column()) {
        case AgentId:
            return agent.agentId;
        case Status:
            return displayStatusText(status);
        case Org:
            return agent.orgId;
        case Platform:
            return platformName(agent.platform);
        case Region:
            return agent.region;
        case LastHeartbeat:
            return relativeTime(agent.lastHeartbeat, m_clock());
        case Sessions:
            return agent.capacity.maxSessions > 0
                       ? u"%1 / %2"_s.arg(agent.activeSessions).arg(agent.capacity.maxSessions)
                       : QString::number(agent.activeSessions);
        case Replica:
            return agent.replica.isEmpty() ? QStringLiteral("—") : agent.replica;
        }
        return {};
    default:
        return {};
    }
}

QVariant AgentTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case AgentId:
        return tr("Agent");
    case Status:
        return tr("Status");
    case Org:
        return tr("Organisation");
    case Platform:
        return tr("Platform");
    case Region:
        return tr("Region");
    case LastHeartbeat:
        return tr("Last heartbeat");
    case Sessions:
        return tr("Sessions");
    case Replica:
        return tr("Replica");
    }
    return {};
}

int AgentTableModel::rowOf(const QString &agentId) const
{
    for (int row = 0; row < m_agents.size(); ++row) {
        if (m_agents.at(row).agentId == agentId)
            return row;
    }
    return -1;
}

const AgentInfo *AgentTableModel::agent(const QString &agentId) const
{
    const int row = rowOf(agentId);
    return row < 0 ? nullptr : &m_agents.at(row);
}

QStringList AgentTableModel::agentIds() const
{
    QStringList ids;
    for (const AgentInfo &agent : m_agents)
        ids.append(agent.agentId);
    return ids;
}

int AgentTableModel::connectedCount() const
{
    int count = 0;
    for (const AgentInfo &agent : m_agents) {
        const AgentDisplayStatus status = displayStatus(agent);
        if (status == AgentDisplayStatus::Online || status == AgentDisplayStatus::Draining)
            ++count;
    }
    return count;
}

void AgentTableModel::upsert(const AgentInfo &agent)
{
    const int row = rowOf(agent.agentId);
    if (row >= 0) {
        m_agents[row] = agent;
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        return;
    }
    const int end = int(m_agents.size());
    beginInsertRows({}, end, end);
    m_agents.append(agent);
    endInsertRows();
}

void AgentTableModel::remove(const QString &agentId)
{
    const int row = rowOf(agentId);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_agents.removeAt(row);
    endRemoveRows();
}

void AgentTableModel::setAgents(const QList<AgentInfo> &agents)
{
    QSet<QString> present;
    for (const AgentInfo &agent : agents)
        present.insert(agent.agentId);
    for (int row = int(m_agents.size()) - 1; row >= 0; --row) {
        if (!present.contains(m_agents.at(row).agentId)) {
            beginRemoveRows({}, row, row);
            m_agents.removeAt(row);
            endRemoveRows();
        }
    }
    for (const AgentInfo &agent : agents)
        upsert(agent);
}

void AgentTableModel::clear()
{
    if (m_agents.isEmpty())
        return;
    beginResetModel();
    m_agents.clear();
    endResetModel();
}

void AgentTableModel::tick()
{
    if (!m_agents.isEmpty())
        Q_EMIT dataChanged(index(0, LastHeartbeat), index(int(m_agents.size()) - 1, LastHeartbeat),
                           {Qt::DisplayRole, SortRole});
}

} // namespace switchboard::console
