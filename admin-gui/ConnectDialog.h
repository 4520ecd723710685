// Asks for the server URL (with the recent ones to pick from) and the token; the token is stored
// only when "remember" is ticked.
#pragma once

#include <QDialog>
#include <QUrl>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace switchboard::console {

class ConsoleSettings;

class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(ConsoleSettings *settings, QWidget *parent = nullptr);
    QUrl serverUrl() const;
    QString token() const;
    bool rememberToken() const;
    void setServerUrl(const QUrl &url);
    void setToken(const QString &token);
    void setRememberToken(bool remember);
    // Saves the URL to the recent list and the token if remembered (called on accept).
    void save();

private:
    void validate();
    ConsoleSettings *m_settings;
    QComboBox *m_url;
    QLineEdit *m_token;
    QCheckBox *m_remember;
    QLabel *m_hint;
};

} // namespace switchboard::console
