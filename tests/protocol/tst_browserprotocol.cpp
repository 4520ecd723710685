// Browser messages: StreamSpace's sessions_update / metrics_update / SessionEvent shapes, client
// requests with requestId echo, and SessionEvent validation.
#include "shared/BrowserProtocol.h"

#include "ProtocolTestUtil.h"

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;
using namespace switchboard::protocol::browser;
using test::canonical;
using test::parse;
using test::utc;
using test::why;

namespace {

const QDateTime kNow = utc(2025, 12, 4, 10, 0);

SessionInfo aliceSession()
{
    SessionInfo session;
    session.sessionId = u"alice-firefox-1"_s;
    session.orgId = u"acme"_s;
    session.userId = u"alice"_s;
    session.templateName = u"firefox"_s;
    session.state = SessionState::Running;
    session.agentId = u"k8s-1"_s;
    session.platform = u"kubernetes"_s;
    session.namespaceName = u"streamspace"_s;
    session.podName = u"alice-firefox-1-7d9f"_s;
    session.url = u"/api/v1/sessions/alice-firefox-1/vnc"_s;
    session.memory = u"2Gi"_s;
    session.cpu = u"1000m"_s;
    session.idleTimeoutSeconds = 1800;
    session.lastActivity = kNow.addSecs(-120);
    session.createdAt = utc(2025, 12, 4, 9, 0);
    return session;
}

} // namespace

class TestBrowserProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void eventTypeNames_data();
    void eventTypeNames();
    void sessionEventMatchesStreamSpace();
    void sessionEventOmitsEmptyDataAndOrg();
    void decodeStreamSpaceEvent();
    void decodeEventDefaultsTimestamp();
    void eventsWithRequiredData_data();
    void eventsWithRequiredData();
    void badEvents_data();
    void badEvents();
    void eventDataAtTheLimit();
    void clientMessages_data();
    void clientMessages();
    void badClientMessages_data();
    void badClientMessages();
    void sessionsUpdateMatchesStreamSpace();
    void emptySessionsUpdate();
    void metricsUpdateMatchesStreamSpace();
    void orgBroadcast_data();
    void orgBroadcast();
    void errorReplyPong();
    void sessionEventSeqAndEpoch();
    void resumeMessage();
    void resyncRequired();
    void parseSeq_data();
    void parseSeq();
};

void TestBrowserProtocol::eventTypeNames_data()
{
    QTest::addColumn<EventType>("type");
    QTest::addColumn<QString>("name");
    QTest::newRow("created") << EventType::Created << u"session.created"_s;
    QTest::newRow("updated") << EventType::Updated << u"session.updated"_s;
    QTest::newRow("deleted") << EventType::Deleted << u"session.deleted"_s;
    QTest::newRow("state.changed") << EventType::StateChanged << u"session.state.changed"_s;
    QTest::newRow("connected") << EventType::Connected << u"session.connected"_s;
    QTest::newRow("disconnected") << EventType::Disconnected << u"session.disconnected"_s;
    QTest::newRow("heartbeat") << EventType::Heartbeat << u"session.heartbeat"_s;
    QTest::newRow("idle") << EventType::Idle << u"session.idle"_s;
    QTest::newRow("active") << EventType::Active << u"session.active"_s;
    QTest::newRow("resources.updated") << EventType::ResourcesUpdated << u"session.resources.updated"_s;
    QTest::newRow("tags.updated") << EventType::TagsUpdated << u"session.tags.updated"_s;
    QTest::newRow("shared") << EventType::Shared << u"session.shared"_s;
    QTest::newRow("unshared") << EventType::Unshared << u"session.unshared"_s;
    QTest::newRow("error") << EventType::Error << u"session.error"_s;
}

void TestBrowserProtocol::eventTypeNames()
{
    QFETCH(EventType, type);
    QFETCH(QString, name);
    QCOMPARE(eventTypeName(type), name);
    QCOMPARE(eventTypeFromName(name), std::optional<EventType>(type));
    QVERIFY(!eventTypeFromName(name.mid(8)).has_value()); // without "session."
}

void TestBrowserProtocol::sessionEventMatchesStreamSpace()
{
    const SessionEvent event{EventType::StateChanged,
                             u"alice-firefox-1"_s,
                             u"alice"_s,
                             kNow,
                             QJsonObject{{u"oldState"_s, u"pending"_s}, {u"newState"_s, u"running"_s}},
                             u"acme"_s,
                             0,
                             {}};
    const QByteArray expected =
        R"({"type":"session.state.changed","sessionId":"alice-firefox-1","userId":"alice",
        "timestamp":"2025-12-04T10:00:00.000Z","data":{"oldState":"pending","newState":"running"}})"_ba;
    QCOMPARE(canonical(encodeSessionEvent(event)), toJsonBytes(parse(expected)));
    QCOMPARE(sessionEventToJson(event, false), parse(expected));

    QJsonObject withOrg = parse(expected);
    withOrg.insert(u"orgId"_s, u"acme"_s);
    QCOMPARE(canonical(encodeSessionEvent(event, true)), toJsonBytes(withOrg));
}

void TestBrowserProtocol::sessionEventOmitsEmptyDataAndOrg()
{
    const SessionEvent event{EventType::Deleted, u"s1"_s, u"bob"_s, kNow, {}, u"acme"_s, 0, {}};
    const QJsonObject json = parse(encodeSessionEvent(event));
    QVERIFY(!json.contains(u"data"_s));
    QVERIFY(!json.contains(u"orgId"_s));
    QCOMPARE(json.size(), 4);
}

void TestBrowserProtocol::decodeStreamSpaceEvent()
{
    // The example of the original Go package's documentation.
    const QJsonObject json = parse(R"({"type":"session.created","sessionId":"user1-firefox","userId":"user1",
        "timestamp":"2025-01-15T10:30:00Z","data":{"template":"firefox-browser","state":"running",
        "resources":{"cpu":"2000m","memory":"4096Mi"}}})"_ba);
    const Decoded<SessionEvent> decoded = decodeSessionEvent(json, kNow);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    const SessionEvent &event = decoded.value();
    QCOMPARE(event.type, EventType::Created);
    QCOMPARE(event.sessionId, u"user1-firefox"_s);
    QCOMPARE(event.userId, u"user1"_s);
    QCOMPARE(event.timestamp, utc(2025, 1, 15, 10, 30));
    QCOMPARE(event.data, json.value(u"data"_s).toObject());
    QVERIFY(event.orgId.isEmpty());
    // And back: the same event, with the timestamp in our millisecond form.
    QJsonObject expected = json;
    expected.insert(u"timestamp"_s, u"2025-01-15T10:30:00.000Z"_s);
    QCOMPARE(sessionEventToJson(event, false), expected);
}

void TestBrowserProtocol::decodeEventDefaultsTimestamp()
{
    const Decoded<SessionEvent> decoded = decodeSessionEvent(
        parse(R"({"type":"session.active","sessionId":"s","userId":"u","orgId":"acme"})"_ba), kNow);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QCOMPARE(decoded.value().timestamp, kNow);
    QCOMPARE(decoded.value().orgId, u"acme"_s);
    QVERIFY(decoded.value().data.isEmpty());
}

void TestBrowserProtocol::eventsWithRequiredData_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("created") << u"session.created"_s << QByteArray();
    QTest::newRow("updated") << u"session.updated"_s << R"({"tags":["a"]})"_ba;
    QTest::newRow("deleted") << u"session.deleted"_s << QByteArray();
    QTest::newRow("state.changed") << u"session.state.changed"_s
                                   << R"({"oldState":"running","newState":"hibernated"})"_ba;
    QTest::newRow("connected") << u"session.connected"_s
                               << R"({"connectionId":"c1","clientIP":"10.0.0.1"})"_ba;
    QTest::newRow("disconnected") << u"session.disconnected"_s << R"({"connectionId":"c1","duration":42})"_ba;
    QTest::newRow("heartbeat") << u"session.heartbeat"_s << QByteArray();
    QTest::newRow("idle") << u"session.idle"_s << R"({"idleDuration":900})"_ba;
    QTest::newRow("idle fractional") << u"session.idle"_s << R"({"idleDuration":0.5})"_ba;
    QTest::newRow("active") << u"session.active"_s << QByteArray();
    QTest::newRow("resources.updated") << u"session.resources.updated"_s << R"({"resources":{"cpu":"2"}})"_ba;
    QTest::newRow("tags.updated") << u"session.tags.updated"_s << R"({"tags":[]})"_ba;
    QTest::newRow("shared") << u"session.shared"_s << R"({"sharedWith":"bob","permissions":["view"]})"_ba;
    QTest::newRow("unshared") << u"session.unshared"_s << R"({"unsharedFrom":"bob"})"_ba;
    QTest::newRow("error") << u"session.error"_s << R"({"error":"pod evicted","code":"evicted"})"_ba;
}

void TestBrowserProtocol::eventsWithRequiredData()
{
    QFETCH(QString, type);
    QFETCH(QByteArray, data);
    QJsonObject json{{u"type"_s, type},
                     {u"sessionId"_s, u"s1"_s},
                     {u"userId"_s, u"u1"_s},
                     {u"timestamp"_s, u"2025-12-04T09:00:00.250Z"_s}};
    if (!data.isEmpty())
        json.insert(u"data"_s, parse(data));
    const Decoded<SessionEvent> decoded = decodeSessionEvent(json, kNow);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QCOMPARE(eventTypeName(decoded.value().type), type);
    // Round trip through the wire form.
    QCOMPARE(sessionEventToJson(decoded.value(), false), json);
    const Decoded<SessionEvent> again = decodeSessionEvent(parse(encodeSessionEvent(decoded.value())), kNow);
    QVERIFY2(again.ok(), why(again).constData());
    QCOMPARE(encodeSessionEvent(again.value()), encodeSessionEvent(decoded.value()));
}

void TestBrowserProtocol::badEvents_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::newRow("type missing") << R"({"sessionId":"s","userId":"u"})"_ba << ErrorCode::MissingField
                                  << u"type"_s;
    QTest::newRow("type number") << R"({"type":1,"sessionId":"s","userId":"u"})"_ba << ErrorCode::WrongType
                                 << u"type"_s;
    QTest::newRow("type unknown") << R"({"type":"session.exploded","sessionId":"s","userId":"u"})"_ba
                                  << ErrorCode::UnknownType << u"type"_s;
    QTest::newRow("type without prefix")
        << R"({"type":"created","sessionId":"s","userId":"u"})"_ba << ErrorCode::UnknownType << u"type"_s;
    QTest::newRow("sessionId missing")
        << R"({"type":"session.created","userId":"u"})"_ba << ErrorCode::MissingField << u"sessionId"_s;
    QTest::newRow("sessionId empty") << R"({"type":"session.created","sessionId":"","userId":"u"})"_ba
                                     << ErrorCode::InvalidValue << u"sessionId"_s;
    QTest::newRow("sessionId too long")
        << QByteArray(R"({"type":"session.created","userId":"u","sessionId":")" + QByteArray(257, 's') +
                      "\"}")
        << ErrorCode::InvalidValue << u"sessionId"_s;
    QTest::newRow("userId number") << R"({"type":"session.created","sessionId":"s","userId":5})"_ba
                                   << ErrorCode::WrongType << u"userId"_s;
    QTest::newRow("userId missing") << R"({"type":"session.created","sessionId":"s"})"_ba
                                    << ErrorCode::MissingField << u"userId"_s;
    QTest::newRow("timestamp bad")
        << R"({"type":"session.created","sessionId":"s","userId":"u","timestamp":"now"})"_ba
        << ErrorCode::InvalidValue << u"timestamp"_s;
    QTest::newRow("timestamp number")
        << R"({"type":"session.created","sessionId":"s","userId":"u","timestamp":1})"_ba
        << ErrorCode::WrongType << u"timestamp"_s;
    QTest::newRow("data array") << R"({"type":"session.created","sessionId":"s","userId":"u","data":[]})"_ba
                                << ErrorCode::WrongType << u"data"_s;
    QTest::newRow("data too big")
        << QByteArray(R"({"type":"session.updated","sessionId":"s","userId":"u","data":{"x":")" +
                      QByteArray(16 * 1024, 'x') + "\"}}")
        << ErrorCode::InvalidValue << u"data"_s;
    QTest::newRow("orgId number") << R"({"type":"session.created","sessionId":"s","userId":"u","orgId":3})"_ba
                                  << ErrorCode::WrongType << u"orgId"_s;
    QTest::newRow("state.changed no data")
        << R"({"type":"session.state.changed","sessionId":"s","userId":"u"})"_ba << ErrorCode::MissingField
        << u"data.oldState"_s;
    QTest::newRow("state.changed newState missing")
        << R"({"type":"session.state.changed","sessionId":"s","userId":"u","data":{"oldState":"pending"}})"_ba
        << ErrorCode::MissingField << u"data.newState"_s;
    QTest::newRow("state.changed newState unknown")
        << R"({"type":"session.state.changed","sessionId":"s","userId":"u","data":{"oldState":"pending","newState":"Running"}})"_ba
        << ErrorCode::InvalidValue << u"data.newState"_s;
    QTest::newRow("state.changed oldState number")
        << R"({"type":"session.state.changed","sessionId":"s","userId":"u","data":{"oldState":1,"newState":"running"}})"_ba
        << ErrorCode::WrongType << u"data.oldState"_s;
    QTest::newRow("connected no connectionId")
        << R"({"type":"session.connected","sessionId":"s","userId":"u","data":{"clientIP":"x"}})"_ba
        << ErrorCode::MissingField << u"data.connectionId"_s;
    QTest::newRow("disconnected connectionId empty")
        << R"({"type":"session.disconnected","sessionId":"s","userId":"u","data":{"connectionId":""}})"_ba
        << ErrorCode::InvalidValue << u"data.connectionId"_s;
    QTest::newRow("idle missing") << R"({"type":"session.idle","sessionId":"s","userId":"u","data":{}})"_ba
                                  << ErrorCode::MissingField << u"data.idleDuration"_s;
    QTest::newRow("idle string")
        << R"({"type":"session.idle","sessionId":"s","userId":"u","data":{"idleDuration":"5m"}})"_ba
        << ErrorCode::WrongType << u"data.idleDuration"_s;
    QTest::newRow("tags missing") << R"({"type":"session.tags.updated","sessionId":"s","userId":"u"})"_ba
                                  << ErrorCode::MissingField << u"data.tags"_s;
    QTest::newRow("tags object")
        << R"({"type":"session.tags.updated","sessionId":"s","userId":"u","data":{"tags":{}}})"_ba
        << ErrorCode::WrongType << u"data.tags"_s;
    QTest::newRow("shared missing")
        << R"({"type":"session.shared","sessionId":"s","userId":"u","data":{"permissions":[]}})"_ba
        << ErrorCode::MissingField << u"data.sharedWith"_s;
    QTest::newRow("unshared missing") << R"({"type":"session.unshared","sessionId":"s","userId":"u"})"_ba
                                      << ErrorCode::MissingField << u"data.unsharedFrom"_s;
    QTest::newRow("error missing")
        << R"({"type":"session.error","sessionId":"s","userId":"u","data":{"code":"x"}})"_ba
        << ErrorCode::MissingField << u"data.error"_s;
    QTest::newRow("error number")
        << R"({"type":"session.error","sessionId":"s","userId":"u","data":{"error":500}})"_ba
        << ErrorCode::WrongType << u"data.error"_s;
}

void TestBrowserProtocol::badEvents()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    const Decoded<SessionEvent> decoded = decodeSessionEvent(parse(json), kNow);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
    QVERIFY2(decoded.error().message.startsWith(field), why(decoded).constData());
    if (field == "data"_L1 && code == ErrorCode::InvalidValue)
        QCOMPARE(decoded.error().message, u"data exceeds 16384 bytes"_s);
}

void TestBrowserProtocol::eventDataAtTheLimit()
{
    // {"x":"..."} is 8 bytes of wrapping: exactly kMaxEventDataBytes passes, one more fails.
    const auto eventWith = [](qsizetype valueLength) {
        return QJsonObject{{u"type"_s, u"session.updated"_s},
                           {u"sessionId"_s, u"s"_s},
                           {u"userId"_s, u"u"_s},
                           {u"data"_s, QJsonObject{{u"x"_s, QString(valueLength, u'x')}}}};
    };
    QVERIFY(decodeSessionEvent(eventWith(kMaxEventDataBytes - 8), kNow).ok());
    QVERIFY(!decodeSessionEvent(eventWith(kMaxEventDataBytes - 7), kNow).ok());
}

void TestBrowserProtocol::clientMessages_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("requestId");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("userId");
    QTest::addColumn<QString>("sessionId");
    QTest::newRow("subscribe user") << R"({"type":"subscribe","requestId":"r1","userId":"alice"})"_ba
                                    << u"r1"_s << u"subscribe"_s << u"alice"_s << QString();
    QTest::newRow("subscribe session") << R"({"type":"subscribe","sessionId":"alice-firefox-1"})"_ba
                                       << QString() << u"subscribe"_s << QString() << u"alice-firefox-1"_s;
    QTest::newRow("unsubscribe user") << R"({"type":"unsubscribe","requestId":"r2","userId":"alice"})"_ba
                                      << u"r2"_s << u"unsubscribe"_s << u"alice"_s << QString();
    QTest::newRow("unsubscribe session null user")
        << R"({"type":"unsubscribe","userId":null,"sessionId":"s"})"_ba << QString() << u"unsubscribe"_s
        << QString() << u"s"_s;
    QTest::newRow("ping") << R"({"type":"ping"})"_ba << QString() << u"ping"_s << QString() << QString();
    QTest::newRow("ping with id and extras")
        << R"({"type":"ping","requestId":"p","x":[1]})"_ba << u"p"_s << u"ping"_s << QString() << QString();
}

void TestBrowserProtocol::clientMessages()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, requestId);
    QFETCH(QString, kind);
    QFETCH(QString, userId);
    QFETCH(QString, sessionId);
    const Decoded<ClientMessage> decoded = decodeClientMessage(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    const ClientMessage &message = decoded.value();
    QCOMPARE(message.requestId, requestId);
    if (kind == "subscribe"_L1) {
        const auto *subscribe = std::get_if<Subscribe>(&message.request);
        QVERIFY(subscribe);
        QCOMPARE(subscribe->userId, userId);
        QCOMPARE(subscribe->sessionId, sessionId);
    } else if (kind == "unsubscribe"_L1) {
        const auto *unsubscribe = std::get_if<Unsubscribe>(&message.request);
        QVERIFY(unsubscribe);
        QCOMPARE(unsubscribe->userId, userId);
        QCOMPARE(unsubscribe->sessionId, sessionId);
    } else {
        QVERIFY(std::holds_alternative<ClientPing>(message.request));
    }
    // Encoding gives the canonical form, which decodes to the same message.
    const QByteArray encoded = encodeClientMessage(message);
    const Decoded<ClientMessage> again = decodeClientMessage(encoded);
    QVERIFY2(again.ok(), why(again).constData());
    QCOMPARE(encodeClientMessage(again.value()), encoded);
    QCOMPARE(parse(encoded).value(u"type"_s).toString(), kind);
}

void TestBrowserProtocol::badClientMessages_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("requestId");
    QTest::newRow("invalid json") << R"({"type":"subscribe",)"_ba << ErrorCode::InvalidJson << QString()
                                  << QString();
    QTest::newRow("type missing") << R"({"requestId":"r1","userId":"a"})"_ba << ErrorCode::MissingField
                                  << u"type"_s << u"r1"_s;
    QTest::newRow("type array") << R"({"type":[],"requestId":"r1"})"_ba << ErrorCode::WrongType << u"type"_s
                                << u"r1"_s;
    QTest::newRow("unknown type") << R"({"type":"session.start","requestId":"r2"})"_ba
                                  << ErrorCode::UnknownType << u"type"_s << u"r2"_s;
    QTest::newRow("neither") << R"({"type":"subscribe","requestId":"r3"})"_ba << ErrorCode::MissingField
                             << u"userId"_s << u"r3"_s;
    QTest::newRow("both") << R"({"type":"subscribe","requestId":"r4","userId":"a","sessionId":"s"})"_ba
                          << ErrorCode::InvalidValue << u"sessionId"_s << u"r4"_s;
    QTest::newRow("empty userId") << R"({"type":"subscribe","requestId":"r5","userId":""})"_ba
                                  << ErrorCode::InvalidValue << u"userId"_s << u"r5"_s;
    QTest::newRow("userId number") << R"({"type":"unsubscribe","requestId":"r6","userId":7})"_ba
                                   << ErrorCode::WrongType << u"userId"_s << u"r6"_s;
    QTest::newRow("sessionId too long")
        << QByteArray(R"({"type":"subscribe","requestId":"r7","sessionId":")" + QByteArray(300, 's') + "\"}")
        << ErrorCode::InvalidValue << u"sessionId"_s << u"r7"_s;
    QTest::newRow("requestId number")
        << R"({"type":"ping","requestId":5})"_ba << ErrorCode::WrongType << u"requestId"_s << QString();
    QTest::newRow("requestId too long")
        << QByteArray(R"({"type":"ping","requestId":")" + QByteArray(129, 'r') + "\"}")
        << ErrorCode::InvalidValue << u"requestId"_s << QString();
    QTest::newRow("resume without since") << R"({"type":"resume","requestId":"r8","epoch":"e"})"_ba
                                          << ErrorCode::MissingField << u"since"_s << u"r8"_s;
    QTest::newRow("resume negative since")
        << R"({"type":"resume","requestId":"r9","since":-1,"epoch":"e"})"_ba << ErrorCode::InvalidValue
        << u"since"_s << u"r9"_s;
    QTest::newRow("resume fractional since")
        << R"({"type":"resume","requestId":"r10","since":1.5,"epoch":"e"})"_ba << ErrorCode::WrongType
        << u"since"_s << u"r10"_s;
    QTest::newRow("resume since as text")
        << R"({"type":"resume","requestId":"r11","since":"5","epoch":"e"})"_ba << ErrorCode::WrongType
        << u"since"_s << u"r11"_s;
    QTest::newRow("resume without epoch") << R"({"type":"resume","requestId":"r12","since":5})"_ba
                                          << ErrorCode::MissingField << u"epoch"_s << u"r12"_s;
    QTest::newRow("resume epoch too long")
        << QByteArray(R"({"type":"resume","requestId":"r13","since":5,"epoch":")" + QByteArray(65, 'e') +
                      "\"}")
        << ErrorCode::InvalidValue << u"epoch"_s << u"r13"_s;
}

void TestBrowserProtocol::badClientMessages()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    QFETCH(QString, requestId);
    const Decoded<ClientMessage> decoded = decodeClientMessage(json);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
    QCOMPARE(decoded.error().requestId, requestId);
    if (!field.isEmpty())
        QVERIFY2(decoded.error().message.startsWith(field + u": "_s), why(decoded).constData());
    // The error frame a browser gets back.
    const QJsonObject frame = parse(encodeError(decoded.error()));
    QCOMPARE(frame.value(u"type"_s).toString(), u"error"_s);
    QCOMPARE(frame.value(u"code"_s).toString(), errorCodeName(code));
    QCOMPARE(frame.contains(u"requestId"_s), !requestId.isEmpty());
}

void TestBrowserProtocol::sessionsUpdateMatchesStreamSpace()
{
    // STREAMSPACE-WIRE.md's sessions_update with its "..." filled in.
    const QByteArray expected =
        R"({"type":"sessions_update","org_id":"acme","count":1,"timestamp":"2025-12-04T10:00:00.000Z",
 "sessions":[{"name":"alice-firefox-1","namespace":"streamspace","user":"alice","template":"firefox",
  "state":"running","createdAt":"2025-12-04T09:00:00.000Z","activeConnections":0,
  "status":{"phase":"Running","podName":"alice-firefox-1-7d9f","url":"/api/v1/sessions/alice-firefox-1/vnc"},
  "resources":{"memory":"2Gi","cpu":"1000m"},"platform":"kubernetes","agent_id":"k8s-1",
  "lastActivity":"2025-12-04T09:58:00.000Z","idleDuration":120,"idleThreshold":1800,"isIdle":false,"isActive":true}]})"_ba;
    QCOMPARE(canonical(encodeSessionsUpdate(u"acme"_s, {aliceSession()}, kNow)),
             toJsonBytes(parse(expected)));
}

void TestBrowserProtocol::emptySessionsUpdate()
{
    QCOMPARE(canonical(encodeSessionsUpdate(u"acme"_s, {}, kNow)),
             toJsonBytes(parse(R"({"type":"sessions_update","org_id":"acme","count":0,
                                   "timestamp":"2025-12-04T10:00:00.000Z","sessions":[]})"_ba)));
    QList<SessionInfo> many(250, aliceSession());
    const QJsonObject json = parse(encodeSessionsUpdate(u"acme"_s, many, kNow));
    QCOMPARE(json.value(u"count"_s).toInt(), 250);
    QCOMPARE(json.value(u"sessions"_s).toArray().size(), 250);
}

void TestBrowserProtocol::metricsUpdateMatchesStreamSpace()
{
    const OrgMetrics metrics{3, 2, 7, 4, 1, 12};
    const QByteArray expected =
        R"({"type":"metrics_update","org_id":"acme","metrics":{"sessions":{"running":3,
        "hibernated":2,"total":7},"activeConnections":4,"repositories":1,"templates":12},
        "timestamp":"2025-12-04T10:00:00.000Z"})"_ba;
    QCOMPARE(canonical(encodeMetricsUpdate(u"acme"_s, metrics, kNow)), toJsonBytes(parse(expected)));
}

void TestBrowserProtocol::orgBroadcast_data()
{
    QTest::addColumn<QJsonValue>("data");
    QTest::addColumn<QByteArray>("dataJson");
    QTest::newRow("object") << QJsonValue(QJsonObject{{u"banner"_s, u"maintenance"_s}})
                            << R"({"banner":"maintenance"})"_ba;
    QTest::newRow("string") << QJsonValue(u"hello"_s) << R"("hello")"_ba;
    QTest::newRow("array") << QJsonValue(QJsonArray{1, 2}) << "[1,2]"_ba;
    QTest::newRow("number") << QJsonValue(42) << "42"_ba;
}

void TestBrowserProtocol::orgBroadcast()
{
    QFETCH(QJsonValue, data);
    QFETCH(QByteArray, dataJson);
    const QByteArray expected =
        R"({"data":)" + dataJson +
        R"(,"orgId":"acme","timestamp":"2025-12-04T10:00:00.000Z","type":"org.broadcast"})";
    QCOMPARE(canonical(encodeOrgBroadcast(u"acme"_s, data, kNow)), canonical(expected));
}

void TestBrowserProtocol::errorReplyPong()
{
    QCOMPARE(
        canonical(encodeError(Error{ErrorCode::Forbidden, u"not your session"_s, {}, u"r1"_s})),
        canonical(R"({"code":"forbidden","message":"not your session","requestId":"r1","type":"error"})"_ba));
    QCOMPARE(
        encodeError(Error{ErrorCode::MissingField, u"userId: required string is missing"_s, u"userId"_s, {}}),
        R"({"type":"error","code":"missing_field","message":"userId: required string is missing","field":"userId"})"_ba);
    QCOMPARE(canonical(encodeReply(u"r9"_s, QJsonObject{{u"commandId"_s, u"c1"_s}})),
             canonical(R"({"ok":true,"requestId":"r9","result":{"commandId":"c1"},"type":"reply"})"_ba));
    QCOMPARE(canonical(encodeReply(u"r9"_s, {})),
             canonical(R"({"ok":true,"requestId":"r9","result":{},"type":"reply"})"_ba));
    QCOMPARE(canonical(encodePong(u"p1"_s)), canonical(R"({"requestId":"p1","type":"pong"})"_ba));
    QCOMPARE(canonical(encodePong(QString())), canonical(R"({"type":"pong"})"_ba));
}

void TestBrowserProtocol::sessionEventSeqAndEpoch()
{
    SessionEvent event;
    event.type = EventType::Heartbeat;
    event.sessionId = u"s1"_s;
    event.userId = u"alice"_s;
    event.orgId = u"acme"_s;
    event.timestamp = kNow;
    // Not recorded yet: no seq on the wire.
    QVERIFY(!parse(encodeSessionEvent(event)).contains("seq"_L1));
    event.seq = 42;
    event.epoch = u"3f2a9c"_s;
    QCOMPARE(canonical(encodeSessionEvent(event)),
             canonical(R"({"type":"session.heartbeat","sessionId":"s1","userId":"alice",)"
                       R"("timestamp":"2025-12-04T10:00:00.000Z","seq":42,"epoch":"3f2a9c"})"_ba));
    QCOMPARE(parse(encodeSessionEvent(event, true)).value("orgId"_L1).toString(), u"acme"_s);
    QCOMPARE(sessionEventToJson(event, false), parse(encodeSessionEvent(event)));

    const Decoded<SessionEvent> decoded = decodeSessionEvent(parse(encodeSessionEvent(event, true)), kNow);
    QVERIFY2(decoded.ok(), why(decoded));
    QCOMPARE(decoded.value().seq, 42);
    QCOMPARE(decoded.value().epoch, u"3f2a9c"_s);
    QVERIFY(!decodeSessionEvent(QJsonObject{{u"type"_s, u"session.heartbeat"_s},
                                            {u"sessionId"_s, u"s"_s},
                                            {u"userId"_s, u"u"_s},
                                            {u"seq"_s, -3}},
                                kNow)
                 .ok());
}

void TestBrowserProtocol::resumeMessage()
{
    const Decoded<ClientMessage> decoded =
        decodeClientMessage(R"({"type":"resume","requestId":"r","since":9007199254740991,"epoch":"abc"})"_ba);
    QVERIFY2(decoded.ok(), why(decoded));
    QCOMPARE(decoded.value().requestId, u"r"_s);
    const auto *resume = std::get_if<Resume>(&decoded.value().request);
    QVERIFY(resume);
    QCOMPARE(resume->since, kMaxSeq);
    QCOMPARE(resume->epoch, u"abc"_s);
    const Decoded<ClientMessage> again = decodeClientMessage(encodeClientMessage(decoded.value()));
    QVERIFY2(again.ok(), why(again));
    QCOMPARE(std::get<Resume>(again.value().request).since, kMaxSeq);
    QCOMPARE(std::get<Resume>(again.value().request).epoch, u"abc"_s);
    QVERIFY(decodeClientMessage(R"({"type":"resume","since":0,"epoch":"e"})"_ba).ok());
}

void TestBrowserProtocol::resyncRequired()
{
    QCOMPARE(encodeResyncRequired(u"e1"_s, 17), R"({"type":"resync_required","epoch":"e1","seq":17})"_ba);
    QCOMPARE(encodeResyncRequired(u"e1"_s, 0, u"acme"_s),
             R"({"type":"resync_required","orgId":"acme","epoch":"e1","seq":0})"_ba);
}

void TestBrowserProtocol::parseSeq_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("expected"); // -1 = rejected
    QTest::newRow("zero") << u"0"_s << qint64(0);
    QTest::newRow("number") << u"1234"_s << qint64(1234);
    QTest::newRow("largest") << u"9007199254740991"_s << kMaxSeq;
    QTest::newRow("too large") << u"9007199254740992"_s << qint64(-1);
    QTest::newRow("empty") << QString() << qint64(-1);
    QTest::newRow("negative") << u"-1"_s << qint64(-1);
    QTest::newRow("plus") << u"+1"_s << qint64(-1);
    QTest::newRow("space") << u" 1"_s << qint64(-1);
    QTest::newRow("hex") << u"0x10"_s << qint64(-1);
    QTest::newRow("long") << u"00000000000000001"_s << qint64(-1);
}

void TestBrowserProtocol::parseSeq()
{
    QFETCH(QString, text);
    QFETCH(qint64, expected);
    const std::optional<qint64> parsed = browser::parseSeq(text);
    if (expected < 0)
        QVERIFY(!parsed);
    else
        QCOMPARE(parsed, std::optional<qint64>(expected));
}

QTEST_GUILESS_MAIN(TestBrowserProtocol)
#include "tst_browserprotocol.moc"
