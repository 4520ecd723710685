// CommandLedger with a real AgentHub, real sockets and a Store on a SQLite file: the monotonic
// command lifecycle, answers out of order, answers from the wrong agent, delivery of waiting
// commands when an agent connects, resends and deadlines (also across a restart) and cancel.
#include "AgentTestKit.h"

#include "core/AgentHub.h"
#include "core/CommandLedger.h"
#include "storage/Store.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using protocol::CommandInfo;
using protocol::CommandStatus;
using protocol::agent::Action;

class TestCommandLedger : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void newCommandIdHasTheDocumentedShape();
    void lifecyclePendingSentAckCompleted();
    void answersOutOfOrderNeverGoBackwards_data();
    void answersOutOfOrderNeverGoBackwards();
    void answerOfAnotherAgentIsRefused();
    void invalidPayloadIsRefusedBeforeAnythingIsWritten();
    void commandsForOfflineAgentWaitAndArriveInCreationOrder();
    void sentButUnacknowledgedIsRedeliveredOnReconnect();

    void sweepIntervalFollowsTheSmallestDeadline_data();
    void sweepIntervalFollowsTheSmallestDeadline();
    void unacknowledgedIsResentThenFailsAfterMaxAttempts();
    void acknowledgedIsNotResent();
    void notCompletedInTimeFails_data();
    void notCompletedInTimeFails();
    void completionBeforeTheDeadlineStands();
    void deadlinesSurviveARestart_data();
    void deadlinesSurviveARestart();
    void cancelPendingCommand();
    void cancelOtherStatusesIsConflict_data();
    void cancelOtherStatusesIsConflict();
    void cancelRacingDeliveryOnConnectIsNeverSent();

private:
    CommandInfo issueOk(const QString &agentId, Action action, const QString &sessionId);
    // Replaces the ledger by one with these deadlines (the old one's signals are forgotten).
    void useConfig(const CommandLedger::Config &config);
    static CommandLedger::Config shortConfig();

    std::unique_ptr<TempStore> m_db;
    std::unique_ptr<AgentHub> m_hub;
    std::unique_ptr<CommandLedger> m_ledger;
    std::unique_ptr<AgentHarness> m_harness;
    QList<CommandInfo> m_updates;
    QList<CommandInfo> m_finished;
};

void TestCommandLedger::init()
{
    m_db = std::make_unique<TempStore>();
    QVERIFY(m_db->opened());
    m_hub = std::make_unique<AgentHub>(m_db->store(), quietConfig());
    m_harness = std::make_unique<AgentHarness>(m_hub.get());
    QVERIFY(m_harness->listening());
    useConfig(CommandLedger::Config{});
}

void TestCommandLedger::useConfig(const CommandLedger::Config &config)
{
    m_ledger.reset();
    m_ledger = std::make_unique<CommandLedger>(m_db->store(), m_hub.get(), config);
    m_updates.clear();
    m_finished.clear();
    connect(m_ledger.get(), &CommandLedger::commandUpdated, this,
            [this](const CommandInfo &command) { m_updates.append(command); });
    connect(m_ledger.get(), &CommandLedger::commandFinished, this,
            [this](const CommandInfo &command) { m_finished.append(command); });
}

CommandLedger::Config TestCommandLedger::shortConfig()
{
    CommandLedger::Config config;
    config.ackTimeout = std::chrono::milliseconds(300);
    config.maxAttempts = 3;
    config.startCompleteTimeout = std::chrono::hours(1);
    config.stopCompleteTimeout = std::chrono::hours(1);
    config.hibernateCompleteTimeout = std::chrono::hours(1);
    config.wakeCompleteTimeout = std::chrono::hours(1);
    config.logsCompleteTimeout = std::chrono::hours(1);
    return config;
}

void TestCommandLedger::cleanup()
{
    m_harness.reset();
    m_ledger.reset();
    m_hub.reset();
    m_db.reset();
}

CommandInfo TestCommandLedger::issueOk(const QString &agentId, Action action, const QString &sessionId)
{
    const std::optional<protocol::Decoded<CommandInfo>> issued =
        awaitResult(m_ledger->issue(agentId, u"acme"_s, action, {{u"sessionId"_s, sessionId}}, sessionId));
    if (!issued || !*issued) {
        qWarning() << "issue failed:" << (issued ? issued->error().message : u"timeout"_s);
        return {};
    }
    return issued->value();
}

void TestCommandLedger::newCommandIdHasTheDocumentedShape()
{
    const QString id = CommandLedger::newCommandId();
    QVERIFY2(QRegularExpression(u"^cmd-[0-9a-f]{16}$"_s).match(id).hasMatch(), qPrintable(id));
    QVERIFY(CommandLedger::newCommandId() != id);
}

void TestCommandLedger::lifecyclePendingSentAckCompleted()
{
    auto agent = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    QVERIFY(agent);

    const CommandInfo issued = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);
    QVERIFY(!issued.commandId.isEmpty());
    QCOMPARE(issued.status, CommandStatus::Pending);
    QCOMPARE(issued.payload.value(u"namespace"_s).toString(), u"streamspace"_s); // normalised

    QTRY_COMPARE(agent->commandIds(), QStringList{issued.commandId});
    const QJsonObject frame = agent->ofType(u"command"_s).first().value(u"payload"_s).toObject();
    QCOMPARE(frame.value(u"action"_s).toString(), u"stop_session"_s);
    QCOMPARE(frame.value(u"payload"_s).toObject().value(u"sessionId"_s).toString(), u"s-1"_s);
    QTRY_COMPARE(m_db->command(issued.commandId)->status, CommandStatus::Sent);
    QCOMPARE(m_db->command(issued.commandId)->attempts, 1);
    QVERIFY(m_db->command(issued.commandId)->sentAt.isValid());

    agent->send(u"ack"_s, {{u"commandId"_s, issued.commandId}});
    QTRY_COMPARE(m_db->command(issued.commandId)->status, CommandStatus::Ack);
    QVERIFY(m_finished.isEmpty());

    agent->send(u"complete"_s,
                {{u"commandId"_s, issued.commandId}, {u"result"_s, QJsonObject{{u"ok"_s, true}}}});
    QTRY_COMPARE(m_finished.size(), 1);
    const std::optional<CommandInfo> stored = m_db->command(issued.commandId);
    QCOMPARE(stored->status, CommandStatus::Completed);
    QCOMPARE(stored->result.value(u"ok"_s).toBool(), true);
    QVERIFY(stored->completedAt.isValid());

    QList<CommandStatus> statuses;
    for (const CommandInfo &update : std::as_const(m_updates))
        statuses.append(update.status);
    const QList<CommandStatus> expected{CommandStatus::Pending, CommandStatus::Sent, CommandStatus::Ack,
                                        CommandStatus::Completed};
    QCOMPARE(statuses, expected);
    QCOMPARE(m_finished.first().commandId, issued.commandId);
    QCOMPARE(m_finished.first().status, CommandStatus::Completed);
    QVERIFY(agent->ofType(u"error"_s).isEmpty());
}

void TestCommandLedger::answersOutOfOrderNeverGoBackwards_data()
{
    QTest::addColumn<QStringList>("answers"); // sent by the agent the moment the command arrives
    QTest::addColumn<CommandStatus>("final");

    QTest::newRow("ack, complete") << QStringList{u"ack"_s, u"complete"_s} << CommandStatus::Completed;
    QTest::newRow("complete before ack") << QStringList{u"complete"_s, u"ack"_s} << CommandStatus::Completed;
    QTest::newRow("ack after complete, twice")
        << QStringList{u"complete"_s, u"ack"_s, u"ack"_s} << CommandStatus::Completed;
    QTest::newRow("complete then failed")
        << QStringList{u"ack"_s, u"complete"_s, u"failed"_s} << CommandStatus::Completed;
    QTest::newRow("failed then complete")
        << QStringList{u"failed"_s, u"complete"_s, u"ack"_s} << CommandStatus::Failed;
    QTest::newRow("complete twice") << QStringList{u"complete"_s, u"complete"_s} << CommandStatus::Completed;
}

void TestCommandLedger::answersOutOfOrderNeverGoBackwards()
{
    QFETCH(QStringList, answers);
    QFETCH(CommandStatus, final);

    auto agent = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    QVERIFY(agent);
    // Answering inside the frame handler: the answers race the ledger's own "sent" write.
    agent->onMessage = [&agent, answers](const QJsonObject &message) {
        if (message.value(u"type"_s).toString() != u"command"_s)
            return;
        const QString commandId = message.value(u"payload"_s).toObject().value(u"commandId"_s).toString();
        for (const QString &answer : answers) {
            QJsonObject payload{{u"commandId"_s, commandId}};
            if (answer == u"complete"_s)
                payload.insert(u"result"_s, QJsonObject{{u"podName"_s, u"pod-1"_s}});
            if (answer == u"failed"_s)
                payload.insert(u"error"_s, u"image pull failed"_s);
            agent->send(answer, payload);
        }
    };

    const CommandInfo issued = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);
    QTRY_COMPARE(m_finished.size(), 1);
    QCOMPARE(m_finished.first().status, final);
    QTRY_COMPARE(m_db->command(issued.commandId)->status, final);
    // Late answers have arrived and were ignored: the status stayed and nothing finished twice.
    m_db->settle();
    QTest::qWait(100);
    m_db->settle();
    QCOMPARE(m_db->command(issued.commandId)->status, final);
    QCOMPARE(m_finished.size(), 1);
    int lastRank = -1;
    for (const CommandInfo &update : std::as_const(m_updates)) {
        QVERIFY(protocol::commandStatusRank(update.status) > lastRank); // every update a real step forward
        lastRank = protocol::commandStatusRank(update.status);
    }
    QVERIFY(agent->ofType(u"error"_s).isEmpty());
}

void TestCommandLedger::answerOfAnotherAgentIsRefused()
{
    auto owner = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    auto intruder = m_harness->connect(m_db->createAgent(u"k8s-2"_s, u"acme"_s));
    QVERIFY(owner && intruder);

    const CommandInfo issued = issueOk(u"k8s-1"_s, Action::HibernateSession, u"s-1"_s);
    QTRY_VERIFY(!m_updates.isEmpty() && m_updates.last().status == CommandStatus::Sent);
    const qsizetype updatesBefore = m_updates.size();

    for (const QString &answer : {u"ack"_s, u"complete"_s, u"failed"_s}) {
        QJsonObject payload{{u"commandId"_s, issued.commandId}};
        if (answer == u"failed"_s)
            payload.insert(u"error"_s, u"nope"_s);
        intruder->send(answer, payload);
    }
    intruder->send(u"ack"_s, {{u"commandId"_s, u"cmd-does-not-exist"_s}});
    QTRY_COMPARE(intruder->ofType(u"error"_s).size(), 4);
    for (int i = 0; i < 3; ++i) {
        const QJsonObject error = intruder->ofType(u"error"_s).at(i).value(u"payload"_s).toObject();
        QCOMPARE(error.value(u"code"_s).toString(), u"not_found"_s);
        QVERIFY2(error.value(u"message"_s).toString().contains(issued.commandId),
                 qPrintable(error.value(u"message"_s).toString()));
    }
    QVERIFY(intruder->ofType(u"error"_s)
                .last()
                .value(u"payload"_s)
                .toObject()
                .value(u"message"_s)
                .toString()
                .contains(u"cmd-does-not-exist"_s));

    m_db->settle();
    QCOMPARE(m_db->command(issued.commandId)->status, CommandStatus::Sent);
    QCOMPARE(m_updates.size(), updatesBefore);
    QVERIFY(m_finished.isEmpty());
    QVERIFY(owner->ofType(u"error"_s).isEmpty());
    QVERIFY(m_hub->isAgentConnected(u"k8s-2"_s)); // refused, not punished

    // The owner still can.
    owner->send(u"ack"_s, {{u"commandId"_s, issued.commandId}});
    QTRY_COMPARE(m_db->command(issued.commandId)->status, CommandStatus::Ack);
}

void TestCommandLedger::invalidPayloadIsRefusedBeforeAnythingIsWritten()
{
    m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    const protocol::Decoded<CommandInfo> issued =
        awaitResult(
            m_ledger->issue(u"k8s-1"_s, u"acme"_s, Action::StartSession, {{u"sessionId"_s, u"s-1"_s}}))
            .value();
    QVERIFY(!issued);
    QCOMPARE(issued.error().code, protocol::ErrorCode::MissingField);
    QCOMPARE(issued.error().field, u"payload.user"_s);
    QVERIFY(m_db->store()->commandsForAgent(u"k8s-1"_s, {}).result().value().isEmpty());

    const protocol::Decoded<CommandInfo> unknownAgent =
        awaitResult(
            m_ledger->issue(u"nobody"_s, u"acme"_s, Action::StopSession, {{u"sessionId"_s, u"s-1"_s}}))
            .value();
    QVERIFY(!unknownAgent);
    QCOMPARE(unknownAgent.error().code, protocol::ErrorCode::NotFound);
    QVERIFY(m_updates.isEmpty());
}

void TestCommandLedger::commandsForOfflineAgentWaitAndArriveInCreationOrder()
{
    const protocol::AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    QStringList issuedIds;
    for (int i = 0; i < 5; ++i) {
        const CommandInfo issued =
            issueOk(u"k8s-1"_s, i % 2 ? Action::HibernateSession : Action::StopSession, u"s-%1"_s.arg(i));
        QVERIFY(!issued.commandId.isEmpty());
        issuedIds.append(issued.commandId);
    }
    m_db->settle();
    for (const QString &id : std::as_const(issuedIds))
        QCOMPARE(m_db->command(id)->status, CommandStatus::Pending);

    auto agent = m_harness->connect(info);
    QVERIFY(agent);
    // One more, issued while the waiting ones are being read: it comes after them.
    const CommandInfo latest = issueOk(u"k8s-1"_s, Action::WakeSession, u"s-9"_s);
    issuedIds.append(latest.commandId);

    QTRY_COMPARE(agent->commandIds().size(), issuedIds.size());
    QCOMPARE(agent->commandIds(), issuedIds);
    for (const QString &id : std::as_const(issuedIds))
        QTRY_COMPARE(m_db->command(id)->status, CommandStatus::Sent);
}

void TestCommandLedger::sentButUnacknowledgedIsRedeliveredOnReconnect()
{
    const protocol::AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    auto agent = m_harness->connect(info);
    QVERIFY(agent);
    const CommandInfo acked = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);
    const CommandInfo unacked = issueOk(u"k8s-1"_s, Action::StopSession, u"s-2"_s);
    QTRY_COMPARE(agent->commandIds().size(), 2);
    agent->send(u"ack"_s, {{u"commandId"_s, acked.commandId}});
    QTRY_COMPARE(m_db->command(acked.commandId)->status, CommandStatus::Ack);
    QCOMPARE(m_db->command(unacked.commandId)->status, CommandStatus::Sent);

    agent->socket.close();
    QTRY_VERIFY(!m_hub->isAgentConnected(u"k8s-1"_s));

    auto again = m_harness->connect(info);
    QVERIFY(again);
    QTRY_COMPARE(again->commandIds(), QStringList{unacked.commandId});
    QTRY_COMPARE(m_db->command(unacked.commandId)->attempts, 2);
    QCOMPARE(m_db->command(unacked.commandId)->status, CommandStatus::Sent);
    QCOMPARE(m_db->command(acked.commandId)->attempts, 1);

    again->send(u"complete"_s, {{u"commandId"_s, unacked.commandId}});
    QTRY_COMPARE(m_finished.size(), 1);
    QCOMPARE(m_finished.first().commandId, unacked.commandId);
    QCOMPARE(m_db->command(unacked.commandId)->status, CommandStatus::Completed);
}

void TestCommandLedger::sweepIntervalFollowsTheSmallestDeadline_data()
{
    QTest::addColumn<int>("ackMs");
    QTest::addColumn<int>("logsMs");
    QTest::addColumn<int>("expectedMs");
    QTest::newRow("defaults: 30 s ack, 30 s logs -> capped at 5 s") << 30000 << 30000 << 5000;
    QTest::newRow("8 s -> a quarter") << 8000 << 30000 << 2000;
    QTest::newRow("smallest is a complete timeout") << 30000 << 12000 << 3000;
    QTest::newRow("4 s -> floor of 1 s") << 4000 << 30000 << 1000;
    QTest::newRow("test deadlines go lower") << 300 << 30000 << 75;
    QTest::newRow("never busier than 50 ms") << 40 << 30000 << 50;
}

void TestCommandLedger::sweepIntervalFollowsTheSmallestDeadline()
{
    QFETCH(int, ackMs);
    QFETCH(int, logsMs);
    QFETCH(int, expectedMs);
    CommandLedger::Config config;
    config.ackTimeout = std::chrono::milliseconds(ackMs);
    config.logsCompleteTimeout = std::chrono::milliseconds(logsMs);
    QCOMPARE(config.sweepInterval().count(), expectedMs);
}

void TestCommandLedger::unacknowledgedIsResentThenFailsAfterMaxAttempts()
{
    useConfig(shortConfig());
    auto agent = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    QVERIFY(agent);
    const CommandInfo issued = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);

    // Sent three times (the same command id), then given up.
    QTRY_VERIFY_WITH_TIMEOUT(!m_finished.isEmpty(), 10000);
    QCOMPARE(agent->commandIds(), QStringList(3, issued.commandId));
    QCOMPARE(m_finished.size(), 1);
    QCOMPARE(m_finished.first().status, CommandStatus::Failed);
    QCOMPARE(m_finished.first().error, u"ack_timeout"_s);
    const std::optional<CommandInfo> stored = m_db->command(issued.commandId);
    QCOMPARE(stored->status, CommandStatus::Failed);
    QCOMPARE(stored->error, u"ack_timeout"_s);
    QCOMPARE(stored->attempts, 3);

    // Nothing more goes out, and a late ack changes nothing.
    agent->send(u"ack"_s, {{u"commandId"_s, issued.commandId}});
    QTest::qWait(4 * 300);
    m_db->settle();
    QCOMPARE(agent->commandIds().size(), 3);
    QCOMPARE(m_db->command(issued.commandId)->status, CommandStatus::Failed);
    QCOMPARE(m_finished.size(), 1);
}

void TestCommandLedger::acknowledgedIsNotResent()
{
    useConfig(shortConfig());
    auto agent = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    QVERIFY(agent);
    agent->onMessage = [&agent](const QJsonObject &message) {
        if (message.value(u"type"_s).toString() == u"command"_s)
            agent->send(
                u"ack"_s,
                {{u"commandId"_s, message.value(u"payload"_s).toObject().value(u"commandId"_s).toString()}});
    };
    const CommandInfo issued = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);
    QTRY_COMPARE(m_db->command(issued.commandId)->status, CommandStatus::Ack);
    // Several ack timeouts pass (the sweep runs every 75 ms): an acknowledged command stays put.
    QTest::qWait(5 * 300);
    m_db->settle();
    QCOMPARE(agent->commandIds(), QStringList{issued.commandId});
    QCOMPARE(m_db->command(issued.commandId)->status, CommandStatus::Ack);
    QCOMPARE(m_db->command(issued.commandId)->attempts, 1);
    QVERIFY(m_finished.isEmpty());
}

void TestCommandLedger::notCompletedInTimeFails_data()
{
    QTest::addColumn<Action>("action");
    QTest::addColumn<bool>("acknowledge");
    QTest::newRow("stop, acknowledged") << Action::StopSession << true;
    QTest::newRow("hibernate, acknowledged") << Action::HibernateSession << true;
    QTest::newRow("wake, acknowledged") << Action::WakeSession << true;
    QTest::newRow("stream_logs, acknowledged") << Action::StreamLogs << true;
    QTest::newRow("stop, never acknowledged") << Action::StopSession << false;
}

void TestCommandLedger::notCompletedInTimeFails()
{
    QFETCH(Action, action);
    QFETCH(bool, acknowledge);
    CommandLedger::Config config = shortConfig();
    config.ackTimeout = std::chrono::hours(1); // only the completion deadline is in play
    const std::chrono::milliseconds deadline(400);
    config.stopCompleteTimeout = deadline;
    config.hibernateCompleteTimeout = deadline;
    config.wakeCompleteTimeout = deadline;
    config.logsCompleteTimeout = deadline;
    useConfig(config);
    auto agent = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    QVERIFY(agent);
    if (acknowledge) {
        agent->onMessage = [&agent](const QJsonObject &message) {
            if (message.value(u"type"_s).toString() == u"command"_s)
                agent->send(u"ack"_s,
                            {{u"commandId"_s,
                              message.value(u"payload"_s).toObject().value(u"commandId"_s).toString()}});
        };
    }
    const CommandInfo issued = issueOk(u"k8s-1"_s, action, u"s-1"_s);
    QVERIFY(!issued.commandId.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!m_finished.isEmpty(), 10000);
    QCOMPARE(m_finished.first().commandId, issued.commandId);
    QCOMPARE(m_finished.first().status, CommandStatus::Failed);
    QCOMPARE(m_finished.first().error, u"timeout"_s);
    const std::optional<CommandInfo> stored = m_db->command(issued.commandId);
    QCOMPARE(stored->error, u"timeout"_s);
    // Counted from the first send: not earlier than the deadline.
    QVERIFY(stored->completedAt >= stored->createdAt.addMSecs(deadline.count()));
    QCOMPARE(agent->commandIds(), QStringList{issued.commandId});
}

void TestCommandLedger::completionBeforeTheDeadlineStands()
{
    CommandLedger::Config config = shortConfig();
    config.stopCompleteTimeout = std::chrono::milliseconds(300);
    useConfig(config);
    auto agent = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    QVERIFY(agent);
    agent->onMessage = [&agent](const QJsonObject &message) {
        if (message.value(u"type"_s).toString() == u"command"_s)
            agent->send(
                u"complete"_s,
                {{u"commandId"_s, message.value(u"payload"_s).toObject().value(u"commandId"_s).toString()}});
    };
    const CommandInfo issued = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);
    QTRY_COMPARE(m_finished.size(), 1);
    QTest::qWait(4 * 300);
    m_db->settle();
    QCOMPARE(m_finished.size(), 1);
    QCOMPARE(m_db->command(issued.commandId)->status, CommandStatus::Completed);
}

void TestCommandLedger::deadlinesSurviveARestart_data()
{
    QTest::addColumn<int>("attempts");   // sends recorded by the previous run
    QTest::addColumn<int>("secondsAgo"); // when it made them
    QTest::addColumn<bool>("acknowledged");
    QTest::addColumn<QString>("error");
    // The new run's deadlines: ack 1 min, completion 1 h.
    QTest::newRow("sent, complete deadline passed") << 1 << 7200 << false << u"timeout"_s;
    QTest::newRow("acknowledged, complete deadline passed") << 1 << 7200 << true << u"timeout"_s;
    QTest::newRow("sent max attempts, ack deadline passed") << 3 << 120 << false << u"ack_timeout"_s;
}

void TestCommandLedger::deadlinesSurviveARestart()
{
    QFETCH(int, attempts);
    QFETCH(int, secondsAgo);
    QFETCH(bool, acknowledged);
    QFETCH(QString, error);

    // What a previous run left in the database: a command first sent two hours ago.
    m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    CommandInfo command;
    command.commandId = CommandLedger::newCommandId();
    command.agentId = u"k8s-1"_s;
    command.action = u"stop_session"_s;
    command.payload = {{u"sessionId"_s, u"s-1"_s}};
    QVERIFY(m_db->store()->createCommand(command).result().ok());
    const QDateTime longAgo = QDateTime::currentDateTimeUtc().addSecs(-secondsAgo);
    for (int i = 0; i < attempts; ++i) {
        Store::CommandTransitionRequest sent;
        sent.commandId = command.commandId;
        sent.to = CommandStatus::Sent;
        sent.countAttempt = true;
        sent.at = longAgo.addMSecs(i);
        QVERIFY(m_db->store()->advanceCommand(sent).result().ok());
    }
    if (acknowledged) {
        Store::CommandTransitionRequest ack;
        ack.commandId = command.commandId;
        ack.to = CommandStatus::Ack;
        ack.at = longAgo.addSecs(1);
        QVERIFY(m_db->store()->advanceCommand(ack).result().ok());
    }

    // The new run's ledger, swept at once: only stored timestamps can have expired.
    CommandLedger::Config config;
    config.ackTimeout = std::chrono::minutes(1);
    config.maxAttempts = 3;
    config.stopCompleteTimeout = std::chrono::hours(1);
    useConfig(config);
    m_ledger->sweepOverdue();
    QTRY_COMPARE(m_finished.size(), 1);
    QCOMPARE(m_finished.first().commandId, command.commandId);
    QCOMPARE(m_finished.first().status, CommandStatus::Failed);
    QCOMPARE(m_finished.first().error, error);
    QCOMPARE(m_db->command(command.commandId)->status, CommandStatus::Failed);
}

void TestCommandLedger::cancelPendingCommand()
{
    const protocol::AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    const CommandInfo first = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);
    const CommandInfo second = issueOk(u"k8s-1"_s, Action::StopSession, u"s-2"_s);

    const auto cancelled = awaitResult(m_ledger->cancel(first.commandId));
    QVERIFY(cancelled && *cancelled);
    QCOMPARE(cancelled->value().commandId, first.commandId);
    QCOMPARE(cancelled->value().status, CommandStatus::Cancelled);
    QCOMPARE(m_db->command(first.commandId)->status, CommandStatus::Cancelled);
    QCOMPARE(m_updates.last().status, CommandStatus::Cancelled);
    QCOMPARE(m_finished.size(), 1);
    QCOMPARE(m_finished.first().status, CommandStatus::Cancelled);

    // A cancelled command is never sent; the others still are.
    auto agent = m_harness->connect(info);
    QVERIFY(agent);
    QTRY_COMPARE(agent->commandIds(), QStringList{second.commandId});
    m_db->settle();
    QCOMPARE(m_db->command(first.commandId)->status, CommandStatus::Cancelled);
    QCOMPARE(m_db->command(first.commandId)->attempts, 0);
}

void TestCommandLedger::cancelOtherStatusesIsConflict_data()
{
    QTest::addColumn<QString>("answer"); // what the agent did before the cancel; "cancel" = cancelled before
    QTest::addColumn<QString>("status");
    QTest::newRow("sent") << QString() << u"sent"_s;
    QTest::newRow("ack") << u"ack"_s << u"ack"_s;
    QTest::newRow("completed") << u"complete"_s << u"completed"_s;
    QTest::newRow("failed") << u"failed"_s << u"failed"_s;
    QTest::newRow("cancelled") << u"cancel"_s << u"cancelled"_s;
}

void TestCommandLedger::cancelOtherStatusesIsConflict()
{
    QFETCH(QString, answer);
    QFETCH(QString, status);
    const protocol::AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    std::unique_ptr<AgentClient> agent;
    const CommandInfo issued = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);
    if (answer == u"cancel"_s) {
        QVERIFY(awaitResult(m_ledger->cancel(issued.commandId))->ok());
    } else {
        agent = m_harness->connect(info);
        QVERIFY(agent);
        QTRY_COMPARE(agent->commandIds().size(), 1);
        if (!answer.isEmpty())
            agent->send(answer, {{u"commandId"_s, issued.commandId}, {u"error"_s, u"no"_s}});
        QTRY_COMPARE(protocol::commandStatusName(m_db->command(issued.commandId)->status), status);
    }
    const qsizetype finishedBefore =
        status == u"completed"_s || status == u"failed"_s || status == u"cancelled"_s;
    QTRY_COMPARE(m_finished.size(), finishedBefore);

    const auto refused = awaitResult(m_ledger->cancel(issued.commandId));
    QVERIFY(refused && !*refused);
    QCOMPARE(refused->error().code, protocol::ErrorCode::Conflict);
    QVERIFY2(refused->error().message.contains(status), qPrintable(refused->error().message));
    QCOMPARE(protocol::commandStatusName(m_db->command(issued.commandId)->status), status);
    QCOMPARE(m_finished.size(), finishedBefore);

    const auto unknown = awaitResult(m_ledger->cancel(u"cmd-0000000000000000"_s));
    QVERIFY(unknown && !*unknown);
    QCOMPARE(unknown->error().code, protocol::ErrorCode::NotFound);
}

void TestCommandLedger::cancelRacingDeliveryOnConnectIsNeverSent()
{
    const protocol::AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    const CommandInfo kept = issueOk(u"k8s-1"_s, Action::StopSession, u"s-1"_s);
    const CommandInfo dropped = issueOk(u"k8s-1"_s, Action::StopSession, u"s-2"_s);
    m_db->settle();
    // The cancel is requested right after the ledger started reading the agent's pending commands:
    // that read still lists it as pending.
    QFuture<protocol::Decoded<CommandInfo>> cancelling;
    connect(m_hub.get(), &AgentHub::agentConnected, this,
            [&](const protocol::AgentInfo &) { cancelling = m_ledger->cancel(dropped.commandId); });
    auto agent = m_harness->connect(info);
    QVERIFY(agent);
    QTRY_VERIFY(cancelling.isFinished());
    QVERIFY(cancelling.result().ok());
    QTRY_COMPARE(agent->commandIds(), QStringList{kept.commandId});
    QTest::qWait(100);
    m_db->settle();
    QCOMPARE(agent->commandIds(), QStringList{kept.commandId});
    QCOMPARE(m_db->command(dropped.commandId)->status, CommandStatus::Cancelled);
}

QTEST_GUILESS_MAIN(TestCommandLedger)
#include "tst_commandledger.moc"
