// Notifier over a real Hub: which subscribed client gets which session event (exactly once,
// never across orgs), and that subscriptions end with the client.
#include "CoreTestKit.h"

#include "core/Hub.h"
#include "core/Notifier.h"
#include "shared/BrowserProtocol.h"

#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using protocol::browser::EventType;
using protocol::browser::SessionEvent;

namespace {

Hub::Config quietConfig()
{
    Hub::Config config;
    config.pingInterval = std::chrono::milliseconds(60000);
    config.readTimeout = std::chrono::milliseconds(120000);
    return config;
}

SessionEvent stateChanged(const QString &orgId, const QString &userId, const QString &sessionId)
{
    SessionEvent event;
    event.type = EventType::StateChanged;
    event.orgId = orgId;
    event.userId = userId;
    event.sessionId = sessionId;
    event.timestamp = QDateTime::currentDateTimeUtc();
    event.data = QJsonObject{{u"oldState"_s, u"pending"_s}, {u"newState"_s, u"running"_s}};
    return event;
}

// Everything sent before the marker has arrived once the marker has: a way to say "nothing more
// is coming" without sleeping.
bool drain(Hub &hub, quint64 clientId, TestClient &client)
{
    static int counter = 0;
    const QString marker = u"marker-%1"_s.arg(++counter);
    if (!hub.send(clientId, protocol::toJsonBytes({{u"type"_s, marker}})))
        return false;
    return QTest::qWaitFor([&] { return !client.ofType(marker).isEmpty(); }, 5000);
}

} // namespace

class NotifierTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(u"switchboard.*.debug=false"_s); }
    void init();
    void cleanup();
    void routing_data();
    void routing();
    void eventOnTheWire();
    void unsubscribe();
    void clientRemovalCleansUp();
    void subscriptionInAnotherOrgThanTheClientNeverDelivers();
    void heldEventsWaitAndSkipTheReplayed();
    void entitlement_data();
    void entitlement();

private:
    std::unique_ptr<Hub> m_hub;
    std::unique_ptr<Notifier> m_notifier;
    std::unique_ptr<HubHarness> m_harness;
};

void NotifierTest::init()
{
    m_hub = std::make_unique<Hub>(quietConfig());
    m_notifier = std::make_unique<Notifier>(m_hub.get());
    m_harness = std::make_unique<HubHarness>(m_hub.get());
    QVERIFY(m_harness->listening());
}

void NotifierTest::cleanup()
{
    m_harness.reset();
    m_notifier.reset();
    m_hub.reset();
}

void NotifierTest::routing_data()
{
    QTest::addColumn<bool>("byUser");    // acme client subscribed to (acme, alice)
    QTest::addColumn<bool>("bySession"); // acme client subscribed to (acme, s1)
    QTest::addColumn<QString>("eventOrg");
    QTest::addColumn<QString>("eventUser");
    QTest::addColumn<QString>("eventSession");
    QTest::addColumn<int>("toAcme");
    QTest::addColumn<int>("toGlobex"); // globex client: subscribed to (globex, alice) and (globex, s1)

    QTest::newRow("user subscription, her session")
        << true << false << u"acme"_s << u"alice"_s << u"s9"_s << 1 << 0;
    QTest::newRow("session subscription, that session")
        << false << true << u"acme"_s << u"bob"_s << u"s1"_s << 1 << 0;
    QTest::newRow("both subscriptions match: once")
        << true << true << u"acme"_s << u"alice"_s << u"s1"_s << 1 << 0;
    QTest::newRow("user subscription, another user")
        << true << false << u"acme"_s << u"bob"_s << u"s9"_s << 0 << 0;
    QTest::newRow("session subscription, another session")
        << false << true << u"acme"_s << u"bob"_s << u"s2"_s << 0 << 0;
    QTest::newRow("no subscription") << false << false << u"acme"_s << u"alice"_s << u"s1"_s << 0 << 0;
    QTest::newRow("other org, same user and session names")
        << true << true << u"globex"_s << u"alice"_s << u"s1"_s << 0 << 1;
    QTest::newRow("other org, only the user name matches")
        << true << false << u"globex"_s << u"alice"_s << u"s7"_s << 0 << 1;
    QTest::newRow("unknown org") << true << true << u"initech"_s << u"alice"_s << u"s1"_s << 0 << 0;
    QTest::newRow("event without org reaches nobody")
        << true << true << QString() << u"alice"_s << u"s1"_s << 0 << 0;
}

void NotifierTest::routing()
{
    QFETCH(bool, byUser);
    QFETCH(bool, bySession);
    QFETCH(QString, eventOrg);
    QFETCH(QString, eventUser);
    QFETCH(QString, eventSession);
    QFETCH(int, toAcme);
    QFETCH(int, toGlobex);

    quint64 acmeId = 0, globexId = 0;
    auto acme = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"olga"_s), &acmeId);
    auto globex = m_harness->connect(ClientKind::Sessions, makeContext(u"globex"_s, u"gary"_s), &globexId);
    QVERIFY(acme && globex);
    if (byUser)
        m_notifier->subscribeUser(acmeId, u"acme"_s, u"alice"_s);
    if (bySession)
        m_notifier->subscribeSession(acmeId, u"acme"_s, u"s1"_s);
    m_notifier->subscribeUser(globexId, u"globex"_s, u"alice"_s);
    m_notifier->subscribeSession(globexId, u"globex"_s, u"s1"_s);
    QCOMPARE(m_notifier->subscriptionCount(acmeId), int(byUser) + int(bySession));

    const SessionEvent event = stateChanged(eventOrg, eventUser, eventSession);
    QSet<quint64> expected;
    if (toAcme)
        expected.insert(acmeId);
    if (toGlobex)
        expected.insert(globexId);
    QCOMPARE(m_notifier->subscribersOf(event), expected);
    QCOMPARE(m_notifier->notifySessionEvent(event), toAcme + toGlobex);

    QVERIFY(drain(*m_hub, acmeId, *acme));
    QVERIFY(drain(*m_hub, globexId, *globex));
    QCOMPARE(acme->ofType(u"session.state.changed"_s).size(), toAcme);
    QCOMPARE(globex->ofType(u"session.state.changed"_s).size(), toGlobex);
    QCOMPARE(acme->badFrames + globex->badFrames, 0);
}

void NotifierTest::eventOnTheWire()
{
    quint64 id = 0;
    auto client = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);
    m_notifier->subscribeUser(id, u"acme"_s, u"alice"_s);

    SessionEvent event = stateChanged(u"acme"_s, u"alice"_s, u"alice-firefox-1"_s);
    event.timestamp = QDateTime(QDate(2025, 12, 4), QTime(10, 0, 0, 123), Qt::UTC);
    QCOMPARE(m_notifier->notifySessionEvent(event), 1);
    QTRY_COMPARE(client->messages.size(), 1);
    const QJsonObject expected{
        {u"type"_s, u"session.state.changed"_s},
        {u"sessionId"_s, u"alice-firefox-1"_s},
        {u"userId"_s, u"alice"_s},
        {u"timestamp"_s, u"2025-12-04T10:00:00.123Z"_s},
        {u"data"_s, QJsonObject{{u"oldState"_s, u"pending"_s}, {u"newState"_s, u"running"_s}}},
    };
    QCOMPARE(client->messages.first(), expected); // the org stays server-side

    // data is left out when empty.
    event.type = EventType::Active;
    event.data = {};
    QCOMPARE(m_notifier->notifySessionEvent(event), 1);
    QTRY_COMPARE(client->messages.size(), 2);
    QVERIFY(!client->messages.last().contains("data"_L1));
}

void NotifierTest::unsubscribe()
{
    quint64 id = 0;
    auto client = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"olga"_s), &id);
    QVERIFY(client);
    m_notifier->subscribeUser(id, u"acme"_s, u"alice"_s);
    m_notifier->subscribeUser(id, u"acme"_s, u"alice"_s); // idempotent
    m_notifier->subscribeSession(id, u"acme"_s, u"s1"_s);
    QCOMPARE(m_notifier->subscriptionCount(id), 2);

    QVERIFY(!m_notifier->unsubscribeUser(id, u"acme"_s, u"bob"_s));
    QVERIFY(!m_notifier->unsubscribeUser(id, u"globex"_s, u"alice"_s));
    QVERIFY(m_notifier->unsubscribeUser(id, u"acme"_s, u"alice"_s));
    QVERIFY(!m_notifier->unsubscribeUser(id, u"acme"_s, u"alice"_s));
    QCOMPARE(m_notifier->subscriptionCount(id), 1);
    QCOMPARE(m_notifier->notifySessionEvent(stateChanged(u"acme"_s, u"alice"_s, u"s9"_s)), 0);
    QCOMPARE(m_notifier->notifySessionEvent(stateChanged(u"acme"_s, u"alice"_s, u"s1"_s)), 1);

    QVERIFY(m_notifier->unsubscribeSession(id, u"acme"_s, u"s1"_s));
    QVERIFY(!m_notifier->unsubscribeSession(id, u"acme"_s, u"s1"_s));
    QCOMPARE(m_notifier->subscriptionCount(id), 0);
    QCOMPARE(m_notifier->notifySessionEvent(stateChanged(u"acme"_s, u"alice"_s, u"s1"_s)), 0);
    QVERIFY(drain(*m_hub, id, *client));
    QCOMPARE(client->ofType(u"session.state.changed"_s).size(), 1);
}

void NotifierTest::clientRemovalCleansUp()
{
    quint64 leaving = 0, staying = 0;
    auto leaver = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &leaving);
    auto stayer = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"olga"_s), &staying);
    QVERIFY(leaver && stayer);
    m_notifier->subscribeUser(leaving, u"acme"_s, u"alice"_s);
    m_notifier->subscribeSession(leaving, u"acme"_s, u"s1"_s);
    m_notifier->subscribeUser(staying, u"acme"_s, u"alice"_s);

    const SessionEvent event = stateChanged(u"acme"_s, u"alice"_s, u"s1"_s);
    QCOMPARE(m_notifier->subscribersOf(event), (QSet<quint64>{leaving, staying}));

    leaver->socket.close();
    QTRY_VERIFY(!m_hub->client(leaving));
    QCOMPARE(m_notifier->subscriptionCount(leaving), 0);
    QCOMPARE(m_notifier->subscribersOf(event), (QSet<quint64>{staying}));
    QCOMPARE(m_notifier->notifySessionEvent(event), 1);

    // A client closed by the server goes the same way.
    m_hub->closeClient(staying, QWebSocketProtocol::CloseCodeNormal, u"bye"_s);
    QCOMPARE(m_notifier->subscriptionCount(staying), 0);
    QVERIFY(m_notifier->subscribersOf(event).isEmpty());
    QCOMPARE(m_notifier->notifySessionEvent(event), 0);
}

void NotifierTest::subscriptionInAnotherOrgThanTheClientNeverDelivers()
{
    // Subscriptions are made with the caller's org by the endpoint; should one ever be made with
    // another, the client's verified org still decides.
    quint64 id = 0;
    auto client = m_harness->connect(ClientKind::Sessions, makeContext(u"globex"_s, u"gary"_s), &id);
    QVERIFY(client);
    m_notifier->subscribeUser(id, u"acme"_s, u"alice"_s);
    QCOMPARE(m_notifier->notifySessionEvent(stateChanged(u"acme"_s, u"alice"_s, u"s1"_s)), 0);
    QVERIFY(drain(*m_hub, id, *client));
    QCOMPARE(client->ofType(u"session.state.changed"_s).size(), 0);
}

void NotifierTest::heldEventsWaitAndSkipTheReplayed()
{
    quint64 id = 0;
    auto client = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);
    m_notifier->subscribeUser(id, u"acme"_s, u"alice"_s);
    m_notifier->hold(id);
    QVERIFY(m_notifier->isHeld(id));
    for (qint64 seq = 1; seq <= 5; ++seq) {
        SessionEvent event = stateChanged(u"acme"_s, u"alice"_s, u"s1"_s);
        event.seq = seq;
        event.epoch = u"e"_s;
        QCOMPARE(m_notifier->notifySessionEvent(event), 1);
    }
    QVERIFY(drain(*m_hub, id, *client));
    QCOMPARE(client->ofType(u"session.state.changed"_s).size(), 0); // nothing while held

    // The replay covered up to 3: only 4 and 5 are left, in order; the client stays held.
    const QList<OutgoingMessage> held = m_notifier->takeHeld(id, 3);
    QCOMPARE(held.size(), 2);
    QVERIFY(held.at(0).frame().contains("\"seq\":4"));
    QVERIFY(held.at(1).frame().contains("\"seq\":5"));
    QVERIFY(m_notifier->takeHeld(id, 0).isEmpty());
    QVERIFY(m_notifier->isHeld(id));

    m_notifier->endHold(id);
    QVERIFY(!m_notifier->isHeld(id));
    SessionEvent live = stateChanged(u"acme"_s, u"alice"_s, u"s1"_s);
    live.seq = 6;
    QCOMPARE(m_notifier->notifySessionEvent(live), 1);
    QTRY_COMPARE(client->ofType(u"session.state.changed"_s).size(), 1);
    QCOMPARE(client->ofType(u"session.state.changed"_s).first().value("seq"_L1).toInteger(), 6);

    // A held client that leaves takes its held events with it.
    m_notifier->hold(id);
    QCOMPARE(m_notifier->notifySessionEvent(live), 1);
    client->socket.close();
    QTRY_VERIFY(!m_hub->client(id));
    QVERIFY(!m_notifier->isHeld(id));
}

void NotifierTest::entitlement_data()
{
    QTest::addColumn<int>("role");
    QTest::addColumn<QString>("eventOrg");
    QTest::addColumn<QString>("eventUser");
    QTest::addColumn<QString>("eventSession");
    QTest::addColumn<bool>("entitled");
    const int user = int(Role::User);
    const int operatorRole = int(Role::Operator);
    QTest::newRow("own user") << user << u"acme"_s << u"bob"_s << u"s-any"_s << true;
    QTest::newRow("subscribed session") << operatorRole << u"acme"_s << u"carol"_s << u"s-carol"_s << true;
    QTest::newRow("followed user") << operatorRole << u"acme"_s << u"alice"_s << u"s-x"_s << true;
    QTest::newRow("not followed") << operatorRole << u"acme"_s << u"dave"_s << u"s-dave"_s << false;
    QTest::newRow("other org, same names") << operatorRole << u"other"_s << u"bob"_s << u"s-carol"_s << false;
    QTest::newRow("no org") << operatorRole << QString() << u"bob"_s << u"s-carol"_s << false;
    // A user's subscriptions are checked when made; this holds even if one slipped through.
    QTest::newRow("user, another's event") << user << u"acme"_s << u"alice"_s << u"s-x"_s << false;
}

void NotifierTest::entitlement()
{
    QFETCH(int, role);
    QFETCH(QString, eventOrg);
    QFETCH(QString, eventUser);
    QFETCH(QString, eventSession);
    QFETCH(bool, entitled);
    quint64 id = 0;
    auto client = m_harness->connect(ClientKind::Sessions, makeContext(u"acme"_s, u"bob"_s, Role(role)), &id);
    QVERIFY(client);
    m_notifier->subscribeUser(id, u"acme"_s, u"bob"_s);
    m_notifier->subscribeUser(id, u"acme"_s, u"alice"_s);
    m_notifier->subscribeSession(id, u"acme"_s, u"s-carol"_s);
    QCOMPARE(m_notifier->isEntitled(id, stateChanged(eventOrg, eventUser, eventSession)), entitled);
}

QTEST_GUILESS_MAIN(NotifierTest)
#include "tst_notifier.moc"
