// EventJournal on a real SQLite store: events are delivered only once recorded, with per-org seqs
// that strictly increase (also with two journals, standing for two replicas, on one database) and
// continue across a reopen; storage outages delay events instead of losing or unnumbering them;
// pruning keeps each org's history one contiguous range within the count and age limits.
#include "StoreTestKit.h"

#include "core/EventJournal.h"
#include "storage/Store.h"

#include <QLoggingCategory>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using protocol::browser::EventType;
using protocol::browser::SessionEvent;

namespace {

constexpr int kTimeoutMs = 20000;

SessionEvent makeEvent(const QString &orgId, int n)
{
    SessionEvent event;
    event.type = EventType::Heartbeat;
    event.orgId = orgId;
    event.userId = u"alice"_s;
    event.sessionId = u"s-1"_s;
    event.timestamp = QDateTime::currentDateTimeUtc();
    event.data = QJsonObject{{u"n"_s, n}};
    return event;
}

QList<SessionEvent> recordedIn(const QSignalSpy &spy)
{
    QList<SessionEvent> events;
    for (const QList<QVariant> &arguments : spy)
        events.append(arguments.first().value<SessionEvent>());
    return events;
}

template<class T>
protocol::Decoded<T> await(const QFuture<protocol::Decoded<T>> &future)
{
    if (!QTest::qWaitFor([&] { return future.isFinished(); }, kTimeoutMs))
        return protocol::Error{protocol::ErrorCode::Internal, u"timed out"_s, {}, {}};
    return future.result();
}

} // namespace

Q_DECLARE_METATYPE(switchboard::protocol::browser::SessionEvent)

class EventJournalTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(u"switchboard.*.debug=false\nswitchboard.events.warning=false"_s);
        qRegisterMetaType<SessionEvent>();
    }
    void init();
    void cleanup();

    void recordsBeforeDeliveringInOrder();
    void seqsArePerOrg();
    void seqStrictlyIncreasesAcrossConcurrentReplicas();
    void seqContinuesAfterReopenAndEpochIsTheDatabases();
    void storageOutageDelaysButNeverUnnumbers();
    void tooManyWaitingDropsTheOldest();
    void pruneByCount();
    void pruneByAge();
    void pruneInBatches();

private:
    QString url() const { return u"sqlite:///"_s + m_dir->filePath(u"events.db"_s); }
    std::unique_ptr<EventJournal> makeJournal(Store *store, EventJournal::Config config = {});

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Store> m_store;
};

void EventJournalTest::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<Store>();
    QVERIFY(await(m_store->open(url())).ok());
}

void EventJournalTest::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

std::unique_ptr<EventJournal> EventJournalTest::makeJournal(Store *store, EventJournal::Config config)
{
    config.retryDelay = std::chrono::milliseconds(20);
    config.maxRetryDelay = std::chrono::milliseconds(100);
    return std::make_unique<EventJournal>(store, config);
}

void EventJournalTest::recordsBeforeDeliveringInOrder()
{
    auto journal = makeJournal(m_store.get());
    QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
    for (int i = 0; i < 1200; ++i) // more than one append batch
        journal->append(makeEvent(u"acme"_s, i));
    QVERIFY(recorded.isEmpty()); // never before it is stored
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 1200, kTimeoutMs);
    const QList<SessionEvent> events = recordedIn(recorded);
    auto history = await(journal->history(u"acme"_s, 0));
    QVERIFY(history.ok());
    QCOMPARE(history.value().latestSeq, 1200);
    QCOMPARE(history.value().events.size(), 1200);
    for (int i = 0; i < events.size(); ++i) {
        QCOMPARE(events.at(i).seq, i + 1);
        QCOMPARE(events.at(i).data.value("n"_L1).toInt(), i);
        QCOMPARE(events.at(i).epoch, history.value().epoch);
        QCOMPARE(history.value().events.at(i).seq, i + 1);
        QCOMPARE(history.value().events.at(i).data, events.at(i).data);
    }
}

void EventJournalTest::seqsArePerOrg()
{
    auto journal = makeJournal(m_store.get());
    QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
    journal->append(makeEvent(u"acme"_s, 0));
    journal->append(makeEvent(u"beta"_s, 0));
    journal->append(makeEvent(u"acme"_s, 1));
    journal->append(makeEvent(u""_s, 9)); // no org: never recorded nor delivered
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 3, kTimeoutMs);
    const QList<SessionEvent> events = recordedIn(recorded);
    QCOMPARE(events.at(0).seq, 1);
    QCOMPARE(events.at(1).orgId, u"beta"_s);
    QCOMPARE(events.at(1).seq, 1);
    QCOMPARE(events.at(2).seq, 2);
    auto cursors = await(journal->cursors({}));
    QVERIFY(cursors.ok());
    QCOMPARE(cursors.value().latest, (QMap<QString, qint64>{{u"acme"_s, 2}, {u"beta"_s, 1}}));
    auto scoped = await(journal->cursors({u"beta"_s}));
    QCOMPARE(scoped.value().latest, (QMap<QString, qint64>{{u"beta"_s, 1}}));
}

void EventJournalTest::seqStrictlyIncreasesAcrossConcurrentReplicas()
{
    Store other;
    QVERIFY(await(other.open(url())).ok());
    auto first = makeJournal(m_store.get());
    auto second = makeJournal(&other);
    QSignalSpy firstRecorded(first.get(), &EventJournal::eventRecorded);
    QSignalSpy secondRecorded(second.get(), &EventJournal::eventRecorded);
    constexpr int kEach = 300;
    for (int i = 0; i < kEach; ++i) {
        first->append(makeEvent(u"acme"_s, i));
        second->append(makeEvent(u"acme"_s, i));
        if (i % 25 == 0)
            QCoreApplication::processEvents(); // many small batches, racing each other
    }
    QTRY_COMPARE_WITH_TIMEOUT(firstRecorded.size(), kEach, kTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(secondRecorded.size(), kEach, kTimeoutMs);
    QSet<qint64> all;
    for (const QSignalSpy *spy : {&firstRecorded, &secondRecorded}) {
        qint64 previous = 0;
        for (const SessionEvent &recorded : recordedIn(*spy)) {
            QVERIFY2(recorded.seq > previous, "each replica delivers in strictly increasing seq order");
            previous = recorded.seq;
            QVERIFY2(!all.contains(recorded.seq), "a seq handed out twice");
            all.insert(recorded.seq);
        }
    }
    QCOMPARE(all.size(), 2 * kEach);
    QCOMPARE(*std::max_element(all.begin(), all.end()), 2 * kEach); // and no gaps
}

void EventJournalTest::seqContinuesAfterReopenAndEpochIsTheDatabases()
{
    QString epoch;
    {
        auto journal = makeJournal(m_store.get());
        QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
        journal->append(makeEvent(u"acme"_s, 0));
        journal->append(makeEvent(u"acme"_s, 1));
        QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 2, kTimeoutMs);
        epoch = recordedIn(recorded).first().epoch;
    }
    m_store->close();
    QVERIFY(await(m_store->open(url())).ok());
    auto journal = makeJournal(m_store.get());
    QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
    journal->append(makeEvent(u"acme"_s, 2));
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 1, kTimeoutMs);
    QCOMPARE(recordedIn(recorded).first().seq, 3);
    QCOMPARE(recordedIn(recorded).first().epoch, epoch);

    Store fresh;
    QVERIFY(await(fresh.open(u"sqlite:///"_s + m_dir->filePath(u"other.db"_s))).ok());
    auto cursors = await(fresh.eventCursors());
    QVERIFY(cursors.ok());
    QVERIFY(!cursors.value().epoch.isEmpty());
    QVERIFY(cursors.value().epoch != epoch);
    QVERIFY(cursors.value().latest.isEmpty());
}

void EventJournalTest::storageOutageDelaysButNeverUnnumbers()
{
    auto journal = makeJournal(m_store.get());
    QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
    QSignalSpy failed(journal.get(), &EventJournal::appendFailed);
    QSignalSpy dropped(journal.get(), &EventJournal::eventsDropped);
    journal->append(makeEvent(u"acme"_s, 0));
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 1, kTimeoutMs);

    m_store->close();
    for (int i = 1; i <= 5; ++i)
        journal->append(makeEvent(u"acme"_s, i));
    QTRY_VERIFY_WITH_TIMEOUT(failed.size() >= 2, kTimeoutMs); // retried
    QCOMPARE(failed.first().at(1).toInt(), 5);
    QCOMPARE(recorded.size(), 1); // nothing goes out without a seq

    QVERIFY(await(m_store->open(url())).ok());
    journal->append(makeEvent(u"acme"_s, 6));
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 7, kTimeoutMs);
    const QList<SessionEvent> events = recordedIn(recorded);
    for (int i = 0; i < events.size(); ++i) {
        QCOMPARE(events.at(i).seq, i + 1);
        QCOMPARE(events.at(i).data.value("n"_L1).toInt(), i);
    }
    QVERIFY(dropped.isEmpty());
    QCOMPARE(journal->droppedCount(), 0);
}

void EventJournalTest::tooManyWaitingDropsTheOldest()
{
    EventJournal::Config config;
    config.maxWaiting = 3;
    auto journal = makeJournal(m_store.get(), config);
    QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
    QSignalSpy dropped(journal.get(), &EventJournal::eventsDropped);
    m_store->close();
    for (int i = 0; i < 5; ++i)
        journal->append(makeEvent(u"acme"_s, i));
    QTRY_VERIFY_WITH_TIMEOUT(journal->droppedCount() >= 2, kTimeoutMs);
    QVERIFY(!dropped.isEmpty());
    QVERIFY(await(m_store->open(url())).ok());
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 3, kTimeoutMs);
    const QList<SessionEvent> events = recordedIn(recorded);
    QCOMPARE(events.last().data.value("n"_L1).toInt(), 4); // the newest are kept
    QCOMPARE(events.first().seq, 1);                       // and numbered without gaps
    QCOMPARE(events.last().seq, 3);
}

void EventJournalTest::pruneByCount()
{
    EventJournal::Config config;
    config.maxEventsPerOrg = 10;
    auto journal = makeJournal(m_store.get(), config);
    QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
    QSignalSpy pruned(journal.get(), &EventJournal::pruned);
    for (int i = 0; i < 25; ++i)
        journal->append(makeEvent(u"acme"_s, i));
    for (int i = 0; i < 4; ++i)
        journal->append(makeEvent(u"beta"_s, i));
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 29, kTimeoutMs);
    QVERIFY(recorded.size() == 29 && pruned.isEmpty()); // nothing is pruned per event

    journal->prune();
    QTRY_COMPARE_WITH_TIMEOUT(pruned.size(), 1, kTimeoutMs);
    QCOMPARE(pruned.first().first().toInt(), 15);
    auto acme = await(journal->history(u"acme"_s, 15));
    QVERIFY(acme.ok());
    QCOMPARE(acme.value().oldestSeq, 16);
    QCOMPARE(acme.value().latestSeq, 25);
    QVERIFY(acme.value().reachesBack(15));
    QCOMPARE(acme.value().events.size(), 10);
    auto gap = await(journal->history(u"acme"_s, 14));
    QVERIFY(!gap.value().reachesBack(14));
    QVERIFY(gap.value().events.isEmpty());
    auto beta = await(journal->history(u"beta"_s, 0));
    QCOMPARE(beta.value().events.size(), 4); // under the limit: untouched
}

void EventJournalTest::pruneByAge()
{
    // Five events stored two days ago, three now.
    QList<SessionEvent> old;
    for (int i = 0; i < 5; ++i)
        old.append(makeEvent(u"acme"_s, i));
    QVERIFY(await(m_store->appendEvents(old, QDateTime::currentDateTimeUtc().addDays(-2))).ok());
    auto journal = makeJournal(m_store.get()); // 24 h by default
    QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
    QSignalSpy pruned(journal.get(), &EventJournal::pruned);
    for (int i = 5; i < 8; ++i)
        journal->append(makeEvent(u"acme"_s, i));
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 3, kTimeoutMs);
    journal->prune();
    QTRY_COMPARE_WITH_TIMEOUT(pruned.size(), 1, kTimeoutMs);
    QCOMPARE(pruned.first().first().toInt(), 5);
    auto history = await(journal->history(u"acme"_s, 5));
    QCOMPARE(history.value().oldestSeq, 6);
    QCOMPARE(history.value().events.size(), 3);
}

void EventJournalTest::pruneInBatches()
{
    EventJournal::Config config;
    config.maxEventsPerOrg = 2;
    config.pruneBatch = 4;
    config.pruneInterval = std::chrono::milliseconds(50);
    auto journal = makeJournal(m_store.get(), config);
    QSignalSpy recorded(journal.get(), &EventJournal::eventRecorded);
    QSignalSpy pruned(journal.get(), &EventJournal::pruned);
    for (int i = 0; i < 20; ++i)
        journal->append(makeEvent(u"acme"_s, i));
    QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 20, kTimeoutMs);
    journal->start(); // the timer does it
    QTRY_VERIFY_WITH_TIMEOUT(!pruned.isEmpty(), kTimeoutMs);
    journal->stop();
    QCOMPARE(pruned.first().first().toInt(), 18); // several batches of at most 4, one round
    auto history = await(journal->history(u"acme"_s, 18));
    QCOMPARE(history.value().oldestSeq, 19);
    QCOMPARE(history.value().events.size(), 2);
}

QTEST_MAIN(EventJournalTest)
#include "tst_eventjournal.moc"
