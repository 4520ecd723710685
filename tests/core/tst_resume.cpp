// Resume over real sockets (browser and admin streams): a client that reconnects with the seq and
// epoch it last saw gets exactly the events it missed and is entitled to, in order, without
// duplicates, then live ones; a gap the history cannot fill is announced with resync_required and a
// fresh state, never skipped silently.
#include "TestClients.h"
#include "TestServer.h"

#include "core/EventJournal.h"
#include "core/Hub.h"
#include "core/Notifier.h"
#include "core/SessionService.h"
#include "storage/Store.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using protocol::browser::EventType;
using protocol::browser::SessionEvent;

namespace {

constexpr int kTimeoutMs = 20000;

SessionEvent heartbeat(const QString &orgId, const QString &userId, const QString &sessionId, int n)
{
    SessionEvent event;
    event.type = EventType::Heartbeat;
    event.orgId = orgId;
    event.userId = userId;
    event.sessionId = sessionId;
    event.timestamp = QDateTime::currentDateTimeUtc();
    event.data = QJsonObject{{u"n"_s, n}};
    return event;
}

bool isEvent(const QJsonObject &message)
{
    return message.value("type"_L1).toString().startsWith("session."_L1);
}

QList<QJsonObject> eventsOf(const JsonSocket &socket)
{
    QList<QJsonObject> events;
    for (const QJsonObject &message : socket.received()) {
        if (isEvent(message))
            events.append(message);
    }
    return events;
}

QList<qint64> seqsOf(const QList<QJsonObject> &events)
{
    QList<qint64> seqs;
    for (const QJsonObject &event : events)
        seqs.append(event.value("seq"_L1).toInteger());
    return seqs;
}

QList<qint64> range(qint64 first, qint64 last)
{
    QList<qint64> seqs;
    for (qint64 seq = first; seq <= last; ++seq)
        seqs.append(seq);
    return seqs;
}

} // namespace

class ResumeTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(u"switchboard.*.debug=false"_s); }
    void init();
    void cleanup() { m_server.reset(); }

    void eventsCarrySeqAndEpoch();
    void resumeGetsExactlyTheMissedEventsInOrder();
    void resumeFrameIsAnsweredAfterTheReplay();
    void resumeBeforeTheHistoryWindowResyncs();
    void otherEpochResyncs();
    void userRoleResumesOnlyOwnEvents();
    void liveEventsDuringTheReplayAreNotDuplicated();
    void seqContinuesAfterARestart();
    void adminSnapshotCarriesPositions();
    void adminResumeFromTheUrl();
    void adminResumeRequest();

private:
    QUrl sessionsUrl(const QString &token, std::optional<qint64> since = {}, const QString &epoch = {}) const;
    QUrl adminUrl(const QString &token, const QString &epoch = {}, const QString &since = {}) const;
    void publish(const QString &orgId, const QString &userId, const QString &sessionId, int count,
                 int first = 0);
    // Waits until every event published so far is recorded (and delivered live to whoever is there).
    bool allRecorded();
    // Connects, publishes one event for alice@acme and returns it (seq, epoch) after closing.
    QJsonObject lastSeenByAlice();

    void startServer(int maxEvents = 10000);

    std::unique_ptr<TestServer> m_server;
    qint64 m_published = 0;
    qint64 m_recorded = 0;
};

void ResumeTest::init()
{
    startServer();
}

void ResumeTest::startServer(int maxEvents)
{
    m_server = std::make_unique<TestServer>();
    // Only the resyncs below send sessions_update; no periodic one gets in between.
    m_server->settings().sessionsIntervalSeconds = 3600;
    m_server->settings().delivery.eventHistoryMaxEvents = maxEvents;
    QVERIFY(m_server->start());
    m_published = 0;
    m_recorded = 0;
    connect(m_server->server()->eventJournal(), &EventJournal::eventRecorded, this, [this] { ++m_recorded; });
}

QUrl ResumeTest::sessionsUrl(const QString &token, std::optional<qint64> since, const QString &epoch) const
{
    QUrl url = m_server->wsUrl(u"/api/v1/ws/sessions"_s, token);
    QUrlQuery query(url);
    if (since)
        query.addQueryItem(u"since"_s, QString::number(*since));
    if (!epoch.isEmpty())
        query.addQueryItem(u"epoch"_s, epoch);
    url.setQuery(query);
    return url;
}

QUrl ResumeTest::adminUrl(const QString &token, const QString &epoch, const QString &since) const
{
    QUrl url = m_server->wsUrl(u"/api/v1/ws/admin"_s, token);
    QUrlQuery query(url);
    if (!epoch.isEmpty())
        query.addQueryItem(u"epoch"_s, epoch);
    if (!since.isEmpty())
        query.addQueryItem(u"since"_s, since);
    url.setQuery(query);
    return url;
}

void ResumeTest::publish(const QString &orgId, const QString &userId, const QString &sessionId, int count,
                         int first)
{
    for (int i = 0; i < count; ++i)
        m_server->server()->sessionService()->publishEvent(heartbeat(orgId, userId, sessionId, first + i));
    m_published += count;
}

bool ResumeTest::allRecorded()
{
    EventJournal *journal = m_server->server()->eventJournal();
    const qint64 published = m_published;
    return QTest::qWaitFor([&] { return m_recorded >= published; }, kTimeoutMs) &&
           journal->waitingCount() == 0;
}

QJsonObject ResumeTest::lastSeenByAlice()
{
    JsonSocket alice;
    if (!alice.open(sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator))))
        return {};
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 1);
    const QJsonObject event = alice.waitFor(isEvent, kTimeoutMs);
    alice.close();
    return event;
}

void ResumeTest::eventsCarrySeqAndEpoch()
{
    JsonSocket alice;
    QVERIFY(alice.open(sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator))));
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 3);
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(alice).size(), 3, kTimeoutMs);
    const QList<QJsonObject> events = eventsOf(alice);
    QCOMPARE(seqsOf(events), range(1, 3));
    const QString epoch = events.first().value("epoch"_L1).toString();
    QVERIFY(epoch.size() >= 16);
    for (const QJsonObject &event : events) {
        QCOMPARE(event.value("epoch"_L1).toString(), epoch);
        QVERIFY(!event.contains("orgId"_L1)); // browsers never see the org field
    }
    QCOMPARE(alice.badFrames(), 0);
}

void ResumeTest::resumeGetsExactlyTheMissedEventsInOrder()
{
    const QJsonObject last = lastSeenByAlice();
    QVERIFY(!last.isEmpty());
    const qint64 since = last.value("seq"_L1).toInteger();
    const QString epoch = last.value("epoch"_L1).toString();

    // 500 events while alice is away, some for others of the org that she does not follow.
    for (int i = 0; i < 500; ++i) {
        publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 1, i);
        if (i % 50 == 0)
            publish(u"acme"_s, u"carol"_s, u"s-carol"_s, 1, i);
    }
    QVERIFY(allRecorded());

    JsonSocket alice;
    QVERIFY(alice.open(sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator), since, epoch)));
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(alice).size(), 500, kTimeoutMs);
    // Then live.
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 1, 1000);
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(alice).size(), 501, kTimeoutMs);

    const QList<QJsonObject> events = eventsOf(alice);
    for (int i = 0; i < 500; ++i) {
        QCOMPARE(events.at(i).value("data"_L1).toObject().value("n"_L1).toInt(), i);
        QCOMPARE(events.at(i).value("userId"_L1).toString(), u"alice"_s);
        QCOMPARE(events.at(i).value("epoch"_L1).toString(), epoch);
    }
    const QList<qint64> seqs = seqsOf(events);
    for (int i = 1; i < seqs.size(); ++i)
        QVERIFY2(seqs.at(i) > seqs.at(i - 1), "seqs must increase");
    QVERIFY(seqs.first() > since);
    QCOMPARE(events.last().value("data"_L1).toObject().value("n"_L1).toInt(), 1000);
    QVERIFY(alice.ofType(u"resync_required"_s).isEmpty());
    QVERIFY(alice.ofType(u"error"_s).isEmpty());
    QCOMPARE(alice.badFrames(), 0);
    QVERIFY(alice.isConnected());
}

void ResumeTest::resumeFrameIsAnsweredAfterTheReplay()
{
    const QJsonObject last = lastSeenByAlice();
    const qint64 since = last.value("seq"_L1).toInteger();
    const QString epoch = last.value("epoch"_L1).toString();
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 7);
    QVERIFY(allRecorded());

    JsonSocket alice;
    QVERIFY(alice.open(sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator))));
    alice.send(
        {{u"type"_s, u"resume"_s}, {u"requestId"_s, u"r1"_s}, {u"since"_s, since}, {u"epoch"_s, epoch}});
    const QJsonObject reply = alice.waitForType(u"reply"_s, kTimeoutMs);
    QCOMPARE(reply.value("requestId"_L1).toString(), u"r1"_s);
    QCOMPARE(reply.value("result"_L1).toObject().value("replayed"_L1).toInt(), 7);
    const QList<QJsonObject> events = eventsOf(alice);
    QCOMPARE(seqsOf(events), range(since + 1, since + 7));
    // The reply came after them.
    QVERIFY(alice.received().indexOf(reply) > alice.received().indexOf(events.last()));

    alice.send({{u"type"_s, u"resume"_s}, {u"requestId"_s, u"bad"_s}, {u"since"_s, -1}, {u"epoch"_s, epoch}});
    const QJsonObject error = alice.waitForType(u"error"_s, kTimeoutMs);
    QCOMPARE(error.value("requestId"_L1).toString(), u"bad"_s);
    QCOMPARE(error.value("field"_L1).toString(), u"since"_s);
}

void ResumeTest::resumeBeforeTheHistoryWindowResyncs()
{
    m_server.reset();
    startServer(10);
    const QJsonObject last = lastSeenByAlice();
    const qint64 since = last.value("seq"_L1).toInteger();
    const QString epoch = last.value("epoch"_L1).toString();
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 30);
    QVERIFY(allRecorded());
    QSignalSpy pruned(m_server->server()->eventJournal(), &EventJournal::pruned);
    m_server->server()->eventJournal()->prune();
    QTRY_COMPARE_WITH_TIMEOUT(pruned.size(), 1, kTimeoutMs);
    QVERIFY(pruned.first().first().toInt() >= 20);

    JsonSocket alice;
    QVERIFY(alice.open(sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator), since, epoch)));
    const QJsonObject resync = alice.waitForType(u"resync_required"_s, kTimeoutMs);
    QCOMPARE(resync.value("epoch"_L1).toString(), epoch);
    QCOMPARE(resync.value("seq"_L1).toInteger(), since + 30);
    const QJsonObject state = alice.waitForType(u"sessions_update"_s, kTimeoutMs);
    QVERIFY(alice.received().indexOf(state) > alice.received().indexOf(resync));
    QVERIFY(eventsOf(alice).isEmpty()); // nothing of the partial history
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 1);
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(alice).size(), 1, kTimeoutMs);
    QCOMPARE(seqsOf(eventsOf(alice)), QList<qint64>{since + 31});

    // Inside the window it still replays.
    JsonSocket bob;
    QVERIFY(bob.open(sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator), since + 25, epoch)));
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(bob).size(), 6, kTimeoutMs);
    QCOMPARE(seqsOf(eventsOf(bob)), range(since + 26, since + 31));
    QVERIFY(bob.ofType(u"resync_required"_s).isEmpty());
}

void ResumeTest::otherEpochResyncs()
{
    const QJsonObject last = lastSeenByAlice();
    const qint64 since = last.value("seq"_L1).toInteger();
    JsonSocket alice;
    QVERIFY(alice.open(
        sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator), since, u"0123456789abcdef"_s)));
    const QJsonObject resync = alice.waitForType(u"resync_required"_s, kTimeoutMs);
    QCOMPARE(resync.value("epoch"_L1).toString(), last.value("epoch"_L1).toString());
    QCOMPARE(resync.value("seq"_L1).toInteger(), since);
    QVERIFY(!alice.waitForType(u"sessions_update"_s, kTimeoutMs).isEmpty());

    // The frame form, with a reply saying so.
    alice.send(
        {{u"type"_s, u"resume"_s}, {u"requestId"_s, u"r"_s}, {u"since"_s, 0}, {u"epoch"_s, u"other"_s}});
    const QJsonObject reply = alice.waitForType(u"reply"_s, kTimeoutMs);
    QCOMPARE(reply.value("result"_L1).toObject().value("resync"_L1).toBool(), true);
    QCOMPARE(alice.ofType(u"resync_required"_s).size(), 2);
    QCOMPARE(alice.ofType(u"sessions_update"_s).size(), 2);
}

void ResumeTest::userRoleResumesOnlyOwnEvents()
{
    JsonSocket first;
    QVERIFY(first.open(sessionsUrl(m_server->token(u"bob"_s, u"acme"_s, Role::User))));
    publish(u"acme"_s, u"bob"_s, u"s-bob"_s, 1);
    const QJsonObject last = first.waitFor(isEvent, kTimeoutMs);
    first.close();
    const qint64 since = last.value("seq"_L1).toInteger();

    for (int i = 0; i < 20; ++i) {
        publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 1, i);
        publish(u"acme"_s, u"bob"_s, u"s-bob"_s, 1, i);
        publish(u"other"_s, u"bob"_s, u"s-bob-other"_s, 1, i); // a namesake in another org
    }
    QVERIFY(allRecorded());

    JsonSocket bob;
    // Asking for alice's events in the URL too is refused for role user; the replay stays his own.
    QUrl url = sessionsUrl(m_server->token(u"bob"_s, u"acme"_s, Role::User), since,
                           last.value("epoch"_L1).toString());
    QUrlQuery query(url);
    query.addQueryItem(u"user_id"_s, u"alice"_s);
    url.setQuery(query);
    QVERIFY(bob.open(url));
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(bob).size(), 20, kTimeoutMs);
    publish(u"acme"_s, u"bob"_s, u"s-bob"_s, 1, 99); // a live one marks the end of the replay
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(bob).size(), 21, kTimeoutMs);
    for (const QJsonObject &event : eventsOf(bob)) {
        QCOMPARE(event.value("userId"_L1).toString(), u"bob"_s);
        QCOMPARE(event.value("sessionId"_L1).toString(), u"s-bob"_s);
    }
    QCOMPARE(bob.badFrames(), 0);
}

void ResumeTest::liveEventsDuringTheReplayAreNotDuplicated()
{
    const QJsonObject last = lastSeenByAlice();
    const qint64 since = last.value("seq"_L1).toInteger();
    const QString epoch = last.value("epoch"_L1).toString();
    Server *server = m_server->server();

    JsonSocket alice;
    QVERIFY(alice.open(sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator))));
    QTRY_COMPARE_WITH_TIMEOUT(server->hub()->clientsByOrg(u"acme"_s, ClientKind::Sessions).size(), 1,
                              kTimeoutMs);
    const quint64 clientId = server->hub()->clientsByOrg(u"acme"_s, ClientKind::Sessions).first();

    // Park storage so that the order is certain: 50 events are being stored when the resume's
    // history read queues behind them (they are in the replay AND reach the held client live),
    // 50 more are stored after it (live only).
    QSemaphore parked;
    QSemaphore release;
    auto blocker = server->store()->submit<int>([&](StorageWorker &) -> protocol::Decoded<int> {
        parked.release();
        release.acquire();
        return 1;
    });
    QVERIFY(parked.tryAcquire(1, kTimeoutMs));
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 50, 0);
    QTRY_COMPARE(server->eventJournal()->waitingCount(), 0); // the batch is queued for storage
    alice.send(
        {{u"type"_s, u"resume"_s}, {u"requestId"_s, u"r"_s}, {u"since"_s, since}, {u"epoch"_s, epoch}});
    QTRY_VERIFY_WITH_TIMEOUT(server->notifier()->isHeld(clientId), kTimeoutMs);
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 50, 50);
    release.release();

    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(alice).size(), 100, kTimeoutMs);
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 1, 100);
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(alice).size(), 101, kTimeoutMs);
    QCOMPARE(seqsOf(eventsOf(alice)), range(since + 1, since + 101));
    const QJsonObject reply = alice.waitForType(u"reply"_s, kTimeoutMs);
    QCOMPARE(reply.value("result"_L1).toObject().value("replayed"_L1).toInt(), 50);
    QVERIFY(!server->notifier()->isHeld(clientId));
    QVERIFY(blocker.isFinished());
}

void ResumeTest::seqContinuesAfterARestart()
{
    const QJsonObject before = lastSeenByAlice();
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 4);
    QVERIFY(allRecorded());
    // Same database, new server process state.
    m_server->server()->shutdown();
    QTRY_VERIFY_WITH_TIMEOUT(!m_server->server()->isRunning(), kTimeoutMs);
    QVERIFY(m_server->start());
    connect(m_server->server()->eventJournal(), &EventJournal::eventRecorded, this, [this] { ++m_recorded; });

    JsonSocket alice;
    QVERIFY(alice.open(sessionsUrl(m_server->token(u"alice"_s, u"acme"_s, Role::Operator),
                                   before.value("seq"_L1).toInteger(), before.value("epoch"_L1).toString())));
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(alice).size(), 4, kTimeoutMs); // replayed across the restart
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 1);
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(alice).size(), 5, kTimeoutMs);
    const qint64 first = before.value("seq"_L1).toInteger();
    QCOMPARE(seqsOf(eventsOf(alice)), range(first + 1, first + 5));
    QCOMPARE(eventsOf(alice).last().value("epoch"_L1).toString(), before.value("epoch"_L1).toString());
}

void ResumeTest::adminSnapshotCarriesPositions()
{
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 3);
    publish(u"beta"_s, u"bea"_s, u"s-bea"_s, 2);
    QVERIFY(allRecorded());

    JsonSocket admin;
    QVERIFY(admin.open(adminUrl(m_server->token(u"root"_s, u"ops"_s, Role::Admin))));
    const QJsonObject snapshot = admin.waitForType(u"snapshot"_s, kTimeoutMs);
    QVERIFY(!snapshot.value("epoch"_L1).toString().isEmpty());
    const QJsonObject seqs = snapshot.value("seqs"_L1).toObject();
    QCOMPARE(seqs.value("acme"_L1).toInteger(), 3);
    QCOMPARE(seqs.value("beta"_L1).toInteger(), 2);

    JsonSocket operatorClient;
    QVERIFY(operatorClient.open(adminUrl(m_server->token(u"olga"_s, u"beta"_s, Role::Operator))));
    const QJsonObject scoped = operatorClient.waitForType(u"snapshot"_s, kTimeoutMs);
    QCOMPARE(scoped.value("seqs"_L1).toObject(), (QJsonObject{{u"beta"_s, 2}}));

    publish(u"beta"_s, u"bea"_s, u"s-bea"_s, 1);
    const QJsonObject live = operatorClient.waitFor(isEvent, kTimeoutMs);
    QCOMPARE(live.value("orgId"_L1).toString(), u"beta"_s);
    QCOMPARE(live.value("seq"_L1).toInteger(), 3);
    QCOMPARE(live.value("epoch"_L1).toString(), snapshot.value("epoch"_L1).toString());
}

void ResumeTest::adminResumeFromTheUrl()
{
    const QString token = m_server->token(u"root"_s, u"ops"_s, Role::Admin);
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 2);
    QVERIFY(allRecorded());
    QString epoch;
    {
        JsonSocket admin;
        QVERIFY(admin.open(adminUrl(token)));
        const QJsonObject snapshot = admin.waitForType(u"snapshot"_s, kTimeoutMs);
        epoch = snapshot.value("epoch"_L1).toString();
        QCOMPARE(snapshot.value("seqs"_L1).toObject().value("acme"_L1).toInteger(), 2);
    }
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 20, 0);
    publish(u"beta"_s, u"bea"_s, u"s-bea"_s, 5, 0);
    QVERIFY(allRecorded());

    JsonSocket admin;
    QVERIFY(admin.open(adminUrl(token, epoch, u"acme:2,gamma:0"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(admin).size(), 20, kTimeoutMs);
    publish(u"beta"_s, u"bea"_s, u"s-bea"_s, 1, 5); // live after the replay
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(admin).size(), 21, kTimeoutMs);
    const QList<QJsonObject> events = eventsOf(admin);
    QVERIFY(admin.received().indexOf(admin.ofType(u"snapshot"_s).value(0)) <
            admin.received().indexOf(events.first()));
    QCOMPARE(seqsOf(events.first(20)), range(3, 22));
    for (const QJsonObject &event : events.first(20))
        QCOMPARE(event.value("orgId"_L1).toString(), u"acme"_s);
    QCOMPARE(events.last().value("orgId"_L1).toString(), u"beta"_s);
    QCOMPARE(events.last().value("seq"_L1).toInteger(), 6);
    QVERIFY(admin.ofType(u"resync_required"_s).isEmpty()); // gamma has no history to miss

    // Another epoch: resync_required per listed org, with its latest seq.
    JsonSocket stale;
    QVERIFY(stale.open(adminUrl(token, u"not-this-one"_s, u"acme:2,beta:1"_s)));
    QTRY_COMPARE_WITH_TIMEOUT(stale.ofType(u"resync_required"_s).size(), 2, kTimeoutMs);
    const QList<QJsonObject> resyncs = stale.ofType(u"resync_required"_s);
    QCOMPARE(resyncs.at(0).value("orgId"_L1).toString(), u"acme"_s);
    QCOMPARE(resyncs.at(0).value("seq"_L1).toInteger(), 22);
    QCOMPARE(resyncs.at(0).value("epoch"_L1).toString(), epoch);
    QCOMPARE(resyncs.at(1).value("orgId"_L1).toString(), u"beta"_s);
    QVERIFY(eventsOf(stale).isEmpty());
}

void ResumeTest::adminResumeRequest()
{
    JsonSocket operatorClient;
    QVERIFY(operatorClient.open(adminUrl(m_server->token(u"olga"_s, u"acme"_s, Role::Operator))));
    const QJsonObject snapshot = operatorClient.waitForType(u"snapshot"_s, kTimeoutMs);
    const QString epoch = snapshot.value("epoch"_L1).toString();
    publish(u"acme"_s, u"alice"_s, u"s-alice"_s, 5);
    publish(u"beta"_s, u"bea"_s, u"s-bea"_s, 5);
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf(operatorClient).size(), 5, kTimeoutMs);

    // Asking again from seq 2 (and for an org outside the operator's scope, which is ignored).
    const int before = int(operatorClient.received().size());
    operatorClient.send({{u"type"_s, u"resume"_s},
                         {u"requestId"_s, u"again"_s},
                         {u"epoch"_s, epoch},
                         {u"since"_s, QJsonObject{{u"acme"_s, 2}, {u"beta"_s, 0}}}});
    const QJsonObject reply = operatorClient.waitForType(u"reply"_s, kTimeoutMs, before);
    QCOMPARE(reply.value("requestId"_L1).toString(), u"again"_s);
    QCOMPARE(reply.value("result"_L1).toObject().value("replayed"_L1).toInt(), 3);
    const QList<QJsonObject> after = operatorClient.received().mid(before);
    QCOMPARE(after.first().value("type"_L1).toString(), u"snapshot"_s);
    QList<QJsonObject> replayed;
    for (const QJsonObject &message : after) {
        if (isEvent(message))
            replayed.append(message);
    }
    QCOMPARE(seqsOf(replayed), range(3, 5));
    for (const QJsonObject &event : replayed)
        QCOMPARE(event.value("orgId"_L1).toString(), u"acme"_s);
    QCOMPARE(operatorClient.badFrames(), 0);
}

QTEST_MAIN(ResumeTest)
#include "tst_resume.moc"
