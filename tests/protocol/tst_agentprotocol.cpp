// Agent frames: StreamSpace v2 shapes, every bad input named, command payload normalisation.
#include "shared/AgentProtocol.h"

#include "ProtocolTestUtil.h"

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;
using namespace switchboard::protocol::agent;
using test::canonical;
using test::parse;
using test::utc;
using test::why;

namespace {

const QDateTime kTime = utc(2025, 12, 4, 10, 0, 0, 100);

QByteArray big(qsizetype size, char fill = 'x')
{
    return QByteArray(size, fill);
}

QByteArray linesArray(int count, qsizetype lineLength)
{
    QByteArray out = "[";
    for (int i = 0; i < count; ++i) {
        if (i > 0)
            out += ',';
        out += '"' + QByteArray(lineLength, 'l') + '"';
    }
    return out + ']';
}

} // namespace

class TestAgentProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void actionNames_data();
    void actionNames();
    void badAgentFrames_data();
    void badAgentFrames();
    void streamSpaceAgentFrames_data();
    void streamSpaceAgentFrames();
    void pongPayloadIsOptional_data();
    void pongPayloadIsOptional();
    void agentFramesRoundTrip_data();
    void agentFramesRoundTrip();
    void agentFrameEnvelope();
    void commandMatchesStreamSpace();
    void serverFrameShapes_data();
    void serverFrameShapes();
    void serverFramesRoundTrip_data();
    void serverFramesRoundTrip();
    void badServerFrames_data();
    void badServerFrames();
    void normalizeErrors_data();
    void normalizeErrors();
    void normalizeStartSessionDefaults();
    void normalizeKeepsGivenValues();
    void normalizeOtherActions_data();
    void normalizeOtherActions();
    void invalidTimestampStillEncodes();
};

void TestAgentProtocol::actionNames_data()
{
    QTest::addColumn<Action>("action");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("lifecycle");
    QTest::newRow("start") << Action::StartSession << u"start_session"_s << true;
    QTest::newRow("stop") << Action::StopSession << u"stop_session"_s << true;
    QTest::newRow("hibernate") << Action::HibernateSession << u"hibernate_session"_s << true;
    QTest::newRow("wake") << Action::WakeSession << u"wake_session"_s << true;
    QTest::newRow("stream logs") << Action::StreamLogs << u"stream_logs"_s << false;
    QTest::newRow("stop logs") << Action::StopLogs << u"stop_logs"_s << false;
}

void TestAgentProtocol::actionNames()
{
    QFETCH(Action, action);
    QFETCH(QString, name);
    QFETCH(bool, lifecycle);
    QCOMPARE(actionName(action), name);
    QCOMPARE(actionFromName(name), std::optional<Action>(action));
    QCOMPARE(isSessionLifecycleAction(action), lifecycle);
    QVERIFY(!actionFromName(name.toUpper()).has_value());
}

void TestAgentProtocol::badAgentFrames_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");

    // Envelope.
    QTest::newRow("not json") << "hello"_ba << ErrorCode::InvalidJson << QString();
    QTest::newRow("empty") << QByteArray() << ErrorCode::InvalidJson << QString();
    QTest::newRow("array") << R"([{"type":"ack"}])"_ba << ErrorCode::InvalidJson << QString();
    QTest::newRow("type missing") << R"({"payload":{}})"_ba << ErrorCode::MissingField << u"type"_s;
    QTest::newRow("type null") << R"({"type":null,"payload":{}})"_ba << ErrorCode::MissingField << u"type"_s;
    QTest::newRow("type number") << R"({"type":7,"payload":{}})"_ba << ErrorCode::WrongType << u"type"_s;
    QTest::newRow("type unknown") << R"({"type":"reboot","payload":{}})"_ba << ErrorCode::UnknownType
                                  << u"type"_s;
    QTest::newRow("type empty") << R"({"type":"","payload":{}})"_ba << ErrorCode::UnknownType << u"type"_s;
    QTest::newRow("type server-only")
        << R"({"type":"command","payload":{}})"_ba << ErrorCode::UnknownType << u"type"_s;
    QTest::newRow("type huge") << QByteArray(R"({"type":")" + big(100000) + R"(","payload":{}})")
                               << ErrorCode::InvalidValue << u"type"_s;
    QTest::newRow("payload missing") << R"({"type":"ack"})"_ba << ErrorCode::MissingField << u"payload"_s;
    QTest::newRow("payload array") << R"({"type":"ack","payload":[]})"_ba << ErrorCode::WrongType
                                   << u"payload"_s;
    QTest::newRow("payload string") << R"({"type":"heartbeat","payload":"x"})"_ba << ErrorCode::WrongType
                                    << u"payload"_s;
    // ack / complete / failed.
    QTest::newRow("ack commandId missing")
        << R"({"type":"ack","payload":{}})"_ba << ErrorCode::MissingField << u"payload.commandId"_s;
    QTest::newRow("ack commandId number") << R"({"type":"ack","payload":{"commandId":12}})"_ba
                                          << ErrorCode::WrongType << u"payload.commandId"_s;
    QTest::newRow("ack commandId empty") << R"({"type":"ack","payload":{"commandId":""}})"_ba
                                         << ErrorCode::InvalidValue << u"payload.commandId"_s;
    QTest::newRow("ack commandId too long")
        << QByteArray(R"({"type":"ack","payload":{"commandId":")" + big(257) + R"("}})")
        << ErrorCode::InvalidValue << u"payload.commandId"_s;
    QTest::newRow("complete commandId missing") << R"({"type":"complete","payload":{"result":{}}})"_ba
                                                << ErrorCode::MissingField << u"payload.commandId"_s;
    QTest::newRow("complete result string")
        << R"({"type":"complete","payload":{"commandId":"c","result":"ok"}})"_ba << ErrorCode::WrongType
        << u"payload.result"_s;
    QTest::newRow("failed error missing") << R"({"type":"failed","payload":{"commandId":"c"}})"_ba
                                          << ErrorCode::MissingField << u"payload.error"_s;
    QTest::newRow("failed error object") << R"({"type":"failed","payload":{"commandId":"c","error":{}}})"_ba
                                         << ErrorCode::WrongType << u"payload.error"_s;
    QTest::newRow("failed error too long")
        << QByteArray(R"({"type":"failed","payload":{"commandId":"c","error":")" + big(4097) + R"("}})")
        << ErrorCode::InvalidValue << u"payload.error"_s;
    // heartbeat.
    const QByteArray capacity = R"("capacity":{"maxSessions":10,"cpu":"4","memory":"8Gi"})";
    QTest::newRow("heartbeat status missing")
        << QByteArray(R"({"type":"heartbeat","payload":{"activeSessions":0,)" + capacity + "}}")
        << ErrorCode::MissingField << u"payload.status"_s;
    QTest::newRow("heartbeat status unknown")
        << QByteArray(R"({"type":"heartbeat","payload":{"status":"busy","activeSessions":0,)" + capacity +
                      "}}")
        << ErrorCode::InvalidValue << u"payload.status"_s;
    QTest::newRow("heartbeat status stale")
        << QByteArray(R"({"type":"heartbeat","payload":{"status":"stale","activeSessions":0,)" + capacity +
                      "}}")
        << ErrorCode::InvalidValue << u"payload.status"_s;
    QTest::newRow("heartbeat activeSessions missing")
        << QByteArray(R"({"type":"heartbeat","payload":{"status":"online",)" + capacity + "}}")
        << ErrorCode::MissingField << u"payload.activeSessions"_s;
    QTest::newRow("heartbeat activeSessions negative")
        << QByteArray(R"({"type":"heartbeat","payload":{"status":"online","activeSessions":-1,)" + capacity +
                      "}}")
        << ErrorCode::InvalidValue << u"payload.activeSessions"_s;
    QTest::newRow("heartbeat activeSessions fraction")
        << QByteArray(R"({"type":"heartbeat","payload":{"status":"online","activeSessions":0.5,)" + capacity +
                      "}}")
        << ErrorCode::WrongType << u"payload.activeSessions"_s;
    QTest::newRow("heartbeat activeSessions huge")
        << QByteArray(R"({"type":"heartbeat","payload":{"status":"online","activeSessions":1e999,)" +
                      capacity + "}}")
        << ErrorCode::InvalidJson << QString();
    QTest::newRow("heartbeat activeSessions 1e300")
        << QByteArray(R"({"type":"heartbeat","payload":{"status":"online","activeSessions":1e300,)" +
                      capacity + "}}")
        << ErrorCode::InvalidValue << u"payload.activeSessions"_s;
    QTest::newRow("heartbeat activeSessions string")
        << QByteArray(R"({"type":"heartbeat","payload":{"status":"online","activeSessions":"3",)" + capacity +
                      "}}")
        << ErrorCode::WrongType << u"payload.activeSessions"_s;
    QTest::newRow("heartbeat capacity missing")
        << R"({"type":"heartbeat","payload":{"status":"online","activeSessions":0}})"_ba
        << ErrorCode::MissingField << u"payload.capacity"_s;
    QTest::newRow("heartbeat capacity maxSessions missing")
        << R"({"type":"heartbeat","payload":{"status":"online","activeSessions":0,"capacity":{"cpu":"4","memory":"8Gi"}}})"_ba
        << ErrorCode::MissingField << u"payload.capacity.maxSessions"_s;
    QTest::newRow("heartbeat capacity cpu number")
        << R"({"type":"heartbeat","payload":{"status":"online","activeSessions":0,"capacity":{"maxSessions":1,"cpu":4,"memory":"8Gi"}}})"_ba
        << ErrorCode::WrongType << u"payload.capacity.cpu"_s;
    // status.
    QTest::newRow("status sessionId missing") << R"({"type":"status","payload":{"state":"running"}})"_ba
                                              << ErrorCode::MissingField << u"payload.sessionId"_s;
    QTest::newRow("status state missing") << R"({"type":"status","payload":{"sessionId":"s"}})"_ba
                                          << ErrorCode::MissingField << u"payload.state"_s;
    QTest::newRow("status state unknown")
        << R"({"type":"status","payload":{"sessionId":"s","state":"exploded"}})"_ba << ErrorCode::InvalidValue
        << u"payload.state"_s;
    QTest::newRow("status vncReady string")
        << R"({"type":"status","payload":{"sessionId":"s","state":"running","vncReady":"yes"}})"_ba
        << ErrorCode::WrongType << u"payload.vncReady"_s;
    QTest::newRow("status vncPort too big")
        << R"({"type":"status","payload":{"sessionId":"s","state":"running","vncPort":70000}})"_ba
        << ErrorCode::InvalidValue << u"payload.vncPort"_s;
    QTest::newRow("status platformMetadata array")
        << R"({"type":"status","payload":{"sessionId":"s","state":"running","platformMetadata":[]}})"_ba
        << ErrorCode::WrongType << u"payload.platformMetadata"_s;
    // log.
    QTest::newRow("log sessionId missing")
        << R"({"type":"log","payload":{"lines":[]}})"_ba << ErrorCode::MissingField << u"payload.sessionId"_s;
    QTest::newRow("log lines missing") << R"({"type":"log","payload":{"sessionId":"s"}})"_ba
                                       << ErrorCode::MissingField << u"payload.lines"_s;
    QTest::newRow("log lines string") << R"({"type":"log","payload":{"sessionId":"s","lines":"a"}})"_ba
                                      << ErrorCode::WrongType << u"payload.lines"_s;
    QTest::newRow("log line number") << R"({"type":"log","payload":{"sessionId":"s","lines":["a",1]}})"_ba
                                     << ErrorCode::WrongType << u"payload.lines[1]"_s;
    QTest::newRow("log too many lines")
        << QByteArray(R"({"type":"log","payload":{"sessionId":"s","lines":)" + linesArray(1001, 1) + "}}")
        << ErrorCode::InvalidValue << u"payload.lines"_s;
    QTest::newRow("log line too long") << QByteArray(R"({"type":"log","payload":{"sessionId":"s","lines":)" +
                                                     linesArray(2, 16 * 1024 + 1) + "}}")
                                       << ErrorCode::InvalidValue << u"payload.lines[0]"_s;
    // pong.
    QTest::newRow("pong payload string")
        << R"({"type":"pong","payload":"x"})"_ba << ErrorCode::WrongType << u"payload"_s;
}

void TestAgentProtocol::badAgentFrames()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    const Decoded<AgentFrame> decoded = decodeAgentFrame(json);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
    QVERIFY(!decoded.error().message.isEmpty());
    if (!field.isEmpty())
        QVERIFY2(decoded.error().message.startsWith(field + u": "_s), why(decoded).constData());
    if (code == ErrorCode::UnknownType)
        QVERIFY2(decoded.error().message.contains(u'"' + parse(json).value(u"type"_s).toString() + u'"'),
                 why(decoded).constData());
    QVERIFY(decoded.error().message.size() < 1000); // never echoes huge input
}

void TestAgentProtocol::streamSpaceAgentFrames_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("type");
    QTest::newRow("heartbeat") << R"({"type":"heartbeat","timestamp":"2025-12-04T10:00:00.123456789Z",
        "payload":{"status":"online","activeSessions":3,
        "capacity":{"maxSessions":100,"cpu":"64 cores","memory":"256Gi","storage":"1Ti"}}})"_ba
                               << u"heartbeat"_s;
    QTest::newRow("draining heartbeat") << R"({"type":"heartbeat","timestamp":"2025-12-04T10:00:00Z",
        "payload":{"status":"draining","activeSessions":0,"capacity":{"maxSessions":0,"cpu":"","memory":""}}})"_ba
                                        << u"heartbeat"_s;
    QTest::newRow("ack")
        << R"({"type":"ack","timestamp":"2025-12-04T10:00:00Z","payload":{"commandId":"cmd-1a2b3c4d"}})"_ba
        << u"ack"_s;
    QTest::newRow("complete with k8s result") << R"({"type":"complete","timestamp":"2025-12-04T10:00:00Z",
        "payload":{"commandId":"cmd-1","result":{"sessionId":"alice-firefox-1","deployment":"d","service":"s",
        "pvc":"p","podName":"alice-firefox-1-abc","podIP":"10.0.0.7","vncPort":3000,"state":"running"}}})"_ba
                                              << u"complete"_s;
    QTest::newRow("complete without result")
        << R"({"type":"complete","payload":{"commandId":"cmd-1"}})"_ba << u"complete"_s;
    QTest::newRow("failed")
        << R"({"type":"failed","payload":{"commandId":"cmd-1","error":"quota exceeded"}})"_ba << u"failed"_s;
    QTest::newRow("failed empty error")
        << R"({"type":"failed","payload":{"commandId":"cmd-1","error":""}})"_ba << u"failed"_s;
    QTest::newRow("status")
        << R"({"type":"status","timestamp":"2025-12-04T10:00:00Z","payload":{"sessionId":"alice-firefox-1",
        "state":"running","vncReady":true,"vncPort":3000,"platformMetadata":{"podName":"p","podIP":"10.0.0.7"}}})"_ba
        << u"status"_s;
    QTest::newRow("status with go nulls")
        << R"({"type":"status","payload":{"sessionId":"s","state":"hibernated",
        "platformMetadata":null}})"_ba
        << u"status"_s;
    QTest::newRow("log") << R"({"type":"log","payload":{"sessionId":"s","lines":["one","two"]}})"_ba
                         << u"log"_s;
    QTest::newRow("extra fields ignored")
        << R"({"type":"ack","version":9,"timestamp":12,"payload":{"commandId":"c",
        "extra":{"deep":[1,2,3]}},"more":"stuff"})"_ba
        << u"ack"_s;
}

void TestAgentProtocol::streamSpaceAgentFrames()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, type);
    const Decoded<AgentFrame> decoded = decodeAgentFrame(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QCOMPARE(agentFrameTypeName(decoded.value()), type);

    const AgentFrame &frame = decoded.value();
    if (const auto *heartbeat = std::get_if<Heartbeat>(&frame)) {
        const QJsonObject payload = parse(json).value(u"payload"_s).toObject();
        QCOMPARE(heartbeat->status == ReportedStatus::Online,
                 payload.value(u"status"_s).toString() == "online"_L1);
        QCOMPARE(heartbeat->activeSessions, payload.value(u"activeSessions"_s).toInt());
        QCOMPARE(heartbeat->capacity.toJson(), payload.value(u"capacity"_s).toObject());
    } else if (const auto *complete = std::get_if<Complete>(&frame)) {
        QCOMPARE(complete->commandId, u"cmd-1"_s);
        QCOMPARE(complete->result, parse(json).value(u"payload"_s).toObject().value(u"result"_s).toObject());
    } else if (const auto *status = std::get_if<StatusReport>(&frame)) {
        const QJsonObject payload = parse(json).value(u"payload"_s).toObject();
        QCOMPARE(sessionStateName(status->state), payload.value(u"state"_s).toString());
        QCOMPARE(status->vncReady, payload.value(u"vncReady"_s).toBool());
        QCOMPARE(status->vncPort, payload.value(u"vncPort"_s).toInt());
        QCOMPARE(status->platformMetadata, payload.value(u"platformMetadata"_s).toObject());
    } else if (const auto *log = std::get_if<LogLines>(&frame)) {
        QCOMPARE(log->lines, (QStringList{u"one"_s, u"two"_s}));
    }
}

void TestAgentProtocol::pongPayloadIsOptional_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("no payload") << R"({"type":"pong"})"_ba;
    QTest::newRow("empty payload") << R"({"type":"pong","timestamp":"2025-12-04T10:00:00Z","payload":{}})"_ba;
    QTest::newRow("null payload") << R"({"type":"pong","payload":null})"_ba;
}

void TestAgentProtocol::pongPayloadIsOptional()
{
    QFETCH(QByteArray, json);
    const Decoded<AgentFrame> decoded = decodeAgentFrame(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QVERIFY(std::holds_alternative<Pong>(decoded.value()));
}

void TestAgentProtocol::agentFramesRoundTrip_data()
{
    QTest::addColumn<AgentFrame>("frame");
    QTest::newRow("heartbeat") << AgentFrame(
        Heartbeat{ReportedStatus::Draining, 4, Capacity{10, u"8 cores"_s, u"32Gi"_s, u"500Gi"_s}});
    QTest::newRow("ack") << AgentFrame(Ack{u"cmd-1"_s});
    QTest::newRow("complete") << AgentFrame(Complete{u"cmd-2"_s, QJsonObject{{u"podName"_s, u"p"_s}}});
    QTest::newRow("failed") << AgentFrame(Failed{u"cmd-3"_s, u"boom"_s});
    QTest::newRow("status") << AgentFrame(StatusReport{u"s1"_s, SessionState::Hibernating, true, 5901,
                                                       QJsonObject{{u"podIP"_s, u"10.1.1.1"_s}}});
    QTest::newRow("status minimal") << AgentFrame(StatusReport{u"s1"_s, SessionState::Failed, false, 0, {}});
    QTest::newRow("pong") << AgentFrame(Pong{});
    QTest::newRow("log") << AgentFrame(LogLines{u"s1"_s, QStringList{u"a"_s, QString(), u"ü"_s}});
}

void TestAgentProtocol::agentFramesRoundTrip()
{
    QFETCH(AgentFrame, frame);
    const QByteArray bytes = encodeAgentFrame(frame, kTime);
    QVERIFY(!bytes.contains('\n'));
    const Decoded<AgentFrame> decoded = decodeAgentFrame(bytes);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QCOMPARE(decoded.value().index(), frame.index());
    QCOMPARE(encodeAgentFrame(decoded.value(), kTime), bytes);
}

void TestAgentProtocol::agentFrameEnvelope()
{
    const QByteArray bytes = encodeAgentFrame(Ack{u"cmd-1"_s}, kTime);
    // "type" leads, so that a reader (or a person) sees what a frame is first.
    QCOMPARE(bytes,
             R"({"type":"ack","timestamp":"2025-12-04T10:00:00.100Z","payload":{"commandId":"cmd-1"}})"_ba);
    QCOMPARE(canonical(encodeAgentFrame(Pong{}, kTime)),
             canonical(R"({"payload":{},"timestamp":"2025-12-04T10:00:00.100Z","type":"pong"})"_ba));
}

void TestAgentProtocol::commandMatchesStreamSpace()
{
    // STREAMSPACE-WIRE.md's command, built the way the server builds it.
    const Decoded<QJsonObject> payload = normalizeCommandPayload(
        Action::StartSession, parse(R"({"sessionId":"alice-firefox-1","user":"alice","template":"firefox",
                                        "idleTimeout":"30m","tags":[]})"_ba));
    QVERIFY2(payload.ok(), why(payload).constData());
    const Command command{u"cmd-1a2b3c4d"_s, Action::StartSession, payload.value()};
    const QByteArray expected = R"({"type":"command","timestamp":"2025-12-04T10:00:00.100Z",
 "payload":{"commandId":"cmd-1a2b3c4d","action":"start_session","payload":{
   "sessionId":"alice-firefox-1","user":"alice","template":"firefox","namespace":"streamspace",
   "memory":"2Gi","cpu":"1000m","persistentHome":true,"idleTimeout":"30m","tags":[]}}})"_ba;
    QCOMPARE(canonical(encodeServerFrame(command, kTime)), toJsonBytes(parse(expected)));
}

void TestAgentProtocol::serverFrameShapes_data()
{
    QTest::addColumn<ServerFrame>("frame");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("shutdown") << ServerFrame(Shutdown{u"server going away"_s})
                              << R"({"type":"shutdown","timestamp":"2025-12-04T10:00:00.100Z",
                                     "payload":{"reason":"server going away"}})"_ba;
    QTest::newRow("ping") << ServerFrame(Ping{}) << R"({"type":"ping","timestamp":"2025-12-04T10:00:00.100Z",
                                 "payload":{"timestamp":"2025-12-04T10:00:00.100Z"}})"_ba;
    QTest::newRow("notice") << ServerFrame(Notice{u"maintenance at 22:00"_s})
                            << R"({"type":"notice","timestamp":"2025-12-04T10:00:00.100Z",
                                   "payload":{"message":"maintenance at 22:00"}})"_ba;
    QTest::newRow("error") << ServerFrame(ErrorFrame{Error{ErrorCode::MissingField,
                                                           u"payload.commandId: required string is missing"_s,
                                                           u"payload.commandId"_s,
                                                           {}}})
                           << R"({"type":"error","timestamp":"2025-12-04T10:00:00.100Z",
                                  "payload":{"code":"missing_field",
                                             "message":"payload.commandId: required string is missing"}})"_ba;
    QTest::newRow("stop command") << ServerFrame(Command{u"c9"_s, Action::StopSession,
                                                         QJsonObject{{u"sessionId"_s, u"s"_s},
                                                                     {u"namespace"_s, u"streamspace"_s}}})
                                  << R"({"type":"command","timestamp":"2025-12-04T10:00:00.100Z",
                                         "payload":{"commandId":"c9","action":"stop_session",
                                                    "payload":{"sessionId":"s","namespace":"streamspace"}}})"_ba;
}

void TestAgentProtocol::serverFrameShapes()
{
    QFETCH(ServerFrame, frame);
    QFETCH(QByteArray, expected);
    QCOMPARE(canonical(encodeServerFrame(frame, kTime)), toJsonBytes(parse(expected)));
    if (const auto *error = std::get_if<ErrorFrame>(&frame))
        QCOMPARE(canonical(encodeError(error->error, kTime)), toJsonBytes(parse(expected)));
}

void TestAgentProtocol::serverFramesRoundTrip_data()
{
    QTest::addColumn<ServerFrame>("frame");
    QTest::newRow("command") << ServerFrame(
        Command{u"c1"_s, Action::StartSession,
                normalizeCommandPayload(
                    Action::StartSession,
                    QJsonObject{{u"sessionId"_s, u"s"_s}, {u"user"_s, u"u"_s}, {u"template"_s, u"t"_s}})
                    .value()});
    QTest::newRow("logs command") << ServerFrame(
        Command{u"c2"_s, Action::StreamLogs, QJsonObject{{u"sessionId"_s, u"s"_s}, {u"tailLines"_s, 50}}});
    QTest::newRow("shutdown") << ServerFrame(Shutdown{u"bye"_s});
    QTest::newRow("ping") << ServerFrame(Ping{});
    QTest::newRow("notice") << ServerFrame(Notice{u"hello agents"_s});
    QTest::newRow("error") << ServerFrame(ErrorFrame{Error{ErrorCode::UnknownType, u"nope"_s, {}, {}}});
}

void TestAgentProtocol::serverFramesRoundTrip()
{
    QFETCH(ServerFrame, frame);
    const QByteArray bytes = encodeServerFrame(frame, kTime);
    const Decoded<ServerFrame> decoded = decodeServerFrame(bytes);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QCOMPARE(decoded.value().index(), frame.index());
    QCOMPARE(encodeServerFrame(decoded.value(), kTime), bytes);
}

void TestAgentProtocol::badServerFrames_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::newRow("agent type") << R"({"type":"heartbeat","payload":{}})"_ba << ErrorCode::UnknownType
                                << u"type"_s;
    QTest::newRow("unknown without payload")
        << R"({"type":"dance"})"_ba << ErrorCode::UnknownType << u"type"_s;
    QTest::newRow("command payload missing")
        << R"({"type":"command"})"_ba << ErrorCode::MissingField << u"payload"_s;
    QTest::newRow("command action unknown")
        << R"({"type":"command","payload":{"commandId":"c","action":"explode","payload":{}}})"_ba
        << ErrorCode::InvalidValue << u"payload.action"_s;
    QTest::newRow("command inner payload missing")
        << R"({"type":"command","payload":{"commandId":"c","action":"stop_session"}})"_ba
        << ErrorCode::MissingField << u"payload.payload"_s;
    QTest::newRow("command inner sessionId missing")
        << R"({"type":"command","payload":{"commandId":"c","action":"stop_session","payload":{}}})"_ba
        << ErrorCode::MissingField << u"payload.payload.sessionId"_s;
    QTest::newRow("notice message missing")
        << R"({"type":"notice","payload":{}})"_ba << ErrorCode::MissingField << u"payload.message"_s;
    QTest::newRow("error code missing")
        << R"({"type":"error","payload":{"message":"x"}})"_ba << ErrorCode::MissingField << u"payload.code"_s;
    QTest::newRow("ping bad timestamp") << R"({"type":"ping","payload":{"timestamp":"soon"}})"_ba
                                        << ErrorCode::InvalidValue << u"payload.timestamp"_s;
}

void TestAgentProtocol::badServerFrames()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    const Decoded<ServerFrame> decoded = decodeServerFrame(json);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
}

void TestAgentProtocol::normalizeErrors_data()
{
    QTest::addColumn<Action>("action");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("message");
    const QByteArray start = R"("sessionId":"s","user":"u","template":"t")";
    QTest::newRow("start sessionId missing")
        << Action::StartSession << R"({"user":"u","template":"t"})"_ba << ErrorCode::MissingField
        << u"payload.sessionId"_s << u"payload.sessionId: required string is missing"_s;
    QTest::newRow("start sessionId empty")
        << Action::StartSession << R"({"sessionId":"","user":"u","template":"t"})"_ba
        << ErrorCode::InvalidValue << u"payload.sessionId"_s << u"payload.sessionId: must not be empty"_s;
    QTest::newRow("start user missing")
        << Action::StartSession << R"({"sessionId":"s","template":"t"})"_ba << ErrorCode::MissingField
        << u"payload.user"_s << u"payload.user: required string is missing"_s;
    QTest::newRow("start template missing")
        << Action::StartSession << R"({"sessionId":"s","user":"u"})"_ba << ErrorCode::MissingField
        << u"payload.template"_s << u"payload.template: required string is missing"_s;
    QTest::newRow("start memory number")
        << Action::StartSession << QByteArray("{" + start + R"(,"memory":2})") << ErrorCode::WrongType
        << u"payload.memory"_s << u"payload.memory: expected string, got number"_s;
    QTest::newRow("start cpu too long")
        << Action::StartSession << QByteArray("{" + start + R"(,"cpu":")" + big(65) + "\"}")
        << ErrorCode::InvalidValue << u"payload.cpu"_s << u"payload.cpu: must be at most 64 characters"_s;
    QTest::newRow("start persistentHome string")
        << Action::StartSession << QByteArray("{" + start + R"(,"persistentHome":"yes"})")
        << ErrorCode::WrongType << u"payload.persistentHome"_s
        << u"payload.persistentHome: expected boolean, got string"_s;
    QTest::newRow("start idleTimeout number")
        << Action::StartSession << QByteArray("{" + start + R"(,"idleTimeout":1800})") << ErrorCode::WrongType
        << u"payload.idleTimeout"_s << u"payload.idleTimeout: expected string, got number"_s;
    QTest::newRow("start tags item") << Action::StartSession
                                     << QByteArray("{" + start + R"(,"tags":["a",1]})")
                                     << ErrorCode::WrongType << u"payload.tags[1]"_s
                                     << u"payload.tags[1]: expected string, got number"_s;
    QTest::newRow("stop sessionId missing")
        << Action::StopSession << "{}"_ba << ErrorCode::MissingField << u"payload.sessionId"_s
        << u"payload.sessionId: required string is missing"_s;
    QTest::newRow("hibernate sessionId number")
        << Action::HibernateSession << R"({"sessionId":1})"_ba << ErrorCode::WrongType
        << u"payload.sessionId"_s << u"payload.sessionId: expected string, got number"_s;
    QTest::newRow("wake namespace object")
        << Action::WakeSession << R"({"sessionId":"s","namespace":{}})"_ba << ErrorCode::WrongType
        << u"payload.namespace"_s << u"payload.namespace: expected string, got object"_s;
    QTest::newRow("logs tailLines too big")
        << Action::StreamLogs << R"({"sessionId":"s","tailLines":100001})"_ba << ErrorCode::InvalidValue
        << u"payload.tailLines"_s << u"payload.tailLines: must be between 0 and 100000"_s;
    QTest::newRow("logs tailLines negative")
        << Action::StreamLogs << R"({"sessionId":"s","tailLines":-1})"_ba << ErrorCode::InvalidValue
        << u"payload.tailLines"_s << u"payload.tailLines: must be between 0 and 100000"_s;
    QTest::newRow("logs tailLines string")
        << Action::StreamLogs << R"({"sessionId":"s","tailLines":"10"})"_ba << ErrorCode::WrongType
        << u"payload.tailLines"_s << u"payload.tailLines: expected integer, got string"_s;
    QTest::newRow("stop logs sessionId missing")
        << Action::StopLogs << R"({"tailLines":3})"_ba << ErrorCode::MissingField << u"payload.sessionId"_s
        << u"payload.sessionId: required string is missing"_s;
}

void TestAgentProtocol::normalizeErrors()
{
    QFETCH(Action, action);
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    QFETCH(QString, message);
    const Decoded<QJsonObject> normalized = normalizeCommandPayload(action, parse(json));
    QVERIFY(!normalized.ok());
    QCOMPARE(normalized.error().code, code);
    QCOMPARE(normalized.error().field, field);
    QCOMPARE(normalized.error().message, message);

    const Decoded<QJsonObject> nested = normalizeCommandPayload(action, parse(json), u"payload.payload"_s);
    QVERIFY(!nested.ok());
    QCOMPARE(nested.error().field, u"payload."_s + field);
}

void TestAgentProtocol::normalizeStartSessionDefaults()
{
    const Decoded<QJsonObject> normalized = normalizeCommandPayload(
        Action::StartSession,
        parse(R"({"sessionId":"s","user":"u","template":"t","memory":"","unknown":1,"orgId":"x"})"_ba));
    QVERIFY2(normalized.ok(), why(normalized).constData());
    QCOMPARE(toJsonBytes(normalized.value()),
             toJsonBytes(parse(R"({"sessionId":"s","user":"u","template":"t","namespace":"streamspace",
                                   "memory":"2Gi","cpu":"1000m","persistentHome":true})"_ba)));
}

void TestAgentProtocol::normalizeKeepsGivenValues()
{
    const QJsonObject given = parse(R"({"sessionId":"s","user":"u","template":"t","namespace":"team-a",
        "memory":"8Gi","cpu":"4000m","persistentHome":false,"idleTimeout":"2h","tags":["x","y"]})"_ba);
    const Decoded<QJsonObject> normalized = normalizeCommandPayload(Action::StartSession, given);
    QVERIFY2(normalized.ok(), why(normalized).constData());
    QCOMPARE(toJsonBytes(normalized.value()), toJsonBytes(given));
    // Normalising twice changes nothing.
    QCOMPARE(normalizeCommandPayload(Action::StartSession, normalized.value()).value(), normalized.value());
}

void TestAgentProtocol::normalizeOtherActions_data()
{
    QTest::addColumn<Action>("action");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("stop default namespace")
        << Action::StopSession << R"({"sessionId":"s","user":"dropped"})"_ba
        << R"({"sessionId":"s","namespace":"streamspace"})"_ba;
    QTest::newRow("hibernate keeps namespace")
        << Action::HibernateSession << R"({"sessionId":"s","namespace":"n"})"_ba
        << R"({"sessionId":"s","namespace":"n"})"_ba;
    QTest::newRow("wake") << Action::WakeSession << R"({"sessionId":"s"})"_ba
                          << R"({"sessionId":"s","namespace":"streamspace"})"_ba;
    QTest::newRow("stream logs default tail") << Action::StreamLogs << R"({"sessionId":"s"})"_ba
                                              << R"({"sessionId":"s","tailLines":100})"_ba;
    QTest::newRow("stream logs zero tail") << Action::StreamLogs << R"({"sessionId":"s","tailLines":0})"_ba
                                           << R"({"sessionId":"s","tailLines":0})"_ba;
    QTest::newRow("stop logs") << Action::StopLogs << R"({"sessionId":"s","tailLines":5})"_ba
                               << R"({"sessionId":"s"})"_ba;
}

void TestAgentProtocol::normalizeOtherActions()
{
    QFETCH(Action, action);
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, expected);
    const Decoded<QJsonObject> normalized = normalizeCommandPayload(action, parse(json));
    QVERIFY2(normalized.ok(), why(normalized).constData());
    QCOMPARE(toJsonBytes(normalized.value()), toJsonBytes(parse(expected)));
}

void TestAgentProtocol::invalidTimestampStillEncodes()
{
    const QJsonObject frame = parse(encodeServerFrame(Ping{}, QDateTime()));
    const QString timestamp = frame.value(u"timestamp"_s).toString();
    QVERIFY(parseTimestamp(timestamp).has_value());
    QCOMPARE(frame.value(u"payload"_s).toObject().value(u"timestamp"_s).toString(), timestamp);
    QVERIFY(parseTimestamp(parse(encodeAgentFrame(Pong{}, QDateTime())).value(u"timestamp"_s).toString()));
}

QTEST_GUILESS_MAIN(TestAgentProtocol)
#include "tst_agentprotocol.moc"
