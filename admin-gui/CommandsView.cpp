#include "CommandsView.h"

#include "ConsoleClient.h"

#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

CommandsView::CommandsView(CommandTableModel *model, ConsoleClient *client, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_client(client)
    , m_proxy(new QSortFilterProxyModel(this))
    , m_filter(new QLineEdit(this))
    , m_table(new QTableView(this))
{
    m_proxy->setSourceModel(model);
    m_proxy->setSortRole(CommandTableModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_filter->setPlaceholderText(tr("Filter commands (id, agent, action, session, status…)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(CommandTableModel::Created, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(26);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(CommandTableModel::Created, 80);
    m_table->setColumnWidth(CommandTableModel::CommandId, 190);
    m_table->setColumnWidth(CommandTableModel::Agent, 120);
    m_table->setColumnWidth(CommandTableModel::Action, 130);
    m_table->setColumnWidth(CommandTableModel::Session, 170);
    m_table->setColumnWidth(CommandTableModel::Status, 130);
    m_table->setColumnWidth(CommandTableModel::Attempts, 84);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = m_table->indexAt(pos);
        if (!index.isValid())
            return;
        m_table->selectRow(index.row());
        QMenu *menu = createContextMenu(this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_table->viewport()->mapToGlobal(pos));
    });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(m_filter);
    layout->addWidget(m_table, 1);
}

bool CommandsView::selectCommand(const QString &commandId)
{
    const int row = m_model->rowOf(commandId);
    if (row < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid())
        return false;
    m_table->selectRow(index.row());
    m_table->scrollTo(index);
    return true;
}

QString CommandsView::selectedCommandId() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(CommandTableModel::CommandIdRole).toString();
}

QMenu *CommandsView::createContextMenu(QWidget *parent)
{
    auto *menu = new QMenu(parent);
    const QString commandId = selectedCommandId();
    const int row = m_model->rowOf(commandId);
    const bool pending = row >= 0 && m_model->commandAt(row).status == CommandStatus::Pending;
    menu->addAction(
            tr("C&ancel command"), this,
            [this, commandId] {
                ConsoleRequest *request = m_client->cancelCommand(commandId);
                connect(request, &ConsoleRequest::finished, this, [this, commandId] {
                    Q_EMIT statusMessage(tr("Command %1 cancelled.").arg(commandId));
                });
                connect(request, &ConsoleRequest::failed, this, [this, commandId](const Error &error) {
                    Q_EMIT statusMessage(tr("Could not cancel %1: %2").arg(commandId, error.message));
                });
            })
        ->setEnabled(pending);
    menu->addAction(tr("&Copy command id"), this,
                    [commandId] { QApplication::clipboard()->setText(commandId); });
    return menu;
}

} // namespace switchboard::console
