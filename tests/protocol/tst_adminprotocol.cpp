// Admin stream: requests (requestId required, echoed on errors), round trips, snapshot and deltas.
#include "shared/AdminProtocol.h"

#include "ProtocolTestUtil.h"

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;
using namespace switchboard::protocol::admin;
using test::canonical;
using test::parse;
using test::utc;
using test::why;

namespace {

const QDateTime kNow = utc(2025, 12, 4, 10, 0);

AgentInfo anAgent()
{
    AgentInfo agent;
    agent.agentId = u"k8s-1"_s;
    agent.orgId = u"acme"_s;
    agent.status = AgentStatus::Online;
    agent.capacity = Capacity{10, u"8"_s, u"16Gi"_s, {}};
    agent.activeSessions = 2;
    agent.lastHeartbeat = kNow;
    agent.replica = u"r1"_s;
    return agent;
}

CommandInfo aCommand()
{
    CommandInfo command;
    command.commandId = u"cmd-1"_s;
    command.agentId = u"k8s-1"_s;
    command.orgId = u"acme"_s;
    command.sessionId = u"s1"_s;
    command.action = u"stop_session"_s;
    command.payload = QJsonObject{{u"sessionId"_s, u"s1"_s}};
    command.status = CommandStatus::Ack;
    command.createdAt = kNow;
    return command;
}

SessionInfo aSession(const QString &sessionId, const QString &orgId)
{
    SessionInfo session;
    session.sessionId = sessionId;
    session.orgId = orgId;
    session.userId = u"alice"_s;
    session.templateName = u"firefox"_s;
    session.state = SessionState::Running;
    session.agentId = u"k8s-1"_s;
    session.createdAt = kNow;
    return session;
}

} // namespace

class TestAdminProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decodeRequests_data();
    void decodeRequests();
    void requestsRoundTrip_data();
    void requestsRoundTrip();
    void commandSendIsNormalised();
    void sessionStartDefaults();
    void badRequests_data();
    void badRequests();
    void snapshot();
    void snapshotWithEventPositions();
    void snapshotSessions();
    void badSnapshotSessions_data();
    void badSnapshotSessions();
    void resumePositions_data();
    void resumePositions();
    void deltas();
    void metricsRoundTrip_data();
    void metricsRoundTrip();
    void badMetrics_data();
    void badMetrics();
};

void TestAdminProtocol::decodeRequests_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("type");
    QTest::newRow("command.send") << R"({"type":"command.send","requestId":"r1","agentId":"k8s-1",
        "action":"stop_session","payload":{"sessionId":"s1"}})"_ba
                                  << u"command.send"_s;
    QTest::newRow("command.send logs") << R"({"type":"command.send","requestId":"r1","agentId":"k8s-1",
        "action":"stream_logs","payload":{"sessionId":"s1","tailLines":10}})"_ba
                                       << u"command.send"_s;
    QTest::newRow("session.start")
        << R"({"type":"session.start","requestId":"r2","orgId":"acme","userId":"alice",
        "template":"firefox","agentId":"k8s-1","memory":"4Gi","cpu":"2000m"})"_ba
        << u"session.start"_s;
    QTest::newRow("session.stop") << R"({"type":"session.stop","requestId":"r3","sessionId":"s1"})"_ba
                                  << u"session.stop"_s;
    QTest::newRow("session.hibernate")
        << R"({"type":"session.hibernate","requestId":"r3","sessionId":"s1"})"_ba << u"session.hibernate"_s;
    QTest::newRow("session.wake") << R"({"type":"session.wake","requestId":"r3","sessionId":"s1"})"_ba
                                  << u"session.wake"_s;
    QTest::newRow("org.broadcast object") << R"({"type":"org.broadcast","requestId":"r4","orgId":"acme",
        "data":{"banner":"maintenance tonight"}})"_ba
                                          << u"org.broadcast"_s;
    QTest::newRow("org.broadcast string")
        << R"({"type":"org.broadcast","requestId":"r4","orgId":"acme","data":"hi"})"_ba << u"org.broadcast"_s;
    QTest::newRow("org.broadcast false")
        << R"({"type":"org.broadcast","requestId":"r4","orgId":"acme","data":false})"_ba
        << u"org.broadcast"_s;
    QTest::newRow("agents.broadcast")
        << R"({"type":"agents.broadcast","requestId":"r5","message":"upgrade at 22:00",
        "excludeAgentId":"k8s-2","shutdown":true})"_ba
        << u"agents.broadcast"_s;
    QTest::newRow("agents.broadcast minimal")
        << R"({"type":"agents.broadcast","requestId":"r5","message":"hi"})"_ba << u"agents.broadcast"_s;
    QTest::newRow("agent.approve") << R"({"type":"agent.approve","requestId":"r6","agentId":"k8s-3"})"_ba
                                   << u"agent.approve"_s;
    QTest::newRow("agent.reject") << R"({"type":"agent.reject","requestId":"r7","agentId":"k8s-3"})"_ba
                                  << u"agent.reject"_s;
    QTest::newRow("command.cancel")
        << R"({"type":"command.cancel","requestId":"r8","commandId":"cmd-00ff"})"_ba << u"command.cancel"_s;
}

void TestAdminProtocol::decodeRequests()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, type);
    const Decoded<RequestMessage> decoded = decodeRequest(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    const RequestMessage &message = decoded.value();
    QCOMPARE(message.requestId, parse(json).value(u"requestId"_s).toString());
    QCOMPARE(requestTypeName(message.request), type);

    // Every field given is carried into the encoded form (a command payload gains its defaults).
    const QJsonObject input = parse(json);
    const QJsonObject encoded = parse(encodeRequest(message));
    for (auto it = input.constBegin(); it != input.constEnd(); ++it) {
        if (it.key() != "payload"_L1) {
            QCOMPARE(encoded.value(it.key()), it.value());
            continue;
        }
        const QJsonObject given = it.value().toObject();
        const QJsonObject normalized = encoded.value(it.key()).toObject();
        for (auto field = given.constBegin(); field != given.constEnd(); ++field)
            QCOMPARE(normalized.value(field.key()), field.value());
    }

    if (const auto *broadcast = std::get_if<AgentsBroadcast>(&message.request)) {
        QCOMPARE(broadcast->message, input.value(u"message"_s).toString());
        QCOMPARE(broadcast->excludeAgentId, input.value(u"excludeAgentId"_s).toString());
        QCOMPARE(broadcast->shutdown, input.value(u"shutdown"_s).toBool());
    } else if (const auto *decision = std::get_if<AgentDecision>(&message.request)) {
        QCOMPARE(decision->approve, type == "agent.approve"_L1);
        QCOMPARE(decision->agentId, u"k8s-3"_s);
    } else if (const auto *control = std::get_if<SessionControl>(&message.request)) {
        QCOMPARE(control->sessionId, u"s1"_s);
    } else if (const auto *orgBroadcast = std::get_if<OrgBroadcast>(&message.request)) {
        QCOMPARE(orgBroadcast->orgId, u"acme"_s);
        QCOMPARE(orgBroadcast->data, input.value(u"data"_s));
    } else if (const auto *cancel = std::get_if<CommandCancel>(&message.request)) {
        QCOMPARE(cancel->commandId, u"cmd-00ff"_s);
    }
}

void TestAdminProtocol::requestsRoundTrip_data()
{
    QTest::addColumn<RequestMessage>("message");
    const QJsonObject startPayload =
        agent::normalizeCommandPayload(agent::Action::StartSession,
                                       QJsonObject{{u"sessionId"_s, u"s"_s},
                                                   {u"user"_s, u"u"_s},
                                                   {u"template"_s, u"t"_s},
                                                   {u"tags"_s, QJsonArray{u"a"_s}}})
            .value();
    QTest::newRow("command.send") << RequestMessage{
        u"r1"_s, CommandSend{u"k8s-1"_s, agent::Action::StartSession, startPayload}};
    QTest::newRow("session.start full") << RequestMessage{
        u"r2"_s, SessionStart{u"acme"_s, u"alice"_s, u"firefox"_s, u"k8s-1"_s, u"4Gi"_s, u"500m"_s}};
    QTest::newRow("session.start defaults") << RequestMessage{
        u"r2"_s, SessionStart{u"acme"_s, u"alice"_s, u"firefox"_s, {}, u"2Gi"_s, u"1000m"_s}};
    QTest::newRow("session.stop") << RequestMessage{u"r3"_s,
                                                    SessionControl{agent::Action::StopSession, u"s1"_s}};
    QTest::newRow("session.hibernate")
        << RequestMessage{u"r3"_s, SessionControl{agent::Action::HibernateSession, u"s1"_s}};
    QTest::newRow("session.wake") << RequestMessage{u"r3"_s,
                                                    SessionControl{agent::Action::WakeSession, u"s1"_s}};
    QTest::newRow("org.broadcast") << RequestMessage{
        u"r4"_s, OrgBroadcast{u"acme"_s, QJsonArray{1, u"two"_s, QJsonObject{{u"three"_s, 3}}}}};
    QTest::newRow("agents.broadcast") << RequestMessage{u"r5"_s, AgentsBroadcast{u"bye"_s, u"k8s-9"_s, true}};
    QTest::newRow("agents.broadcast notice")
        << RequestMessage{u"r5"_s, AgentsBroadcast{u"note"_s, {}, false}};
    QTest::newRow("agent.approve") << RequestMessage{u"r6"_s, AgentDecision{u"k8s-3"_s, true}};
    QTest::newRow("agent.reject") << RequestMessage{u"r7"_s, AgentDecision{u"k8s-3"_s, false}};
    QTest::newRow("command.cancel") << RequestMessage{u"r8"_s, CommandCancel{u"cmd-1"_s}};
    QTest::newRow("resume") << RequestMessage{
        u"r9"_s, Resume{u"e1"_s, QMap<QString, qint64>{{u"acme"_s, 12}, {u"beta"_s, 0}}}};
    QTest::newRow("token.revoke") << RequestMessage{
        u"r10"_s, TokenRevoke{u"0123abcd"_s, QDateTime(QDate(2026, 12, 1), QTime(8, 30), Qt::UTC)}};
    QTest::newRow("token.revoke without expiry") << RequestMessage{u"r11"_s, TokenRevoke{u"0123abcd"_s, {}}};
    QTest::newRow("token.revocations") << RequestMessage{u"r12"_s, TokenRevocationList{}};
    QTest::newRow("agent.rotate_key") << RequestMessage{u"r13"_s, AgentRotateKey{u"k8s-1"_s, 3600}};
    QTest::newRow("agent.rotate_key no grace") << RequestMessage{u"r14"_s, AgentRotateKey{u"k8s-1"_s, 0}};
}

void TestAdminProtocol::requestsRoundTrip()
{
    QFETCH(RequestMessage, message);
    const QByteArray bytes = encodeRequest(message);
    const Decoded<RequestMessage> decoded = decodeRequest(bytes);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QCOMPARE(decoded.value().requestId, message.requestId);
    QCOMPARE(decoded.value().request.index(), message.request.index());
    QCOMPARE(requestTypeName(decoded.value().request), requestTypeName(message.request));
    QCOMPARE(encodeRequest(decoded.value()), bytes);

    std::visit(
        [&](const auto &original) {
            using T = std::decay_t<decltype(original)>;
            const T &back = std::get<T>(decoded.value().request);
            if constexpr (std::is_same_v<T, CommandSend>) {
                QCOMPARE(back.agentId, original.agentId);
                QCOMPARE(back.action, original.action);
                QCOMPARE(back.payload, original.payload);
            } else if constexpr (std::is_same_v<T, SessionStart>) {
                QCOMPARE(back.orgId, original.orgId);
                QCOMPARE(back.userId, original.userId);
                QCOMPARE(back.templateName, original.templateName);
                QCOMPARE(back.agentId, original.agentId);
                QCOMPARE(back.memory, original.memory);
                QCOMPARE(back.cpu, original.cpu);
            } else if constexpr (std::is_same_v<T, SessionControl>) {
                QCOMPARE(back.action, original.action);
                QCOMPARE(back.sessionId, original.sessionId);
            } else if constexpr (std::is_same_v<T, OrgBroadcast>) {
                QCOMPARE(back.orgId, original.orgId);
                QCOMPARE(back.data, original.data);
            } else if constexpr (std::is_same_v<T, AgentsBroadcast>) {
                QCOMPARE(back.message, original.message);
                QCOMPARE(back.excludeAgentId, original.excludeAgentId);
                QCOMPARE(back.shutdown, original.shutdown);
            } else if constexpr (std::is_same_v<T, AgentDecision>) {
                QCOMPARE(back.agentId, original.agentId);
                QCOMPARE(back.approve, original.approve);
            } else if constexpr (std::is_same_v<T, CommandCancel>) {
                QCOMPARE(back.commandId, original.commandId);
            } else if constexpr (std::is_same_v<T, TokenRevoke>) {
                QCOMPARE(back.jti, original.jti);
                QCOMPARE(back.expiresAt, original.expiresAt);
            } else if constexpr (std::is_same_v<T, AgentRotateKey>) {
                QCOMPARE(back.agentId, original.agentId);
                QCOMPARE(back.graceSeconds, original.graceSeconds);
            }
        },
        message.request);
}

void TestAdminProtocol::commandSendIsNormalised()
{
    const Decoded<RequestMessage> decoded =
        decodeRequest(R"({"type":"command.send","requestId":"r1","agentId":"a",
        "action":"start_session","payload":{"sessionId":"s","user":"u","template":"t","junk":1}})"_ba);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    const auto &command = std::get<CommandSend>(decoded.value().request);
    QCOMPARE(command.action, agent::Action::StartSession);
    QCOMPARE(toJsonBytes(command.payload),
             toJsonBytes(parse(R"({"sessionId":"s","user":"u","template":"t","namespace":"streamspace",
                                   "memory":"2Gi","cpu":"1000m","persistentHome":true})"_ba)));
}

void TestAdminProtocol::sessionStartDefaults()
{
    const Decoded<RequestMessage> decoded = decodeRequest(
        R"({"type":"session.start","requestId":"r","orgId":"o","userId":"u","template":"t","memory":""})"_ba);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    const auto &start = std::get<SessionStart>(decoded.value().request);
    QCOMPARE(start.memory, u"2Gi"_s);
    QCOMPARE(start.cpu, u"1000m"_s);
    QVERIFY(start.agentId.isEmpty());
}

void TestAdminProtocol::badRequests_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("requestId");

    QTest::newRow("invalid json") << "{"_ba << ErrorCode::InvalidJson << QString() << QString();
    QTest::newRow("type missing") << R"({"requestId":"r1"})"_ba << ErrorCode::MissingField << u"type"_s
                                  << u"r1"_s;
    QTest::newRow("type unknown") << R"({"type":"db.drop","requestId":"r2"})"_ba << ErrorCode::UnknownType
                                  << u"type"_s << u"r2"_s;
    QTest::newRow("resume without since") << R"({"type":"resume","requestId":"r","epoch":"e"})"_ba
                                          << ErrorCode::MissingField << u"since"_s << u"r"_s;
    QTest::newRow("resume since array") << R"({"type":"resume","requestId":"r","epoch":"e","since":[1]})"_ba
                                        << ErrorCode::WrongType << u"since"_s << u"r"_s;
    QTest::newRow("resume negative seq")
        << R"({"type":"resume","requestId":"r","epoch":"e","since":{"acme":-1}})"_ba
        << ErrorCode::InvalidValue << u"since.acme"_s << u"r"_s;
    QTest::newRow("resume seq text")
        << R"({"type":"resume","requestId":"r","epoch":"e","since":{"acme":"1"}})"_ba << ErrorCode::WrongType
        << u"since.acme"_s << u"r"_s;
    QTest::newRow("resume without epoch") << R"({"type":"resume","requestId":"r","since":{}})"_ba
                                          << ErrorCode::MissingField << u"epoch"_s << u"r"_s;
    QTest::newRow("revoke without jti")
        << R"({"type":"token.revoke","requestId":"r"})"_ba << ErrorCode::MissingField << u"jti"_s << u"r"_s;
    QTest::newRow("revoke bad expiry")
        << R"({"type":"token.revoke","requestId":"r","jti":"j","expiresAt":"soon"})"_ba
        << ErrorCode::InvalidValue << u"expiresAt"_s << u"r"_s;
    QTest::newRow("rotate grace too long")
        << R"({"type":"agent.rotate_key","requestId":"r","agentId":"a","graceSeconds":2592001})"_ba
        << ErrorCode::InvalidValue << u"graceSeconds"_s << u"r"_s;
    QTest::newRow("browser type") << R"({"type":"subscribe","requestId":"r2","userId":"a"})"_ba
                                  << ErrorCode::UnknownType << u"type"_s << u"r2"_s;
    QTest::newRow("requestId missing") << R"({"type":"agent.approve","agentId":"a"})"_ba
                                       << ErrorCode::MissingField << u"requestId"_s << QString();
    QTest::newRow("requestId empty") << R"({"type":"agent.approve","requestId":"","agentId":"a"})"_ba
                                     << ErrorCode::InvalidValue << u"requestId"_s << QString();
    QTest::newRow("requestId number") << R"({"type":"agent.approve","requestId":12,"agentId":"a"})"_ba
                                      << ErrorCode::WrongType << u"requestId"_s << QString();
    QTest::newRow("requestId too long")
        << QByteArray(R"({"type":"agent.approve","agentId":"a","requestId":")" + QByteArray(129, 'r') + "\"}")
        << ErrorCode::InvalidValue << u"requestId"_s << QString();
    // command.send
    QTest::newRow("command agentId missing")
        << R"({"type":"command.send","requestId":"r","action":"stop_session","payload":{"sessionId":"s"}})"_ba
        << ErrorCode::MissingField << u"agentId"_s << u"r"_s;
    QTest::newRow("command action missing")
        << R"({"type":"command.send","requestId":"r","agentId":"a","payload":{"sessionId":"s"}})"_ba
        << ErrorCode::MissingField << u"action"_s << u"r"_s;
    QTest::newRow("command action unknown")
        << R"({"type":"command.send","requestId":"r","agentId":"a","action":"format_disk","payload":{}})"_ba
        << ErrorCode::InvalidValue << u"action"_s << u"r"_s;
    QTest::newRow("command payload string")
        << R"({"type":"command.send","requestId":"r","agentId":"a","action":"stop_session","payload":"s"})"_ba
        << ErrorCode::WrongType << u"payload"_s << u"r"_s;
    QTest::newRow("command payload missing")
        << R"({"type":"command.send","requestId":"r","agentId":"a","action":"stop_session"})"_ba
        << ErrorCode::MissingField << u"payload.sessionId"_s << u"r"_s;
    QTest::newRow("command start template missing")
        << R"({"type":"command.send","requestId":"r","agentId":"a","action":"start_session",
               "payload":{"sessionId":"s","user":"u"}})"_ba
        << ErrorCode::MissingField << u"payload.template"_s << u"r"_s;
    // session.start
    QTest::newRow("start orgId missing")
        << R"({"type":"session.start","requestId":"r","userId":"u","template":"t"})"_ba
        << ErrorCode::MissingField << u"orgId"_s << u"r"_s;
    QTest::newRow("start userId number")
        << R"({"type":"session.start","requestId":"r","orgId":"o","userId":1,"template":"t"})"_ba
        << ErrorCode::WrongType << u"userId"_s << u"r"_s;
    QTest::newRow("start template missing")
        << R"({"type":"session.start","requestId":"r","orgId":"o","userId":"u"})"_ba
        << ErrorCode::MissingField << u"template"_s << u"r"_s;
    QTest::newRow("start agentId number")
        << R"({"type":"session.start","requestId":"r","orgId":"o","userId":"u","template":"t","agentId":5})"_ba
        << ErrorCode::WrongType << u"agentId"_s << u"r"_s;
    QTest::newRow("start memory too long")
        << QByteArray(
               R"({"type":"session.start","requestId":"r","orgId":"o","userId":"u","template":"t","memory":")" +
               QByteArray(65, 'm') + "\"}")
        << ErrorCode::InvalidValue << u"memory"_s << u"r"_s;
    // session control
    QTest::newRow("stop sessionId missing") << R"({"type":"session.stop","requestId":"r"})"_ba
                                            << ErrorCode::MissingField << u"sessionId"_s << u"r"_s;
    QTest::newRow("wake sessionId empty") << R"({"type":"session.wake","requestId":"r","sessionId":""})"_ba
                                          << ErrorCode::InvalidValue << u"sessionId"_s << u"r"_s;
    QTest::newRow("hibernate sessionId array")
        << R"({"type":"session.hibernate","requestId":"r","sessionId":[]})"_ba << ErrorCode::WrongType
        << u"sessionId"_s << u"r"_s;
    // org.broadcast
    QTest::newRow("org broadcast orgId missing") << R"({"type":"org.broadcast","requestId":"r","data":{}})"_ba
                                                 << ErrorCode::MissingField << u"orgId"_s << u"r"_s;
    QTest::newRow("org broadcast data missing")
        << R"({"type":"org.broadcast","requestId":"r","orgId":"o"})"_ba << ErrorCode::MissingField
        << u"data"_s << u"r"_s;
    QTest::newRow("org broadcast data null")
        << R"({"type":"org.broadcast","requestId":"r","orgId":"o","data":null})"_ba << ErrorCode::MissingField
        << u"data"_s << u"r"_s;
    QTest::newRow("org broadcast data too big")
        << QByteArray(R"({"type":"org.broadcast","requestId":"r","orgId":"o","data":")" +
                      QByteArray(16 * 1024, 'd') + "\"}")
        << ErrorCode::InvalidValue << u"data"_s << u"r"_s;
    // agents.broadcast
    QTest::newRow("agents broadcast message missing") << R"({"type":"agents.broadcast","requestId":"r"})"_ba
                                                      << ErrorCode::MissingField << u"message"_s << u"r"_s;
    QTest::newRow("agents broadcast message empty")
        << R"({"type":"agents.broadcast","requestId":"r","message":""})"_ba << ErrorCode::InvalidValue
        << u"message"_s << u"r"_s;
    QTest::newRow("agents broadcast message too long")
        << QByteArray(R"({"type":"agents.broadcast","requestId":"r","message":")" + QByteArray(4097, 'm') +
                      "\"}")
        << ErrorCode::InvalidValue << u"message"_s << u"r"_s;
    QTest::newRow("agents broadcast shutdown string")
        << R"({"type":"agents.broadcast","requestId":"r","message":"m","shutdown":"yes"})"_ba
        << ErrorCode::WrongType << u"shutdown"_s << u"r"_s;
    QTest::newRow("agents broadcast exclude number")
        << R"({"type":"agents.broadcast","requestId":"r","message":"m","excludeAgentId":1})"_ba
        << ErrorCode::WrongType << u"excludeAgentId"_s << u"r"_s;
    // agent decisions
    QTest::newRow("approve agentId missing") << R"({"type":"agent.approve","requestId":"r"})"_ba
                                             << ErrorCode::MissingField << u"agentId"_s << u"r"_s;
    QTest::newRow("cancel without commandId") << R"({"type":"command.cancel","requestId":"r"})"_ba
                                              << ErrorCode::MissingField << u"commandId"_s << u"r"_s;
    QTest::newRow("reject agentId empty") << R"({"type":"agent.reject","requestId":"r","agentId":""})"_ba
                                          << ErrorCode::InvalidValue << u"agentId"_s << u"r"_s;
}

void TestAdminProtocol::badRequests()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    QFETCH(QString, requestId);
    const Decoded<RequestMessage> decoded = decodeRequest(json);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
    QCOMPARE(decoded.error().requestId, requestId);
    if (!field.isEmpty())
        QVERIFY2(decoded.error().message.startsWith(field), why(decoded).constData());
}

void TestAdminProtocol::snapshot()
{
    const OrgInfo org{u"acme"_s, u"Acme"_s, 3};
    const QByteArray bytes = encodeSnapshot({anAgent()}, {org}, {aCommand()}, kNow);
    const QJsonObject json = parse(bytes);
    QCOMPARE(json.keys(),
             (QStringList{u"agents"_s, u"commands"_s, u"orgs"_s, u"sessions"_s, u"timestamp"_s, u"type"_s}));
    QCOMPARE(json.value(u"type"_s).toString(), u"snapshot"_s);
    QCOMPARE(json.value(u"timestamp"_s).toString(), u"2025-12-04T10:00:00.000Z"_s);
    QCOMPARE(json.value(u"agents"_s).toArray(), QJsonArray{anAgent().toJson()});
    QCOMPARE(json.value(u"orgs"_s).toArray(), QJsonArray{org.toJson()});
    QCOMPARE(json.value(u"commands"_s).toArray(), QJsonArray{aCommand().toJson()});
    // A console reads it back with the records' decoders.
    const Decoded<AgentInfo> agent = AgentInfo::fromJson(json.value(u"agents"_s).toArray().at(0).toObject());
    QVERIFY2(agent.ok(), why(agent).constData());
    QCOMPARE(agent.value().replica, u"r1"_s);
    const Decoded<CommandInfo> command =
        CommandInfo::fromJson(json.value(u"commands"_s).toArray().at(0).toObject());
    QVERIFY2(command.ok(), why(command).constData());
    QCOMPARE(command.value().status, CommandStatus::Ack);

    QCOMPARE(
        encodeSnapshot({}, {}, {}, kNow),
        R"({"type":"snapshot","timestamp":"2025-12-04T10:00:00.000Z","agents":[],"orgs":[],"commands":[],)"
        R"("sessions":[]})"_ba);
}

void TestAdminProtocol::snapshotSessions()
{
    SnapshotSessions sessions;
    sessions.sessions = {aSession(u"s1"_s, u"acme"_s), aSession(u"s2"_s, u"beta"_s)};
    const QJsonObject json = parse(encodeSnapshot({}, {}, {}, kNow, {}, false, sessions));
    QCOMPARE(json.value(u"sessions"_s).toArray(),
             (QJsonArray{sessions.sessions.at(0).toJson(), sessions.sessions.at(1).toJson()}));
    QVERIFY(!json.contains(u"sessionsTruncated"_s));
    const Decoded<SnapshotSessions> decoded = decodeSnapshotSessions(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QCOMPARE(decoded.value().sessions.size(), 2);
    QCOMPARE(decoded.value().sessions.at(1).sessionId, u"s2"_s);
    QCOMPARE(decoded.value().sessions.at(1).orgId, u"beta"_s);
    QCOMPARE(decoded.value().sessions.at(1).state, SessionState::Running);
    QVERIFY(!decoded.value().truncated);

    sessions.truncated = true;
    const QJsonObject truncated = parse(encodeSnapshot({}, {}, {}, kNow, {}, false, sessions));
    QCOMPARE(truncated.value(u"sessionsTruncated"_s), QJsonValue(true));
    QVERIFY(decodeSnapshotSessions(truncated).value().truncated);
    // An older server's snapshot has no list: none, not an error.
    const Decoded<SnapshotSessions> none = decodeSnapshotSessions(QJsonObject{{u"type"_s, u"snapshot"_s}});
    QVERIFY2(none.ok(), why(none).constData());
    QVERIFY(none.value().sessions.isEmpty());
}

void TestAdminProtocol::badSnapshotSessions_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("message");
    QTest::newRow("not an array") << R"({"sessions":{"s1":{}}})"_ba << ErrorCode::WrongType << u"sessions"_s
                                  << u"sessions: expected array, got object"_s;
    QTest::newRow("item not an object") << R"({"sessions":[7]})"_ba << ErrorCode::WrongType
                                        << u"sessions[0]"_s << u"sessions[0]: expected object, got number"_s;
    QTest::newRow("item without id") << R"({"sessions":[{"orgId":"acme","userId":"u","state":"running"}]})"_ba
                                     << ErrorCode::MissingField << u"sessions[0].sessionId"_s
                                     << u"sessions[0].sessionId: required string is missing"_s;
    QTest::newRow("second item with an unknown state")
        << R"({"sessions":[{"sessionId":"s1","orgId":"acme","userId":"u","state":"running"},)"
           R"({"sessionId":"s2","orgId":"acme","userId":"u","state":"exploded"}]})"_ba
        << ErrorCode::InvalidValue << u"sessions[1].state"_s
        << u"sessions[1].state: unknown session state \"exploded\""_s;
    QTest::newRow("item without org")
        << R"({"sessions":[{"sessionId":"s1","userId":"u","state":"running"}]})"_ba << ErrorCode::MissingField
        << u"sessions[0].orgId"_s << u"sessions[0].orgId: required string is missing"_s;
    QTest::newRow("id too long") << R"({"sessions":[{"sessionId":")"_ba + QByteArray(257, 'x') +
                                        R"(","orgId":"acme","userId":"u","state":"running"}]})"_ba
                                 << ErrorCode::InvalidValue << u"sessions[0].sessionId"_s
                                 << u"sessions[0].sessionId: must be at most 256 characters"_s;
    QTest::newRow("truncated not a boolean")
        << R"({"sessions":[],"sessionsTruncated":1})"_ba << ErrorCode::WrongType << u"sessionsTruncated"_s
        << u"sessionsTruncated: expected boolean, got number"_s;
    QByteArray tooMany = R"({"sessions":[)"_ba;
    for (qsizetype i = 0; i <= kMaxSnapshotSessions; ++i)
        tooMany += (i ? ","_ba : QByteArray()) + R"({"sessionId":"s","orgId":"o","userId":"u"})"_ba;
    tooMany += "]}"_ba;
    QTest::newRow("too many") << tooMany << ErrorCode::InvalidValue << u"sessions"_s
                              << u"sessions: must have at most 10000 items"_s;
}

void TestAdminProtocol::badSnapshotSessions()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    QFETCH(QString, message);
    const Decoded<SnapshotSessions> decoded = decodeSnapshotSessions(parse(json));
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
    QCOMPARE(decoded.error().message, message);
}

void TestAdminProtocol::deltas()
{
    QCOMPARE(canonical(encodeAgentUpdated(anAgent())),
             toJsonBytes(QJsonObject{{u"type"_s, u"agent.updated"_s}, {u"agent"_s, anAgent().toJson()}}));
    QCOMPARE(canonical(encodeAgentRemoved(u"k8s-1"_s)),
             canonical(R"({"agentId":"k8s-1","type":"agent.removed"})"_ba));
    QCOMPARE(canonical(encodeOrgUpdated(OrgInfo{u"acme"_s, u"Acme"_s, 1})),
             canonical(R"({"org":{"clients":1,"name":"Acme","orgId":"acme"},"type":"org.updated"})"_ba));
    QCOMPARE(
        canonical(encodeCommandUpdated(aCommand())),
        toJsonBytes(QJsonObject{{u"type"_s, u"command.updated"_s}, {u"command"_s, aCommand().toJson()}}));
}

void TestAdminProtocol::metricsRoundTrip_data()
{
    QTest::addColumn<Metrics>("metrics");
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("idle") << Metrics{kNow, u"r1"_s, 0, 0, 0, 0, {}, {}, false}
                          << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00.000Z","replica":"r1",)"
                             R"("agentsConnected":0,"browserClients":0,"messagesIn":0,"messagesOut":0})"_ba;
    QTest::newRow("busy") << Metrics{kNow, u"eu-1"_s, 12, 340, 123456789012, 987654321098, {}, {}, false}
                          << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00.000Z","replica":"eu-1",)"
                             R"("agentsConnected":12,"browserClients":340,"messagesIn":123456789012,)"
                             R"("messagesOut":987654321098})"_ba;
    QTest::newRow("largest exact counter")
        << Metrics{kNow, u"r1"_s, 1, 1, kMaxMetricsCounter, kMaxMetricsCounter, {}, {}, false}
        << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00.000Z","replica":"r1",)"
           R"("agentsConnected":1,"browserClients":1,"messagesIn":9007199254740992,)"
           R"("messagesOut":9007199254740992})"_ba;
    // The cluster view: this replica's counts stay at the top level, the totals and the
    // per-replica breakdown come after them.
    Metrics cluster{kNow, u"a"_s, 1, 2, 10, 20, LoadCounts{3, 5, 40, 60}, {}, true};
    cluster.replicas = {ReplicaLoad{u"a"_s, {1, 2, 10, 20}, {{u"admin"_s, 1}, {u"sessions"_s, 2}}},
                        ReplicaLoad{u"b"_s, {2, 3, 30, 40}, {}}};
    QTest::newRow("cluster")
        << cluster
        << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00.000Z","replica":"a",)"
           R"("agentsConnected":1,"browserClients":2,"messagesIn":10,"messagesOut":20,)"
           R"("cluster":{"agentsConnected":3,"browserClients":5,"messagesIn":40,"messagesOut":60,"replicas":2},)"
           R"("replicas":[{"replica":"a","agentsConnected":1,"browserClients":2,"messagesIn":10,"messagesOut":20,)"
           R"("clients":{"admin":1,"sessions":2}},)"
           R"({"replica":"b","agentsConnected":2,"browserClients":3,"messagesIn":30,"messagesOut":40,"clients":{}}],)"
           R"("partial":true})"_ba;
}

void TestAdminProtocol::metricsRoundTrip()
{
    QFETCH(Metrics, metrics);
    QFETCH(QByteArray, json);
    QCOMPARE(encodeMetrics(metrics), json);
    const Decoded<Metrics> decoded = decodeMetrics(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    QCOMPARE(decoded.value().timestamp, metrics.timestamp);
    QCOMPARE(decoded.value().replica, metrics.replica);
    QCOMPARE(decoded.value().agentsConnected, metrics.agentsConnected);
    QCOMPARE(decoded.value().browserClients, metrics.browserClients);
    QCOMPARE(decoded.value().messagesIn, metrics.messagesIn);
    QCOMPARE(decoded.value().messagesOut, metrics.messagesOut);
    QCOMPARE(decoded.value().partial, metrics.partial);
    QCOMPARE(decoded.value().cluster.has_value(), metrics.cluster.has_value());
    if (metrics.cluster) {
        QCOMPARE(decoded.value().cluster->agentsConnected, metrics.cluster->agentsConnected);
        QCOMPARE(decoded.value().cluster->browserClients, metrics.cluster->browserClients);
        QCOMPARE(decoded.value().cluster->messagesIn, metrics.cluster->messagesIn);
        QCOMPARE(decoded.value().cluster->messagesOut, metrics.cluster->messagesOut);
    }
    QCOMPARE(decoded.value().replicas.size(), metrics.replicas.size());
    for (qsizetype i = 0; i < metrics.replicas.size(); ++i) {
        QCOMPARE(decoded.value().replicas.at(i).replica, metrics.replicas.at(i).replica);
        QCOMPARE(decoded.value().replicas.at(i).counts.agentsConnected,
                 metrics.replicas.at(i).counts.agentsConnected);
        QCOMPARE(decoded.value().replicas.at(i).counts.messagesOut,
                 metrics.replicas.at(i).counts.messagesOut);
        QCOMPARE(decoded.value().replicas.at(i).clients, metrics.replicas.at(i).clients);
    }
}

void TestAdminProtocol::badMetrics_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    const QByteArray rest = R"(,"agentsConnected":1,"browserClients":2,"messagesIn":3,"messagesOut":4})"_ba;
    QTest::newRow("invalid json") << "{"_ba << ErrorCode::InvalidJson << QString();
    QTest::newRow("other type") << R"({"type":"snapshot"})"_ba << ErrorCode::UnknownType << u"type"_s;
    QTest::newRow("no timestamp") << R"({"type":"metrics")"_ba + rest << ErrorCode::MissingField
                                  << u"timestamp"_s;
    QTest::newRow("counter missing")
        << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00Z","agentsConnected":1,"browserClients":2,)"
           R"("messagesIn":3})"_ba
        << ErrorCode::MissingField << u"messagesOut"_s;
    QTest::newRow("negative counter")
        << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00Z","agentsConnected":1,"browserClients":2,)"
           R"("messagesIn":-3,"messagesOut":4})"_ba
        << ErrorCode::InvalidValue << u"messagesIn"_s;
    QTest::newRow("cluster total missing") << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00Z")"_ba +
                                                  R"(,"cluster":{"agentsConnected":1})"_ba + rest
                                           << ErrorCode::MissingField << u"cluster.browserClients"_s;
    QTest::newRow("replica not an object")
        << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00Z","replicas":[1])"_ba + rest
        << ErrorCode::InvalidValue << u"replicas[0]"_s;
    QTest::newRow("negative client count")
        << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00Z","replicas":[{"replica":"a",)"
           R"("agentsConnected":1,"browserClients":2,"messagesIn":3,"messagesOut":4,"clients":{"logs":-1}}])"_ba +
               rest
        << ErrorCode::InvalidValue << u"replicas[0].clients"_s;
    QTest::newRow("counter as text")
        << R"({"type":"metrics","timestamp":"2025-12-04T10:00:00Z","agentsConnected":"1","browserClients":2,)"
           R"("messagesIn":3,"messagesOut":4})"_ba
        << ErrorCode::WrongType << u"agentsConnected"_s;
}

void TestAdminProtocol::badMetrics()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    const Decoded<Metrics> decoded = decodeMetrics(json);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
}

void TestAdminProtocol::snapshotWithEventPositions()
{
    EventPosition events;
    events.epoch = u"e1"_s;
    events.seqs = {{u"acme"_s, 42}, {u"we\"ird"_s, 0}};
    const QJsonObject json = parse(encodeSnapshot({}, {}, {}, kNow, events));
    QCOMPARE(json.value(u"epoch"_s).toString(), u"e1"_s);
    QCOMPARE(json.value(u"seqs"_s).toObject(), (QJsonObject{{u"acme"_s, 42}, {u"we\"ird"_s, 0}}));
    // No position known: the fields are left out.
    QVERIFY(!parse(encodeSnapshot({}, {}, {}, kNow)).contains(u"epoch"_s));
}

void TestAdminProtocol::resumePositions_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("normalised");
    QTest::newRow("empty") << QString() << true << QString();
    QTest::newRow("one") << u"acme:12"_s << true << u"acme:12"_s;
    QTest::newRow("two, sorted back") << u"beta:0,acme:5"_s << true << u"acme:5,beta:0"_s;
    QTest::newRow("org with colon") << u"a:b:7"_s << true << u"a:b:7"_s;
    QTest::newRow("no seq") << u"acme"_s << false << QString();
    QTest::newRow("no org") << u":5"_s << false << QString();
    QTest::newRow("negative") << u"acme:-5"_s << false << QString();
    QTest::newRow("not a number") << u"acme:x"_s << false << QString();
    QTest::newRow("trailing comma") << u"acme:1,"_s << false << QString();
}

void TestAdminProtocol::resumePositions()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(QString, normalised);
    const Decoded<QMap<QString, qint64>> parsed = parseResumePositions(text);
    QCOMPARE(parsed.ok(), valid);
    if (!valid) {
        QCOMPARE(parsed.error().field, u"since"_s);
        return;
    }
    QCOMPARE(formatResumePositions(parsed.value()), normalised);
}

QTEST_GUILESS_MAIN(TestAdminProtocol)
#include "tst_adminprotocol.moc"
