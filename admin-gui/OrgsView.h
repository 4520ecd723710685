// The organisations tree (orgs -> users -> sessions), filterable; a session's context menu stops,
// hibernates or wakes it and opens its live log.
#pragma once

#include "OrgTreeModel.h"

#include <QWidget>

class QLineEdit;
class QMenu;
class QSortFilterProxyModel;
class QTreeView;

namespace switchboard::console {

class ConsoleClient;

class OrgsView : public QWidget
{
    Q_OBJECT
public:
    OrgsView(OrgTreeModel *model, ConsoleClient *client, QWidget *parent = nullptr);
    QTreeView *tree() const { return m_tree; }
    QLineEdit *filterEdit() const { return m_filter; }
    QString selectedSessionId() const;
    QMenu *createContextMenu(QWidget *parent);

Q_SIGNALS:
    void openLogRequested(const QString &sessionId);
    void statusMessage(const QString &message);

private:
    void control(int action, const QString &sessionId);
    OrgTreeModel *m_model;
    ConsoleClient *m_client;
    QSortFilterProxyModel *m_proxy;
    QLineEdit *m_filter;
    QTreeView *m_tree;
};

} // namespace switchboard::console
