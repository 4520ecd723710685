#include "AgentOptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <optional>

using namespace Qt::StringLiterals;

namespace switchboard::agentsim {

namespace {

constexpr double kMaxSeconds = 86400.0;
constexpr int kMaxCount = 100000;
constexpr int kMaxMaxSessions = 1000000;

struct OptionSet
{
    QCommandLineOption server{
        u"server"_s,
        u"Server base URL; ws/wss are derived from http/https (default http://127.0.0.1:8080)."_s, u"URL"_s,
        u"http://127.0.0.1:8080"_s};
    QCommandLineOption agentId{u"agent-id"_s, u"Agent id (prefix of ID-1..ID-N with --count)."_s, u"ID"_s};
    QCommandLineOption apiKey{u"api-key"_s, u"The agent's API key (or env SWITCHBOARD_AGENT_API_KEY)."_s,
                              u"KEY"_s};
    QCommandLineOption apiKeyFile{u"api-key-file"_s, u"File of \"agentId apiKey\" lines."_s, u"FILE"_s};
    QCommandLineOption bootstrapKey{u"bootstrap-key"_s,
                                    u"Register with the server's bootstrap key and wait for approval "
                                    "(or env SWITCHBOARD_AGENT_BOOTSTRAP_KEY)."_s,
                                    u"KEY"_s};
    QCommandLineOption keyFile{u"key-file"_s,
                               u"Append keys issued at bootstrap here (mode 0600); read back on restart."_s,
                               u"FILE"_s};
    QCommandLineOption platform{u"platform"_s, u"kubernetes|docker|vm|cloud (default docker)."_s,
                                u"PLATFORM"_s, u"docker"_s};
    QCommandLineOption region{u"region"_s, u"Region reported at registration (2-50 characters)."_s,
                              u"REGION"_s};
    QCommandLineOption org{u"org"_s, u"Organisation, informative only (the server takes it from the key)."_s,
                           u"ORG"_s};
    QCommandLineOption maxSessions{
        u"max-sessions"_s, u"Running sessions this agent accepts at once (default 10)."_s, u"N"_s, u"10"_s};
    QCommandLineOption cpu{u"cpu"_s, u"CPU capacity reported (default \"8 cores\")."_s, u"TEXT"_s,
                           u"8 cores"_s};
    QCommandLineOption memory{u"memory"_s, u"Memory capacity reported (default 32Gi)."_s, u"TEXT"_s,
                              u"32Gi"_s};
    QCommandLineOption heartbeat{u"heartbeat-interval"_s, u"Seconds between heartbeats (default 30)."_s,
                                 u"SECONDS"_s, u"30"_s};
    QCommandLineOption approvalPoll{
        u"approval-poll"_s, u"Seconds between registration polls while pending approval (default 30)."_s,
        u"SECONDS"_s, u"30"_s};
    QCommandLineOption startDelay{u"start-delay"_s, u"Simulated start_session duration (default 0.2)."_s,
                                  u"SECONDS"_s, u"0.2"_s};
    QCommandLineOption stopDelay{u"stop-delay"_s, u"Simulated stop_session duration (default 0.2)."_s,
                                 u"SECONDS"_s, u"0.2"_s};
    QCommandLineOption hibernateDelay{u"hibernate-delay"_s,
                                      u"Simulated hibernate_session duration (default 0.2)."_s, u"SECONDS"_s,
                                      u"0.2"_s};
    QCommandLineOption wakeDelay{u"wake-delay"_s, u"Simulated wake_session duration (default 0.2)."_s,
                                 u"SECONDS"_s, u"0.2"_s};
    QCommandLineOption logInterval{
        u"log-interval"_s, u"Seconds between synthetic log lines while a log is streamed (default 0.5)."_s,
        u"SECONDS"_s, u"0.5"_s};
    QCommandLineOption failureRate{u"failure-rate"_s,
                                   u"Probability (0..1) that a session action fails (default 0)."_s,
                                   u"RATE"_s, u"0"_s};
    QCommandLineOption count{u"count"_s, u"Run N agents ID-1..ID-N in this process (default 1)."_s, u"N"_s,
                             u"1"_s};
    QCommandLineOption logLevel{u"log-level"_s, u"debug|info|warning|error (default info)."_s, u"LEVEL"_s,
                                u"info"_s};
    QCommandLineOption quiet{u"quiet"_s, u"Only warnings and errors."_s};

    QList<QCommandLineOption> all() const
    {
        return {server,     agentId,   apiKey,         apiKeyFile, bootstrapKey, keyFile,     platform,
                region,     org,       maxSessions,    cpu,        memory,       heartbeat,   approvalPoll,
                startDelay, stopDelay, hibernateDelay, wakeDelay,  logInterval,  failureRate, count,
                logLevel,   quiet};
    }
};

// Parses "SECONDS" (fractions allowed) into milliseconds within [minimum, kMaxSeconds].
std::optional<std::chrono::milliseconds> parseSeconds(const QString &text, double minimum)
{
    bool ok = false;
    const double seconds = text.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(seconds) || seconds < minimum || seconds > kMaxSeconds)
        return std::nullopt;
    return std::chrono::milliseconds(qint64(std::llround(seconds * 1000.0)));
}

std::optional<int> parseInt(const QString &text, int minimum, int maximum)
{
    bool ok = false;
    const int value = text.trimmed().toInt(&ok);
    if (!ok || value < minimum || value > maximum)
        return std::nullopt;
    return value;
}

std::optional<LogLevel> logLevelFromName(const QString &name)
{
    if (name == "debug"_L1)
        return LogLevel::Debug;
    if (name == "info"_L1)
        return LogLevel::Info;
    if (name == "warning"_L1)
        return LogLevel::Warning;
    if (name == "error"_L1)
        return LogLevel::Error;
    return std::nullopt;
}

ParsedAgentOptions failure(const QString &message)
{
    ParsedAgentOptions result;
    result.outcome = ParsedAgentOptions::Outcome::Error;
    result.text = message;
    return result;
}

} // namespace

bool isValidAgentId(const QString &agentId)
{
    static const QRegularExpression pattern(u"^[A-Za-z0-9._-]{3,100}$"_s);
    return pattern.match(agentId).hasMatch();
}

bool isPlausibleApiKey(const QString &key)
{
    if (key.isEmpty() || key.size() > 256)
        return false;
    return std::all_of(key.cbegin(), key.cend(),
                       [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
}

QStringList AgentOptions::agentIds() const
{
    if (count <= 1)
        return {agentId};
    QStringList ids;
    ids.reserve(count);
    for (int i = 1; i <= count; ++i)
        ids.append(agentId + u'-' + QString::number(i));
    return ids;
}

QUrl AgentOptions::registerUrl() const
{
    QUrl url = server;
    if (url.scheme() == "ws"_L1)
        url.setScheme(u"http"_s);
    else if (url.scheme() == "wss"_L1)
        url.setScheme(u"https"_s);
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + "/api/v1/agents/register"_L1);
    return url;
}

QUrl AgentOptions::connectUrl() const
{
    QUrl url = server;
    if (url.scheme() == "http"_L1)
        url.setScheme(u"ws"_s);
    else if (url.scheme() == "https"_L1)
        url.setScheme(u"wss"_s);
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + "/api/v1/agents/connect"_L1);
    return url;
}

LogLevel AgentOptions::effectiveLogLevel() const
{
    if (quiet && logLevel < LogLevel::Warning)
        return LogLevel::Warning;
    return logLevel;
}

ParsedAgentOptions parseAgentOptions(const QStringList &arguments, const QProcessEnvironment &environment)
{
    const OptionSet o;
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Simulated Switchboard agent: registers, connects, heartbeats and runs session commands "
        "with simulated durations. See docs/AGENT.md."_s);
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    parser.addOptions(o.all());

    if (!parser.parse(arguments))
        return failure(parser.errorText());
    if (parser.isSet(help)) {
        ParsedAgentOptions result;
        result.outcome = ParsedAgentOptions::Outcome::ShowHelp;
        result.text = parser.helpText();
        return result;
    }
    if (parser.isSet(version)) {
        ParsedAgentOptions result;
        result.outcome = ParsedAgentOptions::Outcome::ShowVersion;
        result.text = QCoreApplication::applicationName() + u' ' + QCoreApplication::applicationVersion();
        return result;
    }
    if (!parser.positionalArguments().isEmpty())
        return failure(u"unexpected argument: %1"_s.arg(parser.positionalArguments().constFirst()));

    AgentOptions options;

    options.server = QUrl(parser.value(o.server), QUrl::StrictMode);
    static const QStringList schemes{u"http"_s, u"https"_s, u"ws"_s, u"wss"_s};
    if (!options.server.isValid() || !schemes.contains(options.server.scheme()) ||
        options.server.host().isEmpty() || options.server.hasQuery() || options.server.hasFragment())
        return failure(
            u"--server must be an http, https, ws or wss URL with a host and no query, got \"%1\""_s.arg(
                parser.value(o.server)));

    if (auto count = parseInt(parser.value(o.count), 1, kMaxCount))
        options.count = *count;
    else
        return failure(u"--count must be an integer from 1 to %1"_s.arg(kMaxCount));

    options.agentId = parser.value(o.agentId);
    if (options.agentId.isEmpty())
        return failure(u"--agent-id is required"_s);
    // The longest derived id decides whether every one of them is acceptable.
    const QString longestId = options.agentIds().constLast();
    if (!isValidAgentId(longestId))
        return failure(u"agent id \"%1\" must be 3-100 characters of A-Z a-z 0-9 . _ -"_s.arg(longestId));

    options.apiKeyFile = parser.value(o.apiKeyFile);
    options.keyFile = parser.value(o.keyFile);
    options.bootstrapKey = parser.isSet(o.bootstrapKey)
                               ? parser.value(o.bootstrapKey)
                               : environment.value(u"SWITCHBOARD_AGENT_BOOTSTRAP_KEY"_s);
    if (parser.isSet(o.apiKey)) {
        if (options.count > 1)
            return failure(u"--api-key holds one agent's key; with --count > 1 use --api-key-file or "
                           "--bootstrap-key"_s);
        options.apiKey = parser.value(o.apiKey);
    } else if (options.count == 1) {
        // The environment variable is a single agent's key; it means nothing for a fleet.
        options.apiKey = environment.value(u"SWITCHBOARD_AGENT_API_KEY"_s);
    }
    if (!options.apiKey.isEmpty() && !isPlausibleApiKey(options.apiKey))
        return failure(u"the API key must be 1-256 printable ASCII characters without spaces"_s);
    if (!options.bootstrapKey.isEmpty() && !isPlausibleApiKey(options.bootstrapKey))
        return failure(u"the bootstrap key must be 1-256 printable ASCII characters without spaces"_s);
    if (options.apiKey.isEmpty() && options.apiKeyFile.isEmpty() && options.bootstrapKey.isEmpty() &&
        options.keyFile.isEmpty()) {
        return failure(options.count > 1
                           ? u"--count > 1 needs --api-key-file (one \"agentId apiKey\" per line) or "
                             "--bootstrap-key"_s
                           : u"give --api-key (or SWITCHBOARD_AGENT_API_KEY), --api-key-file or "
                             "--bootstrap-key"_s);
    }

    if (auto platform = protocol::platformFromName(parser.value(o.platform)))
        options.platform = *platform;
    else
        return failure(u"--platform must be kubernetes, docker, vm or cloud"_s);

    options.region = parser.value(o.region);
    if (parser.isSet(o.region) && (options.region.size() < 2 || options.region.size() > 50))
        return failure(u"--region must be 2-50 characters"_s);
    options.org = parser.value(o.org);

    if (auto maxSessions = parseInt(parser.value(o.maxSessions), 1, kMaxMaxSessions))
        options.maxSessions = *maxSessions;
    else
        return failure(u"--max-sessions must be an integer from 1 to %1"_s.arg(kMaxMaxSessions));
    options.cpu = parser.value(o.cpu);
    options.memory = parser.value(o.memory);
    if (options.cpu.isEmpty() || options.cpu.size() > 64 || options.memory.isEmpty() ||
        options.memory.size() > 64)
        return failure(u"--cpu and --memory must be 1-64 characters"_s);

    struct DurationOption
    {
        const QCommandLineOption *option;
        std::chrono::milliseconds *target;
        double minimum;
    };
    const DurationOption durations[] = {
        {&o.heartbeat, &options.heartbeatInterval, 0.01},  {&o.approvalPoll, &options.approvalPoll, 0.01},
        {&o.startDelay, &options.startDelay, 0.0},         {&o.stopDelay, &options.stopDelay, 0.0},
        {&o.hibernateDelay, &options.hibernateDelay, 0.0}, {&o.wakeDelay, &options.wakeDelay, 0.0},
        {&o.logInterval, &options.logInterval, 0.01},
    };
    for (const DurationOption &duration : durations) {
        const auto value = parseSeconds(parser.value(*duration.option), duration.minimum);
        if (!value)
            return failure(u"--%1 must be a number of seconds from %2 to %3"_s.arg(
                duration.option->names().constFirst(), QString::number(duration.minimum),
                QString::number(kMaxSeconds)));
        *duration.target = *value;
    }

    bool rateOk = false;
    options.failureRate = parser.value(o.failureRate).trimmed().toDouble(&rateOk);
    if (!rateOk || !std::isfinite(options.failureRate) || options.failureRate < 0.0 ||
        options.failureRate > 1.0)
        return failure(u"--failure-rate must be a number from 0 to 1"_s);

    if (auto level = logLevelFromName(parser.value(o.logLevel)))
        options.logLevel = *level;
    else
        return failure(u"--log-level must be debug, info, warning or error"_s);
    options.quiet = parser.isSet(o.quiet);

    ParsedAgentOptions result;
    result.outcome = ParsedAgentOptions::Outcome::Run;
    result.options = std::move(options);
    return result;
}

} // namespace switchboard::agentsim
