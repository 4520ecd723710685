// EventTable: the SQL of the session event history (session_events, event_counters and the
// database's event epoch in switchboard_meta). Seqs are allocated in the transaction that stores
// the events, so every replica sharing the database sees the same numbers.
#pragma once

#include "shared/BrowserProtocol.h"

#include <QDateTime>
#include <QList>
#include <QMap>

namespace switchboard {

class SqlConnection;

// What the history of one org holds after a given seq.
struct EventHistory
{
    QString epoch;
    qint64 latestSeq = 0; // the last seq handed out in the org (0: none yet)
    qint64 oldestSeq = 1; // the first seq still kept (latestSeq + 1 when none is kept)
    // Events with afterSeq < seq <= latestSeq in seq order, when reachesBack(afterSeq) and the
    // range holds at most the limit asked for; else empty.
    QList<protocol::browser::SessionEvent> events;
    bool truncated = false; // more than the limit were missed: treat like a gap

    // Everything after `since` is still kept (nothing missed counts too).
    bool reachesBack(qint64 since) const { return since <= latestSeq && since + 1 >= oldestSeq; }
};

// The epoch and the latest seq of each org (orgs without events are absent: their seq is 0).
struct EventCursors
{
    QString epoch;
    QMap<QString, qint64> latest;
};

struct EventPruneLimits
{
    qint64 maxEventsPerOrg = 10000;
    QDateTime recordedBefore; // events stored before this go; invalid = no age limit
    int batch = 5000;         // at most this many rows per call
};

struct EventPruneResult
{
    int removed = 0;
    bool more = false; // the batch filled up: call again
};

class EventTable
{
public:
    explicit EventTable(SqlConnection &connection);

    // In one transaction: bumps each org's counter by its number of events and inserts them.
    // Returns the events with seq and epoch set, in the order given. Events without an org are
    // InvalidValue (nothing written).
    protocol::Decoded<QList<protocol::browser::SessionEvent>>
    append(const QList<protocol::browser::SessionEvent> &events, const QDateTime &now);
    protocol::Decoded<EventHistory> since(const QString &orgId, qint64 afterSeq, int limit);
    // Empty orgIds = every org that has events.
    protocol::Decoded<EventCursors> cursors(const QStringList &orgIds);
    // Removes the oldest events of each org beyond the count limit or older than the age limit,
    // keeping every org's retained seqs one contiguous range.
    protocol::Decoded<EventPruneResult> prune(const EventPruneLimits &limits);
    protocol::Decoded<QString> epoch();

private:
    protocol::Decoded<qint64> scalarSeq(const QString &sql, const QVariantList &values, QStringView what);

    SqlConnection &m_connection;
};

} // namespace switchboard
