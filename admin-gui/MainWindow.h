// The console's main window. It builds the views, menus, toolbar and status bar and wires them to
// the client and the models; it reads no protocol itself.
#pragma once

#include "Confirmation.h"
#include "MetricsView.h"

#include <QMainWindow>
#include <QTimer>

class QLabel;
class QTabWidget;

namespace switchboard::console {

class AgentsView;
class BroadcastDialog;
class CommandsView;
class ConsoleClient;
class ConsoleModels;
class ConsoleSettings;
class EventLogView;
class LogDock;
class OrgsView;
class SendCommandDialog;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(ConsoleClient *client, ConsoleSettings *settings, QWidget *parent = nullptr);
    ~MainWindow() override;

    enum Tab { AgentsTab, OrgsTab, EventsTab, CommandsTab };

    ConsoleModels *models() const { return m_models; }
    AgentsView *agentsView() const { return m_agentsView; }
    OrgsView *orgsView() const { return m_orgsView; }
    EventLogView *eventsView() const { return m_eventsView; }
    CommandsView *commandsView() const { return m_commandsView; }
    MetricsView *metricsView() const { return m_metricsView; }
    QTabWidget *tabs() const { return m_tabs; }
    QString connectionText() const;

    // Every confirmation (broadcasts, rejecting an agent) goes through this (tests say yes).
    void setConfirmation(ConfirmFunction confirm);

    // Non-modal dialogs, returned so that callers (and tests) can drive them.
    SendCommandDialog *openSendCommand(const QString &agentId = {});
    BroadcastDialog *openBroadcast(bool toOrg);
    LogDock *openLog(const QString &sessionId);
    void showConnectDialog();
    // One `metrics` message of the server: a point of the chart, the rate from the previous one.
    void showMetrics(const switchboard::protocol::admin::Metrics &metrics);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void updateConnectionState();
    void updateCounts();
    void showStatus(const QString &message);
    void focusFilter();

    ConsoleClient *m_client;
    ConsoleSettings *m_settings;
    ConsoleModels *m_models;
    QTabWidget *m_tabs;
    AgentsView *m_agentsView;
    OrgsView *m_orgsView;
    EventLogView *m_eventsView;
    CommandsView *m_commandsView;
    MetricsView *m_metricsView;
    QLabel *m_connection;
    QLabel *m_counts;
    MessageRate m_messageRate;
    ConfirmFunction m_confirm = messageBoxConfirmation();
    QAction *m_pauseAction = nullptr;
};

} // namespace switchboard::console
