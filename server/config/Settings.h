// Every setting of the server with its default. A plain value: parseInvocation() fills it from the
// INI file, the environment and the command line; components read the fields they need.
// docs/CONFIGURATION.md documents each field (option, INI key, environment variable, default).
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QString>

#include <chrono>
#include <optional>

namespace switchboard {

enum class LogLevel { Debug, Info, Warning, Error };
QString logLevelName(LogLevel level);
std::optional<LogLevel> logLevelFromName(QStringView name);

struct Limits
{
    int listenBacklog = 4096;        // kernel accept queue (capped by net.core.somaxconn)
    int maxPendingWebSockets = 4096; // handshakes QWebSocketServer may hold at once
    double handshakeTimeoutSeconds = 10;
    int maxHeaderBytes = 16 * 1024;
    qint64 maxBodyBytes = 1024 * 1024;
    qint64 agentMaxFrameBytes = 512 * 1024;
    qint64 browserMaxFrameBytes = 64 * 1024;
    int slowClientMaxMessages = 256; // queued messages before a slow client is dropped
    qint64 slowClientMaxBytes = 1024 * 1024;
    int maxBadFrames = 20; // consecutive invalid frames before a connection is closed

    std::chrono::milliseconds handshakeTimeout() const;
};

struct Settings
{
    QHostAddress listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 listenPort = 8080;
    QString databaseUrl;  // default: "sqlite:///" + dataDir + "/switchboard.db"
    QString dataDir;      // default: defaultDataDir()
    QByteArray jwtSecret; // default: the contents of <dataDir>/jwt-secret, created on first use
    QString bootstrapKey; // empty = bootstrap registration disabled
    double heartbeatTimeoutSeconds = 45;
    double staleSweepIntervalSeconds = 10;
    double sessionsIntervalSeconds = 3;
    double metricsIntervalSeconds = 5;
    double uiPingIntervalSeconds = 30;
    double agentPingIntervalSeconds = 54;
    double readTimeoutSeconds = 60;
    LogLevel logLevel = LogLevel::Info;
    QString replicaName; // default: defaultReplicaName(listenPort)
    QString redisUrl;    // empty = single node, no cluster bus
    Limits limits;

    std::chrono::milliseconds heartbeatTimeout() const;
    std::chrono::milliseconds staleSweepInterval() const;
    std::chrono::milliseconds sessionsInterval() const;
    std::chrono::milliseconds metricsInterval() const;
    std::chrono::milliseconds uiPingInterval() const;
    std::chrono::milliseconds agentPingInterval() const;
    std::chrono::milliseconds readTimeout() const;

    // The application data directory of "switchboard" (~/.local/share/switchboard on Linux),
    // independent of the running program's QCoreApplication::applicationName().
    static QString defaultDataDir();
    static QString defaultDatabaseUrl(const QString &dataDir);
    static QString defaultReplicaName(quint16 port);

    // All defaults, including the derived ones (dataDir, databaseUrl, replicaName); no jwtSecret.
    static Settings defaults();
};

// Seconds (fractions allowed) to milliseconds, rounded to the nearest millisecond.
std::chrono::milliseconds secondsToMilliseconds(double seconds);

} // namespace switchboard
