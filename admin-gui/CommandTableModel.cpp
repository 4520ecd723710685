#include "CommandTableModel.h"

#include "ConsoleIcons.h"

#include <QJsonDocument>
#include <QLocale>
#include <QSet>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

namespace {
QString outcomeOf(const CommandInfo &command)
{
    if (!command.error.isEmpty())
        return command.error;
    if (!command.result.isEmpty())
        return QString::fromUtf8(QJsonDocument(command.result).toJson(QJsonDocument::Compact));
    return {};
}
} // namespace

CommandTableModel::CommandTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

int CommandTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_commands.size());
}

int CommandTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CommandTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const CommandInfo &command = m_commands.at(index.row());
    switch (role) {
    case CommandIdRole:
        return command.commandId;
    case StatusRole:
        return int(command.status);
    case Qt::DecorationRole:
        return index.column() == Status ? QVariant(commandStatusIcon(command.status)) : QVariant();
    case Qt::ToolTipRole:
        if (index.column() == Outcome)
            return outcomeOf(command);
        return {};
    case Qt::ForegroundRole:
        if (index.column() == Outcome && command.status == CommandStatus::Failed)
            return QColor(0xc6, 0x28, 0x28);
        return {};
    case SortRole:
        switch (index.column()) {
        case Created:
            return command.createdAt.toMSecsSinceEpoch();
        case Status:
            return commandStatusRank(command.status);
        case Attempts:
            return command.attempts;
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::DisplayRole:
        switch (index.column()) {
        case Created:
            return command.createdAt.isValid()
                       ? QLocale().toString(command.createdAt.toLocalTime().time(), u"HH:mm:ss"_s)
                       : QString();
        case CommandId:
            return command.commandId;
        case Agent:
            return command.agentId;
        case Action:
            return command.action;
        case Session:
            return command.sessionId;
        case Status:
            return commandStatusText(command.status);
        case Attempts:
            return command.attempts;
        case Outcome:
            return outcomeOf(command);
        }
        return {};
    default:
        return {};
    }
}

QVariant CommandTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Created:
        return tr("Created");
    case CommandId:
        return tr("Command");
    case Agent:
        return tr("Agent");
    case Action:
        return tr("Action");
    case Session:
        return tr("Session");
    case Status:
        return tr("Status");
    case Attempts:
        return tr("Attempts");
    case Outcome:
        return tr("Result or error");
    }
    return {};
}

int CommandTableModel::rowOf(const QString &commandId) const
{
    for (int row = 0; row < m_commands.size(); ++row) {
        if (m_commands.at(row).commandId == commandId)
            return row;
    }
    return -1;
}

void CommandTableModel::upsert(const CommandInfo &command)
{
    const int row = rowOf(command.commandId);
    if (row >= 0) {
        // Status never goes backwards; an older update arriving late is ignored.
        if (commandStatusRank(command.status) < commandStatusRank(m_commands.at(row).status))
            return;
        m_commands[row] = command;
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        return;
    }
    beginInsertRows({}, 0, 0);
    m_commands.prepend(command);
    endInsertRows();
    trim();
}

void CommandTableModel::setCommands(const QList<CommandInfo> &commands)
{
    QSet<QString> present;
    for (const CommandInfo &command : commands)
        present.insert(command.commandId);
    for (int row = int(m_commands.size()) - 1; row >= 0; --row) {
        if (!present.contains(m_commands.at(row).commandId)) {
            beginRemoveRows({}, row, row);
            m_commands.removeAt(row);
            endRemoveRows();
        }
    }
    // The snapshot lists newest first; inserting oldest first keeps that order at the top.
    for (auto it = commands.crbegin(); it != commands.crend(); ++it)
        upsert(*it);
}

void CommandTableModel::clear()
{
    if (m_commands.isEmpty())
        return;
    beginResetModel();
    m_commands.clear();
    endResetModel();
}

void CommandTableModel::setCapacity(int capacity)
{
    m_capacity = qMax(1, capacity);
    trim();
}

void CommandTableModel::trim()
{
    while (m_commands.size() > m_capacity) {
        // Drop the oldest finished command; if none is finished, the oldest of all.
        int victim = int(m_commands.size()) - 1;
        for (int row = victim; row >= 0; --row) {
            if (isFinalCommandStatus(m_commands.at(row).status)) {
                victim = row;
                break;
            }
        }
        beginRemoveRows({}, victim, victim);
        m_commands.removeAt(victim);
        endRemoveRows();
    }
}

} // namespace switchboard::console
