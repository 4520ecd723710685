#include "MainWindow.h"

#include "AgentsView.h"
#include "BroadcastDialog.h"
#include "CommandsView.h"
#include "ConnectDialog.h"
#include "ConsoleClient.h"
#include "ConsoleIcons.h"
#include "ConsoleModels.h"
#include "ConsoleSettings.h"
#include "EventLogView.h"
#include "LogDock.h"
#include "MetricsView.h"
#include "OrgsView.h"
#include "SendCommandDialog.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QToolButton>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

MainWindow::MainWindow(ConsoleClient *client, ConsoleSettings *settings, QWidget *parent)
    : QMainWindow(parent)
    , m_client(client)
    , m_settings(settings)
    , m_models(new ConsoleModels(client, this))
    , m_tabs(new QTabWidget(this))
    , m_agentsView(new AgentsView(m_models->agents(), client, this))
    , m_orgsView(new OrgsView(m_models->orgs(), client, this))
    , m_eventsView(new EventLogView(m_models->events(), m_models->orgs(), this))
    , m_commandsView(new CommandsView(m_models->commands(), client, this))
    , m_metricsView(new MetricsView(this))
    , m_connection(new QLabel(this))
    , m_counts(new QLabel(this))
{
    initConsoleResources();
    setObjectName(u"mainWindow"_s);
    setWindowTitle(tr("Switchboard Console"));
    setWindowIcon(consoleIcon(u"switchboard"_s));
    m_models->events()->setCapacity(settings->eventCapacity());

    m_tabs->setDocumentMode(false);
    m_tabs->addTab(m_agentsView, consoleIcon(u"agents"_s), tr("&Agents"));
    m_tabs->addTab(m_orgsView, consoleIcon(u"org"_s), tr("&Organisations"));
    m_tabs->addTab(m_eventsView, consoleIcon(u"event-session"_s), tr("Live &events"));
    m_tabs->addTab(m_commandsView, consoleIcon(u"commands"_s), tr("Co&mmands"));
    setCentralWidget(m_tabs);

    auto *metricsDock = new QDockWidget(tr("Metrics"), this);
    metricsDock->setObjectName(u"metricsDock"_s);
    metricsDock->setWidget(m_metricsView);
    addDockWidget(Qt::BottomDockWidgetArea, metricsDock);

    m_connection->setObjectName(u"connectionState"_s);
    statusBar()->addPermanentWidget(m_counts);
    statusBar()->addPermanentWidget(m_connection);

    connect(m_agentsView, &AgentsView::statusMessage, this, &MainWindow::showStatus);
    connect(m_agentsView, &AgentsView::sendCommandRequested, this,
            [this](const QString &agentId) { openSendCommand(agentId); });
    connect(m_orgsView, &OrgsView::statusMessage, this, &MainWindow::showStatus);
    connect(m_orgsView, &OrgsView::openLogRequested, this, &MainWindow::openLog);
    connect(m_eventsView, &EventLogView::statusMessage, this, &MainWindow::showStatus);
    connect(m_commandsView, &CommandsView::statusMessage, this, &MainWindow::showStatus);

    connect(client, &ConsoleClient::stateChanged, this, &MainWindow::updateConnectionState);
    connect(client, &ConsoleClient::reconnectScheduled, this, [this](int delayMs) {
        showStatus(tr("Connection lost; retrying in %1 s.").arg(QString::number(delayMs / 1000.0, 'f', 1)));
    });
    connect(client, &ConsoleClient::connectionError, this,
            [this](const QString &message) { showStatus(tr("Connection error: %1").arg(message)); });
    for (QAbstractItemModel *model :
         std::initializer_list<QAbstractItemModel *>{m_models->agents(), m_models->orgs()}) {
        connect(model, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateCounts);
        connect(model, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateCounts);
        connect(model, &QAbstractItemModel::dataChanged, this, &MainWindow::updateCounts);
        connect(model, &QAbstractItemModel::modelReset, this, &MainWindow::updateCounts);
    }

    createActions();
    updateConnectionState();
    updateCounts();

    connect(client, &ConsoleClient::metricsReceived, this, &MainWindow::showMetrics);

    resize(1280, 820);
    restoreGeometry(settings->windowGeometry());
    restoreState(settings->windowState());
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    QMenu *actionsMenu = menuBar()->addMenu(tr("&Actions"));
    QMenu *viewMenu = menuBar()->addMenu(tr("&View"));
    QMenu *helpMenu = menuBar()->addMenu(tr("&Help"));
    QToolBar *toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(u"mainToolbar"_s);
    toolbar->setMovable(false);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->setIconSize(QSize(20, 20));

    auto add = [this](QMenu *menu, const QString &name, const QString &icon, const QString &text,
                      const QKeySequence &shortcut, auto slot) {
        QAction *action = menu->addAction(icon.isEmpty() ? QIcon() : consoleIcon(icon), text);
        action->setObjectName(name);
        action->setShortcut(shortcut);
        action->setShortcutContext(Qt::ApplicationShortcut);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };

    QAction *connectAction = add(fileMenu, u"connectAction"_s, u"connect"_s, tr("&Connect…"),
                                 QKeySequence(Qt::CTRL | Qt::Key_K), [this] { showConnectDialog(); });
    connectAction->setToolTip(tr("Connect to a server (Ctrl+K)"));
    QAction *disconnectAction =
        add(fileMenu, u"disconnectAction"_s, u"disconnect"_s, tr("&Disconnect"),
            QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K), [this] { m_client->disconnectFromServer(); });
    fileMenu->addSeparator();
    add(fileMenu, u"exportAction"_s, u"export"_s, tr("&Export events…"), QKeySequence::Save,
        [this] { m_eventsView->exportWithDialog(); });
    fileMenu->addSeparator();
    add(fileMenu, u"quitAction"_s, QString(), tr("&Quit"), QKeySequence::Quit, [this] { close(); });

    QAction *sendAction = add(actionsMenu, u"sendCommandAction"_s, u"send"_s, tr("&Send command…"),
                              QKeySequence(Qt::CTRL | Qt::Key_Return),
                              [this] { openSendCommand(m_agentsView->selectedAgentId()); });
    sendAction->setToolTip(tr("Send a command to an agent (Ctrl+Enter)"));
    QAction *broadcastAction =
        add(actionsMenu, u"broadcastAction"_s, u"broadcast"_s, tr("&Broadcast to agents…"),
            QKeySequence(Qt::CTRL | Qt::Key_B), [this] { openBroadcast(false); });
    QAction *announceAction =
        add(actionsMenu, u"announceAction"_s, u"broadcast"_s, tr("&Announce to an organisation…"),
            QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B), [this] { openBroadcast(true); });
    actionsMenu->addSeparator();
    m_pauseAction = add(actionsMenu, u"pauseAction"_s, u"pause"_s, tr("&Pause events"),
                        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P),
                        [this](bool checked) { m_eventsView->setPaused(checked); });
    m_pauseAction->setCheckable(true);
    connect(m_eventsView->pauseButton(), &QToolButton::toggled, m_pauseAction, &QAction::setChecked);

    add(viewMenu, u"filterAction"_s, QString(), tr("&Focus filter"), QKeySequence::Find,
        [this] { focusFilter(); });
    viewMenu->addSeparator();
    const QString tabNames[] = {tr("&Agents"), tr("&Organisations"), tr("Live &events"), tr("Co&mmands")};
    for (int tab = 0; tab < 4; ++tab) {
        add(viewMenu, u"tabAction%1"_s.arg(tab), QString(), tabNames[tab],
            QKeySequence(Qt::ALT | (Qt::Key_1 + tab)), [this, tab] { m_tabs->setCurrentIndex(tab); });
    }
    viewMenu->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        viewMenu->addAction(dock->toggleViewAction());

    add(helpMenu, u"aboutAction"_s, u"switchboard"_s, tr("&About Switchboard Console"), QKeySequence(),
        [this] {
            QMessageBox::about(
                this, tr("About Switchboard Console"),
                tr("<h3>Switchboard Console %1</h3><p>The operator's console for the Switchboard "
                   "control plane: agents, organisations, live events and commands.</p>")
                    .arg(QCoreApplication::applicationVersion()));
        });

    toolbar->addAction(connectAction);
    toolbar->addAction(disconnectAction);
    toolbar->addSeparator();
    toolbar->addAction(sendAction);
    toolbar->addAction(broadcastAction);
    toolbar->addAction(announceAction);
    toolbar->addSeparator();
    toolbar->addAction(m_pauseAction);

    const auto refreshEnabled = [this, disconnectAction, sendAction, broadcastAction, announceAction] {
        const bool connected = m_client->state() == ConsoleClient::State::Connected;
        disconnectAction->setEnabled(m_client->state() != ConsoleClient::State::Disconnected);
        sendAction->setEnabled(connected);
        broadcastAction->setEnabled(connected);
        announceAction->setEnabled(connected);
    };
    connect(m_client, &ConsoleClient::stateChanged, this, refreshEnabled);
    refreshEnabled();
}

void MainWindow::setConfirmation(ConfirmFunction confirm)
{
    m_confirm = confirm;
    m_agentsView->setConfirmation(confirm);
}

QString MainWindow::connectionText() const
{
    return m_connection->text();
}

void MainWindow::updateConnectionState()
{
    const ConsoleClient::State state = m_client->state();
    QString text = stateName(state);
    if (state != ConsoleClient::State::Disconnected)
        text =
            tr("%1 — %2").arg(text, m_client->serverUrl().toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery));
    m_connection->setText(text);
    const char *property = state == ConsoleClient::State::Connected      ? "connected"
                           : state == ConsoleClient::State::Disconnected ? "disconnected"
                                                                         : "reconnecting";
    m_connection->setProperty("state", QString::fromLatin1(property));
    m_connection->style()->unpolish(m_connection);
    m_connection->style()->polish(m_connection);
    setWindowTitle(state == ConsoleClient::State::Connected
                       ? tr("Switchboard Console — %1").arg(m_client->serverUrl().host())
                       : tr("Switchboard Console"));
}

void MainWindow::updateCounts()
{
    const int agents = m_models->agents()->rowCount();
    m_counts->setText(tr("%1 agents (%2 connected) · %3 clients · %4 sessions")
                          .arg(agents)
                          .arg(m_models->agents()->connectedCount())
                          .arg(m_models->orgs()->totalClients())
                          .arg(m_models->orgs()->sessionCount()));
}

void MainWindow::showMetrics(const admin::Metrics &metrics)
{
    // The cluster's totals (a server older than them sends its replica's counts only). The rate
    // stays the connected replica's: the sum of several replicas' totals restarts whenever one
    // joins or leaves.
    const int agents = metrics.cluster ? metrics.cluster->agentsConnected : metrics.agentsConnected;
    const int clients = metrics.cluster ? metrics.cluster->browserClients : metrics.browserClients;
    m_metricsView->addSample(metrics.timestamp.toLocalTime(), agents, clients, m_messageRate.add(metrics));
}

void MainWindow::showStatus(const QString &message)
{
    statusBar()->showMessage(message, 8000);
}

void MainWindow::focusFilter()
{
    QLineEdit *filter = nullptr;
    switch (m_tabs->currentIndex()) {
    case AgentsTab:
        filter = m_agentsView->filterEdit();
        break;
    case OrgsTab:
        filter = m_orgsView->filterEdit();
        break;
    case EventsTab:
        filter = m_eventsView->filterEdit();
        break;
    case CommandsTab:
        filter = m_commandsView->filterEdit();
        break;
    }
    if (filter) {
        filter->setFocus(Qt::ShortcutFocusReason);
        filter->selectAll();
    }
}

void MainWindow::showConnectDialog()
{
    auto *dialog = new ConnectDialog(m_settings, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { m_client->connectToServer(dialog->serverUrl(), dialog->token()); });
    dialog->open();
}

SendCommandDialog *MainWindow::openSendCommand(const QString &agentId)
{
    auto *dialog = new SendCommandDialog(m_client, m_models->agents(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!agentId.isEmpty())
        dialog->setAgent(agentId);
    connect(dialog, &SendCommandDialog::commandSent, this, [this](const QString &commandId) {
        m_tabs->setCurrentWidget(m_commandsView);
        m_commandsView->selectCommand(commandId);
        showStatus(tr("Command %1 accepted by the server.").arg(commandId));
    });
    dialog->open();
    return dialog;
}

BroadcastDialog *MainWindow::openBroadcast(bool toOrg)
{
    auto *dialog =
        new BroadcastDialog(toOrg ? BroadcastDialog::Mode::Org : BroadcastDialog::Mode::Agents, m_client,
                            m_models->agents()->agentIds(), m_models->orgs()->orgIds(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setConfirmation(m_confirm);
    connect(dialog, &BroadcastDialog::delivered, this,
            [this](int count) { showStatus(tr("Delivered to %n recipient(s).", nullptr, count)); });
    dialog->open();
    return dialog;
}

LogDock *MainWindow::openLog(const QString &sessionId)
{
    if (sessionId.isEmpty())
        return nullptr;
    if (auto *existing = findChild<LogDock *>(u"log-"_s + sessionId)) {
        existing->show();
        existing->raise();
        return existing;
    }
    auto *dock = new LogDock(m_client->openLogStream(sessionId, nullptr), this);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    if (auto *metrics = findChild<QDockWidget *>(u"metricsDock"_s))
        tabifyDockWidget(metrics, dock);
    dock->show();
    dock->raise();
    return dock;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_settings->setWindowLayout(saveGeometry(), saveState());
    event->accept();
}

} // namespace switchboard::console
