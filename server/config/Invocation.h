// What the switchboard-server binary was asked to do: serve, or one admin subcommand, with the
// settings merged from defaults < INI file < SWITCHBOARD_* environment < command line.
#pragma once

#include "config/Settings.h"
#include "shared/Protocol.h"
#include "shared/Records.h"

#include <QProcessEnvironment>
#include <QStringList>

#include <chrono>

namespace switchboard {

struct Invocation
{
    enum class Command {
        Serve,
        AgentAdd,
        AgentList,
        AgentRemove,
        AgentApprove,
        AgentReject,
        AgentRotateKey,
        TokenIssue,
        ShowHelp,    // --help: print usageText()
        ShowVersion, // --version
    };

    Command command = Command::Serve;
    Settings settings;
    QString configFile;   // the INI file that was read; empty if none
    QStringList warnings; // non-fatal problems (unknown INI keys) for the caller to log

    // agent add / remove / approve / reject: agentId; agent add, agent list (filter, may be
    // empty) and token issue: orgId.
    QString agentId;
    QString orgId;
    protocol::Platform platform = protocol::Platform::Kubernetes; // agent add
    QString region;                                               // agent add, optional
    std::chrono::seconds keyGrace{0}; // agent rotate-key: how long the previous key still works

    // token issue
    QString userId;
    QString role; // admin | operator | user | service (validated; see net/OrgContext.h roleFromName)
    std::chrono::seconds tokenTtl{8 * 3600};
    QString username;     // optional
    QString k8sNamespace; // optional
};

// `arguments` as QCoreApplication::arguments(): the program name first. Pure apart from reading
// the INI file and, for `serve` and `token issue` when no secret is configured, reading or
// creating <dataDir>/jwt-secret (see JwtSecretFile.h). Never prints, never exits. Errors name the
// option and where its value came from, e.g. `--heartbeat-timeout (command line)`.
protocol::Decoded<Invocation> parseInvocation(const QStringList &arguments,
                                              const QProcessEnvironment &environment);

// The --help text: usage, subcommands, every option with its INI key, environment variable and
// default.
QString usageText();

// "30s", "15m", "8h", "7d" or plain seconds ("3600"); strictly positive, at most 366 days.
protocol::Decoded<std::chrono::seconds> parseDuration(QStringView text);

// "HOST:PORT" or "[IPv6]:PORT"; HOST is an IP address, "localhost" or "*" (all interfaces);
// PORT 0-65535 (0 picks a free port).
protocol::Decoded<std::pair<QHostAddress, quint16>> parseListenAddress(QStringView text);

} // namespace switchboard
