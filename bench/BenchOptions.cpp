#include "BenchOptions.h"

#include <QCommandLineParser>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace switchboard::bench {

QString scenarioName(Scenario scenario)
{
    switch (scenario) {
    case Scenario::Fanout:
        return u"fanout"_s;
    case Scenario::Agents:
        return u"agents"_s;
    case Scenario::Connect:
        return u"connect"_s;
    case Scenario::Idle:
        return u"idle"_s;
    case Scenario::PrepareAgents:
        return u"prepare-agents"_s;
    }
    return {};
}

std::optional<BenchOptions> parseBenchOptions(const QStringList &arguments, QString *error, QString *helpText)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Load generator for Switchboard (and, with --raw, for a plain WebSocket broadcast hub).\n"
        "Scenarios: fanout, agents, connect, idle, prepare-agents."_s);
    parser.addHelpOption();
    parser.addPositionalArgument(u"scenario"_s, u"fanout | agents | connect | idle | prepare-agents"_s);
    const QCommandLineOption url({u"u"_s, u"url"_s}, u"Server base URL (ws://HOST:PORT)."_s, u"url"_s,
                                 u"ws://127.0.0.1:8080"_s);
    const QCommandLineOption raw(u"raw"_s, u"Plain broadcast hub: clients connect to --raw-path, publishing "
                                           "is sending a text frame."_s);
    const QCommandLineOption rawPath(u"raw-path"_s, u"Path and query of raw clients."_s, u"path"_s,
                                     u"/?org=o1"_s);
    const QCommandLineOption clients({u"n"_s, u"clients"_s}, u"Connections (browsers or agents)."_s, u"N"_s,
                                     u"1000"_s);
    const QCommandLineOption rates({u"r"_s, u"rate"_s},
                                   u"Messages/s (fanout) or commands/s (agents); a comma list sweeps."_s,
                                   u"R[,R...]"_s, u"10"_s);
    const QCommandLineOption size({u"s"_s, u"size"_s}, u"Bytes of each delivered broadcast frame."_s, u"S"_s,
                                  u"256"_s);
    const QCommandLineOption duration({u"d"_s, u"duration"_s}, u"Seconds per rate, or idle hold time."_s,
                                      u"seconds"_s, u"10"_s);
    const QCommandLineOption drain(u"drain"_s, u"Longest wait for late deliveries after publishing."_s,
                                   u"seconds"_s, u"5"_s);
    const QCommandLineOption token(u"token"_s, u"JWT of the browser clients."_s, u"jwt"_s);
    const QCommandLineOption adminToken(u"admin-token"_s, u"JWT for the admin stream (admin role)."_s,
                                        u"jwt"_s);
    const QCommandLineOption org(u"org"_s, u"Organisation of the broadcast and of new agents."_s, u"org"_s,
                                 u"o1"_s);
    const QCommandLineOption keys(u"keys-file"_s,
                                  u"Agents' \"agentId key\" lines (read by agents, written "
                                  "by prepare-agents)."_s,
                                  u"file"_s);
    const QCommandLineOption bootstrap(u"bootstrap-key"_s, u"The server's bootstrap key (prepare-agents)."_s,
                                       u"key"_s);
    const QCommandLineOption prefix(u"agent-prefix"_s, u"Agent id prefix (prepare-agents)."_s, u"prefix"_s,
                                    u"bench-agent-"_s);
    const QCommandLineOption heartbeat(u"heartbeat"_s, u"Agents' heartbeat interval."_s, u"seconds"_s,
                                       u"30"_s);
    const QCommandLineOption concurrency({u"c"_s, u"concurrency"_s}, u"Handshakes in flight at once."_s,
                                         u"N"_s, u"256"_s);
    const QCommandLineOption kind(u"kind"_s, u"connect/idle: browsers or agents."_s, u"kind"_s,
                                  u"browsers"_s);
    const QCommandLineOption pid(u"server-pid"_s, u"Server process, for RSS and CPU from /proc."_s, u"pid"_s);
    const QCommandLineOption progress(u"progress"_s, u"Seconds between progress lines."_s, u"seconds"_s,
                                      u"1"_s);
    const QCommandLineOption quiet({u"q"_s, u"quiet"_s}, u"No progress lines."_s);
    const QCommandLineOption connectTimeout(u"connect-timeout"_s, u"Longest time to open all connections."_s,
                                            u"seconds"_s, u"120"_s);
    parser.addOptions({url,       raw,         rawPath,    clients, rates,    size,      duration,
                       drain,     token,       adminToken, org,     keys,     bootstrap, prefix,
                       heartbeat, concurrency, kind,       pid,     progress, quiet,     connectTimeout});
    if (!parser.parse(arguments)) {
        *error = parser.errorText();
        return std::nullopt;
    }
    if (parser.isSet(u"help"_s)) {
        *helpText = parser.helpText();
        return std::nullopt;
    }
    BenchOptions options;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1) {
        *error = u"exactly one scenario expected (fanout, agents, connect, idle, prepare-agents)"_s;
        return std::nullopt;
    }
    const QString name = positional.first();
    bool known = false;
    for (const Scenario s :
         {Scenario::Fanout, Scenario::Agents, Scenario::Connect, Scenario::Idle, Scenario::PrepareAgents}) {
        if (scenarioName(s) == name) {
            options.scenario = s;
            known = true;
        }
    }
    if (!known) {
        *error = u"unknown scenario \"%1\""_s.arg(name);
        return std::nullopt;
    }
    const QUrl base(parser.value(url));
    if (!base.isValid() || base.host().isEmpty() ||
        (base.scheme() != "ws"_L1 && base.scheme() != "http"_L1)) {
        *error = u"--url must be ws://HOST:PORT"_s;
        return std::nullopt;
    }
    options.host = base.host().toStdString();
    if (options.host == "localhost")
        options.host = "127.0.0.1";
    options.port = static_cast<std::uint16_t>(base.port(8080));

    auto number = [&](const QCommandLineOption &option, double low, double high, double *out) {
        bool ok = false;
        const double value = parser.value(option).toDouble(&ok);
        if (!ok || value < low || value > high) {
            *error = u"--%1 must be a number between %2 and %3"_s.arg(option.names().constLast())
                         .arg(low)
                         .arg(high);
            return false;
        }
        *out = value;
        return true;
    };
    double value = 0;
    if (!number(clients, 1, 1000000, &value))
        return std::nullopt;
    options.clients = static_cast<int>(value);
    options.rates.clear();
    for (const QString &part : parser.value(rates).split(u',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const double rate = part.trimmed().toDouble(&ok);
        if (!ok || rate <= 0 || rate > 1000000) {
            *error = u"--rate must be positive numbers separated by commas"_s;
            return std::nullopt;
        }
        options.rates.append(rate);
    }
    if (options.rates.isEmpty()) {
        *error = u"--rate must not be empty"_s;
        return std::nullopt;
    }
    if (!number(size, 64, 16000, &value))
        return std::nullopt;
    options.messageBytes = static_cast<int>(value);
    if (!number(duration, 0.1, 86400, &options.durationSeconds) ||
        !number(drain, 0, 600, &options.drainSeconds) ||
        !number(heartbeat, 0.1, 3600, &options.heartbeatSeconds) ||
        !number(progress, 0.1, 3600, &options.progressSeconds) ||
        !number(connectTimeout, 1, 3600, &options.connectTimeoutSeconds))
        return std::nullopt;
    if (!number(concurrency, 1, 100000, &value))
        return std::nullopt;
    options.concurrency = static_cast<int>(value);
    options.raw = parser.isSet(raw);
    options.rawPath = parser.value(rawPath).toStdString();
    options.token = parser.value(token);
    options.adminToken = parser.value(adminToken);
    options.orgId = parser.value(org);
    options.keysFile = parser.value(keys);
    options.bootstrapKey = parser.value(bootstrap);
    options.agentPrefix = parser.value(prefix);
    options.kind = parser.value(kind);
    options.quiet = parser.isSet(quiet);
    if (parser.isSet(pid))
        options.serverPid = parser.value(pid).toLongLong();
    if (options.kind != "browsers"_L1 && options.kind != "agents"_L1) {
        *error = u"--kind must be browsers or agents"_s;
        return std::nullopt;
    }

    const bool needsBrowsers =
        !options.raw && (options.scenario == Scenario::Fanout ||
                         ((options.scenario == Scenario::Connect || options.scenario == Scenario::Idle) &&
                          options.kind == "browsers"_L1));
    const bool needsAdmin =
        !options.raw && (options.scenario == Scenario::Fanout || options.scenario == Scenario::Agents ||
                         options.scenario == Scenario::PrepareAgents);
    const bool needsKeys =
        !options.raw && (options.scenario == Scenario::Agents ||
                         options.scenario == Scenario::PrepareAgents || options.kind == "agents"_L1);
    if (needsBrowsers && options.token.isEmpty()) {
        *error = u"--token is required (switchboard-server token issue ... --role user)"_s;
        return std::nullopt;
    }
    if (needsAdmin && options.adminToken.isEmpty()) {
        *error = u"--admin-token is required (switchboard-server token issue ... --role admin)"_s;
        return std::nullopt;
    }
    if (needsKeys && options.keysFile.isEmpty()) {
        *error = u"--keys-file is required"_s;
        return std::nullopt;
    }
    if (options.scenario == Scenario::PrepareAgents && options.bootstrapKey.isEmpty()) {
        *error = u"--bootstrap-key is required for prepare-agents"_s;
        return std::nullopt;
    }
    if (options.raw &&
        (options.scenario == Scenario::Agents || options.scenario == Scenario::PrepareAgents)) {
        *error = u"--raw applies to fanout, connect and idle"_s;
        return std::nullopt;
    }
    return options;
}

} // namespace switchboard::bench
