// The agents the admin stream reports, one row each, updated in place by agent id. The "last
// heartbeat" column is relative ("12 s ago") and refreshed by tick() without touching the others.
#pragma once

#include "shared/Records.h"

#include <QAbstractTableModel>
#include <QDateTime>

#include <functional>

namespace switchboard::console {

class AgentTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { AgentId, Status, Org, Platform, Region, LastHeartbeat, Sessions, Replica, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1, // a value that sorts naturally (times as numbers)
        AgentIdRole,
        OrgIdRole,
        DisplayStatusRole, // AgentDisplayStatus as int
    };

    explicit AgentTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // The state after a (re)connect: rows are updated in place, added and removed as needed so
    // that views keep their selection.
    void setAgents(const QList<protocol::AgentInfo> &agents);
    void upsert(const protocol::AgentInfo &agent);
    void remove(const QString &agentId);
    void clear();

    int rowOf(const QString &agentId) const;
    const protocol::AgentInfo *agent(const QString &agentId) const;
    const protocol::AgentInfo &agentAt(int row) const { return m_agents.at(row); }
    QStringList agentIds() const;
    int connectedCount() const; // online or draining, approved

    // Relative times are computed against this clock (tests inject a fixed one).
    void setClock(std::function<QDateTime()> clock) { m_clock = std::move(clock); }
    void tick(); // refreshes the relative-time column

private:
    QList<protocol::AgentInfo> m_agents;
    std::function<QDateTime()> m_clock;
};

} // namespace switchboard::console
