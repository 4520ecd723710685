// switchboard-server as a real process in tests: its admin subcommands (agent add, token issue,
// ...) run to completion, and replicas of a cluster (a server with Redis and a replica name)
// started, checked for readiness and killed. Used by the tests that drive real processes
// (durability, PostgreSQL restarts, replicas, the cluster view); each test keeps its own options.
#pragma once

#include "ProgramTestSupport.h"
#include "TestClients.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <csignal>
#include <memory>
#include <sys/prctl.h>

namespace switchboard::test {

// Runs `switchboard-server ARGUMENTS` to completion: its standard output, or empty (with a
// warning naming the command and its error output) when it failed.
inline QString runServerCommand(const QStringList &arguments, int timeoutMs = 30000)
{
    QProcess process;
    process.start(QStringLiteral(SWITCHBOARD_SERVER_BINARY), arguments);
    if (!process.waitForFinished(timeoutMs) || process.exitCode() != 0) {
        qWarning() << "CLI failed:" << arguments << process.readAllStandardError();
        return {};
    }
    return QString::fromUtf8(process.readAllStandardOutput());
}

// The arguments of `agent add` for an agent of `orgId` on docker.
inline QStringList agentAddArguments(const QString &agentId, const QString &orgId = QStringLiteral("acme"))
{
    return {QStringLiteral("agent"),      QStringLiteral("add"),
            QStringLiteral("--id"),       agentId,
            QStringLiteral("--org"),      orgId,
            QStringLiteral("--platform"), QStringLiteral("docker")};
}

// The API key `agent add` printed (64 hex characters on a line of its own); empty if none.
inline QByteArray agentKeyFrom(const QString &output)
{
    return QRegularExpression(QStringLiteral("^([0-9a-f]{64})$"), QRegularExpression::MultilineOption)
        .match(output)
        .captured(1)
        .toLatin1();
}

// One replica of a test cluster. Restarting keeps its port and data directory.
struct Replica
{
    QString name;
    quint16 port = 0;
    std::unique_ptr<QTemporaryDir> dataDir;
    std::unique_ptr<QProcess> process;

    QUrl wsBase() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(port)); }
    // `query`: more parameters after the token ("a=1&b=2").
    QUrl ws(const QString &path, const QString &token, const QString &query = {}) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1%2?token=%3%4")
                        .arg(port)
                        .arg(path, token, query.isEmpty() ? QString() : QLatin1Char('&') + query));
    }
};

// The body of GET /readyz when it answers 200, else empty.
inline QByteArray readiness(const Replica &replica)
{
    const RawHttpResponse response = rawHttp(replica.port, httpRequest("GET", "/readyz"), 2000);
    return response.status == 200 ? response.body : QByteArray();
}

inline bool redisOk(const Replica &replica)
{
    return readiness(replica).contains(R"("redis":"ok")");
}

// Starts `replica` with Redis at `redisPort` and `common` options (database, secret). Ready
// means serving with its presence in Redis, so cross-replica routing works.
inline bool startReplica(Replica &replica, quint16 redisPort, const QStringList &common, int timeoutMs)
{
    if (replica.port == 0)
        replica.port = freePort();
    if (!replica.dataDir)
        replica.dataDir = std::make_unique<QTemporaryDir>();
    replica.process = std::make_unique<QProcess>();
    replica.process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    // A crashed or timed-out test must not leave replicas behind.
    replica.process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    replica.process->start(
        QStringLiteral(SWITCHBOARD_SERVER_BINARY),
        QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(replica.port),
                    QStringLiteral("--log-level"), QStringLiteral("warning"), QStringLiteral("--redis"),
                    QStringLiteral("redis://127.0.0.1:%1").arg(redisPort), QStringLiteral("--replica-name"),
                    replica.name, QStringLiteral("--data-dir"), replica.dataDir->path()} +
            common);
    if (!replica.process->waitForStarted())
        return false;
    return QTest::qWaitFor([&] { return replica.process->state() == QProcess::Running && redisOk(replica); },
                           timeoutMs);
}

inline void killReplica(Replica &replica)
{
    if (!replica.process || replica.process->state() == QProcess::NotRunning)
        return;
    ::kill(static_cast<pid_t>(replica.process->processId()), SIGKILL);
    replica.process->waitForFinished(10000);
}

} // namespace switchboard::test
