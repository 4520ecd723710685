// BrowserEndpoint: the subscription rules of /api/v1/ws/sessions (own org only; role user only
// their own user and sessions; another org's session looks exactly like an unknown one), URL
// subscriptions, ping, errors echoing requestId, and cluster clients that may only ping.
#include "CoreTestKit.h"
#include "StoreTestKit.h"

#include "core/BrowserEndpoint.h"
#include "core/Hub.h"
#include "core/Notifier.h"
#include "shared/BrowserProtocol.h"

#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

Hub::Config quietConfig()
{
    Hub::Config config;
    config.pingInterval = std::chrono::milliseconds(60000);
    config.readTimeout = std::chrono::milliseconds(120000);
    return config;
}

protocol::browser::SessionEvent sessionEvent(const QString &orgId, const QString &userId,
                                             const QString &sessionId)
{
    protocol::browser::SessionEvent e;
    e.type = protocol::browser::EventType::Updated;
    e.orgId = orgId;
    e.userId = userId;
    e.sessionId = sessionId;
    e.timestamp = QDateTime::currentDateTimeUtc();
    return e;
}

} // namespace

class BrowserEndpointTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void subscribe_data();
    void subscribe();
    void unsubscribe();
    void urlSubscriptions_data();
    void urlSubscriptions();
    void pingPong();
    void invalidFrames_data();
    void invalidFrames();
    void clusterClientsMayOnlyPing();
    void subscriptionLimit();
    void subscriptionLimitHoldsForLookupsInFlight();
    void clientLeavingDuringLookupIsHarmless();

private:
    // A sessions client of `org` with `role`, wired to the endpoint.
    std::unique_ptr<TestClient> join(const QString &orgId, const QString &userId, Role role, quint64 *id,
                                     ClientKind kind = ClientKind::Sessions,
                                     const QString &pathAndQuery = u"/api/v1/ws/sessions"_s);
    QJsonObject request(TestClient &client, const QJsonObject &message);

    StoreFixture m_fixture;
    std::unique_ptr<Hub> m_hub;
    std::unique_ptr<Notifier> m_notifier;
    std::unique_ptr<BrowserEndpoint> m_endpoint;
    std::unique_ptr<HubHarness> m_harness;
};

void BrowserEndpointTest::initTestCase()
{
    QLoggingCategory::setFilterRules(u"switchboard.*.debug=false"_s);
    QVERIFY(m_fixture.open());
    QVERIFY(m_fixture.addAgent(u"agent-acme"_s, u"acme"_s));
    QVERIFY(m_fixture.addAgent(u"agent-globex"_s, u"globex"_s));
    QVERIFY(m_fixture.addSession(u"alice-1"_s, u"acme"_s, u"alice"_s, u"agent-acme"_s));
    QVERIFY(m_fixture.addSession(u"bob-1"_s, u"acme"_s, u"bob"_s, u"agent-acme"_s));
    QVERIFY(m_fixture.addSession(u"gary-1"_s, u"globex"_s, u"gary"_s, u"agent-globex"_s));
}

void BrowserEndpointTest::init()
{
    m_hub = std::make_unique<Hub>(quietConfig());
    m_notifier = std::make_unique<Notifier>(m_hub.get());
    m_endpoint = std::make_unique<BrowserEndpoint>(m_fixture.store(), m_hub.get(), m_notifier.get());
    connect(m_hub.get(), &Hub::messageReceived, m_endpoint.get(), &BrowserEndpoint::handleMessage);
    m_harness = std::make_unique<HubHarness>(m_hub.get());
    QVERIFY(m_harness->listening());
}

void BrowserEndpointTest::cleanup()
{
    m_harness.reset();
    m_endpoint.reset();
    m_notifier.reset();
    m_hub.reset();
}

std::unique_ptr<TestClient> BrowserEndpointTest::join(const QString &orgId, const QString &userId, Role role,
                                                      quint64 *id, ClientKind kind,
                                                      const QString &pathAndQuery)
{
    QUrlQuery query;
    auto client = m_harness->connect(kind, makeContext(orgId, userId, role), id, pathAndQuery, &query);
    if (client && kind == ClientKind::Sessions)
        m_endpoint->clientJoined(*id, query);
    return client;
}

// Sends one request and waits for the answer carrying its requestId.
QJsonObject BrowserEndpointTest::request(TestClient &client, const QJsonObject &message)
{
    const QString requestId = message.value("requestId"_L1).toString();
    const qsizetype from = client.messages.size();
    client.send(message);
    QJsonObject answer;
    (void)QTest::qWaitFor(
        [&] {
            for (qsizetype i = from; i < client.messages.size(); ++i) {
                if (client.messages.at(i).value("requestId"_L1).toString() == requestId) {
                    answer = client.messages.at(i);
                    return true;
                }
            }
            return false;
        },
        5000);
    return answer;
}

void BrowserEndpointTest::subscribe_data()
{
    QTest::addColumn<int>("role");
    QTest::addColumn<QString>("field"); // userId | sessionId
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("code"); // empty = accepted
    QTest::addColumn<QString>("message");

    const int user = int(Role::User);
    const int operatorRole = int(Role::Operator);
    const int admin = int(Role::Admin);
    QTest::newRow("user: own user") << user << u"userId"_s << u"alice"_s << QString() << QString();
    QTest::newRow("user: another user") << user << u"userId"_s << u"bob"_s << u"forbidden"_s
                                        << u"role user may only subscribe to their own user, not bob"_s;
    QTest::newRow("user: own session") << user << u"sessionId"_s << u"alice-1"_s << QString() << QString();
    QTest::newRow("user: another user's session, same org")
        << user << u"sessionId"_s << u"bob-1"_s << u"forbidden"_s
        << u"session bob-1 belongs to another user; role user may only subscribe to their own sessions"_s;
    QTest::newRow("user: another org's session")
        << user << u"sessionId"_s << u"gary-1"_s << u"not_found"_s << u"session gary-1 not found"_s;
    QTest::newRow("user: unknown session")
        << user << u"sessionId"_s << u"nope-1"_s << u"not_found"_s << u"session nope-1 not found"_s;
    QTest::newRow("operator: any user of the org")
        << operatorRole << u"userId"_s << u"bob"_s << QString() << QString();
    QTest::newRow("operator: any session of the org")
        << operatorRole << u"sessionId"_s << u"bob-1"_s << QString() << QString();
    QTest::newRow("operator: another org's session")
        << operatorRole << u"sessionId"_s << u"gary-1"_s << u"not_found"_s << u"session gary-1 not found"_s;
    QTest::newRow("admin: another org's session is not_found too")
        << admin << u"sessionId"_s << u"gary-1"_s << u"not_found"_s << u"session gary-1 not found"_s;
    QTest::newRow("admin: any user of the org")
        << admin << u"userId"_s << u"carol"_s << QString() << QString();
}

void BrowserEndpointTest::subscribe()
{
    QFETCH(int, role);
    QFETCH(QString, field);
    QFETCH(QString, target);
    QFETCH(QString, code);
    QFETCH(QString, message);

    quint64 id = 0;
    auto client = join(u"acme"_s, u"alice"_s, Role(role), &id);
    QVERIFY(client);
    QCOMPARE(m_notifier->subscriptionCount(id), 1); // their own user, by default

    const QJsonObject answer =
        request(*client, {{u"type"_s, u"subscribe"_s}, {u"requestId"_s, u"req-1"_s}, {field, target}});
    QVERIFY(!answer.isEmpty());
    QCOMPARE(answer.value("requestId"_L1).toString(), u"req-1"_s);
    const bool alreadyHad = field == u"userId"_s && target == u"alice"_s;
    if (code.isEmpty()) {
        QCOMPARE(answer.value("type"_L1).toString(), u"reply"_s);
        QCOMPARE(answer.value("ok"_L1).toBool(), true);
        QCOMPARE(answer.value("result"_L1).toObject(),
                 (QJsonObject{{u"subscribed"_s, QJsonObject{{field, target}}}}));
        QCOMPARE(m_notifier->subscriptionCount(id), alreadyHad ? 1 : 2);
        // And the subscription works: an event of that user / session reaches the client.
        const auto e = field == u"userId"_s ? sessionEvent(u"acme"_s, target, u"zz-1"_s)
                                            : sessionEvent(u"acme"_s, u"zz"_s, target);
        QCOMPARE(m_notifier->notifySessionEvent(e), 1);
        QTRY_COMPARE(client->ofType(u"session.updated"_s).size(), 1);
    } else {
        QCOMPARE(answer.value("type"_L1).toString(), u"error"_s);
        QCOMPARE(answer.value("code"_L1).toString(), code);
        QCOMPARE(answer.value("message"_L1).toString(), message);
        QCOMPARE(m_notifier->subscriptionCount(id), 1);
        QVERIFY(client->socket.state() == QAbstractSocket::ConnectedState);
    }
    QCOMPARE(client->badFrames, 0);
}

void BrowserEndpointTest::unsubscribe()
{
    quint64 id = 0;
    auto client = join(u"acme"_s, u"olga"_s, Role::Operator, &id);
    QVERIFY(client);
    QCOMPARE(request(*client,
                     {{u"type"_s, u"subscribe"_s}, {u"requestId"_s, u"s1"_s}, {u"sessionId"_s, u"bob-1"_s}})
                 .value("type"_L1)
                 .toString(),
             u"reply"_s);
    QCOMPARE(m_notifier->subscriptionCount(id), 2);

    const QJsonObject done = request(
        *client, {{u"type"_s, u"unsubscribe"_s}, {u"requestId"_s, u"u1"_s}, {u"sessionId"_s, u"bob-1"_s}});
    QCOMPARE(done.value("type"_L1).toString(), u"reply"_s);
    QCOMPARE(done.value("result"_L1).toObject(),
             (QJsonObject{{u"unsubscribed"_s, QJsonObject{{u"sessionId"_s, u"bob-1"_s}}}}));
    QCOMPARE(m_notifier->subscriptionCount(id), 1);

    const QJsonObject again = request(
        *client, {{u"type"_s, u"unsubscribe"_s}, {u"requestId"_s, u"u2"_s}, {u"sessionId"_s, u"bob-1"_s}});
    QCOMPARE(again.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(again.value("code"_L1).toString(), u"not_found"_s);

    const QJsonObject own = request(
        *client, {{u"type"_s, u"unsubscribe"_s}, {u"requestId"_s, u"u3"_s}, {u"userId"_s, u"olga"_s}});
    QCOMPARE(own.value("type"_L1).toString(), u"reply"_s);
    QCOMPARE(m_notifier->subscriptionCount(id), 0);
    QCOMPARE(m_notifier->notifySessionEvent(sessionEvent(u"acme"_s, u"olga"_s, u"x"_s)), 0);
}

void BrowserEndpointTest::urlSubscriptions_data()
{
    QTest::addColumn<int>("role");
    QTest::addColumn<QString>("query");
    QTest::addColumn<int>("subscriptions");
    QTest::addColumn<QStringList>("errors"); // codes of the error frames, in any order

    QTest::newRow("none: own user only") << int(Role::User) << QString() << 1 << QStringList();
    QTest::newRow("user: own user_id and own session")
        << int(Role::User) << u"?user_id=alice&session_id=alice-1"_s << 2 << QStringList();
    QTest::newRow("user: another user_id refused, own session kept")
        << int(Role::User) << u"?user_id=bob&session_id=alice-1"_s << 2 << QStringList{u"forbidden"_s};
    QTest::newRow("user: another user's session refused")
        << int(Role::User) << u"?session_id=bob-1"_s << 1 << QStringList{u"forbidden"_s};
    QTest::newRow("operator: another user and a session of the org")
        << int(Role::Operator) << u"?user_id=bob&session_id=bob-1"_s << 3 << QStringList();
    QTest::newRow("operator: another org's session")
        << int(Role::Operator) << u"?session_id=gary-1"_s << 1 << QStringList{u"not_found"_s};
    QTest::newRow("encoded value") << int(Role::Operator) << u"?user_id=b%40b"_s << 2 << QStringList();
    QTest::newRow("overlong user_id")
        << int(Role::Operator) << u"?user_id="_s + QString(300, u'u') << 1 << QStringList{u"invalid_value"_s};
}

void BrowserEndpointTest::urlSubscriptions()
{
    QFETCH(int, role);
    QFETCH(QString, query);
    QFETCH(int, subscriptions);
    QFETCH(QStringList, errors);

    quint64 id = 0;
    auto client =
        join(u"acme"_s, u"alice"_s, Role(role), &id, ClientKind::Sessions, u"/api/v1/ws/sessions"_s + query);
    QVERIFY(client);
    QTRY_COMPARE(m_notifier->subscriptionCount(id), subscriptions);
    QTRY_COMPARE(client->ofType(u"error"_s).size(), errors.size());
    // Nothing else is pending: a ping's pong arrives after anything the joining caused.
    QCOMPARE(request(*client, {{u"type"_s, u"ping"_s}, {u"requestId"_s, u"p"_s}}).value("type"_L1).toString(),
             u"pong"_s);
    QCOMPARE(m_notifier->subscriptionCount(id), subscriptions);
    QStringList codes;
    for (const QJsonObject &error : client->ofType(u"error"_s)) {
        codes.append(error.value("code"_L1).toString());
        QVERIFY(!error.value("message"_L1).toString().isEmpty());
        QVERIFY(!error.contains("requestId"_L1));
    }
    codes.sort();
    errors.sort();
    QCOMPARE(codes, errors);
    QCOMPARE(client->ofType(u"reply"_s).size(), 0); // URL subscriptions are not answered
    QVERIFY(client->socket.state() == QAbstractSocket::ConnectedState);
    if (query.contains(u"b%40b"_s))
        QCOMPARE(m_notifier->notifySessionEvent(sessionEvent(u"acme"_s, u"b@b"_s, u"x"_s)), 1);
}

void BrowserEndpointTest::pingPong()
{
    quint64 id = 0;
    auto client = join(u"acme"_s, u"alice"_s, Role::User, &id);
    QVERIFY(client);
    const QJsonObject pong = request(*client, {{u"type"_s, u"ping"_s}, {u"requestId"_s, u"p-1"_s}});
    QCOMPARE(pong, (QJsonObject{{u"type"_s, u"pong"_s}, {u"requestId"_s, u"p-1"_s}}));

    client->send({{u"type"_s, u"ping"_s}});
    QTRY_COMPARE(client->ofType(u"pong"_s).size(), 2);
    QCOMPARE(client->ofType(u"pong"_s).last(), (QJsonObject{{u"type"_s, u"pong"_s}}));
}

void BrowserEndpointTest::invalidFrames_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("requestId");
    QTest::newRow("not JSON") << "{{"_ba << u"invalid_json"_s << QString();
    QTest::newRow("unknown type") << R"({"type":"hello","requestId":"a1"})"_ba << u"unknown_type"_s
                                  << u"a1"_s;
    QTest::newRow("subscribe without target")
        << R"({"type":"subscribe","requestId":"a2"})"_ba << u"missing_field"_s << u"a2"_s;
    QTest::newRow("empty sessionId") << R"({"type":"subscribe","sessionId":"","requestId":"a3"})"_ba
                                     << u"invalid_value"_s << u"a3"_s;
    QTest::newRow("sessionId not a string")
        << R"({"type":"subscribe","sessionId":[1],"requestId":"a4"})"_ba << u"wrong_type"_s << u"a4"_s;
    QTest::newRow("no type") << R"({"requestId":"a5","userId":"alice"})"_ba << u"missing_field"_s << u"a5"_s;
}

void BrowserEndpointTest::invalidFrames()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    QFETCH(QString, requestId);
    quint64 id = 0;
    auto client = join(u"acme"_s, u"alice"_s, Role::User, &id);
    QVERIFY(client);

    client->socket.sendTextMessage(QString::fromUtf8(frame));
    QTRY_COMPARE(client->ofType(u"error"_s).size(), 1);
    const QJsonObject error = client->ofType(u"error"_s).first();
    QCOMPARE(error.value("code"_L1).toString(), code);
    QCOMPARE(error.value("requestId"_L1).toString(), requestId);
    QCOMPARE(m_hub->client(id)->consecutiveBadFrames, 1);

    // A good frame afterwards resets the count.
    QCOMPARE(
        request(*client, {{u"type"_s, u"ping"_s}, {u"requestId"_s, u"ok"_s}}).value("type"_L1).toString(),
        u"pong"_s);
    QCOMPARE(m_hub->client(id)->consecutiveBadFrames, 0);
}

void BrowserEndpointTest::clusterClientsMayOnlyPing()
{
    quint64 id = 0;
    auto client =
        join(u"acme"_s, u"olga"_s, Role::Operator, &id, ClientKind::Cluster, u"/api/v1/ws/cluster"_s);
    QVERIFY(client);
    QCOMPARE(m_notifier->subscriptionCount(id), 0);

    const QJsonObject refused =
        request(*client, {{u"type"_s, u"subscribe"_s}, {u"requestId"_s, u"c1"_s}, {u"userId"_s, u"olga"_s}});
    QCOMPARE(refused.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(refused.value("code"_L1).toString(), u"forbidden"_s);
    QCOMPARE(m_notifier->subscriptionCount(id), 0);

    const QJsonObject unknown = request(*client, {{u"type"_s, u"dance"_s}, {u"requestId"_s, u"c2"_s}});
    QCOMPARE(unknown.value("code"_L1).toString(), u"unknown_type"_s);

    QCOMPARE(
        request(*client, {{u"type"_s, u"ping"_s}, {u"requestId"_s, u"c3"_s}}).value("type"_L1).toString(),
        u"pong"_s);
}

void BrowserEndpointTest::subscriptionLimit()
{
    quint64 id = 0;
    auto client = join(u"acme"_s, u"olga"_s, Role::Operator, &id);
    QVERIFY(client);
    const int room = BrowserEndpoint::kMaxSubscriptionsPerClient - 1; // their own user is one
    for (int i = 0; i < room; ++i)
        client->send(
            {{u"type"_s, u"subscribe"_s}, {u"requestId"_s, u"r%1"_s.arg(i)}, {u"userId"_s, u"u%1"_s.arg(i)}});
    QTRY_COMPARE(client->ofType(u"reply"_s).size(), room);
    QCOMPARE(m_notifier->subscriptionCount(id), BrowserEndpoint::kMaxSubscriptionsPerClient);

    const QJsonObject over = request(
        *client, {{u"type"_s, u"subscribe"_s}, {u"requestId"_s, u"over"_s}, {u"userId"_s, u"one-more"_s}});
    QCOMPARE(over.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(over.value("code"_L1).toString(), u"limit_exceeded"_s);
    QCOMPARE(m_hub->limitHits(u"subscriptions"_s), quint64(1));
    QCOMPARE(m_notifier->subscriptionCount(id), BrowserEndpoint::kMaxSubscriptionsPerClient);
}

void BrowserEndpointTest::subscriptionLimitHoldsForLookupsInFlight()
{
    m_endpoint->setMaxSubscriptions(2);
    quint64 id = 0;
    auto client = join(u"acme"_s, u"olga"_s, Role::Operator, &id);
    QVERIFY(client);
    // Own user (1) + room for one session; both session subscribes pass the first check while
    // their lookups are in flight, so the second must be refused when its lookup comes back.
    client->send({{u"type"_s, u"subscribe"_s}, {u"requestId"_s, u"a"_s}, {u"sessionId"_s, u"alice-1"_s}});
    client->send({{u"type"_s, u"subscribe"_s}, {u"requestId"_s, u"b"_s}, {u"sessionId"_s, u"bob-1"_s}});
    QTRY_COMPARE(client->ofType(u"reply"_s).size() + client->ofType(u"error"_s).size(), 2);
    QCOMPARE(client->ofType(u"reply"_s).size(), 1);
    QCOMPARE(client->ofType(u"error"_s).value(0).value("code"_L1).toString(), u"limit_exceeded"_s);
    QCOMPARE(m_notifier->subscriptionCount(id), 2);
}

void BrowserEndpointTest::clientLeavingDuringLookupIsHarmless()
{
    quint64 id = 0;
    auto client = join(u"acme"_s, u"olga"_s, Role::Operator, &id);
    QVERIFY(client);
    // The client is closed right after its subscribe started the session lookup (this
    // connection runs after the endpoint's): the answer must not subscribe a client that is gone.
    connect(m_hub.get(), &Hub::messageReceived, this, [this](quint64 clientId, const QByteArray &) {
        m_hub->closeClient(clientId, QWebSocketProtocol::CloseCodeNormal, u"bye"_s);
    });
    client->send({{u"type"_s, u"subscribe"_s}, {u"requestId"_s, u"s"_s}, {u"sessionId"_s, u"bob-1"_s}});
    QTRY_VERIFY(client->disconnected);
    QVERIFY(!m_hub->client(id));
    // A later request of the same kind has answered, so the first lookup has too (FIFO storage).
    QVERIFY(m_fixture.store()->getSession(u"bob-1"_s).result().ok());
    QCoreApplication::processEvents();
    QCOMPARE(m_notifier->subscriptionCount(id), 0);
    QCOMPARE(client->ofType(u"reply"_s).size(), 0);
}

QTEST_GUILESS_MAIN(BrowserEndpointTest)
#include "tst_browserendpoint.moc"
