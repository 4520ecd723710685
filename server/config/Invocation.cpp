#include "config/Invocation.h"

#include "config/Identifiers.h"
#include "config/JwtSecretFile.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSettings>
#include <QUrl>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

constexpr double kMaxSeconds = 365.0 * 24 * 3600;
constexpr qint64 kMaxTtlSeconds = 366LL * 24 * 3600;
constexpr qsizetype kMinJwtSecretBytes = 32; // RFC 7518 3.2: an HS256 key of at least 256 bits
constexpr auto kEnvironmentPrefix = "SWITCHBOARD_"_L1;

// Applies one textual value to the settings; returns why the value is unacceptable, or an empty
// string when it was applied.
using Apply = std::function<QString(Settings &, const QString &)>;

// One setting as it appears in every source. The environment variable is derived from the option:
// SWITCHBOARD_ + option in upper case with '-' as '_'.
struct SettingSpec
{
    QLatin1StringView option;    // command line: --option VALUE
    QLatin1StringView iniKey;    // QSettings key "section/key"
    QLatin1StringView valueName; // shown in --help
    QLatin1StringView description;
    QLatin1StringView defaultText;
    bool secret = false; // never echo the value in errors (secrets, URLs with passwords)
    Apply apply;
};

QString environmentName(QLatin1StringView option)
{
    return kEnvironmentPrefix + QString(option).toUpper().replace(u'-', u'_');
}

QString iniKeyText(const QString &key)
{
    const qsizetype slash = key.indexOf(u'/');
    return u'[' + key.left(slash) + "] "_L1 + key.mid(slash + 1);
}

// --- value parsers -------------------------------------------------------------------------------

// The problem with `value` as a number of seconds (empty when fine; the number in `parsed`).
QString parseSeconds(const QString &value, double &parsed)
{
    bool ok = false;
    parsed = value.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(parsed) || parsed <= 0 || parsed > kMaxSeconds)
        return u"expected a number of seconds greater than 0 (fractions allowed) and at most %1"_s.arg(
            kMaxSeconds, 0, 'f', 0);
    return {};
}

// The problem with `value` as a whole number in [min, max] (empty when fine; the number in `parsed`).
QString parseWholeNumber(const QString &value, qint64 min, qint64 max, qint64 &parsed)
{
    bool ok = false;
    parsed = value.trimmed().toLongLong(&ok, 10);
    if (!ok || parsed < min || parsed > max)
        return u"expected a whole number from %1 to %2"_s.arg(min).arg(max);
    return {};
}

Apply seconds(double Settings::*field)
{
    return [field](Settings &settings, const QString &value) -> QString {
        double parsed = 0;
        QString problem = parseSeconds(value, parsed);
        if (problem.isEmpty())
            settings.*field = parsed;
        return problem;
    };
}

// A number of seconds inside a group of settings (Settings::limits, Settings::delivery).
template<class Group>
Apply groupSeconds(Group Settings::*group, double Group::*field)
{
    return [group, field](Settings &settings, const QString &value) -> QString {
        double parsed = 0;
        QString problem = parseSeconds(value, parsed);
        if (problem.isEmpty())
            (settings.*group).*field = parsed;
        return problem;
    };
}

// A whole number inside a group of settings, stored as the field's own integer type.
template<class Group, class Integer>
Apply groupInteger(Group Settings::*group, Integer Group::*field, qint64 min, qint64 max)
{
    return [group, field, min, max](Settings &settings, const QString &value) -> QString {
        qint64 parsed = 0;
        QString problem = parseWholeNumber(value, min, max, parsed);
        if (problem.isEmpty())
            (settings.*group).*field = Integer(parsed);
        return problem;
    };
}

// The names the setting table below uses, one per group.
Apply limitSeconds(double Limits::*field)
{
    return groupSeconds(&Settings::limits, field);
}

template<class Integer>
Apply limitInteger(Integer Limits::*field, qint64 min, qint64 max)
{
    return groupInteger(&Settings::limits, field, min, max);
}

Apply deliverySeconds(double Delivery::*field)
{
    return groupSeconds(&Settings::delivery, field);
}

Apply deliveryInteger(int Delivery::*field, int min, int max)
{
    return groupInteger(&Settings::delivery, field, min, max);
}

Apply nonEmptyText(QString Settings::*field, bool (*valid)(QStringView), QLatin1StringView expected)
{
    return [field, valid, expected](Settings &settings, const QString &value) -> QString {
        if (!valid(value))
            return QString(expected);
        settings.*field = value;
        return {};
    };
}

Apply filePath(QString Tls::*field)
{
    return [field](Settings &settings, const QString &value) -> QString {
        if (value.trimmed().isEmpty())
            return u"expected a file path"_s;
        settings.tls.*field = value;
        return {};
    };
}

QStringList listItems(const QString &value)
{
    QStringList items;
    for (const QString &item : value.split(u',')) {
        if (const QString trimmed = item.trimmed(); !trimmed.isEmpty())
            items.append(trimmed);
    }
    return items;
}

// scheme://host[:port] as browsers send it in Origin: http or https, nothing after the authority.
bool isValidOrigin(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    return url.isValid() && (scheme == "http"_L1 || scheme == "https"_L1) && !url.host().isEmpty() &&
           url.userInfo().isEmpty() && url.path().isEmpty() && !url.hasQuery() && !url.hasFragment();
}

QString applyAllowedOrigins(Settings &settings, const QString &value)
{
    const QStringList items = listItems(value);
    if (items == QStringList{u"*"_s}) {
        settings.allowedOrigins.clear();
        return {};
    }
    for (const QString &item : items) {
        if (!isValidOrigin(item))
            return u"expected * or a comma-separated list of origins such as https://console.example.com "
                   "(scheme, host and optional port; no path); \"%1\" is not one"_s.arg(item);
    }
    if (items.isEmpty())
        return u"expected * or at least one origin"_s;
    settings.allowedOrigins = items;
    return {};
}

// Addresses or subnets ("none" for an empty list); a bare address becomes its /32 or /128.
QString parseSubnetList(const QString &value, QStringList &subnets)
{
    QStringList parsed;
    for (const QString &item : listItems(value)) {
        if (item == "none"_L1)
            continue;
        const QString subnet =
            item.contains(u'/') ? item : item + (item.contains(u':') ? "/128"_L1 : "/32"_L1);
        if (QHostAddress::parseSubnet(subnet).second < 0)
            return u"expected a comma-separated list of addresses or subnets (e.g. 10.0.0.0/8, ::1) or "
                   "none; \"%1\" is not one"_s.arg(item);
        parsed.append(subnet);
    }
    subnets = parsed;
    return {};
}

QString applyExemptSubnets(Settings &settings, const QString &value)
{
    return parseSubnetList(value, settings.limits.exemptSubnets);
}

QString applyMetricsEnabled(Settings &settings, const QString &value)
{
    const QString text = value.trimmed().toLower();
    if (text == "true"_L1 || text == "yes"_L1 || text == "on"_L1 || text == "1"_L1)
        settings.metrics.enabled = true;
    else if (text == "false"_L1 || text == "no"_L1 || text == "off"_L1 || text == "0"_L1)
        settings.metrics.enabled = false;
    else
        return u"expected true or false"_s;
    return {};
}

QString applyMetricsAllow(Settings &settings, const QString &value)
{
    return parseSubnetList(value, settings.metrics.allowedSubnets);
}

bool isValidDatabaseUrl(QStringView text)
{
    const QUrl url(text.toString(), QUrl::StrictMode);
    const QString scheme = url.scheme();
    return url.isValid() && (scheme == "sqlite"_L1 || scheme == "postgres"_L1 || scheme == "postgresql"_L1);
}

bool isValidRedisUrl(QStringView text)
{
    if (text.isEmpty())
        return true; // single node
    const QUrl url(text.toString(), QUrl::StrictMode);
    return url.isValid() && url.scheme() == "redis"_L1 && !url.host().isEmpty();
}

bool isValidDirectory(QStringView text)
{
    return !text.trimmed().isEmpty();
}

bool isHexDigit(char16_t c)
{
    return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
}

bool isValidBootstrapKey(QStringView text)
{
    // Agents send it as their X-Agent-API-Key, which must be 64 hex characters.
    if (text.isEmpty())
        return true;
    if (text.size() != 64)
        return false;
    return std::all_of(text.begin(), text.end(), [](QChar c) { return isHexDigit(c.unicode()); });
}

QList<SettingSpec> settingSpecs()
{
    return {
        {"listen"_L1, "server/listen"_L1, "HOST:PORT"_L1,
         "Address and port to listen on (HOST: IP address, localhost or *; PORT 0 = any free port)."_L1,
         "127.0.0.1:8080"_L1, false,
         [](Settings &settings, const QString &value) -> QString {
             const auto parsed = parseListenAddress(value);
             if (!parsed)
                 return parsed.error().message;
             settings.listenAddress = parsed.value().first;
             settings.listenPort = parsed.value().second;
             return {};
         }},
        {"database"_L1, "server/database"_L1, "URL"_L1,
         "Database: sqlite:///ABSOLUTE/PATH or postgres://user:password@host:port/dbname."_L1,
         "sqlite:/// + data dir + /switchboard.db"_L1, true,
         nonEmptyText(&Settings::databaseUrl, isValidDatabaseUrl,
                      "expected a sqlite:, postgres: or postgresql: URL"_L1)},
        {"data-dir"_L1, "server/data_dir"_L1, "DIR"_L1,
         "Directory for the SQLite database and the generated JWT secret."_L1,
         "~/.local/share/switchboard"_L1, false,
         nonEmptyText(&Settings::dataDir, isValidDirectory, "expected a directory path"_L1)},
        {"replica-name"_L1, "server/replica_name"_L1, "NAME"_L1,
         "Name of this replica in the cluster (Redis presence keys and channels)."_L1, "HOSTNAME:PORT"_L1,
         false,
         nonEmptyText(&Settings::replicaName, isValidReplicaName,
                      "expected 1-200 printable characters without spaces"_L1)},
        {"redis"_L1, "server/redis"_L1, "URL"_L1,
         "Redis for multi-replica operation, redis://[:password@]host[:port][/db]; empty = single node."_L1,
         "(empty)"_L1, true,
         nonEmptyText(&Settings::redisUrl, isValidRedisUrl, "expected a redis://host[:port][/db] URL"_L1)},
        {"log-level"_L1, "server/log_level"_L1, "LEVEL"_L1,
         "Least severe messages logged: debug, info, warning, error."_L1, "info"_L1, false,
         [](Settings &settings, const QString &value) -> QString {
             const auto level = logLevelFromName(value.trimmed());
             if (!level)
                 return u"expected one of debug, info, warning, error"_s;
             settings.logLevel = *level;
             return {};
         }},
        {"jwt-secret"_L1, "auth/jwt_secret"_L1, "SECRET"_L1,
         "HS256 secret of browser/admin tokens (at least 32 bytes); unset = <data dir>/jwt-secret, created on first use."_L1,
         "(generated)"_L1, true,
         [](Settings &settings, const QString &value) -> QString {
             const QByteArray secret = value.toUtf8();
             if (secret.size() < kMinJwtSecretBytes)
                 return u"expected a secret of at least %1 bytes"_s.arg(kMinJwtSecretBytes);
             settings.jwtSecret = secret;
             return {};
         }},
        {"bootstrap-key"_L1, "auth/bootstrap_key"_L1, "KEY"_L1,
         "Shared agent key (64 hex characters) that registers unknown agents as pending; empty = disabled."_L1,
         "(empty)"_L1, true,
         nonEmptyText(&Settings::bootstrapKey, isValidBootstrapKey, "expected 64 hexadecimal characters"_L1)},
        {"token-cache-size"_L1, "auth/token_cache_size"_L1, "N"_L1,
         "Verified browser/admin tokens remembered so that reconnecting with one skips its verification (expiry and revocation are still checked); 0 = no cache."_L1,
         "4096"_L1, false,
         [](Settings &settings, const QString &value) -> QString {
             qint64 parsed = 0;
             QString problem = parseWholeNumber(value, 0, 10000000, parsed);
             if (problem.isEmpty())
                 settings.tokenCacheSize = int(parsed);
             return problem;
         }},
        {"heartbeat-timeout"_L1, "timing/heartbeat_timeout"_L1, "SECONDS"_L1,
         "An agent without a heartbeat for this long is marked stale."_L1, "45"_L1, false,
         seconds(&Settings::heartbeatTimeoutSeconds)},
        {"stale-sweep-interval"_L1, "timing/stale_sweep_interval"_L1, "SECONDS"_L1,
         "How often agents are checked for missed heartbeats."_L1, "10"_L1, false,
         seconds(&Settings::staleSweepIntervalSeconds)},
        {"sessions-interval"_L1, "timing/sessions_interval"_L1, "SECONDS"_L1,
         "Period of sessions_update messages to /api/v1/ws/sessions clients."_L1, "3"_L1, false,
         seconds(&Settings::sessionsIntervalSeconds)},
        {"metrics-interval"_L1, "timing/metrics_interval"_L1, "SECONDS"_L1,
         "Period of metrics_update messages to /api/v1/ws/cluster clients."_L1, "5"_L1, false,
         seconds(&Settings::metricsIntervalSeconds)},
        {"ui-ping-interval"_L1, "timing/ui_ping_interval"_L1, "SECONDS"_L1,
         "WebSocket ping period towards browser and admin clients."_L1, "30"_L1, false,
         seconds(&Settings::uiPingIntervalSeconds)},
        {"agent-ping-interval"_L1, "timing/agent_ping_interval"_L1, "SECONDS"_L1,
         "WebSocket ping period towards agents."_L1, "54"_L1, false,
         seconds(&Settings::agentPingIntervalSeconds)},
        {"read-timeout"_L1, "timing/read_timeout"_L1, "SECONDS"_L1,
         "A connection that sends nothing (not even a pong) for this long is closed."_L1, "60"_L1, false,
         seconds(&Settings::readTimeoutSeconds)},
        {"listen-backlog"_L1, "limits/listen_backlog"_L1, "N"_L1,
         "Kernel accept queue length (capped by net.core.somaxconn)."_L1, "4096"_L1, false,
         limitInteger(&Limits::listenBacklog, 1, 65535)},
        {"handshake-timeout"_L1, "limits/handshake_timeout"_L1, "SECONDS"_L1,
         "Time a client has to send its request head and body, or to finish the WebSocket handshake."_L1,
         "10"_L1, false, limitSeconds(&Limits::handshakeTimeoutSeconds)},
        {"max-header-bytes"_L1, "limits/max_header_bytes"_L1, "BYTES"_L1,
         "Largest HTTP request head (request line and headers); larger ones get 431."_L1, "16384"_L1, false,
         limitInteger(&Limits::maxHeaderBytes, 1024, 1024 * 1024)},
        {"max-body-bytes"_L1, "limits/max_body_bytes"_L1, "BYTES"_L1,
         "Largest HTTP request body; larger ones get 413."_L1, "1048576"_L1, false,
         limitInteger(&Limits::maxBodyBytes, 1, 1024LL * 1024 * 1024)},
        {"agent-max-frame-bytes"_L1, "limits/agent_max_frame_bytes"_L1, "BYTES"_L1,
         "Largest WebSocket message accepted from an agent."_L1, "524288"_L1, false,
         limitInteger(&Limits::agentMaxFrameBytes, 1024, 256LL * 1024 * 1024)},
        {"browser-max-frame-bytes"_L1, "limits/browser_max_frame_bytes"_L1, "BYTES"_L1,
         "Largest WebSocket message accepted from a browser or admin client."_L1, "65536"_L1, false,
         limitInteger(&Limits::browserMaxFrameBytes, 1024, 256LL * 1024 * 1024)},
        {"slow-client-max-messages"_L1, "limits/slow_client_max_messages"_L1, "N"_L1,
         "Messages queued for one client before it is dropped as too slow."_L1, "256"_L1, false,
         limitInteger(&Limits::slowClientMaxMessages, 1, 1000000)},
        {"slow-client-max-bytes"_L1, "limits/slow_client_max_bytes"_L1, "BYTES"_L1,
         "Bytes queued for one client before it is dropped as too slow."_L1, "1048576"_L1, false,
         limitInteger(&Limits::slowClientMaxBytes, 1024, 1024LL * 1024 * 1024)},
        {"max-bad-frames"_L1, "limits/max_bad_frames"_L1, "N"_L1,
         "Consecutive invalid messages after which a connection is closed."_L1, "20"_L1, false,
         limitInteger(&Limits::maxBadFrames, 1, 1000000)},
        {"max-connections-per-ip"_L1, "limits/max_connections_per_ip"_L1, "N"_L1,
         "Open connections from one source address; more are refused (429); 0 = unlimited."_L1, "1024"_L1,
         false, limitInteger(&Limits::maxConnectionsPerAddress, 0, 10000000)},
        {"handshakes-per-ip"_L1, "limits/handshakes_per_ip"_L1, "N"_L1,
         "HTTP requests and WebSocket handshakes per second from one source address (bursts of twice as many); more get 429; 0 = unlimited."_L1,
         "50"_L1, false, limitInteger(&Limits::handshakesPerAddressPerSecond, 0, 10000000)},
        {"exempt-addresses"_L1, "limits/exempt_addresses"_L1, "SUBNETS"_L1,
         "Source addresses or subnets the two per-address limits do not apply to (comma-separated), or none."_L1,
         "127.0.0.0/8,::1"_L1, false, applyExemptSubnets},
        {"agent-message-rate"_L1, "limits/agent_message_rate"_L1, "N"_L1,
         "Messages per second one agent connection may send (bursts of twice as many); more close it with 1008; 0 = unlimited."_L1,
         "200"_L1, false, limitInteger(&Limits::agentMessagesPerSecond, 0, 10000000)},
        {"browser-message-rate"_L1, "limits/browser_message_rate"_L1, "N"_L1,
         "Messages per second one browser or admin connection may send (bursts of twice as many); more close it with 1008; 0 = unlimited."_L1,
         "50"_L1, false, limitInteger(&Limits::browserMessagesPerSecond, 0, 10000000)},
        {"max-subscriptions-per-client"_L1, "limits/max_subscriptions_per_client"_L1, "N"_L1,
         "Subscriptions one /api/v1/ws/sessions connection may hold; more are refused (limit_exceeded)."_L1,
         "256"_L1, false, limitInteger(&Limits::maxSubscriptionsPerClient, 1, 1000000)},
        {"max-event-data-bytes"_L1, "limits/max_event_data_bytes"_L1, "BYTES"_L1,
         "Largest encoded data object of a published session event (POST /api/v1/events); larger ones get 413."_L1,
         "16384"_L1, false, limitInteger(&Limits::maxEventDataBytes, 2, 16384)},
        {"tls-cert"_L1, "tls/cert"_L1, "FILE"_L1,
         "PEM certificate (then its chain) for https:// and wss://; unset = plain HTTP."_L1, "(unset)"_L1,
         false, filePath(&Tls::certFile)},
        {"tls-key"_L1, "tls/key"_L1, "FILE"_L1, "PEM private key of --tls-cert (not encrypted)."_L1,
         "(unset)"_L1, false, filePath(&Tls::keyFile)},
        {"tls-client-ca"_L1, "tls/client_ca"_L1, "FILE"_L1,
         "PEM CA certificates of agent client certificates; set = an agent must present one whose CN is its agent id."_L1,
         "(unset)"_L1, false, filePath(&Tls::clientCaFile)},
        {"allowed-origins"_L1, "access/allowed_origins"_L1, "ORIGINS"_L1,
         "Origins browsers may open /api/v1/ws/* from (comma-separated, e.g. https://console.example.com), or * for any."_L1,
         "*"_L1, false, applyAllowedOrigins},
        {"ack-timeout"_L1, "delivery/ack_timeout"_L1, "SECONDS"_L1,
         "A command sent to a connected agent and not acknowledged by then is sent again."_L1, "30"_L1, false,
         deliverySeconds(&Delivery::ackTimeoutSeconds)},
        {"max-attempts"_L1, "delivery/max_attempts"_L1, "N"_L1,
         "Sends of an unacknowledged command before it fails with ack_timeout."_L1, "5"_L1, false,
         deliveryInteger(&Delivery::maxAttempts, 1, 1000)},
        {"start-complete-timeout"_L1, "delivery/start_complete_timeout"_L1, "SECONDS"_L1,
         "A start_session command not completed this long after it was first sent fails (timeout)."_L1,
         "300"_L1, false, deliverySeconds(&Delivery::startCompleteTimeoutSeconds)},
        {"stop-complete-timeout"_L1, "delivery/stop_complete_timeout"_L1, "SECONDS"_L1,
         "The same for stop_session."_L1, "120"_L1, false,
         deliverySeconds(&Delivery::stopCompleteTimeoutSeconds)},
        {"hibernate-complete-timeout"_L1, "delivery/hibernate_complete_timeout"_L1, "SECONDS"_L1,
         "The same for hibernate_session."_L1, "300"_L1, false,
         deliverySeconds(&Delivery::hibernateCompleteTimeoutSeconds)},
        {"wake-complete-timeout"_L1, "delivery/wake_complete_timeout"_L1, "SECONDS"_L1,
         "The same for wake_session."_L1, "300"_L1, false,
         deliverySeconds(&Delivery::wakeCompleteTimeoutSeconds)},
        {"logs-complete-timeout"_L1, "delivery/logs_complete_timeout"_L1, "SECONDS"_L1,
         "The same for stream_logs and stop_logs."_L1, "30"_L1, false,
         deliverySeconds(&Delivery::logsCompleteTimeoutSeconds)},
        {"agent-grace-period"_L1, "delivery/agent_grace_period"_L1, "SECONDS"_L1,
         "A session whose agent stays offline or stale this long is failed (agent_unavailable)."_L1, "300"_L1,
         false, deliverySeconds(&Delivery::agentGracePeriodSeconds)},
        {"event-history-max-events"_L1, "events/history_max_events"_L1, "N"_L1,
         "Session events kept per organisation for clients that resume."_L1, "10000"_L1, false,
         deliveryInteger(&Delivery::eventHistoryMaxEvents, 1, 10000000)},
        {"event-history-max-age"_L1, "events/history_max_age"_L1, "SECONDS"_L1,
         "Age beyond which session events are dropped from the history."_L1, "86400"_L1, false,
         deliverySeconds(&Delivery::eventHistoryMaxAgeSeconds)},
        {"probe-interval"_L1, "timing/probe_interval"_L1, "SECONDS"_L1,
         "Period of the database probe behind /readyz; also how old the command counts in /metrics may be."_L1,
         "5"_L1, false, seconds(&Settings::probeIntervalSeconds)},
        {"log-format"_L1, "log/format"_L1, "FORMAT"_L1,
         "Log lines on stderr: text, or json (one object per line with time, level, category, message and ids)."_L1,
         "text"_L1, false,
         [](Settings &settings, const QString &value) -> QString {
             const auto format = logging::logFormatFromName(value.trimmed());
             if (!format)
                 return u"expected text or json"_s;
             settings.logFormat = *format;
             return {};
         }},
        {"metrics"_L1, "metrics/enabled"_L1, "BOOL"_L1,
         "Serve GET /metrics (Prometheus text format) to the callers metrics-allow and metrics-token admit."_L1,
         "true"_L1, false, applyMetricsEnabled},
        {"metrics-allow"_L1, "metrics/allow"_L1, "SUBNETS"_L1,
         "Addresses or subnets that may read /metrics without a token (comma-separated), or none."_L1,
         "127.0.0.0/8,::1"_L1, false, applyMetricsAllow},
        {"metrics-token"_L1, "metrics/token"_L1, "TOKEN"_L1,
         "Bearer token (at least 16 characters) that lets any address read /metrics; empty = none."_L1,
         "(empty)"_L1, true,
         [](Settings &settings, const QString &value) -> QString {
             if (value.size() < 16 || value.contains(u' '))
                 return u"expected at least 16 characters without spaces"_s;
             settings.metrics.token = value;
             return {};
         }},
    };
}

// --- subcommands ---------------------------------------------------------------------------------

struct ArgumentSpec
{
    QLatin1StringView option;
    QLatin1StringView valueName;
    QLatin1StringView description;
};

const QList<ArgumentSpec> &argumentSpecs()
{
    static const QList<ArgumentSpec> specs{
        {"id"_L1, "ID"_L1, "Agent id, 3-100 characters of A-Z a-z 0-9 . _ -"_L1},
        {"org"_L1, "ORG"_L1, "Organisation id, 1-100 characters of A-Z a-z 0-9 . _ -"_L1},
        {"platform"_L1, "PLATFORM"_L1, "Agent platform: kubernetes, docker, vm or cloud"_L1},
        {"region"_L1, "REGION"_L1, "Agent region, 2-50 characters (optional)"_L1},
        {"user"_L1, "USER"_L1, "User id written to the token's user_id claim"_L1},
        {"role"_L1, "ROLE"_L1, "Token role: admin, operator, user or service"_L1},
        {"ttl"_L1, "DURATION"_L1, "Token lifetime: 30s, 15m, 8h, 7d or seconds (default 8h)"_L1},
        {"username"_L1, "NAME"_L1, "Token username claim (optional)"_L1},
        {"namespace"_L1, "NS"_L1, "Token k8s_namespace claim (optional)"_L1},
        {"grace"_L1, "DURATION"_L1,
         "How long the previous agent key keeps working after rotate-key: 30s, 15m, 8h, 7d or seconds, at most 30d (default 0: not at all)"_L1},
    };
    return specs;
}

struct CommandSpec
{
    Invocation::Command command;
    QLatin1StringView group;
    QLatin1StringView verb;
    QList<QLatin1StringView> required;
    QList<QLatin1StringView> optional;
};

QList<CommandSpec> commandSpecs()
{
    using C = Invocation::Command;
    return {
        {C::AgentAdd, "agent"_L1, "add"_L1, {"id"_L1, "org"_L1, "platform"_L1}, {"region"_L1}},
        {C::AgentList, "agent"_L1, "list"_L1, {}, {"org"_L1}},
        {C::AgentRemove, "agent"_L1, "remove"_L1, {"id"_L1}, {}},
        {C::AgentApprove, "agent"_L1, "approve"_L1, {"id"_L1}, {}},
        {C::AgentReject, "agent"_L1, "reject"_L1, {"id"_L1}, {}},
        {C::AgentRotateKey, "agent"_L1, "rotate-key"_L1, {"id"_L1}, {"grace"_L1}},
        {C::TokenIssue,
         "token"_L1,
         "issue"_L1,
         {"user"_L1, "org"_L1, "role"_L1},
         {"ttl"_L1, "username"_L1, "namespace"_L1}},
    };
}

protocol::Error invalid(const QString &field, const QString &message)
{
    return protocol::Error{protocol::ErrorCode::InvalidValue, message, field, {}};
}

protocol::Error invalidValue(const SettingSpec &spec, const QString &value, const QString &where,
                             const QString &problem)
{
    const QString shown = spec.secret ? u"(hidden)"_s : u'"' + value + u'"';
    return invalid(QString(spec.option), u"invalid value %1 for %2: %3"_s.arg(shown, where, problem));
}

QString iniValue(const QVariant &value)
{
    // QSettings turns an unquoted value with commas into a list; give back the text as written.
    if (value.typeId() == QMetaType::QStringList)
        return value.toStringList().join(u',');
    return value.toString();
}

protocol::Decoded<protocol::Done> applyConfigFile(const QString &path, const QList<SettingSpec> &specs,
                                                  Settings &settings, QStringList &warnings)
{
    const QFileInfo info(path);
    if (!info.isFile() || !info.isReadable())
        return invalid(u"config"_s, u"cannot read configuration file %1 (--config)"_s.arg(path));
    QSettings ini(path, QSettings::IniFormat);
    if (ini.status() != QSettings::NoError)
        return invalid(u"config"_s, u"configuration file %1 is not a valid INI file"_s.arg(path));

    QStringList known;
    for (const SettingSpec &spec : specs) {
        known.append(QString(spec.iniKey));
        if (!ini.contains(QString(spec.iniKey)))
            continue;
        const QString value = iniValue(ini.value(QString(spec.iniKey)));
        const QString problem = spec.apply(settings, value);
        if (!problem.isEmpty())
            return invalidValue(
                spec, value, iniKeyText(QString(spec.iniKey)) + " in configuration file "_L1 + path, problem);
    }
    const QStringList keys = ini.allKeys();
    for (const QString &key : keys) {
        if (!known.contains(key)) {
            const QString shown = key.contains(u'/') ? iniKeyText(key) : key;
            warnings.append(u"unknown key %1 in configuration file %2 (ignored)"_s.arg(shown, path));
        }
    }
    return protocol::Done{};
}

void addParserOptions(QCommandLineParser &parser, const QList<SettingSpec> &specs)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.addOption(QCommandLineOption(QStringList{u"h"_s, u"help"_s}));
    parser.addOption(QCommandLineOption(u"version"_s));
    parser.addOption(QCommandLineOption(u"config"_s, {}, u"FILE"_s));
    for (const SettingSpec &spec : specs)
        parser.addOption(QCommandLineOption(QString(spec.option), {}, QString(spec.valueName)));
    for (const ArgumentSpec &spec : argumentSpecs())
        parser.addOption(QCommandLineOption(QString(spec.option), {}, QString(spec.valueName)));
}

protocol::Decoded<CommandSpec> commandFrom(const QStringList &positional)
{
    if (positional.isEmpty() || positional == QStringList{u"serve"_s})
        return CommandSpec{Invocation::Command::Serve, {}, {}, {}, {}};
    const QList<CommandSpec> commands = commandSpecs();
    for (const CommandSpec &command : commands) {
        if (positional.size() == 2 && positional[0] == command.group && positional[1] == command.verb)
            return command;
    }
    QStringList known;
    for (const CommandSpec &command : commands)
        known.append(command.group + u' ' + command.verb);
    return invalid(u"command"_s, u"unknown command \"%1\"; expected serve, %2"_s.arg(positional.join(u' '),
                                                                                     known.join(", "_L1)));
}

QString commandName(const CommandSpec &command)
{
    return command.group.isEmpty() ? u"serve"_s : command.group + u' ' + command.verb;
}

protocol::Decoded<protocol::Done> readArguments(const QCommandLineParser &parser, const CommandSpec &command,
                                                Invocation &invocation)
{
    for (const ArgumentSpec &argument : argumentSpecs()) {
        const QString option(argument.option);
        const bool allowed =
            command.required.contains(argument.option) || command.optional.contains(argument.option);
        if (parser.isSet(option) && !allowed)
            return invalid(option, u"--%1 is not an option of \"%2\""_s.arg(option, commandName(command)));
    }
    for (const QLatin1StringView required : command.required) {
        if (!parser.isSet(QString(required)))
            return invalid(QString(required),
                           u"\"%1\" needs --%2"_s.arg(commandName(command), QString(required)));
    }
    const auto value = [&](QLatin1StringView option) { return parser.value(QString(option)); };
    const auto isSet = [&](QLatin1StringView option) { return parser.isSet(QString(option)); };

    if (isSet("id"_L1)) {
        invocation.agentId = value("id"_L1);
        if (!isValidAgentId(invocation.agentId))
            return invalid(u"id"_s,
                           u"invalid value \"%1\" for --id (command line): expected 3-100 characters "
                           "of A-Z a-z 0-9 . _ -"_s.arg(invocation.agentId));
    }
    if (isSet("org"_L1)) {
        invocation.orgId = value("org"_L1);
        if (!isValidOrgId(invocation.orgId))
            return invalid(u"org"_s,
                           u"invalid value \"%1\" for --org (command line): expected 1-100 characters "
                           "of A-Z a-z 0-9 . _ -"_s.arg(invocation.orgId));
    }
    if (isSet("platform"_L1)) {
        const QString name = value("platform"_L1);
        const auto platform = protocol::platformFromName(name);
        if (!platform)
            return invalid(u"platform"_s, u"invalid value \"%1\" for --platform (command line): expected "
                                          "kubernetes, docker, vm or cloud"_s.arg(name));
        invocation.platform = *platform;
    }
    if (isSet("region"_L1)) {
        invocation.region = value("region"_L1);
        if (!isValidRegion(invocation.region))
            return invalid(u"region"_s, u"invalid value \"%1\" for --region (command line): expected 2-50 "
                                        "printable characters without spaces"_s.arg(invocation.region));
    }
    if (isSet("user"_L1)) {
        invocation.userId = value("user"_L1);
        if (!isValidUserId(invocation.userId))
            return invalid(u"user"_s, u"invalid value \"%1\" for --user (command line): expected 1-256 "
                                      "printable characters without spaces"_s.arg(invocation.userId));
    }
    if (isSet("role"_L1)) {
        invocation.role = value("role"_L1);
        const QStringList roles{u"admin"_s, u"operator"_s, u"user"_s, u"service"_s};
        if (!roles.contains(invocation.role))
            return invalid(u"role"_s,
                           u"invalid value \"%1\" for --role (command line): expected admin, operator, "
                           "user or service"_s.arg(invocation.role));
    }
    if (isSet("ttl"_L1)) {
        const auto ttl = parseDuration(value("ttl"_L1));
        if (!ttl)
            return invalid(u"ttl"_s, u"invalid value \"%1\" for --ttl (command line): %2"_s.arg(
                                         value("ttl"_L1), ttl.error().message));
        invocation.tokenTtl = ttl.value();
    }
    if (isSet("grace"_L1)) {
        const QString text = value("grace"_L1);
        const auto grace = text == "0"_L1 ? protocol::Decoded<std::chrono::seconds>(std::chrono::seconds(0))
                                          : parseDuration(text);
        if (!grace || grace.value() > std::chrono::seconds(30LL * 24 * 3600))
            return invalid(u"grace"_s, u"invalid value \"%1\" for --grace (command line): expected 0 or a "
                                       "duration of at most 30d (30s, 15m, 8h, 7d or seconds)"_s.arg(text));
        invocation.keyGrace = grace.value();
    }
    if (isSet("username"_L1)) {
        invocation.username = value("username"_L1);
        if (!isValidUsername(invocation.username))
            return invalid(u"username"_s, u"invalid value for --username (command line): expected 1-256 "
                                          "characters without control characters"_s);
    }
    if (isSet("namespace"_L1)) {
        invocation.k8sNamespace = value("namespace"_L1);
        if (!isValidNamespace(invocation.k8sNamespace))
            return invalid(u"namespace"_s,
                           u"invalid value \"%1\" for --namespace (command line): expected a "
                           "Kubernetes namespace (1-63 of a-z 0-9 -)"_s.arg(invocation.k8sNamespace));
    }
    return protocol::Done{};
}

bool needsJwtSecret(Invocation::Command command)
{
    return command == Invocation::Command::Serve || command == Invocation::Command::TokenIssue;
}

} // namespace

protocol::Decoded<std::chrono::seconds> parseDuration(QStringView text)
{
    const auto fail = [&] {
        return invalid(u"duration"_s, u"expected a duration such as 30s, 15m, 8h, 7d or a number of seconds, "
                                      "greater than 0 and at most 366d"_s);
    };
    const QStringView trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return fail();
    qint64 unit = 1;
    QStringView digits = trimmed;
    switch (trimmed.back().unicode()) {
    case u's':
        digits.chop(1);
        break;
    case u'm':
        unit = 60;
        digits.chop(1);
        break;
    case u'h':
        unit = 3600;
        digits.chop(1);
        break;
    case u'd':
        unit = 24 * 3600;
        digits.chop(1);
        break;
    default:
        break;
    }
    if (digits.isEmpty() || digits.size() > 9)
        return fail();
    qint64 count = 0;
    for (const QChar c : digits) {
        if (c < u'0' || c > u'9')
            return fail();
        count = count * 10 + (c.unicode() - u'0');
    }
    const qint64 total = count * unit;
    if (total <= 0 || total > kMaxTtlSeconds)
        return fail();
    return std::chrono::seconds(total);
}

protocol::Decoded<std::pair<QHostAddress, quint16>> parseListenAddress(QStringView text)
{
    const auto fail = [&] {
        return invalid(u"listen"_s,
                       u"expected HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, *:8080) with HOST an "
                       "IP address, localhost or *, and PORT 0-65535"_s);
    };
    const QStringView trimmed = text.trimmed();
    const qsizetype colon = trimmed.lastIndexOf(u':');
    if (colon <= 0)
        return fail();
    QStringView host = trimmed.left(colon);
    const QStringView portText = trimmed.mid(colon + 1);
    if (portText.isEmpty() || portText.size() > 5)
        return fail();
    int port = 0;
    for (const QChar c : portText) {
        if (c < u'0' || c > u'9')
            return fail();
        port = port * 10 + (c.unicode() - u'0');
    }
    if (port > 65535)
        return fail();

    QHostAddress address;
    if (host.startsWith(u'[') && host.endsWith(u']')) {
        host = host.mid(1, host.size() - 2);
        if (!host.contains(u':') || !address.setAddress(host.toString()))
            return fail();
    } else if (host == "localhost"_L1) {
        address = QHostAddress(QHostAddress::LocalHost);
    } else if (host == "*"_L1) {
        address = QHostAddress(QHostAddress::Any);
    } else if (host.contains(u':') || !address.setAddress(host.toString())) {
        return fail(); // bare IPv6 needs brackets; names other than localhost are not resolved here
    }
    return std::pair{address, quint16(port)};
}

protocol::Decoded<Invocation> parseInvocation(const QStringList &arguments,
                                              const QProcessEnvironment &environment)
{
    const QList<SettingSpec> specs = settingSpecs();
    QCommandLineParser parser;
    addParserOptions(parser, specs);
    if (!parser.parse(arguments.isEmpty() ? QStringList{u"switchboard-server"_s} : arguments))
        return invalid(u"arguments"_s, parser.errorText() + " (command line; see --help)"_L1);

    Invocation invocation;
    invocation.settings = Settings{};
    if (parser.isSet(u"help"_s)) {
        invocation.command = Invocation::Command::ShowHelp;
        invocation.settings = Settings::defaults();
        return invocation;
    }
    if (parser.isSet(u"version"_s)) {
        invocation.command = Invocation::Command::ShowVersion;
        invocation.settings = Settings::defaults();
        return invocation;
    }

    const auto command = commandFrom(parser.positionalArguments());
    if (!command)
        return command.error();
    invocation.command = command.value().command;

    Settings &settings = invocation.settings;
    invocation.configFile = parser.isSet(u"config"_s) ? parser.value(u"config"_s)
                                                      : environment.value(environmentName("config"_L1));
    if (!invocation.configFile.isEmpty()) {
        const auto applied = applyConfigFile(invocation.configFile, specs, settings, invocation.warnings);
        if (!applied)
            return applied.error();
    }
    for (const SettingSpec &spec : specs) {
        const QString name = environmentName(spec.option);
        const QString value = environment.value(name);
        if (value.isEmpty())
            continue; // an empty variable counts as unset, as container tooling often leaves them
        const QString problem = spec.apply(settings, value);
        if (!problem.isEmpty())
            return invalidValue(spec, value, name + " (environment)"_L1, problem);
    }
    for (const SettingSpec &spec : specs) {
        if (!parser.isSet(QString(spec.option)))
            continue;
        const QString value = parser.value(QString(spec.option));
        const QString problem = spec.apply(settings, value);
        if (!problem.isEmpty())
            return invalidValue(spec, value, "--"_L1 + spec.option + " (command line)"_L1, problem);
    }

    settings.dataDir = QDir::cleanPath(
        QDir(settings.dataDir.isEmpty() ? Settings::defaultDataDir() : settings.dataDir).absolutePath());
    if (settings.databaseUrl.isEmpty())
        settings.databaseUrl = Settings::defaultDatabaseUrl(settings.dataDir);
    if (settings.replicaName.isEmpty())
        settings.replicaName = Settings::defaultReplicaName(settings.listenPort);

    if (settings.tls.certFile.isEmpty() != settings.tls.keyFile.isEmpty())
        return invalid(u"tls-cert"_s, u"--tls-cert and --tls-key must be given together"_s);
    if (!settings.tls.clientCaFile.isEmpty() && !settings.tls.enabled())
        return invalid(u"tls-client-ca"_s, u"--tls-client-ca needs --tls-cert and --tls-key"_s);

    const auto parsedArguments = readArguments(parser, command.value(), invocation);
    if (!parsedArguments)
        return parsedArguments.error();

    if (settings.jwtSecret.isEmpty() && needsJwtSecret(invocation.command)) {
        const auto secret = loadOrCreateJwtSecret(settings.dataDir);
        if (!secret)
            return secret.error();
        if (secret.value().size() < kMinJwtSecretBytes)
            return invalid(u"jwt-secret"_s, u"JWT secret file %1 holds fewer than %2 bytes"_s
                                                .arg(jwtSecretFilePath(settings.dataDir))
                                                .arg(kMinJwtSecretBytes));
        settings.jwtSecret = secret.value();
        const QString path = jwtSecretFilePath(settings.dataDir);
        if (QFile::permissions(path) & (QFileDevice::ReadGroup | QFileDevice::ReadOther))
            invocation.warnings.append(
                u"JWT secret file %1 is readable by other users (chmod 600 it)"_s.arg(path));
    }
    return invocation;
}

QString usageText()
{
    const auto row = [](const QString &left, const QString &right) -> QString {
        constexpr qsizetype kColumn = 34;
        QString line = "  "_L1 + left;
        if (line.size() < kColumn)
            line += QString(kColumn - line.size(), u' ');
        else
            line += u'\n' + QString(kColumn, u' ');
        return line + right + u'\n';
    };
    const QString indent(34, u' ');

    QString text;
    text +=
        "Usage: switchboard-server [serve] [options]\n"_L1
        "       switchboard-server agent add --id ID --org ORG --platform kubernetes|docker|vm|cloud "
        "[--region R] [options]\n"_L1
        "       switchboard-server agent list [--org ORG] [options]\n"_L1
        "       switchboard-server agent remove|approve|reject --id ID [options]\n"_L1
        "       switchboard-server agent rotate-key --id ID [--grace DURATION] [options]\n"_L1
        "       switchboard-server token issue --user U --org O --role admin|operator|user|service\n"_L1
        "                          [--ttl 8h] [--username NAME] [--namespace NS] [options]\n\n"_L1
        "Runs the Switchboard control plane, or administers its database (the admin commands take\n"_L1
        "the same options, so they find the same database and JWT secret).\n\n"_L1
        "Settings (precedence: defaults < --config FILE < SWITCHBOARD_* environment < command line):\n"_L1;
    for (const SettingSpec &spec : settingSpecs()) {
        text += row("--"_L1 + spec.option + u' ' + spec.valueName, QString(spec.description));
        text += indent + "INI "_L1 + iniKeyText(QString(spec.iniKey)) + ", env "_L1 +
                environmentName(spec.option) + ", default "_L1 + spec.defaultText + u'\n';
    }
    text += "\nSubcommand options:\n"_L1;
    for (const ArgumentSpec &spec : argumentSpecs())
        text += row("--"_L1 + spec.option + u' ' + spec.valueName, QString(spec.description));
    text += "\nOther options:\n"_L1;
    text += row(u"--config FILE"_s, u"INI file with settings (env SWITCHBOARD_CONFIG)"_s);
    text += row(u"-h, --help"_s, u"Show this help"_s);
    text += row(u"--version"_s, u"Show the version"_s);
    return text;
}

} // namespace switchboard
