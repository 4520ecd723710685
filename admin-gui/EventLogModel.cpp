#include "EventLogModel.h"

#include "ConsoleIcons.h"

#include <QJsonDocument>
#include <QLocale>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

EventLogModel::EventLogModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString EventLogModel::categoryName(EventEntry::Category category)
{
    switch (category) {
    case EventEntry::Category::Session:
        return tr("Session");
    case EventEntry::Category::Agent:
        return tr("Agent");
    case EventEntry::Category::Command:
        return tr("Command");
    case EventEntry::Category::Org:
        return tr("Organisation");
    case EventEntry::Category::Connection:
        return tr("Connection");
    }
    return {};
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const EventEntry &entry = m_entries.at(index.row());
    switch (role) {
    case CategoryRole:
        return int(entry.category);
    case TypeRole:
        return entry.type;
    case OrgRole:
        return entry.orgId;
    case SortRole:
        return index.column() == Time ? QVariant(entry.time.toMSecsSinceEpoch())
                                      : data(index, Qt::DisplayRole);
    case Qt::ToolTipRole:
        if (index.column() == Time)
            return formatTimestamp(entry.time);
        if (index.column() == Summary && !entry.data.isEmpty())
            return QString::fromUtf8(QJsonDocument(entry.data).toJson(QJsonDocument::Indented));
        return {};
    case Qt::DecorationRole:
        if (index.column() != Type)
            return {};
        switch (entry.category) {
        case EventEntry::Category::Session:
            return consoleIcon(u"event-session"_s);
        case EventEntry::Category::Agent:
            return consoleIcon(u"agents"_s);
        case EventEntry::Category::Command:
            return consoleIcon(u"send"_s);
        case EventEntry::Category::Org:
            return consoleIcon(u"broadcast"_s);
        case EventEntry::Category::Connection:
            return consoleIcon(u"connect"_s);
        }
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case Time:
            return QLocale().toString(entry.time.toLocalTime().time(), u"HH:mm:ss.zzz"_s);
        case Type:
            return entry.type;
        case Org:
            return entry.orgId;
        case Summary:
            return entry.summary;
        }
        return {};
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Time:
        return tr("Time");
    case Type:
        return tr("Type");
    case Org:
        return tr("Organisation");
    case Summary:
        return tr("Summary");
    }
    return {};
}

void EventLogModel::append(const EventEntry &entry)
{
    if (m_paused) {
        m_held.append(entry);
        // The cap bounds memory while paused too: the oldest waiting entries go first.
        if (m_held.size() > m_capacity) {
            m_held.removeFirst();
            ++m_dropped;
        }
        Q_EMIT countersChanged();
        return;
    }
    insertEntries({entry});
}

void EventLogModel::insertEntries(const QList<EventEntry> &entries)
{
    if (entries.isEmpty())
        return;
    const qsizetype overflow = m_entries.size() + entries.size() - m_capacity;
    if (overflow > 0) {
        const int removeCount = int(qMin(overflow, m_entries.size()));
        if (removeCount > 0) {
            beginRemoveRows({}, 0, removeCount - 1);
            m_entries.remove(0, removeCount);
            endRemoveRows();
        }
        m_dropped += overflow;
        Q_EMIT countersChanged();
    }
    const qsizetype skip = qMax<qsizetype>(0, entries.size() - m_capacity);
    const int first = int(m_entries.size());
    const int last = first + int(entries.size() - skip) - 1;
    beginInsertRows({}, first, last);
    for (qsizetype i = skip; i < entries.size(); ++i)
        m_entries.append(entries.at(i));
    endInsertRows();
}

void EventLogModel::appendSessionEvent(const browser::SessionEvent &event)
{
    EventEntry entry;
    entry.time = event.timestamp.isValid() ? event.timestamp : QDateTime::currentDateTimeUtc();
    entry.category = EventEntry::Category::Session;
    entry.type = browser::eventTypeName(event.type);
    entry.orgId = event.orgId;
    entry.data = browser::sessionEventToJson(event, true);
    const QString who = tr("%1 (user %2)").arg(event.sessionId, event.userId);
    switch (event.type) {
    case browser::EventType::StateChanged:
        entry.summary = tr("%1: %2 → %3")
                            .arg(who, event.data.value("oldState"_L1).toString(),
                                 event.data.value("newState"_L1).toString());
        break;
    case browser::EventType::Error:
        entry.summary = tr("%1: %2").arg(who, event.data.value("error"_L1).toString());
        break;
    case browser::EventType::Connected:
    case browser::EventType::Disconnected:
        entry.summary = tr("%1: connection %2").arg(who, event.data.value("connectionId"_L1).toString());
        break;
    default:
        entry.summary = who;
        break;
    }
    append(entry);
}

void EventLogModel::appendAgentChange(const AgentInfo *before, const AgentInfo &after)
{
    const AgentDisplayStatus now = displayStatus(after);
    if (before && displayStatus(*before) == now)
        return; // heartbeats and counters are not events worth a line
    EventEntry entry;
    entry.time = QDateTime::currentDateTimeUtc();
    entry.category = EventEntry::Category::Agent;
    entry.type = u"agent.updated"_s;
    entry.orgId = after.orgId;
    entry.data = after.toJson();
    entry.summary =
        before ? tr("%1: %2 → %3")
                     .arg(after.agentId, displayStatusText(displayStatus(*before)), displayStatusText(now))
               : tr("%1 appeared (%2)").arg(after.agentId, displayStatusText(now));
    append(entry);
}

void EventLogModel::appendCommand(const CommandInfo &command)
{
    EventEntry entry;
    entry.time = command.updatedAt.isValid() ? command.updatedAt : QDateTime::currentDateTimeUtc();
    entry.category = EventEntry::Category::Command;
    entry.type = u"command.updated"_s;
    entry.orgId = command.orgId;
    entry.data = command.toJson();
    entry.summary =
        tr("%1 %2 on %3: %4")
            .arg(command.commandId, command.action, command.agentId, commandStatusText(command.status));
    if (!command.error.isEmpty())
        entry.summary += u" — "_s + command.error;
    append(entry);
}

void EventLogModel::appendNotice(const QString &summary)
{
    EventEntry entry;
    entry.time = QDateTime::currentDateTimeUtc();
    entry.category = EventEntry::Category::Connection;
    entry.type = u"console"_s;
    entry.summary = summary;
    append(entry);
}

void EventLogModel::clear()
{
    beginResetModel();
    m_entries.clear();
    endResetModel();
    m_held.clear();
    m_dropped = 0;
    Q_EMIT countersChanged();
}

void EventLogModel::setCapacity(int capacity)
{
    m_capacity = qMax(1, capacity);
    const qsizetype overflow = m_entries.size() - m_capacity;
    if (overflow > 0) {
        beginRemoveRows({}, 0, int(overflow) - 1);
        m_entries.remove(0, overflow);
        endRemoveRows();
        m_dropped += overflow;
    }
    Q_EMIT countersChanged();
}

void EventLogModel::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (!paused)
        insertEntries(std::exchange(m_held, {}));
    Q_EMIT countersChanged();
}

QJsonObject EventLogModel::toJson(const EventEntry &entry)
{
    static constexpr const char *names[] = {"session", "agent", "command", "org", "connection"};
    QJsonObject object{{"time"_L1, formatTimestamp(entry.time)},
                       {"category"_L1, QString::fromLatin1(names[int(entry.category)])},
                       {"type"_L1, entry.type},
                       {"summary"_L1, entry.summary}};
    if (!entry.orgId.isEmpty())
        object.insert("orgId"_L1, entry.orgId);
    if (!entry.data.isEmpty())
        object.insert("data"_L1, entry.data);
    return object;
}

// ---- EventFilterProxy ----

EventFilterProxy::EventFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{}

void EventFilterProxy::setCategory(std::optional<EventEntry::Category> category)
{
    m_category = category;
    invalidateFilter();
}

void EventFilterProxy::setOrg(const QString &orgId)
{
    m_org = orgId;
    invalidateFilter();
}

void EventFilterProxy::setText(const QString &text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

bool EventFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const auto *log = qobject_cast<const EventLogModel *>(sourceModel());
    if (!log || sourceParent.isValid())
        return true;
    const EventEntry &entry = log->entryAt(sourceRow);
    if (m_category && entry.category != *m_category)
        return false;
    if (!m_org.isEmpty() && entry.orgId != m_org)
        return false;
    if (m_text.isEmpty())
        return true;
    return entry.type.contains(m_text, Qt::CaseInsensitive) ||
           entry.orgId.contains(m_text, Qt::CaseInsensitive) ||
           entry.summary.contains(m_text, Qt::CaseInsensitive);
}

QByteArray EventFilterProxy::exportJsonLines() const
{
    const auto *log = qobject_cast<const EventLogModel *>(sourceModel());
    QByteArray lines;
    if (!log)
        return lines;
    for (int row = 0; row < rowCount(); ++row) {
        const QModelIndex source = mapToSource(index(row, 0));
        lines +=
            QJsonDocument(EventLogModel::toJson(log->entryAt(source.row()))).toJson(QJsonDocument::Compact);
        lines += '\n';
    }
    return lines;
}

} // namespace switchboard::console
