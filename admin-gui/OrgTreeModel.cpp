#include "OrgTreeModel.h"

#include "ConsoleIcons.h"

#include <QFont>
#include <QSet>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

struct OrgTreeModel::Node
{
    Kind kind = Kind::Org;
    QString id;
    Node *parent = nullptr;
    std::vector<std::unique_ptr<Node>> children;
    OrgInfo org;         // Kind::Org
    SessionInfo session; // Kind::Session

    int row() const
    {
        if (!parent)
            return 0;
        for (size_t i = 0; i < parent->children.size(); ++i) {
            if (parent->children[i].get() == this)
                return int(i);
        }
        return -1;
    }
    Node *child(const QString &childId) const
    {
        for (const auto &node : children) {
            if (node->id == childId)
                return node.get();
        }
        return nullptr;
    }
    int connections() const
    {
        if (kind == Kind::Session)
            return session.activeConnections;
        int sum = 0;
        for (const auto &node : children)
            sum += node->connections();
        return sum;
    }
    int liveSessions() const
    {
        if (kind == Kind::Session)
            return isTerminalSessionState(session.state) ? 0 : 1;
        int sum = 0;
        for (const auto &node : children)
            sum += node->liveSessions();
        return sum;
    }
};

OrgTreeModel::OrgTreeModel(QObject *parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>())
{}

OrgTreeModel::~OrgTreeModel() = default;

OrgTreeModel::Node *OrgTreeModel::nodeOf(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex OrgTreeModel::indexOf(const Node *node, int column) const
{
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row(), column, const_cast<Node *>(node));
}

QModelIndex OrgTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    const Node *parentNode = nodeOf(parent);
    return createIndex(row, column, parentNode->children.at(size_t(row)).get());
}

QModelIndex OrgTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    const Node *node = nodeOf(child);
    return indexOf(node->parent);
}

int OrgTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int OrgTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant OrgTreeModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node *node = nodeOf(index);
    switch (role) {
    case KindRole:
        return int(node->kind);
    case IdRole:
        return node->id;
    case OrgIdRole: {
        const Node *org = node;
        while (org->parent && org->parent != m_root.get())
            org = org->parent;
        return org->id;
    }
    case SortRole:
        if (index.column() == Clients)
            return node->kind == Kind::Org ? node->org.clients : node->connections();
        return data(index, Qt::DisplayRole);
    case Qt::DecorationRole:
        if (index.column() != Name)
            return {};
        return consoleIcon(node->kind == Kind::Org    ? u"org"_s
                           : node->kind == Kind::User ? u"user"_s
                                                      : u"event-session"_s);
    case Qt::ForegroundRole:
        if (node->kind == Kind::Session && index.column() == State)
            return sessionStateColor(node->session.state);
        return {};
    case Qt::FontRole:
        if (node->kind == Kind::Org && index.column() == Name) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == Clients ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case Qt::DisplayRole:
        switch (node->kind) {
        case Kind::Org:
            switch (index.column()) {
            case Name:
                return node->org.name.isEmpty() || node->org.name == node->id
                           ? node->id
                           : u"%1 (%2)"_s.arg(node->org.name, node->id);
            case State:
                return tr("%n live session(s)", nullptr, node->liveSessions());
            case Clients:
                return node->org.clients;
            }
            return {};
        case Kind::User:
            switch (index.column()) {
            case Name:
                return node->id;
            case State:
                return tr("%n live session(s)", nullptr, node->liveSessions());
            case Clients:
                return node->connections();
            }
            return {};
        case Kind::Session:
            switch (index.column()) {
            case Name:
                return node->id;
            case State:
                return sessionStateText(node->session.state);
            case Clients:
                return node->session.activeConnections;
            case Agent:
                return node->session.agentId;
            case Template:
                return node->session.templateName;
            }
            return {};
        }
        return {};
    default:
        return {};
    }
}

QVariant OrgTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractItemModel::headerData(section, orientation, role);
    switch (section) {
    case Name:
        return tr("Organisation / user / session");
    case State:
        return tr("State");
    case Clients:
        return tr("Clients");
    case Agent:
        return tr("Agent");
    case Template:
        return tr("Template");
    }
    return {};
}

void OrgTreeModel::changed(Node *node)
{
    // A change shows in the node's row and in the totals of its ancestors.
    for (Node *current = node; current && current != m_root.get(); current = current->parent)
        Q_EMIT dataChanged(indexOf(current, 0), indexOf(current, ColumnCount - 1));
}

OrgTreeModel::Node *OrgTreeModel::ensureOrg(const QString &orgId)
{
    if (Node *org = m_root->child(orgId))
        return org;
    auto node = std::make_unique<Node>();
    node->kind = Kind::Org;
    node->id = orgId;
    node->org.orgId = orgId;
    node->org.name = orgId;
    node->parent = m_root.get();
    const int row = int(m_root->children.size());
    beginInsertRows({}, row, row);
    m_root->children.push_back(std::move(node));
    endInsertRows();
    return m_root->children.back().get();
}

OrgTreeModel::Node *OrgTreeModel::ensureUser(Node *org, const QString &userId)
{
    if (Node *user = org->child(userId))
        return user;
    auto node = std::make_unique<Node>();
    node->kind = Kind::User;
    node->id = userId;
    node->parent = org;
    const int row = int(org->children.size());
    beginInsertRows(indexOf(org), row, row);
    org->children.push_back(std::move(node));
    endInsertRows();
    return org->children.back().get();
}

OrgTreeModel::Node *OrgTreeModel::findSession(const QString &sessionId) const
{
    for (const auto &org : m_root->children) {
        for (const auto &user : org->children) {
            if (Node *session = user->child(sessionId))
                return session;
        }
    }
    return nullptr;
}

void OrgTreeModel::removeNode(Node *node)
{
    Node *parentNode = node->parent;
    const int row = node->row();
    beginRemoveRows(indexOf(parentNode), row, row);
    parentNode->children.erase(parentNode->children.begin() + row);
    endRemoveRows();
}

void OrgTreeModel::upsertOrg(const OrgInfo &org)
{
    Node *node = ensureOrg(org.orgId);
    node->org = org;
    changed(node);
}

void OrgTreeModel::setOrgs(const QList<OrgInfo> &orgs)
{
    QSet<QString> listed;
    for (const OrgInfo &org : orgs)
        listed.insert(org.orgId);
    for (int row = int(m_root->children.size()) - 1; row >= 0; --row) {
        Node *org = m_root->children.at(size_t(row)).get();
        if (listed.contains(org->id))
            continue;
        if (org->children.empty()) {
            removeNode(org);
        } else if (org->org.clients != 0) {
            org->org.clients = 0; // not listed: no connected clients any more
            changed(org);
        }
    }
    for (const OrgInfo &org : orgs)
        upsertOrg(org);
}

void OrgTreeModel::applySnapshot(const Snapshot &snapshot)
{
    if (!snapshot.sessionsListed) {
        m_snapshotEpoch.clear();
        m_snapshotSeqs.clear();
        setOrgs(snapshot.orgs);
        return;
    }
    m_snapshotEpoch = snapshot.epoch;
    m_snapshotSeqs = snapshot.seqs;
    if (!snapshot.sessionsTruncated) {
        QSet<QString> listed;
        for (const SessionInfo &session : snapshot.sessions)
            listed.insert(session.sessionId);
        for (const auto &org : m_root->children) {
            bool removed = false;
            for (int userRow = int(org->children.size()) - 1; userRow >= 0; --userRow) {
                Node *user = org->children.at(size_t(userRow)).get();
                for (int row = int(user->children.size()) - 1; row >= 0; --row) {
                    if (!listed.contains(user->children.at(size_t(row))->id)) {
                        removeNode(user->children.at(size_t(row)).get());
                        removed = true;
                    }
                }
                if (user->children.empty())
                    removeNode(user);
            }
            if (removed)
                changed(org.get());
        }
    }
    for (const SessionInfo &session : snapshot.sessions)
        upsertSession(session);
    // Last, so that an org whose sessions all went and that is no longer listed goes too.
    setOrgs(snapshot.orgs);
}

void OrgTreeModel::upsertSession(const SessionInfo &session)
{
    Node *existing = findSession(session.sessionId);
    if (existing &&
        (existing->parent->id != session.userId || existing->parent->parent->id != session.orgId)) {
        removeNode(existing); // moved (should not happen); re-add under its real owner
        existing = nullptr;
    }
    if (existing) {
        existing->session = session;
        changed(existing);
        return;
    }
    Node *user = ensureUser(ensureOrg(session.orgId), session.userId);
    auto node = std::make_unique<Node>();
    node->kind = Kind::Session;
    node->id = session.sessionId;
    node->parent = user;
    node->session = session;
    const int row = int(user->children.size());
    beginInsertRows(indexOf(user), row, row);
    user->children.push_back(std::move(node));
    endInsertRows();
    changed(user);
}

void OrgTreeModel::applySessionEvent(const browser::SessionEvent &event)
{
    if (event.orgId.isEmpty())
        return;
    if (event.seq > 0 && !m_snapshotEpoch.isEmpty() && event.epoch == m_snapshotEpoch &&
        event.seq <= m_snapshotSeqs.value(event.orgId, -1))
        return; // already in the snapshot's session list
    Node *node = findSession(event.sessionId);
    if (event.type == browser::EventType::Deleted) {
        if (node) {
            Node *user = node->parent;
            removeNode(node);
            if (user->children.empty())
                removeNode(user);
            else
                changed(user);
        }
        return;
    }
    SessionInfo session;
    if (node) {
        session = node->session;
    } else {
        session.sessionId = event.sessionId;
        session.orgId = event.orgId;
        session.userId = event.userId;
    }
    switch (event.type) {
    case browser::EventType::Created:
        if (auto decoded = SessionInfo::fromJson(event.data);
            decoded && decoded.value().sessionId == event.sessionId) {
            session = decoded.value();
            session.orgId = event.orgId; // routing is authoritative
            session.userId = event.userId;
        }
        break;
    case browser::EventType::StateChanged:
    case browser::EventType::Updated:
        if (auto state = sessionStateFromName(event.data.value("newState"_L1).toString()))
            session.state = *state;
        else if (auto updated = sessionStateFromName(event.data.value("state"_L1).toString()))
            session.state = *updated;
        break;
    case browser::EventType::Connected:
        ++session.activeConnections;
        break;
    case browser::EventType::Disconnected:
        session.activeConnections = qMax(0, session.activeConnections - 1);
        break;
    default:
        if (node)
            return; // nothing shown here changes
        break;
    }
    upsertSession(session);
}

void OrgTreeModel::clear()
{
    m_snapshotEpoch.clear();
    m_snapshotSeqs.clear();
    if (m_root->children.empty())
        return;
    beginResetModel();
    m_root->children.clear();
    endResetModel();
}

int OrgTreeModel::totalClients() const
{
    int sum = 0;
    for (const auto &org : m_root->children)
        sum += org->org.clients;
    return sum;
}

int OrgTreeModel::sessionCount(std::optional<SessionState> state) const
{
    int count = 0;
    for (const auto &org : m_root->children) {
        for (const auto &user : org->children) {
            for (const auto &session : user->children) {
                if (!state || session->session.state == *state)
                    ++count;
            }
        }
    }
    return count;
}

QStringList OrgTreeModel::orgIds() const
{
    QStringList ids;
    for (const auto &org : m_root->children)
        ids.append(org->id);
    return ids;
}

QModelIndex OrgTreeModel::orgIndex(const QString &orgId) const
{
    return indexOf(m_root->child(orgId));
}

QModelIndex OrgTreeModel::sessionIndex(const QString &sessionId) const
{
    return indexOf(findSession(sessionId));
}

} // namespace switchboard::console
