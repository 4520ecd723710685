// Commands and their progress (pending -> sent -> ack -> completed/failed), newest first, updated
// in place by command id. Holds at most `capacity` commands; the oldest finished ones go first.
#pragma once

#include "shared/Records.h"

#include <QAbstractTableModel>

namespace switchboard::console {

class CommandTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Created, CommandId, Agent, Action, Session, Status, Attempts, Outcome, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, CommandIdRole, StatusRole };

    explicit CommandTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setCommands(const QList<protocol::CommandInfo> &commands); // after a (re)connect
    void upsert(const protocol::CommandInfo &command);
    void clear();
    void setCapacity(int capacity);
    int capacity() const { return m_capacity; }

    int rowOf(const QString &commandId) const;
    const protocol::CommandInfo &commandAt(int row) const { return m_commands.at(row); }

private:
    void trim();
    QList<protocol::CommandInfo> m_commands; // newest first
    int m_capacity = 1000;
};

} // namespace switchboard::console
