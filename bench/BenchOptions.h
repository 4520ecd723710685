// Command-line options of switchboard-bench (QCommandLineParser), kept apart so tests can build
// options without a command line.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <string>

namespace switchboard::bench {

enum class Scenario { Fanout, Agents, Connect, Idle, PrepareAgents };

struct BenchOptions
{
    Scenario scenario = Scenario::Fanout;
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    bool raw = false;                 // plain broadcast hub (gorilla-hub): publish = send a text frame
    std::string rawPath = "/?org=o1"; // where raw clients connect
    int clients = 1000;
    QList<double> rates{10};     // fanout: messages/s; agents: commands/s. Several = a sweep
    int messageBytes = 256;      // size of each delivered broadcast frame
    double durationSeconds = 10; // per rate (fanout, agents), hold time (idle)
    double drainSeconds = 5;     // longest wait for stragglers after publishing stops
    QString token;               // browsers (fanout, connect, idle)
    QString adminToken;          // admin stream (fanout publisher, agents' commands, prepare-agents)
    QString orgId = QStringLiteral("o1");
    QString keysFile;     // agents: "agentId key" lines; prepare-agents writes it
    QString bootstrapKey; // prepare-agents
    QString agentPrefix = QStringLiteral("bench-agent-");
    double heartbeatSeconds = 30;
    int concurrency = 256;                     // connection attempts (or registrations) in flight at once
    QString kind = QStringLiteral("browsers"); // connect, idle: browsers | agents
    qint64 serverPid = 0;
    double progressSeconds = 1;
    bool quiet = false;
    double connectTimeoutSeconds = 120;
};

// Parses argv (including the program name). On error returns nullopt and sets `error`; on
// --help sets `helpText`.
std::optional<BenchOptions> parseBenchOptions(const QStringList &arguments, QString *error,
                                              QString *helpText);
QString scenarioName(Scenario scenario);

} // namespace switchboard::bench
