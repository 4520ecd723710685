// EventJournal: the recorded history of session events. Every event from SessionService is first
// stored (on the storage thread, in batches), which gives it its org's next seq and the database's
// epoch; only then is it emitted as eventRecorded, in seq order, for the Notifier and the admin
// stream. An event that cannot be stored is retried while storage is unavailable and dropped (with
// a warning and eventsDropped) when too many wait or the error is not transient: it is never
// delivered without a seq. A timer prunes the history by count and age, a batch at a time.
#pragma once

#include "shared/BrowserProtocol.h"
#include "storage/EventTable.h"

#include <QFuture>
#include <QList>
#include <QObject>
#include <QTimer>

#include <chrono>

namespace switchboard {

class Store;

class EventJournal : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        qint64 maxEventsPerOrg = 10000;
        std::chrono::milliseconds maxAge{std::chrono::hours(24)}; // <= 0: no age limit
        std::chrono::milliseconds pruneInterval{std::chrono::minutes(1)};
        int pruneBatch = 5000; // rows deleted per storage job; more batches follow at once
        int appendBatch = 500; // events stored per transaction
        // Events waiting for storage; beyond this the oldest are dropped (storage down for long).
        int maxWaiting = 10000;
        std::chrono::milliseconds retryDelay{500}; // doubles per failed attempt, up to maxRetryDelay
        std::chrono::milliseconds maxRetryDelay{std::chrono::seconds(30)};
        int maxAttemptsOnError = 3; // attempts for an error that is not Unavailable
        int replayLimit = 50000;    // events one resume may replay per org; more = resync
    };

    EventJournal(Store *store, const Config &config, QObject *parent = nullptr);

    void start(); // the prune timer
    void stop();

    // Queues an event to be recorded (org required); eventRecorded follows once it is stored.
    void append(const protocol::browser::SessionEvent &event);
    // The org's recorded events after afterSeq (at most replayLimit; see EventHistory).
    QFuture<protocol::Decoded<EventHistory>> history(const QString &orgId, qint64 afterSeq);
    // The epoch and latest seqs of the given orgs (empty = all).
    QFuture<protocol::Decoded<EventCursors>> cursors(const QStringList &orgIds);
    // One pruning round now (continues in batches until done).
    void prune();

    int waitingCount() const { return int(m_waiting.size()); } // not counting a batch being stored
    qint64 droppedCount() const { return m_dropped; }
    const Config &config() const { return m_config; }

Q_SIGNALS:
    void eventRecorded(const protocol::browser::SessionEvent &event);
    // A store attempt failed; the events stay queued (waiting = how many) and are retried.
    void appendFailed(const protocol::Error &error, int waiting);
    // Events given up on: never delivered.
    void eventsDropped(int count, const protocol::Error &error);
    // A pruning round finished; removed = rows deleted by it.
    void pruned(int removed);

private:
    void flush();
    void onStored(const QList<protocol::browser::SessionEvent> &batch,
                  const protocol::Decoded<QList<protocol::browser::SessionEvent>> &stored);
    void dropOldest(int count, const protocol::Error &error);
    void pruneBatch(int removedSoFar);

    Store *m_store;
    Config m_config;
    QList<protocol::browser::SessionEvent> m_waiting; // not yet sent to storage, oldest first
    bool m_inFlight = false;
    int m_attempts = 0; // failed attempts of the batch at the front
    std::chrono::milliseconds m_nextRetry;
    QTimer m_retryTimer;
    QTimer m_pruneTimer;
    bool m_pruning = false;
    qint64 m_dropped = 0;
};

} // namespace switchboard
