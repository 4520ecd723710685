#include "EventTable.h"

#include "SqlConnection.h"
#include "SqlValues.h"
#include "StorageLogging.h"

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;
using protocol::browser::SessionEvent;

EventTable::EventTable(SqlConnection &connection)
    : m_connection(connection)
{}

Decoded<QString> EventTable::epoch()
{
    auto found = m_connection.execute(u"SELECT value FROM switchboard_meta WHERE key = 'event_epoch'"_s, {},
                                      u"read event epoch");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next())
        return Error{ErrorCode::Internal, u"the database has no event epoch"_s, {}, {}};
    return rows.value(0).toString();
}

Decoded<qint64> EventTable::scalarSeq(const QString &sql, const QVariantList &values, QStringView what)
{
    auto found = m_connection.execute(sql, values, what);
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next() || rows.value(0).isNull())
        return qint64(-1);
    return rows.value(0).toLongLong();
}

Decoded<QList<SessionEvent>> EventTable::append(const QList<SessionEvent> &events, const QDateTime &now)
{
    // Orgs in order of first appearance, with their event counts.
    QList<QString> orgs;
    QHash<QString, qint64> counts;
    for (const SessionEvent &event : events) {
        if (event.orgId.isEmpty())
            return Error{ErrorCode::InvalidValue, u"an event needs an org"_s, u"orgId"_s, {}};
        if (!counts.contains(event.orgId))
            orgs.append(event.orgId);
        ++counts[event.orgId];
    }
    if (events.isEmpty())
        return QList<SessionEvent>{};

    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    auto currentEpoch = epoch();
    if (!currentEpoch)
        return currentEpoch.error();
    // The counter rows are locked from here to the commit, so concurrent writers of one org queue
    // up and each gets its own range.
    QHash<QString, qint64> next; // the seq the org's next event gets
    for (const QString &orgId : std::as_const(orgs)) {
        auto bumped = m_connection.execute(
            u"INSERT INTO event_counters (org_id, last_seq) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE "
            u"SET last_seq = event_counters.last_seq + excluded.last_seq"_s,
            {orgId, counts.value(orgId)}, u"allocate event seqs");
        if (!bumped)
            return bumped.error();
        auto last =
            scalarSeq(u"SELECT last_seq FROM event_counters WHERE org_id = ?"_s, {orgId}, u"read event seq");
        if (!last)
            return last.error();
        next.insert(orgId, last.value() - counts.value(orgId) + 1);
    }
    QList<SessionEvent> recorded;
    recorded.reserve(events.size());
    const QVariant recordedAt = sqlvalues::time(now);
    for (SessionEvent event : events) {
        event.seq = next[event.orgId]++;
        event.epoch = currentEpoch.value();
        auto inserted = m_connection.execute(
            u"INSERT INTO session_events (org_id, seq, type, session_id, user_id, occurred_at, recorded_at, "
            u"data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"_s,
            {event.orgId, event.seq, protocol::browser::eventTypeName(event.type), event.sessionId,
             event.userId, sqlvalues::time(sqlvalues::orNow(event.timestamp)), recordedAt,
             sqlvalues::json(event.data)},
            u"insert event");
        if (!inserted)
            return inserted.error();
        recorded.append(event);
    }
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return recorded;
}

Decoded<EventHistory> EventTable::since(const QString &orgId, qint64 afterSeq, int limit)
{
    EventHistory history;
    // One transaction: the counter, the oldest kept seq and the events agree with each other.
    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun.error();
    auto currentEpoch = epoch();
    if (!currentEpoch)
        return currentEpoch.error();
    history.epoch = currentEpoch.value();
    auto latest =
        scalarSeq(u"SELECT last_seq FROM event_counters WHERE org_id = ?"_s, {orgId}, u"read event seq");
    if (!latest)
        return latest.error();
    history.latestSeq = std::max<qint64>(0, latest.value());
    auto oldest =
        scalarSeq(u"SELECT MIN(seq) FROM session_events WHERE org_id = ?"_s, {orgId}, u"read oldest event");
    if (!oldest)
        return oldest.error();
    history.oldestSeq = oldest.value() < 0 ? history.latestSeq + 1 : oldest.value();
    if (!history.reachesBack(afterSeq) || afterSeq == history.latestSeq) {
        if (auto committed = transaction.commit(); !committed)
            return committed.error();
        return history;
    }
    auto found =
        m_connection.execute(u"SELECT seq, type, session_id, user_id, occurred_at, data FROM session_events "
                             u"WHERE org_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"_s,
                             {orgId, afterSeq, history.latestSeq, limit + 1}, u"read events");
    if (!found)
        return found.error();
    {
        SqlResult rows = std::move(found).value();
        while (rows.next()) {
            if (history.events.size() == limit) {
                history.truncated = true;
                break;
            }
            SessionEvent event;
            event.seq = rows.value(0).toLongLong();
            const QString type = rows.value(1).toString();
            if (const auto parsed = protocol::browser::eventTypeFromName(type)) {
                event.type = *parsed;
            } else {
                qCWarning(lcStorage) << "unknown event type in the database:" << type;
                continue;
            }
            event.sessionId = rows.value(2).toString();
            event.userId = rows.value(3).toString();
            event.timestamp = sqlvalues::toTime(rows.value(4));
            event.data = sqlvalues::toJsonObject(rows.value(5));
            event.orgId = orgId;
            event.epoch = history.epoch;
            history.events.append(event);
        }
    }
    if (history.truncated)
        history.events.clear();
    if (auto committed = transaction.commit(); !committed)
        return committed.error();
    return history;
}

Decoded<EventCursors> EventTable::cursors(const QStringList &orgIds)
{
    EventCursors cursors;
    auto currentEpoch = epoch();
    if (!currentEpoch)
        return currentEpoch.error();
    cursors.epoch = currentEpoch.value();
    auto found =
        m_connection.execute(u"SELECT org_id, last_seq FROM event_counters"_s, {}, u"read event seqs");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    while (rows.next()) {
        const QString orgId = rows.value(0).toString();
        if (orgIds.isEmpty() || orgIds.contains(orgId))
            cursors.latest.insert(orgId, rows.value(1).toLongLong());
    }
    return cursors;
}

Decoded<EventPruneResult> EventTable::prune(const EventPruneLimits &limits)
{
    EventPruneResult result;
    QList<std::pair<QString, qint64>> orgs;
    {
        auto found =
            m_connection.execute(u"SELECT org_id, last_seq FROM event_counters"_s, {}, u"read event seqs");
        if (!found)
            return found.error();
        SqlResult rows = std::move(found).value();
        while (rows.next())
            orgs.append({rows.value(0).toString(), rows.value(1).toLongLong()});
    }
    qint64 budget = std::max(1, limits.batch);
    for (const auto &[orgId, lastSeq] : std::as_const(orgs)) {
        auto oldest = scalarSeq(u"SELECT MIN(seq) FROM session_events WHERE org_id = ?"_s, {orgId},
                                u"read oldest event");
        if (!oldest)
            return oldest.error();
        if (oldest.value() < 0)
            continue; // nothing kept
        // Everything up to `cut` goes: past the count limit, or stored before the age limit (and,
        // so that the kept range stays contiguous, everything older than such an event too).
        qint64 cut = lastSeq - std::max<qint64>(0, limits.maxEventsPerOrg);
        if (limits.recordedBefore.isValid()) {
            auto aged =
                scalarSeq(u"SELECT MAX(seq) FROM session_events WHERE org_id = ? AND recorded_at < ?"_s,
                          {orgId, sqlvalues::time(limits.recordedBefore)}, u"find aged events");
            if (!aged)
                return aged.error();
            cut = std::max(cut, aged.value());
        }
        if (cut < oldest.value())
            continue;
        if (cut - oldest.value() + 1 > budget) {
            cut = oldest.value() + budget - 1;
            result.more = true;
        }
        auto removed = m_connection.execute(u"DELETE FROM session_events WHERE org_id = ? AND seq <= ?"_s,
                                            {orgId, cut}, u"prune events");
        if (!removed)
            return removed.error();
        const int count = std::move(removed).value().rowsAffected();
        result.removed += count;
        budget -= count;
        if (budget <= 0) {
            result.more = true;
            break;
        }
    }
    return result;
}

} // namespace switchboard
