#include "core/EventJournal.h"

#include "core/Continuation.h"
#include "storage/Store.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcJournal, "switchboard.events")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;
using protocol::browser::SessionEvent;

EventJournal::EventJournal(Store *store, const Config &config, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_config(config)
    , m_nextRetry(config.retryDelay)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &EventJournal::flush);
    m_pruneTimer.setInterval(m_config.pruneInterval);
    connect(&m_pruneTimer, &QTimer::timeout, this, &EventJournal::prune);
}

void EventJournal::start()
{
    m_pruneTimer.start();
}

void EventJournal::stop()
{
    m_pruneTimer.stop();
    m_retryTimer.stop();
}

void EventJournal::append(const SessionEvent &event)
{
    if (event.orgId.isEmpty()) {
        qCWarning(lcJournal) << "dropping" << protocol::browser::eventTypeName(event.type) << "for session"
                             << event.sessionId << "without an org";
        return;
    }
    m_waiting.append(event);
    if (m_waiting.size() > m_config.maxWaiting) {
        dropOldest(int(m_waiting.size()) - m_config.maxWaiting,
                   Error{ErrorCode::Unavailable, u"too many events waiting for storage"_s, {}, {}});
    }
    // Events published in one turn of the event loop, or while a batch is being stored, go
    // together into the next transaction.
    if (!m_inFlight && !m_retryTimer.isActive())
        QMetaObject::invokeMethod(this, &EventJournal::flush, Qt::QueuedConnection);
}

void EventJournal::flush()
{
    if (m_inFlight || m_retryTimer.isActive() || m_waiting.isEmpty())
        return;
    const qsizetype size = std::min<qsizetype>(m_waiting.size(), m_config.appendBatch);
    const QList<SessionEvent> batch = m_waiting.first(size);
    m_waiting.remove(0, size);
    m_inFlight = true;
    whenFinished(this, m_store->appendEvents(batch, QDateTime::currentDateTimeUtc()),
                 [this, batch](const Decoded<QList<SessionEvent>> &stored) { onStored(batch, stored); });
}

void EventJournal::onStored(const QList<SessionEvent> &batch, const Decoded<QList<SessionEvent>> &stored)
{
    m_inFlight = false;
    if (stored) {
        m_attempts = 0;
        m_nextRetry = m_config.retryDelay;
        for (const SessionEvent &event : stored.value())
            Q_EMIT eventRecorded(event);
        flush();
        return;
    }
    const Error &error = stored.error();
    ++m_attempts;
    if (error.code != ErrorCode::Unavailable && m_attempts >= m_config.maxAttemptsOnError) {
        qCCritical(lcJournal) << "giving up on" << batch.size() << "events after" << m_attempts
                              << "attempts:" << error.message;
        m_attempts = 0;
        m_dropped += batch.size();
        Q_EMIT eventsDropped(int(batch.size()), error);
        flush();
        return;
    }
    // Back to the front, before anything published since, to keep the order.
    m_waiting = batch + m_waiting;
    if (m_waiting.size() > m_config.maxWaiting) {
        dropOldest(int(m_waiting.size()) - m_config.maxWaiting,
                   Error{ErrorCode::Unavailable, u"too many events waiting for storage"_s, {}, {}});
    }
    qCWarning(lcJournal) << "could not record" << batch.size() << "session events (" << m_waiting.size()
                         << "waiting), retrying in" << m_nextRetry.count() << "ms:" << error.message;
    Q_EMIT appendFailed(error, int(m_waiting.size()));
    m_retryTimer.start(m_nextRetry);
    m_nextRetry = std::min(m_nextRetry * 2, m_config.maxRetryDelay);
}

void EventJournal::dropOldest(int count, const Error &error)
{
    if (count <= 0)
        return;
    m_waiting.remove(0, std::min<qsizetype>(count, m_waiting.size()));
    m_dropped += count;
    qCWarning(lcJournal) << "dropped" << count << "session events that could not be recorded (" << m_dropped
                         << "in all):" << error.message;
    Q_EMIT eventsDropped(count, error);
}

QFuture<Decoded<EventHistory>> EventJournal::history(const QString &orgId, qint64 afterSeq)
{
    return m_store->eventsSince(orgId, afterSeq, m_config.replayLimit);
}

QFuture<Decoded<EventCursors>> EventJournal::cursors(const QStringList &orgIds)
{
    return m_store->eventCursors(orgIds);
}

void EventJournal::prune()
{
    if (m_pruning)
        return;
    m_pruning = true;
    pruneBatch(0);
}

void EventJournal::pruneBatch(int removedSoFar)
{
    EventPruneLimits limits;
    limits.maxEventsPerOrg = m_config.maxEventsPerOrg;
    if (m_config.maxAge.count() > 0)
        limits.recordedBefore = QDateTime::currentDateTimeUtc().addMSecs(-m_config.maxAge.count());
    limits.batch = m_config.pruneBatch;
    whenFinished(
        this, m_store->pruneEvents(limits), [this, removedSoFar](const Decoded<EventPruneResult> &result) {
            if (!result) {
                qCWarning(lcJournal) << "pruning the event history failed:" << result.error().message;
                m_pruning = false;
                return;
            }
            const int removed = removedSoFar + result.value().removed;
            // Each batch is its own storage job, so appends and replays run in between.
            if (result.value().more) {
                pruneBatch(removed);
                return;
            }
            m_pruning = false;
            if (removed > 0)
                qCDebug(lcJournal) << "pruned" << removed << "session events";
            Q_EMIT pruned(removed);
        });
}

} // namespace switchboard
