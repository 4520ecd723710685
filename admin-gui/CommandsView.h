// The commands table: each command's progress (pending -> sent -> ack -> completed/failed) with
// its result or error, newest first; a pending command can be cancelled.
#pragma once

#include "CommandTableModel.h"

#include <QWidget>

class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QTableView;

namespace switchboard::console {

class ConsoleClient;

class CommandsView : public QWidget
{
    Q_OBJECT
public:
    CommandsView(CommandTableModel *model, ConsoleClient *client, QWidget *parent = nullptr);
    QTableView *table() const { return m_table; }
    QLineEdit *filterEdit() const { return m_filter; }
    bool selectCommand(const QString &commandId);
    QString selectedCommandId() const;
    QMenu *createContextMenu(QWidget *parent);

Q_SIGNALS:
    void statusMessage(const QString &message);

private:
    CommandTableModel *m_model;
    ConsoleClient *m_client;
    QSortFilterProxyModel *m_proxy;
    QLineEdit *m_filter;
    QTableView *m_table;
};

} // namespace switchboard::console
