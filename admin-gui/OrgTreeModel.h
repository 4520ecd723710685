// Organisations -> users -> sessions, live. Orgs and their connected-client counts come from the
// admin snapshot and org.updated; sessions from the snapshot's list of sessions that have not
// ended, then from session events. Each snapshot (every connect and reconnect) is the truth: a
// session it does not list goes, unless the server said the list was truncated.
#pragma once

#include "AdminMessages.h"

#include "shared/BrowserProtocol.h"
#include "shared/Records.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace switchboard::console {

class OrgTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { Name, State, Clients, Agent, Template, ColumnCount };
    enum Role { KindRole = Qt::UserRole + 1, IdRole, OrgIdRole, SortRole };
    enum class Kind { Org, User, Session };

    explicit OrgTreeModel(QObject *parent = nullptr);
    ~OrgTreeModel() override;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // After a (re)connect: orgs updated in place; an org no longer listed goes unless sessions are
    // known for it.
    void setOrgs(const QList<protocol::OrgInfo> &orgs);
    // Orgs as setOrgs; sessions updated in place from the list (a complete list removes the
    // sessions it does not name, and users left without any). Events up to the snapshot's seqs
    // are in the list already: applySessionEvent skips them (a resume replays them for the log).
    // A snapshot without a session list (an older server) changes orgs only.
    void applySnapshot(const Snapshot &snapshot);
    void upsertOrg(const protocol::OrgInfo &org);
    void upsertSession(const protocol::SessionInfo &session);
    void applySessionEvent(const protocol::browser::SessionEvent &event);
    void clear();

    int totalClients() const;
    int sessionCount(std::optional<protocol::SessionState> state = std::nullopt) const;
    QStringList orgIds() const;
    QModelIndex orgIndex(const QString &orgId) const;
    QModelIndex sessionIndex(const QString &sessionId) const;

private:
    struct Node;
    Node *nodeOf(const QModelIndex &index) const;
    QModelIndex indexOf(const Node *node, int column = 0) const;
    Node *ensureOrg(const QString &orgId);
    Node *ensureUser(Node *org, const QString &userId);
    Node *findSession(const QString &sessionId) const;
    void removeNode(Node *node);
    void changed(Node *node);

    std::unique_ptr<Node> m_root;
    // Where the last snapshot's session list stands (events at or below are in it).
    QString m_snapshotEpoch;
    QHash<QString, qint64> m_snapshotSeqs;
};

} // namespace switchboard::console
