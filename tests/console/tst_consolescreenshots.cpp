// Renders the console with live data from a real in-process server and agent simulators to PNG
// files (build directory: tests/console/screenshots, or $SWITCHBOARD_SCREENSHOT_DIR). docs/CONSOLE.md
// shows them; see there for the command that regenerates them.
#include "AgentsView.h"
#include "BroadcastDialog.h"
#include "CommandsView.h"
#include "ConsoleClient.h"
#include "ConsoleIcons.h"
#include "ConsoleModels.h"
#include "ConsoleSettings.h"
#include "ConsoleTestKit.h"
#include "EventLogView.h"
#include "LogDock.h"
#include "MainWindow.h"
#include "OrgsView.h"
#include "SendCommandDialog.h"
#include "TestClients.h"
#include "TestServer.h"

#include <QDir>
#include <QDockWidget>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::console;
using namespace switchboard::console::test;
using namespace switchboard::protocol;
using switchboard::test::JsonSocket;
using switchboard::test::TestServer;

class TestConsoleScreenshots : public QObject
{
    Q_OBJECT

private:
    QString m_dir;

    void save(QWidget *widget, const QString &name)
    {
        QCoreApplication::processEvents();
        const QPixmap pixmap = widget->grab();
        QVERIFY(!pixmap.isNull());
        const QString path = m_dir + u'/' + name + u".png"_s;
        QVERIFY2(pixmap.save(path), qPrintable(path));
        QVERIFY(QFileInfo(path).size() > 1000);
        qInfo() << "wrote" << path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_dir = qEnvironmentVariable("SWITCHBOARD_SCREENSHOT_DIR",
                                     QCoreApplication::applicationDirPath() + u"/screenshots"_s);
        QVERIFY(QDir().mkpath(m_dir));
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedKingdom));
        applyConsoleStyle();
    }

    void render()
    {
        TestServer server;
        QVERIFY(server.start());
        const quint16 port = server.server()->serverPort();
        std::vector<std::unique_ptr<QProcess>> simulators;
        const struct
        {
            const char *id;
            const char *org;
            Platform platform;
            const char *region;
        } fleet[] = {{"k8s-eu-1", "acme", Platform::Kubernetes, "eu-west-1"},
                     {"k8s-eu-2", "acme", Platform::Kubernetes, "eu-west-1"},
                     {"docker-us-1", "globex", Platform::Docker, "us-east-2"},
                     {"vm-lab-1", "initech", Platform::Vm, "on-prem-lab"}};
        for (const auto &entry : fleet) {
            const auto created =
                server.createAgent(QString::fromLatin1(entry.id), QString::fromLatin1(entry.org),
                                   ApprovalStatus::Approved, entry.platform);
            simulators.push_back(
                startAgent(port, created.agentId, created.apiKey,
                           {u"--hibernate-delay"_s, u"0.1"_s, u"--platform"_s, platformName(entry.platform),
                            u"--region"_s, QString::fromLatin1(entry.region)}));
        }
        server.createAgent(u"cloud-ap-1"_s, u"globex"_s, ApprovalStatus::Approved,
                           Platform::Cloud); // never connects
        server.createAgent(u"k8s-new-3"_s, u"acme"_s, ApprovalStatus::Pending, Platform::Kubernetes);

        QTemporaryDir dir;
        ConsoleSettings settings(dir.filePath(u"console.ini"_s));
        ConsoleClient client;
        MainWindow window(&client, &settings);
        window.setConfirmation([](QWidget *, const QString &, const QString &) { return true; });
        window.resize(1360, 860);
        window.show();
        client.connectToServer(QUrl(u"http://127.0.0.1:%1"_s.arg(port)),
                               server.token(u"root"_s, u"acme"_s, Role::Admin));
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), ConsoleClient::State::Connected, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->agents()->connectedCount(), 4, 20000);

        // Browser clients of two orgs.
        std::vector<std::unique_ptr<JsonSocket>> browsers;
        const auto openBrowser = [&](const QString &user, const QString &org) {
            auto socket = std::make_unique<JsonSocket>();
            QVERIFY(
                socket->open(server.wsUrl(u"/api/v1/ws/sessions"_s, server.token(user, org, Role::User))));
            browsers.push_back(std::move(socket));
        };
        for (const auto &[user, org] : {std::pair{u"alice"_s, u"acme"_s},
                                        {u"bob"_s, u"acme"_s},
                                        {u"carol"_s, u"acme"_s},
                                        {u"gina"_s, u"globex"_s},
                                        {u"hank"_s, u"globex"_s}})
            openBrowser(user, org);
        // The console's own admin connection counts as a client of its token's org (acme).
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->orgs()->totalClients(), 6, 10000);

        // Sessions: started, one hibernated, one stopped.
        QStringList sessions;
        const auto startSession = [&](const QString &org, const QString &user, const QString &templateName) {
            admin::SessionStart start;
            start.orgId = org;
            start.userId = user;
            start.templateName = templateName;
            QSignalSpy done(client.startSession(start), &ConsoleRequest::finished);
            QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 10000);
            sessions.append(done.first()
                                .at(0)
                                .toJsonObject()
                                .value("session"_L1)
                                .toObject()
                                .value("sessionId"_L1)
                                .toString());
            QTest::qWait(300);
        };
        startSession(u"acme"_s, u"alice"_s, u"firefox"_s);
        startSession(u"acme"_s, u"alice"_s, u"vscode"_s);
        startSession(u"acme"_s, u"bob"_s, u"gimp"_s);
        startSession(u"globex"_s, u"gina"_s, u"libreoffice"_s);
        startSession(u"initech"_s, u"peter"_s, u"firefox"_s);
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->orgs()->sessionCount(SessionState::Running), 5, 20000);
        QSignalSpy hibernated(client.controlSession(agent::Action::HibernateSession, sessions.at(1)),
                              &ConsoleRequest::finished);
        QTRY_COMPARE_WITH_TIMEOUT(hibernated.count(), 1, 10000);
        QSignalSpy stopped(client.controlSession(agent::Action::StopSession, sessions.at(4)),
                           &ConsoleRequest::finished);
        QTRY_COMPARE_WITH_TIMEOUT(stopped.count(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->orgs()->sessionCount(SessionState::Hibernated), 1, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->orgs()->sessionCount(SessionState::Terminated), 1, 15000);
        // A refused command, to show a failure in the table.
        QSignalSpy refused(client.sendCommand(u"k8s-eu-2"_s, agent::Action::WakeSession,
                                              QJsonObject{{"sessionId"_L1, u"ghost-session"_s}}),
                           &ConsoleRequest::done);
        QTRY_COMPARE_WITH_TIMEOUT(refused.count(), 1, 10000);
        for (int i = 0; i < 6; ++i) {
            QTest::qWait(250);
        }
        browsers.pop_back();
        QTRY_COMPARE_WITH_TIMEOUT(window.models()->orgs()->totalClients(), 5, 10000);
        for (int i = 0; i < 4; ++i) {
            QTest::qWait(250);
        }
        QTest::qWait(1200); // let "last heartbeat" read a few seconds
        // The server's metrics (every 0.2 s in tests) have drawn the chart.
        QTRY_VERIFY_WITH_TIMEOUT(window.metricsView()->ratePoints().size() >= 2, 10000);

        window.tabs()->setCurrentIndex(MainWindow::AgentsTab);
        window.agentsView()->selectAgent(u"k8s-eu-1"_s);
        save(&window, u"console-agents"_s);

        window.tabs()->setCurrentIndex(MainWindow::OrgsTab);
        window.orgsView()->tree()->expandAll();
        save(&window, u"console-organisations"_s);

        window.tabs()->setCurrentIndex(MainWindow::EventsTab);
        save(&window, u"console-events"_s);

        window.tabs()->setCurrentIndex(MainWindow::CommandsTab);
        save(&window, u"console-commands"_s);

        SendCommandDialog *dialog = window.openSendCommand(u"k8s-eu-1"_s);
        dialog->setAction(agent::Action::HibernateSession);
        dialog->setPayloadText(u"{\n  \"sessionId\": \"%1\"\n}"_s.arg(sessions.at(0)));
        save(dialog, u"console-send-command"_s);
        dialog->setPayloadText(u"{\n  \"sessionId\": \"%1\",\n}"_s.arg(sessions.at(0)));
        save(dialog, u"console-send-command-invalid"_s);
        dialog->close();

        BroadcastDialog *announce = window.openBroadcast(true);
        announce->setOrg(u"acme"_s);
        announce->setMessage(u"Maintenance tonight 22:00–23:00 UTC. Save your work."_s);
        save(announce, u"console-announcement"_s);
        announce->close();

        window.tabs()->setCurrentIndex(MainWindow::AgentsTab);
        LogDock *log = window.openLog(sessions.at(0));
        QTRY_VERIFY_WITH_TIMEOUT(
            !log->text()->toPlainText().isEmpty() || !log->statusText().startsWith(u"Connecting"_s), 10000);
        QTest::qWait(1500);
        save(&window, u"console-session-log"_s);

        for (auto &simulator : simulators)
            stopAgent(simulator.get());
    }
};

QTEST_MAIN(TestConsoleScreenshots)
#include "tst_consolescreenshots.moc"
