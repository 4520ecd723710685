// The simulator's command line as a plain struct, and the parser that fills it. Parsing is pure:
// it reads only the arguments and the environment given to it, never files or the network.
#pragma once

#include "shared/Records.h"

#include <QProcessEnvironment>
#include <QStringList>
#include <QUrl>

#include <chrono>

namespace switchboard::agentsim {

enum class LogLevel { Debug, Info, Warning, Error };

struct AgentOptions
{
    QUrl server{QStringLiteral("http://127.0.0.1:8080")}; // as given; see registerUrl()/connectUrl()
    QString agentId;                                      // with count > 1, the prefix of ID-1..ID-N
    QString apiKey;                                       // --api-key or SWITCHBOARD_AGENT_API_KEY
    QString apiKeyFile;                                   // "agentId apiKey" per line, read-only
    QString bootstrapKey;
    QString keyFile; // where keys issued at bootstrap are appended (and read back on restart)
    protocol::Platform platform = protocol::Platform::Docker;
    QString region;
    QString org; // informative only: the server decides the org from the agent's key
    int maxSessions = 10;
    QString cpu = QStringLiteral("8 cores");
    QString memory = QStringLiteral("32Gi");
    std::chrono::milliseconds heartbeatInterval{30000};
    std::chrono::milliseconds approvalPoll{30000};
    std::chrono::milliseconds startDelay{200};
    std::chrono::milliseconds stopDelay{200};
    std::chrono::milliseconds hibernateDelay{200};
    std::chrono::milliseconds wakeDelay{200};
    std::chrono::milliseconds logInterval{500}; // between synthetic log lines of a stream
    double failureRate = 0.0;
    int count = 1;
    LogLevel logLevel = LogLevel::Info;
    bool quiet = false;

    // The agent ids this process runs: agentId itself, or agentId-1 .. agentId-N when count > 1.
    QStringList agentIds() const;
    // POST endpoint for registration (http/https, whatever scheme --server used).
    QUrl registerUrl() const;
    // WebSocket endpoint without the query (ws/wss derived from http/https).
    QUrl connectUrl() const;
    // The level actually in effect (--quiet lowers it to warnings).
    LogLevel effectiveLogLevel() const;
};

struct ParsedAgentOptions
{
    enum class Outcome { Run, ShowHelp, ShowVersion, Error };
    Outcome outcome = Outcome::Error;
    AgentOptions options;
    QString text; // the error message, or the help/version text to print
};

// arguments[0] is the program name, as in QCoreApplication::arguments().
ParsedAgentOptions parseAgentOptions(const QStringList &arguments, const QProcessEnvironment &environment);

// Whether an agent id has the form the server accepts: 3-100 of [A-Za-z0-9._-].
bool isValidAgentId(const QString &agentId);
// Whether a string can be sent as an API key header: 1-256 printable ASCII characters, no spaces.
bool isPlausibleApiKey(const QString &key);

} // namespace switchboard::agentsim
