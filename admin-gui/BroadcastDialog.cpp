#include "BroadcastDialog.h"

#include "ConsoleClient.h"
#include "ConsoleIcons.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

namespace switchboard::console {

BroadcastDialog::BroadcastDialog(Mode mode, ConsoleClient *client, const QStringList &agentIds,
                                 const QStringList &orgIds, QWidget *parent)
    : QDialog(parent)
    , m_mode(mode)
    , m_client(client)
    , m_message(new QPlainTextEdit(this))
    , m_validation(new QLabel(this))
    , m_progress(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
{
    setWindowIcon(consoleIcon(u"broadcast"_s));
    m_message->setMinimumHeight(110);
    m_message->setTabChangesFocus(true);
    m_validation->setObjectName(u"validation"_s);
    m_validation->setWordWrap(true);
    m_progress->setWordWrap(true);
    auto *form = new QFormLayout;
    if (mode == Mode::Agents) {
        setWindowTitle(tr("Broadcast to agents"));
        m_exclude = new QComboBox(this);
        m_exclude->addItem(tr("(nobody)"), QString());
        QStringList sorted = agentIds;
        sorted.sort();
        for (const QString &id : sorted)
            m_exclude->addItem(id, id);
        m_shutdown =
            new QCheckBox(tr("Ask the agents to shut down (sends shutdown instead of a notice)"), this);
        m_message->setPlaceholderText(
            tr("Message every connected agent logs, e.g. \"Maintenance at 22:00 UTC\""));
        form->addRow(tr("&Message:"), m_message);
        form->addRow(tr("&Except:"), m_exclude);
        form->addRow(QString(), m_shutdown);
        connect(m_shutdown, &QCheckBox::toggled, this, &BroadcastDialog::validate);
    } else {
        setWindowTitle(tr("Announce to an organisation"));
        m_org = new QComboBox(this);
        QStringList sorted = orgIds;
        sorted.sort();
        for (const QString &id : sorted)
            m_org->addItem(consoleIcon(u"org"_s), id, id);
        m_json = new QCheckBox(tr("Send the text as a JSON value"), this);
        m_message->setPlaceholderText(tr("Shown to every connected client of the organisation"));
        form->addRow(tr("&Organisation:"), m_org);
        form->addRow(tr("&Announcement:"), m_message);
        form->addRow(QString(), m_json);
        connect(m_json, &QCheckBox::toggled, this, &BroadcastDialog::validate);
        connect(m_org, &QComboBox::currentIndexChanged, this, &BroadcastDialog::validate);
    }
    form->addRow(QString(), m_validation);
    m_send = m_buttons->addButton(tr("&Send…"), QDialogButtonBox::AcceptRole);
    m_send->setIcon(consoleIcon(u"broadcast"_s));
    m_send->setDefault(true);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &BroadcastDialog::send);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_message, &QPlainTextEdit::textChanged, this, &BroadcastDialog::validate);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_buttons);
    resize(500, 300);
    validate();
}

void BroadcastDialog::setMessage(const QString &text)
{
    m_message->setPlainText(text);
}

void BroadcastDialog::setExcludedAgent(const QString &agentId)
{
    if (m_exclude)
        m_exclude->setCurrentIndex(qMax(0, m_exclude->findData(agentId)));
}

void BroadcastDialog::setOrg(const QString &orgId)
{
    if (m_org)
        m_org->setCurrentIndex(m_org->findData(orgId));
}

void BroadcastDialog::setShutdown(bool shutdown)
{
    if (m_shutdown)
        m_shutdown->setChecked(shutdown);
}

void BroadcastDialog::setSendAsJson(bool json)
{
    if (m_json)
        m_json->setChecked(json);
}

QString BroadcastDialog::validationMessage() const
{
    return m_validation->text();
}

std::optional<QJsonValue> BroadcastDialog::orgData(QString *error) const
{
    const QString text = m_message->toPlainText();
    if (!m_json->isChecked())
        return QJsonValue(QJsonObject{{"message"_L1, text.trimmed()}});
    // QJsonDocument parses only arrays and objects; wrapping accepts any JSON value.
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson("[" + text.toUtf8() + "]", &parseError);
    if (parseError.error != QJsonParseError::NoError || document.array().size() != 1) {
        *error = tr("Invalid JSON: %1").arg(parseError.errorString());
        return std::nullopt;
    }
    const QJsonValue value = document.array().first();
    if (value.isNull()) {
        *error = tr("The announcement cannot be null.");
        return std::nullopt;
    }
    return value;
}

void BroadcastDialog::validate()
{
    QString error;
    const QString text = m_message->toPlainText().trimmed();
    if (text.isEmpty()) {
        error = tr("Write a message.");
    } else if (m_mode == Mode::Agents) {
        if (text.size() > 4096)
            error = tr("The message is longer than 4096 characters.");
    } else if (m_org->currentIndex() < 0) {
        error = tr("Choose an organisation.");
    } else if (const auto payload = orgData(&error)) {
        if (QJsonDocument(QJsonArray{*payload}).toJson(QJsonDocument::Compact).size() - 2 > 16 * 1024)
            error = tr("The announcement is larger than 16 KiB.");
    }
    m_validation->setText(error);
    m_validation->setProperty("valid", error.isEmpty());
    m_validation->style()->unpolish(m_validation);
    m_validation->style()->polish(m_validation);
    m_send->setEnabled(error.isEmpty());
}

void BroadcastDialog::send()
{
    validate();
    if (!m_send->isEnabled())
        return;
    ConsoleRequest *request = nullptr;
    if (m_mode == Mode::Agents) {
        const QString exclude = m_exclude->currentData().toString();
        const bool shutdown = m_shutdown->isChecked();
        const QString question = shutdown ? tr("Ask every connected agent to shut down?")
                                          : tr("Send this message to every connected agent?");
        if (!m_confirm(this, windowTitle(),
                       exclude.isEmpty() ? question : question + u' ' + tr("(except %1)").arg(exclude)))
            return;
        request = m_client->broadcastToAgents(m_message->toPlainText().trimmed(), exclude, shutdown);
    } else {
        QString error;
        const auto payload = orgData(&error);
        const QString orgId = m_org->currentData().toString();
        if (!payload || !m_confirm(this, windowTitle(),
                                   tr("Send this announcement to every connected client of %1?").arg(orgId)))
            return;
        request = m_client->broadcastToOrg(orgId, *payload);
    }
    m_send->setEnabled(false);
    m_progress->setText(tr("Sending…"));
    connect(request, &ConsoleRequest::finished, this, [this](const QJsonObject &result) {
        Q_EMIT delivered(result.value("delivered"_L1).toInt());
        accept();
    });
    connect(request, &ConsoleRequest::failed, this, [this](const Error &error) {
        m_progress->setText(tr("The server refused it: %1").arg(error.message));
        m_send->setEnabled(true);
    });
    connect(request, &ConsoleRequest::timedOut, this, [this] {
        m_progress->setText(tr("The server did not answer in time."));
        m_send->setEnabled(true);
    });
}

} // namespace switchboard::console
