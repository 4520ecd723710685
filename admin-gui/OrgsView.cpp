#include "OrgsView.h"

#include "ConsoleClient.h"
#include "ConsoleIcons.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

OrgsView::OrgsView(OrgTreeModel *model, ConsoleClient *client, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_client(client)
    , m_proxy(new QSortFilterProxyModel(this))
    , m_filter(new QLineEdit(this))
    , m_tree(new QTreeView(this))
{
    m_proxy->setSourceModel(model);
    m_proxy->setRecursiveFilteringEnabled(true);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortRole(OrgTreeModel::SortRole);
    m_filter->setPlaceholderText(tr("Filter organisations, users and sessions…"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    m_tree->setModel(m_proxy);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(OrgTreeModel::Name, Qt::AscendingOrder);
    m_tree->setAlternatingRowColors(true);
    m_tree->setUniformRowHeights(true);
    m_tree->setAnimated(true);
    m_tree->header()->setStretchLastSection(true);
    m_tree->setColumnWidth(OrgTreeModel::Name, 300);
    m_tree->setColumnWidth(OrgTreeModel::State, 150);
    m_tree->setColumnWidth(OrgTreeModel::Clients, 80);
    m_tree->setColumnWidth(OrgTreeModel::Agent, 140);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    // New orgs and users open themselves: the operator wants to see sessions appear.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &parentIndex, int first, int last) {
                if (parentIndex.isValid())
                    m_tree->expand(parentIndex);
                for (int row = first; row <= last; ++row)
                    m_tree->expand(m_proxy->index(row, 0, parentIndex));
            });
    connect(m_tree, &QTreeView::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = m_tree->indexAt(pos);
        if (!index.isValid())
            return;
        m_tree->setCurrentIndex(index);
        QMenu *menu = createContextMenu(this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_tree->viewport()->mapToGlobal(pos));
    });
    connect(m_tree, &QTreeView::doubleClicked, this, [this](const QModelIndex &index) {
        if (index.data(OrgTreeModel::KindRole).toInt() == int(OrgTreeModel::Kind::Session))
            Q_EMIT openLogRequested(index.data(OrgTreeModel::IdRole).toString());
    });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(m_filter);
    layout->addWidget(m_tree, 1);
}

QString OrgsView::selectedSessionId() const
{
    const QModelIndex index = m_tree->currentIndex();
    if (!index.isValid() || index.data(OrgTreeModel::KindRole).toInt() != int(OrgTreeModel::Kind::Session))
        return {};
    return index.data(OrgTreeModel::IdRole).toString();
}

QMenu *OrgsView::createContextMenu(QWidget *parent)
{
    auto *menu = new QMenu(parent);
    const QString sessionId = selectedSessionId();
    const bool isSession = !sessionId.isEmpty();
    menu->addAction(consoleIcon(u"logs"_s), tr("Open &live log"), this,
                    [this, sessionId] { Q_EMIT openLogRequested(sessionId); })
        ->setEnabled(isSession);
    menu->addSeparator();
    menu->addAction(tr("&Stop session"), this,
                    [this, sessionId] { control(int(agent::Action::StopSession), sessionId); })
        ->setEnabled(isSession);
    menu->addAction(tr("&Hibernate session"), this,
                    [this, sessionId] { control(int(agent::Action::HibernateSession), sessionId); })
        ->setEnabled(isSession);
    menu->addAction(tr("&Wake session"), this,
                    [this, sessionId] { control(int(agent::Action::WakeSession), sessionId); })
        ->setEnabled(isSession);
    menu->addSeparator();
    menu->addAction(tr("&Expand all"), m_tree, &QTreeView::expandAll);
    menu->addAction(tr("&Collapse all"), m_tree, &QTreeView::collapseAll);
    return menu;
}

void OrgsView::control(int action, const QString &sessionId)
{
    ConsoleRequest *request = m_client->controlSession(agent::Action(action), sessionId);
    connect(request, &ConsoleRequest::finished, this,
            [this, sessionId] { Q_EMIT statusMessage(tr("Command sent for session %1.").arg(sessionId)); });
    connect(request, &ConsoleRequest::failed, this, [this, sessionId](const Error &error) {
        Q_EMIT statusMessage(tr("Session %1: %2").arg(sessionId, error.message));
    });
}

} // namespace switchboard::console
