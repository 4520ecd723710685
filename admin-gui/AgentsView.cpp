#include "AgentsView.h"

#include "ConsoleClient.h"
#include "ConsoleIcons.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

AgentFilterProxy::AgentFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(AgentTableModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void AgentFilterProxy::setStatusFilter(int displayStatus)
{
    m_status = displayStatus;
    invalidateFilter();
}

void AgentFilterProxy::setText(const QString &text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

bool AgentFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *source = sourceModel();
    if (m_status >= 0 &&
        source->index(sourceRow, 0, sourceParent).data(AgentTableModel::DisplayStatusRole).toInt() !=
            m_status)
        return false;
    if (m_text.isEmpty())
        return true;
    for (int column = 0; column < source->columnCount(sourceParent); ++column) {
        if (source->index(sourceRow, column, sourceParent)
                .data()
                .toString()
                .contains(m_text, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

AgentsView::AgentsView(AgentTableModel *model, ConsoleClient *client, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_client(client)
    , m_proxy(new AgentFilterProxy(this))
    , m_filter(new QLineEdit(this))
    , m_status(new QComboBox(this))
    , m_table(new QTableView(this))
{
    m_proxy->setSourceModel(model);

    m_filter->setPlaceholderText(tr("Filter agents (id, org, region, replica…)"));
    m_filter->setClearButtonEnabled(true);
    m_status->addItem(tr("All statuses"), -1);
    for (AgentDisplayStatus status :
         {AgentDisplayStatus::Online, AgentDisplayStatus::Draining, AgentDisplayStatus::Stale,
          AgentDisplayStatus::Offline, AgentDisplayStatus::Pending, AgentDisplayStatus::Rejected})
        m_status->addItem(displayStatusIcon(status), displayStatusText(status), int(status));
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &AgentFilterProxy::setText);
    connect(m_status, &QComboBox::currentIndexChanged, this,
            [this](int) { m_proxy->setStatusFilter(m_status->currentData().toInt()); });

    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(AgentTableModel::AgentId, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(26);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->setColumnWidth(AgentTableModel::AgentId, 170);
    m_table->setColumnWidth(AgentTableModel::Status, 150);
    m_table->setColumnWidth(AgentTableModel::Org, 110);
    m_table->setColumnWidth(AgentTableModel::Platform, 100);
    m_table->setColumnWidth(AgentTableModel::Region, 110);
    m_table->setColumnWidth(AgentTableModel::LastHeartbeat, 120);
    m_table->setColumnWidth(AgentTableModel::Sessions, 90);
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = m_table->indexAt(pos);
        if (!index.isValid())
            return;
        m_table->selectRow(index.row());
        QMenu *menu = createContextMenu(this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_table->viewport()->mapToGlobal(pos));
    });
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        Q_EMIT sendCommandRequested(index.data(AgentTableModel::AgentIdRole).toString());
    });

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_filter, 1);
    bar->addWidget(new QLabel(tr("Status:"), this));
    bar->addWidget(m_status);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addLayout(bar);
    layout->addWidget(m_table, 1);
}

QString AgentsView::selectedAgentId() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(AgentTableModel::AgentIdRole).toString();
}

bool AgentsView::selectAgent(const QString &agentId)
{
    const int sourceRow = m_model->rowOf(agentId);
    if (sourceRow < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(sourceRow, 0));
    if (!index.isValid())
        return false;
    m_table->selectRow(index.row());
    m_table->scrollTo(index);
    return true;
}

QMenu *AgentsView::createContextMenu(QWidget *parent)
{
    auto *menu = new QMenu(parent);
    const QString agentId = selectedAgentId();
    const AgentInfo *agent = m_model->agent(agentId);
    const bool pending = agent && agent->approvalStatus == ApprovalStatus::Pending;
    QAction *approve =
        menu->addAction(consoleIcon(u"approve"_s), tr("&Approve"), this, &AgentsView::approveSelected);
    approve->setObjectName(u"approveAction"_s);
    approve->setEnabled(pending);
    QAction *reject =
        menu->addAction(consoleIcon(u"reject"_s), tr("&Reject…"), this, &AgentsView::rejectSelected);
    reject->setObjectName(u"rejectAction"_s);
    reject->setEnabled(agent && agent->approvalStatus != ApprovalStatus::Rejected);
    menu->addSeparator();
    QAction *send = menu->addAction(consoleIcon(u"send"_s), tr("&Send command…"), this,
                                    [this, agentId] { Q_EMIT sendCommandRequested(agentId); });
    send->setEnabled(agent && agent->approvalStatus == ApprovalStatus::Approved);
    menu->addAction(tr("&Copy agent id"), this, [agentId] { QApplication::clipboard()->setText(agentId); });
    return menu;
}

void AgentsView::approveSelected()
{
    decide(true);
}

void AgentsView::rejectSelected()
{
    decide(false);
}

void AgentsView::decide(bool approve)
{
    const QString agentId = selectedAgentId();
    if (agentId.isEmpty())
        return;
    if (!approve && !m_confirm(this, tr("Reject agent"),
                               tr("Reject agent %1? It will be disconnected and cannot connect again until "
                                  "approved.")
                                   .arg(agentId)))
        return;
    ConsoleRequest *request = m_client->decideAgent(agentId, approve);
    connect(request, &ConsoleRequest::finished, this, [this, agentId, approve] {
        Q_EMIT statusMessage(approve ? tr("Agent %1 approved.").arg(agentId)
                                     : tr("Agent %1 rejected.").arg(agentId));
    });
    connect(request, &ConsoleRequest::failed, this, [this, agentId](const Error &error) {
        Q_EMIT statusMessage(tr("Could not change agent %1: %2").arg(agentId, error.message));
    });
    connect(request, &ConsoleRequest::timedOut, this, [this, agentId] {
        Q_EMIT statusMessage(tr("The server did not answer about agent %1.").arg(agentId));
    });
}

} // namespace switchboard::console
