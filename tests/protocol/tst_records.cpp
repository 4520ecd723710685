// Records: enum wire names, JSON round trips, error paths, and StreamSpace's sessions_update item.
#include "shared/Records.h"

#include "ProtocolTestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace {

using test::parse;
using test::utc;
using test::why;

AgentInfo fullAgent()
{
    AgentInfo agent;
    agent.agentId = u"k8s-prod-1"_s;
    agent.orgId = u"acme"_s;
    agent.platform = Platform::Docker;
    agent.region = u"us-east-1"_s;
    agent.status = AgentStatus::Draining;
    agent.approvalStatus = ApprovalStatus::Pending;
    agent.capacity = Capacity{100, u"64 cores"_s, u"256Gi"_s, u"1Ti"_s};
    agent.activeSessions = 12;
    agent.lastHeartbeat = utc(2025, 12, 4, 10, 0, 30, 250);
    agent.replica = u"replica-a"_s;
    agent.metadata = QJsonObject{{u"namespace"_s, u"streamspace"_s}, {u"kubernetes"_s, true}};
    agent.createdAt = utc(2025, 1, 1, 0, 0);
    return agent;
}

CommandInfo fullCommand()
{
    CommandInfo command;
    command.commandId = u"cmd-1a2b3c4d"_s;
    command.agentId = u"k8s-1"_s;
    command.orgId = u"acme"_s;
    command.sessionId = u"alice-firefox-1"_s;
    command.action = u"start_session"_s;
    command.payload = QJsonObject{{u"sessionId"_s, u"alice-firefox-1"_s}, {u"user"_s, u"alice"_s}};
    command.status = CommandStatus::Failed;
    command.error = u"image pull failed"_s;
    command.result = QJsonObject{{u"podName"_s, u"p1"_s}};
    command.attempts = 2;
    command.createdAt = utc(2025, 12, 4, 10, 0, 0, 1);
    command.sentAt = utc(2025, 12, 4, 10, 0, 0, 2);
    command.acknowledgedAt = utc(2025, 12, 4, 10, 0, 0, 3);
    command.completedAt = utc(2025, 12, 4, 10, 0, 5);
    command.updatedAt = utc(2025, 12, 4, 10, 0, 5);
    return command;
}

SessionInfo streamSpaceSession()
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
    session.lastActivity = utc(2025, 12, 4, 9, 58);
    session.tags = QStringList{u"dev"_s, u"web"_s};
    session.activeConnections = 0;
    session.createdAt = utc(2025, 12, 4, 9, 0);
    session.updatedAt = utc(2025, 12, 4, 9, 30);
    return session;
}

const QDateTime kNow = utc(2025, 12, 4, 10, 0);

} // namespace

class TestRecords : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void enumNames();
    void unknownEnumNames();
    void commandStatusRanks_data();
    void commandStatusRanks();
    void capacityRoundTrip();
    void capacityErrorsNameNestedField_data();
    void capacityErrorsNameNestedField();
    void agentRoundTrip();
    void agentWithoutTimestampsOmitsThem();
    void agentErrors_data();
    void agentErrors();
    void commandRoundTrip();
    void commandErrors_data();
    void commandErrors();
    void sessionRoundTrip();
    void sessionErrors_data();
    void sessionErrors();
    void sessionsUpdateItemMatchesStreamSpace();
    void sessionsUpdateItemOptionalParts_data();
    void sessionsUpdateItemOptionalParts();
    void sessionsUpdatePhase_data();
    void sessionsUpdatePhase();
    void orgRoundTrip();
};

void TestRecords::enumNames()
{
    const QList<std::pair<Platform, QString>> platforms{{Platform::Kubernetes, u"kubernetes"_s},
                                                        {Platform::Docker, u"docker"_s},
                                                        {Platform::Vm, u"vm"_s},
                                                        {Platform::Cloud, u"cloud"_s}};
    for (const auto &[value, name] : platforms) {
        QCOMPARE(platformName(value), name);
        QCOMPARE(platformFromName(name), std::optional<Platform>(value));
    }
    const QList<std::pair<AgentStatus, QString>> statuses{{AgentStatus::Online, u"online"_s},
                                                          {AgentStatus::Draining, u"draining"_s},
                                                          {AgentStatus::Stale, u"stale"_s},
                                                          {AgentStatus::Offline, u"offline"_s}};
    for (const auto &[value, name] : statuses) {
        QCOMPARE(agentStatusName(value), name);
        QCOMPARE(agentStatusFromName(name), std::optional<AgentStatus>(value));
    }
    const QList<std::pair<ApprovalStatus, QString>> approvals{{ApprovalStatus::Approved, u"approved"_s},
                                                              {ApprovalStatus::Pending, u"pending"_s},
                                                              {ApprovalStatus::Rejected, u"rejected"_s}};
    for (const auto &[value, name] : approvals) {
        QCOMPARE(approvalStatusName(value), name);
        QCOMPARE(approvalStatusFromName(name), std::optional<ApprovalStatus>(value));
    }
    const QList<std::pair<CommandStatus, QString>> commands{
        {CommandStatus::Pending, u"pending"_s}, {CommandStatus::Sent, u"sent"_s},
        {CommandStatus::Ack, u"ack"_s},         {CommandStatus::Completed, u"completed"_s},
        {CommandStatus::Failed, u"failed"_s},   {CommandStatus::Cancelled, u"cancelled"_s}};
    for (const auto &[value, name] : commands) {
        QCOMPARE(commandStatusName(value), name);
        QCOMPARE(commandStatusFromName(name), std::optional<CommandStatus>(value));
    }
}

void TestRecords::unknownEnumNames()
{
    QVERIFY(!platformFromName(u"Kubernetes").has_value());
    QVERIFY(!platformFromName(u"").has_value());
    QVERIFY(!agentStatusFromName(u"connected").has_value());
    QVERIFY(!approvalStatusFromName(u"approve").has_value());
    QVERIFY(!commandStatusFromName(u"acknowledged").has_value());
}

void TestRecords::commandStatusRanks_data()
{
    QTest::addColumn<CommandStatus>("status");
    QTest::addColumn<int>("rank");
    QTest::addColumn<bool>("final");
    QTest::newRow("pending") << CommandStatus::Pending << 0 << false;
    QTest::newRow("sent") << CommandStatus::Sent << 1 << false;
    QTest::newRow("ack") << CommandStatus::Ack << 2 << false;
    QTest::newRow("completed") << CommandStatus::Completed << 3 << true;
    QTest::newRow("failed") << CommandStatus::Failed << 3 << true;
    QTest::newRow("cancelled") << CommandStatus::Cancelled << 3 << true;
}

void TestRecords::commandStatusRanks()
{
    QFETCH(CommandStatus, status);
    QFETCH(int, rank);
    QFETCH(bool, final);
    QCOMPARE(commandStatusRank(status), rank);
    QCOMPARE(isFinalCommandStatus(status), final);
}

void TestRecords::capacityRoundTrip()
{
    const Capacity full{100, u"64 cores"_s, u"256Gi"_s, u"10Ti"_s};
    QCOMPARE(toJsonBytes(full.toJson()),
             R"({"cpu":"64 cores","maxSessions":100,"memory":"256Gi","storage":"10Ti"})"_ba);
    QCOMPARE(Capacity::fromJson(full.toJson()).value(), full);

    const Capacity noStorage{5, u"4"_s, u"8Gi"_s, {}};
    QVERIFY(!noStorage.toJson().contains(u"storage"_s));
    QCOMPARE(Capacity::fromJson(noStorage.toJson()).value(), noStorage);
}

void TestRecords::capacityErrorsNameNestedField_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::newRow("maxSessions missing")
        << R"({"cpu":"1","memory":"1"})"_ba << ErrorCode::MissingField << u"payload.capacity.maxSessions"_s;
    QTest::newRow("maxSessions negative") << R"({"maxSessions":-1,"cpu":"1","memory":"1"})"_ba
                                          << ErrorCode::InvalidValue << u"payload.capacity.maxSessions"_s;
    QTest::newRow("maxSessions string") << R"({"maxSessions":"5","cpu":"1","memory":"1"})"_ba
                                        << ErrorCode::WrongType << u"payload.capacity.maxSessions"_s;
    QTest::newRow("cpu number") << R"({"maxSessions":5,"cpu":4,"memory":"1"})"_ba << ErrorCode::WrongType
                                << u"payload.capacity.cpu"_s;
    QTest::newRow("memory missing") << R"({"maxSessions":5,"cpu":"4"})"_ba << ErrorCode::MissingField
                                    << u"payload.capacity.memory"_s;
    QTest::newRow("storage bool") << R"({"maxSessions":5,"cpu":"4","memory":"1","storage":true})"_ba
                                  << ErrorCode::WrongType << u"payload.capacity.storage"_s;
}

void TestRecords::capacityErrorsNameNestedField()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    const Decoded<Capacity> decoded = Capacity::fromJson(parse(json), u"payload.capacity"_s);
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
    QVERIFY2(decoded.error().message.startsWith(field + u": "_s), why(decoded).constData());
}

void TestRecords::agentRoundTrip()
{
    const AgentInfo agent = fullAgent();
    const QJsonObject json = agent.toJson();
    QCOMPARE(json.value(u"platform"_s).toString(), u"docker"_s);
    QCOMPARE(json.value(u"status"_s).toString(), u"draining"_s);
    QCOMPARE(json.value(u"approvalStatus"_s).toString(), u"pending"_s);
    QCOMPARE(json.value(u"lastHeartbeat"_s).toString(), u"2025-12-04T10:00:30.250Z"_s);

    const Decoded<AgentInfo> decoded = AgentInfo::fromJson(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    const AgentInfo &back = decoded.value();
    QCOMPARE(back.agentId, agent.agentId);
    QCOMPARE(back.orgId, agent.orgId);
    QCOMPARE(back.platform, agent.platform);
    QCOMPARE(back.region, agent.region);
    QCOMPARE(back.status, agent.status);
    QCOMPARE(back.approvalStatus, agent.approvalStatus);
    QCOMPARE(back.capacity, agent.capacity);
    QCOMPARE(back.activeSessions, agent.activeSessions);
    QCOMPARE(back.lastHeartbeat, agent.lastHeartbeat);
    QCOMPARE(back.replica, agent.replica);
    QCOMPARE(back.metadata, agent.metadata);
    QCOMPARE(back.createdAt, agent.createdAt);
    QCOMPARE(toJsonBytes(back.toJson()), toJsonBytes(json));
}

void TestRecords::agentWithoutTimestampsOmitsThem()
{
    AgentInfo agent;
    agent.agentId = u"a1"_s;
    const QJsonObject json = agent.toJson();
    QVERIFY(!json.contains(u"lastHeartbeat"_s));
    QVERIFY(!json.contains(u"createdAt"_s));
    const Decoded<AgentInfo> decoded = AgentInfo::fromJson(json);
    QVERIFY(decoded.ok());
    QVERIFY(!decoded.value().lastHeartbeat.isValid());
    QCOMPARE(toJsonBytes(decoded.value().toJson()), toJsonBytes(json));
}

void TestRecords::agentErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::newRow("agentId missing") << R"({"platform":"vm"})"_ba << ErrorCode::MissingField << u"agentId"_s;
    QTest::newRow("agentId empty") << R"({"agentId":"","platform":"vm"})"_ba << ErrorCode::InvalidValue
                                   << u"agentId"_s;
    QTest::newRow("platform unknown")
        << R"({"agentId":"a","platform":"mainframe"})"_ba << ErrorCode::InvalidValue << u"platform"_s;
    QTest::newRow("platform missing") << R"({"agentId":"a"})"_ba << ErrorCode::MissingField << u"platform"_s;
    QTest::newRow("status unknown") << R"({"agentId":"a","platform":"vm","status":"up"})"_ba
                                    << ErrorCode::InvalidValue << u"status"_s;
    QTest::newRow("approval number") << R"({"agentId":"a","platform":"vm","approvalStatus":1})"_ba
                                     << ErrorCode::WrongType << u"approvalStatus"_s;
    QTest::newRow("capacity cpu")
        << R"({"agentId":"a","platform":"vm","capacity":{"maxSessions":1,"cpu":[],"memory":""}})"_ba
        << ErrorCode::WrongType << u"capacity.cpu"_s;
    QTest::newRow("capacity string") << R"({"agentId":"a","platform":"vm","capacity":"big"})"_ba
                                     << ErrorCode::WrongType << u"capacity"_s;
    QTest::newRow("activeSessions fraction") << R"({"agentId":"a","platform":"vm","activeSessions":1.5})"_ba
                                             << ErrorCode::WrongType << u"activeSessions"_s;
    QTest::newRow("lastHeartbeat bad") << R"({"agentId":"a","platform":"vm","lastHeartbeat":"now"})"_ba
                                       << ErrorCode::InvalidValue << u"lastHeartbeat"_s;
    QTest::newRow("metadata array") << R"({"agentId":"a","platform":"vm","metadata":[]})"_ba
                                    << ErrorCode::WrongType << u"metadata"_s;
}

void TestRecords::agentErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    const Decoded<AgentInfo> decoded = AgentInfo::fromJson(parse(json));
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
    QVERIFY2(decoded.error().message.contains(field), why(decoded).constData());
}

void TestRecords::commandRoundTrip()
{
    const CommandInfo command = fullCommand();
    const QJsonObject json = command.toJson();
    QCOMPARE(json.value(u"status"_s).toString(), u"failed"_s);
    QCOMPARE(json.value(u"acknowledgedAt"_s).toString(), u"2025-12-04T10:00:00.003Z"_s);
    const Decoded<CommandInfo> decoded = CommandInfo::fromJson(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    const CommandInfo &back = decoded.value();
    QCOMPARE(back.commandId, command.commandId);
    QCOMPARE(back.agentId, command.agentId);
    QCOMPARE(back.orgId, command.orgId);
    QCOMPARE(back.sessionId, command.sessionId);
    QCOMPARE(back.action, command.action);
    QCOMPARE(back.payload, command.payload);
    QCOMPARE(back.status, command.status);
    QCOMPARE(back.error, command.error);
    QCOMPARE(back.result, command.result);
    QCOMPARE(back.attempts, command.attempts);
    QCOMPARE(back.createdAt, command.createdAt);
    QCOMPARE(back.sentAt, command.sentAt);
    QCOMPARE(back.acknowledgedAt, command.acknowledgedAt);
    QCOMPARE(back.completedAt, command.completedAt);
    QCOMPARE(back.updatedAt, command.updatedAt);
    QCOMPARE(toJsonBytes(back.toJson()), toJsonBytes(json));

    CommandInfo pending;
    pending.commandId = u"c"_s;
    pending.agentId = u"a"_s;
    pending.action = u"stop_session"_s;
    const QJsonObject pendingJson = pending.toJson();
    for (const char *key : {"createdAt", "sentAt", "acknowledgedAt", "completedAt", "updatedAt"})
        QVERIFY2(!pendingJson.contains(QLatin1StringView(key)), key);
    QCOMPARE(toJsonBytes(CommandInfo::fromJson(pendingJson).value().toJson()), toJsonBytes(pendingJson));
}

void TestRecords::commandErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::newRow("commandId missing")
        << R"({"agentId":"a","action":"x","status":"sent"})"_ba << ErrorCode::MissingField << u"commandId"_s;
    QTest::newRow("agentId number") << R"({"commandId":"c","agentId":1,"action":"x","status":"sent"})"_ba
                                    << ErrorCode::WrongType << u"agentId"_s;
    QTest::newRow("action missing") << R"({"commandId":"c","agentId":"a","status":"sent"})"_ba
                                    << ErrorCode::MissingField << u"action"_s;
    QTest::newRow("status unknown") << R"({"commandId":"c","agentId":"a","action":"x","status":"done"})"_ba
                                    << ErrorCode::InvalidValue << u"status"_s;
    QTest::newRow("attempts negative")
        << R"({"commandId":"c","agentId":"a","action":"x","status":"sent","attempts":-1})"_ba
        << ErrorCode::InvalidValue << u"attempts"_s;
    QTest::newRow("sentAt number")
        << R"({"commandId":"c","agentId":"a","action":"x","status":"sent","sentAt":5})"_ba
        << ErrorCode::WrongType << u"sentAt"_s;
    QTest::newRow("error too long")
        << QByteArray(R"({"commandId":"c","agentId":"a","action":"x","status":"sent","error":")" +
                      QByteArray(5000, 'e') + "\"}")
        << ErrorCode::InvalidValue << u"error"_s;
}

void TestRecords::commandErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    const Decoded<CommandInfo> decoded = CommandInfo::fromJson(parse(json));
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
}

void TestRecords::sessionRoundTrip()
{
    SessionInfo session = streamSpaceSession();
    session.terminationReason = u"idle"_s;
    session.activeConnections = 3;
    const QJsonObject json = session.toJson();
    QCOMPARE(json.value(u"template"_s).toString(), u"firefox"_s);
    QCOMPARE(json.value(u"namespace"_s).toString(), u"streamspace"_s);
    QCOMPARE(json.value(u"state"_s).toString(), u"running"_s);
    const Decoded<SessionInfo> decoded = SessionInfo::fromJson(json);
    QVERIFY2(decoded.ok(), why(decoded).constData());
    const SessionInfo &back = decoded.value();
    QCOMPARE(back.sessionId, session.sessionId);
    QCOMPARE(back.orgId, session.orgId);
    QCOMPARE(back.userId, session.userId);
    QCOMPARE(back.templateName, session.templateName);
    QCOMPARE(back.state, session.state);
    QCOMPARE(back.agentId, session.agentId);
    QCOMPARE(back.platform, session.platform);
    QCOMPARE(back.namespaceName, session.namespaceName);
    QCOMPARE(back.podName, session.podName);
    QCOMPARE(back.url, session.url);
    QCOMPARE(back.memory, session.memory);
    QCOMPARE(back.cpu, session.cpu);
    QCOMPARE(back.idleTimeoutSeconds, session.idleTimeoutSeconds);
    QCOMPARE(back.lastActivity, session.lastActivity);
    QCOMPARE(back.tags, session.tags);
    QCOMPARE(back.activeConnections, session.activeConnections);
    QCOMPARE(back.terminationReason, session.terminationReason);
    QCOMPARE(back.createdAt, session.createdAt);
    QCOMPARE(back.updatedAt, session.updatedAt);
    QCOMPARE(toJsonBytes(back.toJson()), toJsonBytes(json));

    SessionInfo minimal;
    minimal.sessionId = u"s"_s;
    minimal.userId = u"u"_s;
    const QJsonObject minimalJson = minimal.toJson();
    QVERIFY(!minimalJson.contains(u"lastActivity"_s));
    QVERIFY(!minimalJson.contains(u"createdAt"_s));
    QCOMPARE(toJsonBytes(SessionInfo::fromJson(minimalJson).value().toJson()), toJsonBytes(minimalJson));
}

void TestRecords::sessionErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("field");
    QTest::newRow("sessionId missing")
        << R"({"userId":"u","state":"running"})"_ba << ErrorCode::MissingField << u"sessionId"_s;
    QTest::newRow("userId missing") << R"({"sessionId":"s","state":"running"})"_ba << ErrorCode::MissingField
                                    << u"userId"_s;
    QTest::newRow("state unknown") << R"({"sessionId":"s","userId":"u","state":"Running"})"_ba
                                   << ErrorCode::InvalidValue << u"state"_s;
    QTest::newRow("tags item") << R"({"sessionId":"s","userId":"u","state":"running","tags":["a",{}]})"_ba
                               << ErrorCode::WrongType << u"tags[1]"_s;
    QTest::newRow("idleTimeout huge")
        << R"({"sessionId":"s","userId":"u","state":"running","idleTimeoutSeconds":1e30})"_ba
        << ErrorCode::InvalidValue << u"idleTimeoutSeconds"_s;
    QTest::newRow("sessionId too long")
        << QByteArray(R"({"userId":"u","state":"running","sessionId":")" + QByteArray(300, 's') + "\"}")
        << ErrorCode::InvalidValue << u"sessionId"_s;
}

void TestRecords::sessionErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(ErrorCode, code);
    QFETCH(QString, field);
    const Decoded<SessionInfo> decoded = SessionInfo::fromJson(parse(json));
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error().code, code);
    QCOMPARE(decoded.error().field, field);
}

void TestRecords::sessionsUpdateItemMatchesStreamSpace()
{
    // The item of STREAMSPACE-WIRE.md's sessions_update, with its "..." filled in.
    const QJsonObject expected = parse(R"({"name":"alice-firefox-1","namespace":"streamspace","user":"alice",
        "template":"firefox","state":"running","createdAt":"2025-12-04T09:00:00.000Z","activeConnections":0,
        "status":{"phase":"Running","podName":"alice-firefox-1-7d9f","url":"/api/v1/sessions/alice-firefox-1/vnc"},
        "resources":{"memory":"2Gi","cpu":"1000m"},"platform":"kubernetes","agent_id":"k8s-1",
        "lastActivity":"2025-12-04T09:58:00.000Z","idleDuration":120,"idleThreshold":1800,"isIdle":false,
        "isActive":true})"_ba);
    QCOMPARE(toJsonBytes(streamSpaceSession().toSessionsUpdateJson(kNow)), toJsonBytes(expected));
}

void TestRecords::sessionsUpdateItemOptionalParts_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<QByteArray>("status");
    QTest::addColumn<bool>("hasIdleFields");
    QTest::addColumn<bool>("isIdle");
    QTest::addColumn<bool>("isActive");
    QTest::addColumn<int>("idleDuration");
    QTest::newRow("no pod, no url") << u"noPod"_s << R"({"phase":"Running"})"_ba << true << false << true
                                    << 120;
    QTest::newRow("no last activity") << u"noActivity"_s << QByteArray() << false << false << false << 0;
    QTest::newRow("no idle timeout") << u"noTimeout"_s << QByteArray() << false << false << false << 0;
    QTest::newRow("idle at threshold") << u"idle"_s << QByteArray() << true << true << true << 1800;
    QTest::newRow("hibernated not active")
        << u"hibernated"_s << QByteArray() << true << false << false << 120;
    QTest::newRow("activity in the future") << u"future"_s << QByteArray() << true << false << true << 0;
}

void TestRecords::sessionsUpdateItemOptionalParts()
{
    QFETCH(QString, change);
    QFETCH(QByteArray, status);
    QFETCH(bool, hasIdleFields);
    QFETCH(bool, isIdle);
    QFETCH(bool, isActive);
    QFETCH(int, idleDuration);

    SessionInfo session = streamSpaceSession();
    if (change == "noPod"_L1) {
        session.podName.clear();
        session.url.clear();
    } else if (change == "noActivity"_L1) {
        session.lastActivity = QDateTime();
    } else if (change == "noTimeout"_L1) {
        session.idleTimeoutSeconds = 0;
    } else if (change == "idle"_L1) {
        session.lastActivity = kNow.addSecs(-1800);
    } else if (change == "hibernated"_L1) {
        session.state = SessionState::Hibernated;
    } else if (change == "future"_L1) {
        session.lastActivity = kNow.addSecs(60);
    }
    const QJsonObject item = session.toSessionsUpdateJson(kNow);
    if (!status.isEmpty())
        QCOMPARE(toJsonBytes(item.value(u"status"_s).toObject()), status);
    for (const char *key : {"lastActivity", "idleDuration", "idleThreshold", "isIdle", "isActive"})
        QCOMPARE(item.contains(QLatin1StringView(key)), hasIdleFields);
    if (hasIdleFields) {
        QCOMPARE(item.value(u"isIdle"_s).toBool(), isIdle);
        QCOMPARE(item.value(u"isActive"_s).toBool(), isActive);
        QCOMPARE(item.value(u"idleDuration"_s).toInt(), idleDuration);
        QCOMPARE(item.value(u"idleThreshold"_s).toInt(), 1800);
    }
}

void TestRecords::sessionsUpdatePhase_data()
{
    QTest::addColumn<SessionState>("state");
    QTest::addColumn<QString>("phase");
    QTest::newRow("pending") << SessionState::Pending << u"Pending"_s;
    QTest::newRow("running") << SessionState::Running << u"Running"_s;
    QTest::newRow("terminating") << SessionState::Terminating << u"Terminating"_s;
    QTest::newRow("terminated") << SessionState::Terminated << u"Terminated"_s;
    QTest::newRow("hibernating") << SessionState::Hibernating << u"Hibernating"_s;
    QTest::newRow("hibernated") << SessionState::Hibernated << u"Hibernated"_s;
    QTest::newRow("failed") << SessionState::Failed << u"Failed"_s;
}

void TestRecords::sessionsUpdatePhase()
{
    QFETCH(SessionState, state);
    QFETCH(QString, phase);
    SessionInfo session = streamSpaceSession();
    session.state = state;
    const QJsonObject item = session.toSessionsUpdateJson(kNow);
    QCOMPARE(item.value(u"status"_s).toObject().value(u"phase"_s).toString(), phase);
    QCOMPARE(item.value(u"state"_s).toString(), sessionStateName(state));
}

void TestRecords::orgRoundTrip()
{
    const OrgInfo org{u"acme"_s, u"Acme Corp"_s, 42};
    QCOMPARE(toJsonBytes(org.toJson()), R"({"clients":42,"name":"Acme Corp","orgId":"acme"})"_ba);
    const Decoded<OrgInfo> decoded = OrgInfo::fromJson(org.toJson());
    QVERIFY(decoded.ok());
    QCOMPARE(decoded.value().orgId, org.orgId);
    QCOMPARE(decoded.value().name, org.name);
    QCOMPARE(decoded.value().clients, org.clients);
    const Decoded<OrgInfo> bad = OrgInfo::fromJson(parse(R"({"name":"x"})"_ba));
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().field, u"orgId"_s);
}

QTEST_GUILESS_MAIN(TestRecords)
#include "tst_records.moc"
