#include "ConsoleSettings.h"

using namespace Qt::StringLiterals;

namespace switchboard::console {

ConsoleSettings::ConsoleSettings()
    : m_settings(std::make_unique<QSettings>(u"Switchboard"_s, u"Console"_s))
{}

ConsoleSettings::ConsoleSettings(const QString &iniPath)
    : m_settings(std::make_unique<QSettings>(iniPath, QSettings::IniFormat))
{}

QUrl ConsoleSettings::serverUrl() const
{
    const QStringList recent = recentServers();
    return recent.isEmpty() ? QUrl(u"http://127.0.0.1:8080"_s) : QUrl(recent.first());
}

QStringList ConsoleSettings::recentServers() const
{
    return m_settings->value("connection/recentServers"_L1).toStringList();
}

void ConsoleSettings::rememberServer(const QUrl &url)
{
    QStringList recent = recentServers();
    const QString text = url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    recent.removeAll(text);
    recent.prepend(text);
    while (recent.size() > 10)
        recent.removeLast();
    m_settings->setValue("connection/recentServers"_L1, recent);
}

bool ConsoleSettings::rememberToken() const
{
    return m_settings->value("connection/rememberToken"_L1, false).toBool();
}

QString ConsoleSettings::token() const
{
    return rememberToken() ? m_settings->value("connection/token"_L1).toString() : QString();
}

void ConsoleSettings::setToken(const QString &token, bool remember)
{
    m_settings->setValue("connection/rememberToken"_L1, remember);
    if (remember)
        m_settings->setValue("connection/token"_L1, token);
    else
        m_settings->remove("connection/token"_L1);
    m_settings->sync();
}

int ConsoleSettings::eventCapacity() const
{
    return qBound(100, m_settings->value("events/capacity"_L1, 10000).toInt(), 1000000);
}

void ConsoleSettings::setEventCapacity(int capacity)
{
    m_settings->setValue("events/capacity"_L1, capacity);
}

QByteArray ConsoleSettings::windowGeometry() const
{
    return m_settings->value("window/geometry"_L1).toByteArray();
}

QByteArray ConsoleSettings::windowState() const
{
    return m_settings->value("window/state"_L1).toByteArray();
}

void ConsoleSettings::setWindowLayout(const QByteArray &geometry, const QByteArray &state)
{
    m_settings->setValue("window/geometry"_L1, geometry);
    m_settings->setValue("window/state"_L1, state);
}

} // namespace switchboard::console
