#include "config/Settings.h"

#include <QHostInfo>
#include <QStandardPaths>

#include <array>
#include <cmath>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

constexpr std::array kLogLevels{
    std::pair{LogLevel::Debug, "debug"_L1},
    std::pair{LogLevel::Info, "info"_L1},
    std::pair{LogLevel::Warning, "warning"_L1},
    std::pair{LogLevel::Error, "error"_L1},
};

} // namespace

QString logLevelName(LogLevel level)
{
    for (const auto &[candidate, name] : kLogLevels) {
        if (candidate == level)
            return QString(name);
    }
    return {};
}

std::optional<LogLevel> logLevelFromName(QStringView name)
{
    for (const auto &[level, candidate] : kLogLevels) {
        if (name == candidate)
            return level;
    }
    return std::nullopt;
}

std::chrono::milliseconds secondsToMilliseconds(double seconds)
{
    return std::chrono::milliseconds(std::llround(seconds * 1000.0));
}

std::chrono::milliseconds Delivery::ackTimeout() const
{
    return secondsToMilliseconds(ackTimeoutSeconds);
}

std::chrono::milliseconds Delivery::startCompleteTimeout() const
{
    return secondsToMilliseconds(startCompleteTimeoutSeconds);
}

std::chrono::milliseconds Delivery::stopCompleteTimeout() const
{
    return secondsToMilliseconds(stopCompleteTimeoutSeconds);
}

std::chrono::milliseconds Delivery::hibernateCompleteTimeout() const
{
    return secondsToMilliseconds(hibernateCompleteTimeoutSeconds);
}

std::chrono::milliseconds Delivery::wakeCompleteTimeout() const
{
    return secondsToMilliseconds(wakeCompleteTimeoutSeconds);
}

std::chrono::milliseconds Delivery::logsCompleteTimeout() const
{
    return secondsToMilliseconds(logsCompleteTimeoutSeconds);
}

std::chrono::milliseconds Delivery::agentGracePeriod() const
{
    return secondsToMilliseconds(agentGracePeriodSeconds);
}

std::chrono::milliseconds Delivery::eventHistoryMaxAge() const
{
    return secondsToMilliseconds(eventHistoryMaxAgeSeconds);
}

std::chrono::milliseconds Limits::handshakeTimeout() const
{
    return secondsToMilliseconds(handshakeTimeoutSeconds);
}

std::chrono::milliseconds Settings::heartbeatTimeout() const
{
    return secondsToMilliseconds(heartbeatTimeoutSeconds);
}

std::chrono::milliseconds Settings::staleSweepInterval() const
{
    return secondsToMilliseconds(staleSweepIntervalSeconds);
}

std::chrono::milliseconds Settings::sessionsInterval() const
{
    return secondsToMilliseconds(sessionsIntervalSeconds);
}

std::chrono::milliseconds Settings::metricsInterval() const
{
    return secondsToMilliseconds(metricsIntervalSeconds);
}

std::chrono::milliseconds Settings::uiPingInterval() const
{
    return secondsToMilliseconds(uiPingIntervalSeconds);
}

std::chrono::milliseconds Settings::agentPingInterval() const
{
    return secondsToMilliseconds(agentPingIntervalSeconds);
}

std::chrono::milliseconds Settings::readTimeout() const
{
    return secondsToMilliseconds(readTimeoutSeconds);
}

std::chrono::milliseconds Settings::probeInterval() const
{
    return secondsToMilliseconds(probeIntervalSeconds);
}

QString Settings::defaultDataDir()
{
    // AppDataLocation would follow the name of whichever program links this library (tests,
    // tools); the server and its admin subcommands must agree on one directory.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + "/switchboard"_L1;
}

QString Settings::defaultDatabaseUrl(const QString &dataDir)
{
    return "sqlite:///"_L1 + dataDir + "/switchboard.db"_L1;
}

QString Settings::defaultReplicaName(quint16 port)
{
    return QHostInfo::localHostName() + u':' + QString::number(port);
}

Settings Settings::defaults()
{
    Settings settings;
    settings.dataDir = defaultDataDir();
    settings.databaseUrl = defaultDatabaseUrl(settings.dataDir);
    settings.replicaName = defaultReplicaName(settings.listenPort);
    return settings;
}

} // namespace switchboard
