// Two announcements from one dialog: a message to every agent (agents.broadcast, optionally
// excluding one, optionally as a shutdown) or an announcement to every connected client of an
// organisation (org.broadcast). Both ask for confirmation before they go out.
#pragma once

#include "Confirmation.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace switchboard::console {

class ConsoleClient;

class BroadcastDialog : public QDialog
{
    Q_OBJECT
public:
    enum class Mode { Agents, Org };

    BroadcastDialog(Mode mode, ConsoleClient *client, const QStringList &agentIds, const QStringList &orgIds,
                    QWidget *parent = nullptr);

    void setConfirmation(ConfirmFunction confirm) { m_confirm = std::move(confirm); }
    Mode mode() const { return m_mode; }
    void setMessage(const QString &text);
    void setExcludedAgent(const QString &agentId);
    void setOrg(const QString &orgId);
    void setShutdown(bool shutdown);
    void setSendAsJson(bool json);
    QPushButton *sendButton() const { return m_send; }
    QString validationMessage() const;

Q_SIGNALS:
    void delivered(int count);

private:
    void validate();
    void send();
    std::optional<QJsonValue> orgData(QString *error) const;

    Mode m_mode;
    ConsoleClient *m_client;
    QPlainTextEdit *m_message;
    QComboBox *m_exclude = nullptr;
    QCheckBox *m_shutdown = nullptr;
    QComboBox *m_org = nullptr;
    QCheckBox *m_json = nullptr;
    QLabel *m_validation;
    QLabel *m_progress;
    QDialogButtonBox *m_buttons;
    QPushButton *m_send;
    ConfirmFunction m_confirm = messageBoxConfirmation();
};

} // namespace switchboard::console
