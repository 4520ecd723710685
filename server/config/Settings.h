// Every setting of the server with its default. A plain value: parseInvocation() fills it from the
// INI file, the environment and the command line; components read the fields they need.
// docs/CONFIGURATION.md documents each field (option, INI key, environment variable, default).
#pragma once

#include "logging/LogFormatter.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>

namespace switchboard {

enum class LogLevel { Debug, Info, Warning, Error };
QString logLevelName(LogLevel level);
std::optional<LogLevel> logLevelFromName(QStringView name);

struct Limits
{
    int listenBacklog = 4096; // kernel accept queue (capped by net.core.somaxconn)
    double handshakeTimeoutSeconds = 10;
    int maxHeaderBytes = 16 * 1024;
    qint64 maxBodyBytes = 1024 * 1024;
    qint64 agentMaxFrameBytes = 512 * 1024;
    qint64 browserMaxFrameBytes = 64 * 1024;
    int slowClientMaxMessages = 256; // queued messages before a slow client is dropped
    qint64 slowClientMaxBytes = 1024 * 1024;
    int maxBadFrames = 20; // consecutive invalid frames before a connection is closed
    // Per source address (0 = unlimited); addresses in exemptSubnets are not limited.
    int maxConnectionsPerAddress = 1024;
    int handshakesPerAddressPerSecond = 50; // bursts of twice as many
    QStringList exemptSubnets{QStringLiteral("127.0.0.0/8"), QStringLiteral("::1/128")};
    // Per connection (0 = unlimited), bursts of twice as many; excess closes with 1008.
    int agentMessagesPerSecond = 200;
    int browserMessagesPerSecond = 50;
    // Subscriptions one sessions stream may hold; more are refused (limit_exceeded).
    int maxSubscriptionsPerClient = 256;
    // Encoded size of a published event's `data`; larger ones get 413. At most the protocol's
    // browser::kMaxEventDataBytes, which every client decodes events with.
    qint64 maxEventDataBytes = 16 * 1024;

    std::chrono::milliseconds handshakeTimeout() const;
};

// TLS for HTTP and WebSockets. No certificate = plain HTTP.
struct Tls
{
    QString certFile;     // PEM: the server certificate, then its intermediates
    QString keyFile;      // PEM: the unencrypted private key
    QString clientCaFile; // PEM: CAs of agent client certificates; set = agents need one (CN = agent id)

    bool enabled() const { return !certFile.isEmpty(); }
};

// How hard the server tries to deliver commands and how long it keeps what browsers may miss.
struct Delivery
{
    double ackTimeoutSeconds = 30; // a sent command not acknowledged by then is sent again
    int maxAttempts = 5;           // sends before an unacknowledged command fails (ack_timeout)
    // Time from the first send to completed/failed before a command fails (timeout), by action.
    double startCompleteTimeoutSeconds = 300;
    double stopCompleteTimeoutSeconds = 120;
    double hibernateCompleteTimeoutSeconds = 300;
    double wakeCompleteTimeoutSeconds = 300;
    double logsCompleteTimeoutSeconds = 30; // stream_logs and stop_logs
    // A session whose agent stays away (offline or stale) this long is failed (agent_unavailable).
    double agentGracePeriodSeconds = 300;
    int eventHistoryMaxEvents = 10000;        // per org
    double eventHistoryMaxAgeSeconds = 86400; // 24 h

    std::chrono::milliseconds ackTimeout() const;
    std::chrono::milliseconds startCompleteTimeout() const;
    std::chrono::milliseconds stopCompleteTimeout() const;
    std::chrono::milliseconds hibernateCompleteTimeout() const;
    std::chrono::milliseconds wakeCompleteTimeout() const;
    std::chrono::milliseconds logsCompleteTimeout() const;
    std::chrono::milliseconds agentGracePeriod() const;
    std::chrono::milliseconds eventHistoryMaxAge() const;
};

// GET /metrics (docs/OBSERVABILITY.md). A caller is let in when its address is in allowedSubnets
// or it presents `Authorization: Bearer <token>`; by default only loopback scrapers are.
struct MetricsAccess
{
    bool enabled = true;
    QString token; // empty = no token accepted
    QStringList allowedSubnets{QStringLiteral("127.0.0.0/8"), QStringLiteral("::1/128")};
};

struct Settings
{
    QHostAddress listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 listenPort = 8080;
    QString databaseUrl;  // default: "sqlite:///" + dataDir + "/switchboard.db"
    QString dataDir;      // default: defaultDataDir()
    QByteArray jwtSecret; // default: the contents of <dataDir>/jwt-secret, created on first use
    QString bootstrapKey; // empty = bootstrap registration disabled
    // Verified browser/admin tokens the Authenticator keeps (Authenticator.h); 0 = none.
    int tokenCacheSize = 4096;
    double heartbeatTimeoutSeconds = 45;
    double staleSweepIntervalSeconds = 10;
    double sessionsIntervalSeconds = 3;
    double metricsIntervalSeconds = 5;
    double uiPingIntervalSeconds = 30;
    double agentPingIntervalSeconds = 54;
    double readTimeoutSeconds = 60;
    // The cached database probe of /readyz, and the longest age of /metrics' command counts.
    double probeIntervalSeconds = 5;
    LogLevel logLevel = LogLevel::Info;
    logging::LogFormat logFormat = logging::LogFormat::Text;
    MetricsAccess metrics;
    QString replicaName; // default: defaultReplicaName(listenPort)
    QString redisUrl;    // empty = single node, no cluster bus
    Limits limits;
    Delivery delivery;
    Tls tls;
    // Origins (scheme://host[:port]) browsers may open WebSockets from; empty = any origin.
    QStringList allowedOrigins;

    std::chrono::milliseconds heartbeatTimeout() const;
    std::chrono::milliseconds staleSweepInterval() const;
    std::chrono::milliseconds sessionsInterval() const;
    std::chrono::milliseconds metricsInterval() const;
    std::chrono::milliseconds uiPingInterval() const;
    std::chrono::milliseconds agentPingInterval() const;
    std::chrono::milliseconds readTimeout() const;
    std::chrono::milliseconds probeInterval() const;

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
