// The agents table: sortable, filterable by text and status, live; a context menu approves or
// rejects pending agents and sends commands.
#pragma once

#include "AgentTableModel.h"
#include "Confirmation.h"

#include <QSortFilterProxyModel>
#include <QWidget>

class QComboBox;
class QLineEdit;
class QMenu;
class QTableView;

namespace switchboard::console {

class ConsoleClient;

// Text matches any column; the status filter matches AgentDisplayStatus.
class AgentFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit AgentFilterProxy(QObject *parent = nullptr);
    void setStatusFilter(int displayStatus); // -1 = all
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    int m_status = -1;
    QString m_text;
};

class AgentsView : public QWidget
{
    Q_OBJECT
public:
    AgentsView(AgentTableModel *model, ConsoleClient *client, QWidget *parent = nullptr);

    void setConfirmation(ConfirmFunction confirm) { m_confirm = std::move(confirm); }
    QTableView *table() const { return m_table; }
    QLineEdit *filterEdit() const { return m_filter; }
    QComboBox *statusFilter() const { return m_status; }
    AgentFilterProxy *proxy() const { return m_proxy; }

    QString selectedAgentId() const;
    bool selectAgent(const QString &agentId);
    // The context menu for the selected agent (built fresh; the caller owns it).
    QMenu *createContextMenu(QWidget *parent);
    void approveSelected();
    void rejectSelected();

Q_SIGNALS:
    void sendCommandRequested(const QString &agentId);
    void statusMessage(const QString &message);

private:
    void decide(bool approve);

    AgentTableModel *m_model;
    ConsoleClient *m_client;
    AgentFilterProxy *m_proxy;
    QLineEdit *m_filter;
    QComboBox *m_status;
    QTableView *m_table;
    ConfirmFunction m_confirm = messageBoxConfirmation();
};

} // namespace switchboard::console
