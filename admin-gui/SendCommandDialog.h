// Sends a command to an agent: pick the agent and the action, edit the JSON payload (checked with
// the same validation the server applies before Send is enabled), then wait for the server's reply.
// The command's progress then shows in the commands table.
#pragma once

#include "Confirmation.h"

#include "shared/AgentProtocol.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QPlainTextEdit;

namespace switchboard::console {

class AgentTableModel;
class ConsoleClient;

class SendCommandDialog : public QDialog
{
    Q_OBJECT
public:
    SendCommandDialog(ConsoleClient *client, AgentTableModel *agents, QWidget *parent = nullptr);

    void setAgent(const QString &agentId);
    void setAction(protocol::agent::Action action);
    void setPayloadText(const QString &json);
    QString payloadText() const;
    bool isPayloadValid() const { return m_valid; }
    QString validationMessage() const;
    QComboBox *agentBox() const { return m_agent; }
    QComboBox *actionBox() const { return m_action; }
    QPushButton *sendButton() const;

    static QString actionLabel(protocol::agent::Action action); // translated
    static QString templatePayload(protocol::agent::Action action);

Q_SIGNALS:
    void commandSent(const QString &commandId);

private:
    void validate();
    void send();
    void onActionChanged();

    ConsoleClient *m_client;
    QComboBox *m_agent;
    QComboBox *m_action;
    QPlainTextEdit *m_payload;
    QLabel *m_validation;
    QLabel *m_progress;
    QDialogButtonBox *m_buttons;
    bool m_valid = false;
    QString m_lastTemplate;
};

} // namespace switchboard::console
