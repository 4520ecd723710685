// The live event log: session events, agent status changes, command updates and connection
// notices, oldest first. Memory is capped (the oldest entries are dropped and counted); while
// paused, new entries wait in a queue and are appended, in order, on resume.
#pragma once

#include "shared/BrowserProtocol.h"
#include "shared/Records.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QJsonObject>
#include <QSortFilterProxyModel>

namespace switchboard::console {

struct EventEntry
{
    enum class Category { Session, Agent, Command, Org, Connection };
    QDateTime time;
    Category category = Category::Session;
    QString type; // wire type, e.g. session.state.changed, agent.updated
    QString orgId;
    QString summary;
    QJsonObject data; // what the server sent, exported as is
};

class EventLogModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Time, Type, Org, Summary, ColumnCount };
    enum Role { CategoryRole = Qt::UserRole + 1, TypeRole, OrgRole, SortRole };

    explicit EventLogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void append(const EventEntry &entry);
    void appendSessionEvent(const protocol::browser::SessionEvent &event);
    // Logs an agent change only when it is one an operator cares about (status, approval, new).
    void appendAgentChange(const protocol::AgentInfo *before, const protocol::AgentInfo &after);
    void appendCommand(const protocol::CommandInfo &command);
    void appendNotice(const QString &summary); // connection state and the like
    void clear();

    void setCapacity(int capacity); // at least 1; the oldest entries beyond it are dropped
    int capacity() const { return m_capacity; }
    qint64 droppedCount() const { return m_dropped; }
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    int heldCount() const { return int(m_held.size()); }

    const EventEntry &entryAt(int row) const { return m_entries.at(row); }
    static QJsonObject toJson(const EventEntry &entry);         // one line of the JSON-lines export
    static QString categoryName(EventEntry::Category category); // translated

Q_SIGNALS:
    void countersChanged(); // dropped, held or paused changed

private:
    void insertEntries(const QList<EventEntry> &entries);
    QList<EventEntry> m_entries;
    QList<EventEntry> m_held;
    int m_capacity = 10000;
    qint64 m_dropped = 0;
    bool m_paused = false;
};

// Filters the log by category, organisation and free text (matched in type, org and summary).
class EventFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit EventFilterProxy(QObject *parent = nullptr);
    void setCategory(std::optional<EventEntry::Category> category);
    void setOrg(const QString &orgId); // empty = all
    void setText(const QString &text);
    // The shown entries, in order, as JSON lines.
    QByteArray exportJsonLines() const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    std::optional<EventEntry::Category> m_category;
    QString m_org;
    QString m_text;
};

} // namespace switchboard::console
