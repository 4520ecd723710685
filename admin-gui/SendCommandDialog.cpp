#include "SendCommandDialog.h"

#include "AgentTableModel.h"
#include "ConsoleClient.h"
#include "ConsoleIcons.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

namespace {
constexpr agent::Action kActions[] = {agent::Action::StartSession,     agent::Action::StopSession,
                                      agent::Action::HibernateSession, agent::Action::WakeSession,
                                      agent::Action::StreamLogs,       agent::Action::StopLogs};
}

QString SendCommandDialog::actionLabel(agent::Action action)
{
    switch (action) {
    case agent::Action::StartSession:
        return tr("Start session");
    case agent::Action::StopSession:
        return tr("Stop session");
    case agent::Action::HibernateSession:
        return tr("Hibernate session");
    case agent::Action::WakeSession:
        return tr("Wake session");
    case agent::Action::StreamLogs:
        return tr("Stream logs");
    case agent::Action::StopLogs:
        return tr("Stop streaming logs");
    }
    return {};
}

QString SendCommandDialog::templatePayload(agent::Action action)
{
    switch (action) {
    case agent::Action::StartSession:
        return u"{\n  \"sessionId\": \"\",\n  \"user\": \"\",\n  \"template\": \"firefox\"\n}"_s;
    case agent::Action::StreamLogs:
        return u"{\n  \"sessionId\": \"\",\n  \"tailLines\": 100\n}"_s;
    default:
        return u"{\n  \"sessionId\": \"\"\n}"_s;
    }
}

SendCommandDialog::SendCommandDialog(ConsoleClient *client, AgentTableModel *agents, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_agent(new QComboBox(this))
    , m_action(new QComboBox(this))
    , m_payload(new QPlainTextEdit(this))
    , m_validation(new QLabel(this))
    , m_progress(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Send command"));
    setWindowIcon(consoleIcon(u"send"_s));
    for (int row = 0; row < agents->rowCount(); ++row) {
        const AgentInfo &agent = agents->agentAt(row);
        m_agent->addItem(displayStatusIcon(displayStatus(agent)), agent.agentId, agent.agentId);
    }
    m_agent->model()->sort(0);
    for (agent::Action action : kActions)
        m_action->addItem(actionLabel(action), int(action));
    m_payload->setObjectName(u"payloadEditor"_s);
    m_payload->setTabChangesFocus(true);
    m_payload->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_payload->setMinimumHeight(160);
    m_validation->setObjectName(u"validation"_s);
    m_validation->setWordWrap(true);
    m_progress->setWordWrap(true);

    QPushButton *sendButton = m_buttons->addButton(tr("&Send"), QDialogButtonBox::AcceptRole);
    sendButton->setObjectName(u"sendButton"_s);
    sendButton->setIcon(consoleIcon(u"send"_s));
    sendButton->setDefault(true);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SendCommandDialog::send);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_payload, &QPlainTextEdit::textChanged, this, &SendCommandDialog::validate);
    connect(m_action, &QComboBox::currentIndexChanged, this, &SendCommandDialog::onActionChanged);
    connect(m_agent, &QComboBox::currentIndexChanged, this, &SendCommandDialog::validate);

    auto *form = new QFormLayout;
    form->addRow(tr("&Agent:"), m_agent);
    form->addRow(tr("A&ction:"), m_action);
    form->addRow(tr("&Payload (JSON):"), m_payload);
    form->addRow(QString(), m_validation);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_buttons);
    resize(520, 380);
    onActionChanged();
}

QPushButton *SendCommandDialog::sendButton() const
{
    return findChild<QPushButton *>(u"sendButton"_s);
}

void SendCommandDialog::setAgent(const QString &agentId)
{
    const int index = m_agent->findData(agentId);
    if (index >= 0)
        m_agent->setCurrentIndex(index);
}

void SendCommandDialog::setAction(agent::Action action)
{
    m_action->setCurrentIndex(qMax(0, m_action->findData(int(action))));
}

void SendCommandDialog::setPayloadText(const QString &json)
{
    m_payload->setPlainText(json);
}

QString SendCommandDialog::payloadText() const
{
    return m_payload->toPlainText();
}

QString SendCommandDialog::validationMessage() const
{
    return m_validation->text();
}

void SendCommandDialog::onActionChanged()
{
    // Replace the payload with the new action's template unless the operator has edited it.
    const QString current = m_payload->toPlainText();
    if (current.trimmed().isEmpty() || current == m_lastTemplate) {
        m_lastTemplate = templatePayload(agent::Action(m_action->currentData().toInt()));
        m_payload->setPlainText(m_lastTemplate);
    }
    validate();
}

void SendCommandDialog::validate()
{
    QString message;
    m_valid = false;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(m_payload->toPlainText().toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        message = tr("Invalid JSON at character %1: %2").arg(parseError.offset).arg(parseError.errorString());
    } else if (!document.isObject()) {
        message = tr("The payload must be a JSON object.");
    } else {
        const auto normalized =
            agent::normalizeCommandPayload(agent::Action(m_action->currentData().toInt()), document.object());
        if (!normalized)
            message = normalized.error().message;
        else if (m_agent->currentIndex() < 0)
            message = tr("Choose an agent.");
        else {
            m_valid = true;
            message = tr("Valid payload.");
        }
    }
    m_validation->setText(message);
    m_validation->setProperty("valid", m_valid);
    m_validation->style()->unpolish(m_validation);
    m_validation->style()->polish(m_validation);
    if (QPushButton *button = sendButton())
        button->setEnabled(m_valid);
}

void SendCommandDialog::send()
{
    validate();
    if (!m_valid)
        return;
    const QJsonObject payload = QJsonDocument::fromJson(m_payload->toPlainText().toUtf8()).object();
    const QString agentId = m_agent->currentData().toString();
    ConsoleRequest *request =
        m_client->sendCommand(agentId, agent::Action(m_action->currentData().toInt()), payload);
    sendButton()->setEnabled(false);
    m_progress->setText(tr("Sending…"));
    connect(request, &ConsoleRequest::finished, this, [this](const QJsonObject &result) {
        const QString commandId = result.value("command"_L1).toObject().value("commandId"_L1).toString();
        Q_EMIT commandSent(commandId);
        accept();
    });
    connect(request, &ConsoleRequest::failed, this, [this](const Error &error) {
        m_progress->setText(tr("The server refused the command: %1").arg(error.message));
        sendButton()->setEnabled(true);
    });
    connect(request, &ConsoleRequest::timedOut, this, [this] {
        m_progress->setText(tr("The server did not answer in time."));
        sendButton()->setEnabled(true);
    });
}

} // namespace switchboard::console
