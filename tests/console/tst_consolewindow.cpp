// The console's window against a real in-process server and a real agent simulator, driven the
// way an operator does: agents appear in the table and filter, a pending agent is approved from
// the context menu, a command is sent from the dialog (whose JSON check gates Send) and completes
// in the commands table, events arrive and are filtered, paused, resumed and exported, broadcasts
// go out after confirmation, a session's live log opens in a dock, shortcuts exist.
#include "AgentsView.h"
#include "BroadcastDialog.h"
#include "CommandsView.h"
#include "ConsoleClient.h"
#include "ConsoleModels.h"
#include "ConsoleSettings.h"
#include "ConsoleTestKit.h"
#include "EventLogView.h"
#include "LogDock.h"
#include "MainWindow.h"
#include "SendCommandDialog.h"
#include "TestServer.h"

#include <QAction>
#include <QComboBox>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QToolButton>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::console;
using namespace switchboard::console::test;
using namespace switchboard::protocol;
using switchboard::test::TestServer;

// A console window connected to a fake admin stream that sent an empty snapshot; `peer` is the
// server side, for the test to send more.
struct WindowOnFakeServer
{
    QWebSocketServer server{u"fake"_s, QWebSocketServer::NonSecureMode};
    std::unique_ptr<QWebSocket> peer;
    QTemporaryDir dir;
    ConsoleSettings settings{dir.filePath(u"console.ini"_s)};
    ConsoleClient client;
    MainWindow window{&client, &settings};

    bool connect()
    {
        if (!server.listen(QHostAddress::LocalHost, 0))
            return false;
        QObject::connect(&server, &QWebSocketServer::newConnection, &server, [this] {
            peer.reset(server.nextPendingConnection());
            peer->sendTextMessage(u"{\"type\":\"snapshot\",\"agents\":[],\"orgs\":[],\"commands\":[]}"_s);
        });
        client.connectToServer(QUrl(u"http://127.0.0.1:%1"_s.arg(server.serverPort())), u"t"_s);
        return QTest::qWaitFor([this] { return client.state() == ConsoleClient::State::Connected; }, 5000) &&
               peer;
    }
};

class TestConsoleWindow : public QObject
{
    Q_OBJECT

private:
    static bool commandDone(CommandTableModel *commands, const QString &action)
    {
        for (int row = 0; row < commands->rowCount(); ++row) {
            if (commands->commandAt(row).action == action &&
                commands->commandAt(row).status == CommandStatus::Completed)
                return true;
        }
        return false;
    }

private Q_SLOTS:
    void operatorWorkflow()
    {
        TestServer server;
        QVERIFY(server.start());
        const quint16 port = server.server()->serverPort();
        const auto agent = server.createAgent(u"sim-a"_s, u"acme"_s);
        server.createAgent(u"newcomer"_s, u"acme"_s, ApprovalStatus::Pending);
        auto simulator = startAgent(port, agent.agentId, agent.apiKey, {u"--hibernate-delay"_s, u"0.1"_s});

        QTemporaryDir dir;
        ConsoleSettings settings(dir.filePath(u"console.ini"_s));
        ConsoleClient client;
        MainWindow window(&client, &settings);
        int confirmations = 0;
        window.setConfirmation([&confirmations](QWidget *, const QString &, const QString &) {
            ++confirmations;
            return true;
        });
        window.show();
        client.connectToServer(QUrl(u"http://127.0.0.1:%1"_s.arg(port)),
                               server.token(u"root"_s, u"acme"_s, Role::Admin));
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), ConsoleClient::State::Connected, 10000);
        QVERIFY(window.connectionText().contains(u"127.0.0.1"_s));

        // Agents appear; the filter narrows the table.
        AgentsView *agents = window.agentsView();
        QTRY_COMPARE_WITH_TIMEOUT(agents->table()->model()->rowCount(), 2, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->agents()->connectedCount(), 1, 15000);
        agents->filterEdit()->setText(u"newc"_s);
        QCOMPARE(agents->table()->model()->rowCount(), 1);
        agents->filterEdit()->clear();
        QCOMPARE(agents->table()->model()->rowCount(), 2);

        // Approve the pending agent from its context menu.
        QVERIFY(agents->selectAgent(u"newcomer"_s));
        std::unique_ptr<QMenu> menu(agents->createContextMenu(nullptr));
        QAction *approve = menu->findChild<QAction *>(u"approveAction"_s);
        QVERIFY(approve && approve->isEnabled());
        approve->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->agents()->agent(u"newcomer"_s)->approvalStatus,
                                  ApprovalStatus::Approved, 10000);
        QCOMPARE(agents->selectedAgentId(), u"newcomer"_s); // selection kept through the update
        menu.reset(agents->createContextMenu(nullptr));
        QVERIFY(!menu->findChild<QAction *>(u"approveAction"_s)->isEnabled());

        // A session to act on.
        admin::SessionStart start;
        start.orgId = u"acme"_s;
        start.userId = u"alice"_s;
        start.templateName = u"firefox"_s;
        start.agentId = u"sim-a"_s;
        QSignalSpy started(client.startSession(start), &ConsoleRequest::finished);
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 10000);
        const QString sessionId = started.first()
                                      .at(0)
                                      .toJsonObject()
                                      .value("session"_L1)
                                      .toObject()
                                      .value("sessionId"_L1)
                                      .toString();
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->orgs()->sessionCount(SessionState::Running), 1, 15000);

        // The send-command dialog: invalid JSON and invalid payloads keep Send disabled.
        SendCommandDialog *dialog = window.openSendCommand(u"sim-a"_s);
        QCOMPARE(dialog->agentBox()->currentData().toString(), u"sim-a"_s);
        dialog->setAction(agent::Action::HibernateSession);
        dialog->setPayloadText(u"{\"sessionId\": "_s);
        QVERIFY(!dialog->isPayloadValid());
        QVERIFY(!dialog->sendButton()->isEnabled());
        QVERIFY(dialog->validationMessage().contains(u"JSON"_s));
        dialog->setPayloadText(u"[1, 2]"_s);
        QVERIFY(!dialog->sendButton()->isEnabled());
        dialog->setPayloadText(u"{\"tailLines\": 5}"_s);
        QVERIFY(!dialog->sendButton()->isEnabled());
        QVERIFY(dialog->validationMessage().contains(u"sessionId"_s));
        dialog->setPayloadText(u"{\"sessionId\": \"%1\"}"_s.arg(sessionId));
        QVERIFY(dialog->sendButton()->isEnabled());
        QSignalSpy sent(dialog, &SendCommandDialog::commandSent);
        QTest::mouseClick(dialog->sendButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(sent.count(), 1, 10000);
        const QString commandId = sent.first().at(0).toString();
        QVERIFY(!commandId.isEmpty());
        QCOMPARE(window.tabs()->currentIndex(), int(MainWindow::CommandsTab));
        QCOMPARE(window.commandsView()->selectedCommandId(), commandId);
        QTRY_VERIFY_WITH_TIMEOUT(commandDone(window.models()->commands(), u"hibernate_session"_s), 15000);

        // Events arrived; filter them by text and by type.
        EventLogView *events = window.eventsView();
        QTRY_VERIFY_WITH_TIMEOUT(window.models()->events()->rowCount() > 3, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->orgs()->sessionCount(SessionState::Hibernated), 1, 15000);
        events->filterEdit()->setText(u"hibernated"_s);
        QVERIFY(events->proxy()->rowCount() >= 1);
        for (int row = 0; row < events->proxy()->rowCount(); ++row)
            QVERIFY(events->proxy()
                        ->index(row, EventLogModel::Summary)
                        .data()
                        .toString()
                        .contains(u"hibernated"_s, Qt::CaseInsensitive));
        events->filterEdit()->clear();
        events->categoryFilter()->setCurrentIndex(
            events->categoryFilter()->findData(int(EventEntry::Category::Command)));
        QVERIFY(events->proxy()->rowCount() >= 1);
        QVERIFY(events->proxy()->rowCount() < window.models()->events()->rowCount());
        for (int row = 0; row < events->proxy()->rowCount(); ++row)
            QCOMPARE(events->proxy()->index(row, EventLogModel::Type).data().toString(),
                     u"command.updated"_s);
        events->categoryFilter()->setCurrentIndex(0);

        // Pause (toolbar action / button), wake the session meanwhile, resume: nothing lost.
        events->pauseButton()->click();
        QVERIFY(window.models()->events()->isPaused());
        const int shown = window.models()->events()->rowCount();
        QSignalSpy woke(client.controlSession(agent::Action::WakeSession, sessionId),
                        &ConsoleRequest::finished);
        QTRY_COMPARE_WITH_TIMEOUT(woke.count(), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(window.models()->events()->heldCount() > 0, 10000);
        QCOMPARE(window.models()->events()->rowCount(), shown);
        const int held = window.models()->events()->heldCount();
        events->pauseButton()->click();
        QVERIFY(!window.models()->events()->isPaused());
        QVERIFY(window.models()->events()->rowCount() >= shown + held);

        // Export what is shown.
        events->orgFilter()->setCurrentIndex(events->orgFilter()->findData(u"acme"_s));
        const QString exportPath = dir.filePath(u"events.jsonl"_s);
        QVERIFY(events->exportTo(exportPath));
        QFile exported(exportPath);
        QVERIFY(exported.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = exported.readAll().split('\n');
        QCOMPARE(lines.size() - 1, events->proxy()->rowCount());
        QVERIFY(lines.first().contains("\"orgId\":\"acme\""));
        events->orgFilter()->setCurrentIndex(0);

        // Broadcasts go out after a confirmation.
        BroadcastDialog *broadcast = window.openBroadcast(false);
        broadcast->setMessage(u"Maintenance at 22:00"_s);
        QSignalSpy delivered(broadcast, &BroadcastDialog::delivered);
        QTest::mouseClick(broadcast->sendButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(delivered.count(), 1, 10000);
        QCOMPARE(delivered.first().at(0).toInt(), 1);
        QCOMPARE(confirmations, 1);
        BroadcastDialog *announce = window.openBroadcast(true);
        announce->setOrg(u"acme"_s);
        announce->setSendAsJson(true);
        announce->setMessage(u"{\"banner\": "_s);
        QVERIFY(!announce->sendButton()->isEnabled());
        announce->setMessage(u"{\"banner\": \"Maintenance tonight\"}"_s);
        QVERIFY(announce->sendButton()->isEnabled());
        QSignalSpy announced(announce, &BroadcastDialog::delivered);
        QTest::mouseClick(announce->sendButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(announced.count(), 1, 10000);
        QCOMPARE(confirmations, 2);

        // The session's live log opens in a dock and shows lines from the agent.
        LogDock *log = window.openLog(sessionId);
        QVERIFY(log);
        QCOMPARE(window.openLog(sessionId), log); // one dock per session
        QTRY_VERIFY_WITH_TIMEOUT(!log->text()->toPlainText().isEmpty(), 15000);
        QCOMPARE(log->statusText(), u"Streaming"_s);

        // Keyboard shortcuts.
        const auto shortcut = [&window](const QString &name) {
            auto *action = window.findChild<QAction *>(name);
            return action ? action->shortcut() : QKeySequence();
        };
        QCOMPARE(shortcut(u"connectAction"_s), QKeySequence(Qt::CTRL | Qt::Key_K));
        QCOMPARE(shortcut(u"sendCommandAction"_s), QKeySequence(Qt::CTRL | Qt::Key_Return));
        QCOMPARE(shortcut(u"pauseAction"_s), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
        QCOMPARE(shortcut(u"filterAction"_s), QKeySequence(QKeySequence::Find));
        window.tabs()->setCurrentIndex(MainWindow::EventsTab);
        window.findChild<QAction *>(u"filterAction"_s)->trigger();
        QCOMPARE(window.focusWidget(), events->filterEdit()); // the window is not active offscreen
        window.findChild<QAction *>(u"pauseAction"_s)->trigger();
        QVERIFY(window.models()->events()->isPaused());
        QVERIFY(events->pauseButton()->isChecked());

        stopAgent(simulator.get());
    }

    void settingsStoreTheTokenOnlyWhenRemembered()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"console.ini"_s);
        {
            ConsoleSettings settings(path);
            settings.rememberServer(QUrl(u"http://a:1"_s));
            settings.rememberServer(QUrl(u"http://b:2"_s));
            settings.rememberServer(QUrl(u"http://a:1"_s));
            settings.setToken(u"secret-one"_s, false);
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains("secret-one"));
        file.close();
        {
            ConsoleSettings settings(path);
            QCOMPARE(settings.recentServers(), (QStringList{u"http://a:1"_s, u"http://b:2"_s}));
            QCOMPARE(settings.token(), QString());
            settings.setToken(u"secret-two"_s, true);
        }
        {
            ConsoleSettings settings(path);
            QCOMPARE(settings.token(), u"secret-two"_s);
            settings.setToken(u"secret-two"_s, false); // unticking forgets it
        }
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains("secret-two"));
    }

    // The server's `metrics` frames reach the chart: agents and clients as sent, messages per
    // second from the totals of consecutive samples; no rate from a first sample or across a
    // restart (totals going down, another replica).
    void metricsReachTheChart_data()
    {
        QTest::addColumn<QList<admin::Metrics>>("samples");
        QTest::addColumn<QList<double>>("rates");
        const QDateTime t0(QDate(2025, 12, 4), QTime(10, 0), Qt::UTC);
        const auto at = [&](int seconds, quint64 in, quint64 out, const QString &replica = u"r1"_s) {
            return admin::Metrics{t0.addSecs(seconds), replica, 3, 7, in, out, {}, {}, false};
        };
        QTest::newRow("first sample") << QList<admin::Metrics>{at(0, 100, 200)} << QList<double>{};
        QTest::newRow("steady") << QList<admin::Metrics>{at(0, 100, 200), at(2, 150, 250), at(4, 150, 250)}
                                << QList<double>{50.0, 0.0};
        QTest::newRow("server restarted")
            << QList<admin::Metrics>{at(0, 1000, 2000), at(5, 10, 20), at(10, 30, 50)} << QList<double>{10.0};
        QTest::newRow("only one total went down")
            << QList<admin::Metrics>{at(0, 1000, 2000), at(5, 1010, 20), at(10, 1030, 50)}
            << QList<double>{10.0};
        QTest::newRow("another replica")
            << QList<admin::Metrics>{at(0, 100, 100), at(1, 500, 500, u"r2"_s), at(2, 501, 501, u"r2"_s)}
            << QList<double>{2.0};
    }

    void metricsReachTheChart()
    {
        QFETCH(QList<admin::Metrics>, samples);
        QFETCH(QList<double>, rates);
        WindowOnFakeServer fake;
        QVERIFY(fake.connect());
        QWebSocket *peer = fake.peer.get();
        MainWindow &window = fake.window;
        for (const admin::Metrics &sample : std::as_const(samples))
            peer->sendTextMessage(QString::fromUtf8(admin::encodeMetrics(sample)));
        MetricsView *view = window.metricsView();
        QTRY_COMPARE_WITH_TIMEOUT(view->sampleCount(), int(samples.size()), 5000);
        const QList<QPointF> points = view->ratePoints();
        QCOMPARE(points.size(), rates.size());
        for (qsizetype i = 0; i < rates.size(); ++i)
            QCOMPARE(points.at(i).y(), rates.at(i));
        QVERIFY(view->summary().contains(u"3 agents, 7 browser clients"_s));
    }

    // A server with the cluster view: the chart shows the cluster's totals, not the replica's.
    void metricsShowClusterTotals()
    {
        WindowOnFakeServer fake;
        QVERIFY(fake.connect());
        QWebSocket *peer = fake.peer.get();
        MainWindow &window = fake.window;
        admin::Metrics sample{QDateTime::currentDateTimeUtc(),    u"r1"_s, 3,    7, 100, 200,
                              admin::LoadCounts{5, 11, 300, 400}, {},      false};
        sample.replicas = {admin::ReplicaLoad{u"r1"_s, {3, 7, 100, 200}, {}},
                           admin::ReplicaLoad{u"r2"_s, {2, 4, 200, 200}, {}}};
        peer->sendTextMessage(QString::fromUtf8(admin::encodeMetrics(sample)));
        MetricsView *view = window.metricsView();
        QTRY_COMPARE_WITH_TIMEOUT(view->sampleCount(), 1, 5000);
        QVERIFY2(view->summary().contains(u"5 agents, 11 browser clients"_s), qPrintable(view->summary()));
    }
};

QTEST_MAIN(TestConsoleWindow)
#include "tst_consolewindow.moc"
