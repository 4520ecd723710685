// decodeAdminMessage: every admin-stream message the console understands, and hostile frames
// turned into typed errors (never a crash, never a half-decoded message).
#include "AdminMessages.h"
#include "ConsoleTestKit.h"

#include "shared/AdminProtocol.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::console;
using namespace switchboard::console::test;
using namespace switchboard::protocol;

class TestAdminMessages : public QObject
{
    Q_OBJECT

private:
    static const QDateTime &now()
    {
        static const QDateTime time(QDate(2025, 12, 4), QTime(10, 0), Qt::UTC);
        return time;
    }

private Q_SLOTS:
    void serverEncodingsRoundTrip()
    {
        OrgInfo org;
        org.orgId = u"acme"_s;
        org.name = u"Acme"_s;
        org.clients = 12;
        const QByteArray snapshot = admin::encodeSnapshot(
            {sampleAgent(u"k8s-1"_s)}, {org}, {sampleCommand(u"cmd-1"_s, CommandStatus::Sent)}, now());
        auto decoded = decodeAdminMessage(snapshot, now());
        QVERIFY2(decoded.ok(), qPrintable(decoded ? QString() : decoded.error().message));
        const auto &value = std::get<Snapshot>(decoded.value());
        QCOMPARE(value.agents.size(), 1);
        QCOMPARE(value.agents.first().agentId, u"k8s-1"_s);
        QCOMPARE(value.orgs.first().clients, 12);
        QCOMPARE(value.commands.first().status, CommandStatus::Sent);
        QVERIFY(value.sessionsListed);
        QVERIFY(value.sessions.isEmpty());

        SessionInfo session;
        session.sessionId = u"alice-firefox-1"_s;
        session.orgId = u"acme"_s;
        session.userId = u"alice"_s;
        session.state = SessionState::Hibernated;
        session.agentId = u"k8s-1"_s;
        auto withSessions = decodeAdminMessage(
            admin::encodeSnapshot({}, {org}, {}, now(), {}, false, admin::SnapshotSessions{{session}, true}),
            now());
        QVERIFY2(withSessions.ok(), qPrintable(withSessions ? QString() : withSessions.error().message));
        const auto &listed = std::get<Snapshot>(withSessions.value());
        QCOMPARE(listed.sessions.size(), 1);
        QCOMPARE(listed.sessions.first().sessionId, u"alice-firefox-1"_s);
        QCOMPARE(listed.sessions.first().state, SessionState::Hibernated);
        QVERIFY(listed.sessionsTruncated);

        auto agent = decodeAdminMessage(admin::encodeAgentUpdated(sampleAgent(u"k8s-2"_s)), now());
        QVERIFY(agent && std::get<AgentUpdated>(agent.value()).agent.agentId == u"k8s-2"_s);
        auto removed = decodeAdminMessage(admin::encodeAgentRemoved(u"k8s-3"_s), now());
        QVERIFY(removed && std::get<AgentRemoved>(removed.value()).agentId == u"k8s-3"_s);
        auto orgUpdated = decodeAdminMessage(admin::encodeOrgUpdated(org), now());
        QVERIFY(orgUpdated && std::get<OrgUpdated>(orgUpdated.value()).org.name == u"Acme"_s);
        auto command =
            decodeAdminMessage(admin::encodeCommandUpdated(sampleCommand(u"c"_s, CommandStatus::Ack)), now());
        QVERIFY(command && std::get<CommandUpdated>(command.value()).command.status == CommandStatus::Ack);

        auto event = sampleEvent(browser::EventType::StateChanged, u"s1"_s, u"acme"_s, u"alice"_s,
                                 {{"oldState"_L1, u"pending"_s}, {"newState"_L1, u"running"_s}});
        auto decodedEvent = decodeAdminMessage(browser::encodeSessionEvent(event, true), now());
        QVERIFY(decodedEvent);
        QCOMPARE(std::get<SessionEventMessage>(decodedEvent.value()).event.orgId, u"acme"_s);

        auto reply = decodeAdminMessage(browser::encodeReply(u"r1"_s, {{"delivered"_L1, 3}}), now());
        QVERIFY(reply && std::get<ReplyMessage>(reply.value()).requestId == u"r1"_s);
        auto error = decodeAdminMessage(
            browser::encodeError(Error{ErrorCode::Forbidden, u"no"_s, u"agentId"_s, u"r2"_s}), now());
        QVERIFY(error);
        QCOMPARE(std::get<ErrorMessage>(error.value()).error.code, ErrorCode::Forbidden);
        QCOMPARE(std::get<ErrorMessage>(error.value()).error.requestId, u"r2"_s);

        auto metrics = decodeAdminMessage(
            admin::encodeMetrics(admin::Metrics{now(), u"sb-0"_s, 4, 9, 1000, 2000, {}, {}, false}), now());
        QVERIFY(metrics);
        QCOMPARE(std::get<admin::Metrics>(metrics.value()).browserClients, 9);
        QCOMPARE(std::get<admin::Metrics>(metrics.value()).messagesOut, quint64(2000));
    }

    void resumeFields()
    {
        auto decoded = decodeAdminMessage(
            R"({"type":"snapshot","agents":[],"orgs":[],"commands":[],"epoch":"E","seqs":{"acme":4,"globex":0}})",
            now());
        QVERIFY(decoded);
        const auto &snapshot = std::get<Snapshot>(decoded.value());
        QCOMPARE(snapshot.epoch, u"E"_s);
        QCOMPARE(snapshot.seqs.value(u"acme"_s), 4);
        QCOMPARE(snapshot.seqs.value(u"globex"_s), 0);
        // A server from before the session list: the console must not take it for "no sessions".
        QVERIFY(!snapshot.sessionsListed);
        auto resync =
            decodeAdminMessage(R"({"type":"resync_required","orgId":"acme","epoch":"E2","seq":9})", now());
        QVERIFY(resync);
        QCOMPARE(std::get<ResyncRequired>(resync.value()).seq, 9);
    }

    void hostileFrames_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::addColumn<int>("code");
        QTest::newRow("not json") << QByteArray("{nope") << int(ErrorCode::InvalidJson);
        QTest::newRow("array") << QByteArray("[1]") << int(ErrorCode::InvalidJson);
        QTest::newRow("no type") << QByteArray("{}") << int(ErrorCode::MissingField);
        QTest::newRow("type not a string") << QByteArray(R"({"type":5})") << int(ErrorCode::WrongType);
        QTest::newRow("unknown type") << QByteArray(R"({"type":"surprise"})") << int(ErrorCode::UnknownType);
        QTest::newRow("agent missing")
            << QByteArray(R"({"type":"agent.updated"})") << int(ErrorCode::MissingField);
        QTest::newRow("agent not an object")
            << QByteArray(R"({"type":"agent.updated","agent":[]})") << int(ErrorCode::WrongType);
        QTest::newRow("agents not an array")
            << QByteArray(R"({"type":"snapshot","agents":{},"orgs":[],"commands":[]})")
            << int(ErrorCode::WrongType);
        QTest::newRow("agent entry not an object")
            << QByteArray(R"({"type":"snapshot","agents":[7],"orgs":[],"commands":[]})")
            << int(ErrorCode::WrongType);
        QTest::newRow("sessions not an array")
            << QByteArray(R"({"type":"snapshot","sessions":{}})") << int(ErrorCode::WrongType);
        QTest::newRow("session entry not an object")
            << QByteArray(R"({"type":"snapshot","sessions":["s1"]})") << int(ErrorCode::WrongType);
        QTest::newRow("session with an unknown state")
            << QByteArray(R"({"type":"snapshot","sessions":[{"sessionId":"s1","orgId":"acme","userId":"u",)"
                          R"("state":"exploded"}]})")
            << int(ErrorCode::InvalidValue);
        QTest::newRow("session without org")
            << QByteArray(
                   R"({"type":"snapshot","sessions":[{"sessionId":"s1","userId":"u","state":"running"}]})")
            << int(ErrorCode::MissingField);
        QTest::newRow("sessionsTruncated not a boolean")
            << QByteArray(R"({"type":"snapshot","sessions":[],"sessionsTruncated":"yes"})")
            << int(ErrorCode::WrongType);
        QTest::newRow("negative seq")
            << QByteArray(R"({"type":"snapshot","seqs":{"acme":-1}})") << int(ErrorCode::InvalidValue);
        QTest::newRow("reply without requestId")
            << QByteArray(R"({"type":"reply","ok":true})") << int(ErrorCode::MissingField);
        QTest::newRow("event without sessionId")
            << QByteArray(R"({"type":"session.active","userId":"u"})") << int(ErrorCode::MissingField);
        QTest::newRow("metrics with a negative total")
            << QByteArray(
                   R"({"type":"metrics","timestamp":"2025-12-04T10:00:00Z","agentsConnected":1,"browserClients":1,"messagesIn":-1,"messagesOut":0})")
            << int(ErrorCode::InvalidValue);
    }

    void hostileFrames()
    {
        QFETCH(QByteArray, frame);
        QFETCH(int, code);
        const auto decoded = decodeAdminMessage(frame, now());
        QVERIFY(!decoded.ok());
        QCOMPARE(int(decoded.error().code), code);
    }

    void unknownErrorCodeIsInternal()
    {
        auto decoded = decodeAdminMessage(R"({"type":"error","code":"brand_new","message":"m"})", now());
        QVERIFY(decoded);
        QCOMPARE(std::get<ErrorMessage>(decoded.value()).error.code, ErrorCode::Internal);
    }
};

QTEST_GUILESS_MAIN(TestAdminMessages)
#include "tst_adminmessages.moc"
