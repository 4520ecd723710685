// What the console remembers between runs (QSettings): recent servers, the token only when the
// operator ticked "remember", the event cap, the window layout.
#pragma once

#include <QByteArray>
#include <QSettings>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace switchboard::console {

class ConsoleSettings
{
public:
    ConsoleSettings();                                // the user's settings (Switchboard/Console)
    explicit ConsoleSettings(const QString &iniPath); // a given INI file (tests)

    QUrl serverUrl() const;
    QStringList recentServers() const; // most recent first, at most 10
    void rememberServer(const QUrl &url);

    bool rememberToken() const;
    QString token() const; // empty unless remembered
    // Stores the token only when remember is true; otherwise erases any stored token.
    void setToken(const QString &token, bool remember);

    int eventCapacity() const; // default 10000
    void setEventCapacity(int capacity);

    QByteArray windowGeometry() const;
    QByteArray windowState() const;
    void setWindowLayout(const QByteArray &geometry, const QByteArray &state);

    QSettings &raw() { return *m_settings; }

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace switchboard::console
