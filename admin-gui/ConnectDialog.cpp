#include "ConnectDialog.h"

#include "ConsoleIcons.h"
#include "ConsoleSettings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace switchboard::console {

ConnectDialog::ConnectDialog(ConsoleSettings *settings, QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_url(new QComboBox(this))
    , m_token(new QLineEdit(this))
    , m_remember(new QCheckBox(tr("&Remember the token on this computer"), this))
    , m_hint(new QLabel(this))
{
    setWindowTitle(tr("Connect to a Switchboard server"));
    setWindowIcon(consoleIcon(u"connect"_s));
    m_url->setEditable(true);
    m_url->addItems(settings->recentServers());
    if (m_url->count() == 0)
        m_url->addItem(settings->serverUrl().toString());
    m_url->setMinimumWidth(360);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("JWT with role admin or operator"));
    m_token->setText(settings->token());
    m_remember->setChecked(settings->rememberToken());
    m_remember->setToolTip(
        tr("Stored in the console's settings file; leave unticked to be asked each time."));
    m_hint->setWordWrap(true);
    m_hint->setText(
        tr("Create a token with: switchboard-server token issue --user YOU --org ORG --role admin"));
    m_hint->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    buttons->button(QDialogButtonBox::Ok)->setIcon(consoleIcon(u"connect"_s));
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        save();
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_token, &QLineEdit::textChanged, this, &ConnectDialog::validate);
    connect(m_url, &QComboBox::editTextChanged, this, &ConnectDialog::validate);

    auto *form = new QFormLayout;
    form->addRow(tr("&Server:"), m_url);
    form->addRow(tr("&Token:"), m_token);
    form->addRow(QString(), m_remember);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_hint);
    layout->addWidget(buttons);
    validate();
}

QUrl ConnectDialog::serverUrl() const
{
    return QUrl::fromUserInput(m_url->currentText().trimmed());
}

QString ConnectDialog::token() const
{
    return m_token->text().trimmed();
}

bool ConnectDialog::rememberToken() const
{
    return m_remember->isChecked();
}

void ConnectDialog::setServerUrl(const QUrl &url)
{
    m_url->setEditText(url.toString());
}

void ConnectDialog::setToken(const QString &token)
{
    m_token->setText(token);
}

void ConnectDialog::setRememberToken(bool remember)
{
    m_remember->setChecked(remember);
}

void ConnectDialog::validate()
{
    const QUrl url = serverUrl();
    const bool ok = url.isValid() && !url.host().isEmpty() && !token().isEmpty();
    if (auto *buttons = findChild<QDialogButtonBox *>())
        buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

void ConnectDialog::save()
{
    m_settings->rememberServer(serverUrl());
    m_settings->setToken(token(), rememberToken());
}

} // namespace switchboard::console
