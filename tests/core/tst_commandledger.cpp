// CommandLedger with a real AgentHub, real sockets and a Store on a SQLite file: the monotonic
// command lifecycle, answers out of order, answers from the wrong agent, and delivery of waiting
// commands when an agent connects.
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

private:
    CommandInfo issueOk(const QString &agentId, Action action, const QString &sessionId);

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
    m_ledger = std::make_unique<CommandLedger>(m_db->store(), m_hub.get());
    m_harness = std::make_unique<AgentHarness>(m_hub.get());
    QVERIFY(m_harness->listening());
    m_updates.clear();
    m_finished.clear();
    connect(m_ledger.get(), &CommandLedger::commandUpdated, this,
            [this](const CommandInfo &command) { m_updates.append(command); });
    connect(m_ledger.get(), &CommandLedger::commandFinished, this,
            [this](const CommandInfo &command) { m_finished.append(command); });
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

QTEST_GUILESS_MAIN(TestCommandLedger)
#include "tst_commandledger.moc"
