// A throw-away PostgreSQL server for tests that run real processes: initdb + pg_ctl in a temporary
// folder, on a free loopback port, trust authentication for the user "switchboard". As root the
// programs run through the postgres account (runuser), since PostgreSQL refuses to run as root.
// Set SWITCHBOARD_PG_BINDIR to point at the server binaries when they are not in
// /usr/lib/postgresql/<version>/bin.
#pragma once

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>

#include <algorithm>

#include <pwd.h>
#include <unistd.h>

namespace switchboard::test {

class PostgresProcess
{
public:
    PostgresProcess() = default;
    ~PostgresProcess() { stop(); }
    PostgresProcess(const PostgresProcess &) = delete;
    PostgresProcess &operator=(const PostgresProcess &) = delete;

    // The folder holding initdb and pg_ctl, empty when PostgreSQL is not installed.
    static QString findBinaries()
    {
        QStringList candidates;
        if (const QString fromEnvironment = qEnvironmentVariable("SWITCHBOARD_PG_BINDIR");
            !fromEnvironment.isEmpty())
            candidates.append(fromEnvironment);
        QStringList versions =
            QDir(QStringLiteral("/usr/lib/postgresql")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        std::sort(versions.begin(), versions.end(),
                  [](const QString &a, const QString &b) { return a.toInt() > b.toInt(); });
        for (const QString &version : versions)
            candidates.append(QStringLiteral("/usr/lib/postgresql/") + version + QStringLiteral("/bin"));
        for (const QString &dir : candidates) {
            if (QFileInfo::exists(dir + QStringLiteral("/initdb")) &&
                QFileInfo::exists(dir + QStringLiteral("/pg_ctl")))
                return dir;
        }
        return {};
    }

    // initdb + start; false with errorString() on failure.
    bool start()
    {
        m_binaries = findBinaries();
        if (m_binaries.isEmpty())
            return fail(QStringLiteral("initdb/pg_ctl not found"));
        if (!m_dir.isValid())
            return fail(QStringLiteral("no temporary directory"));
        if (::geteuid() == 0) {
            const passwd *account = ::getpwnam("postgres");
            if (!account || QStandardPaths::findExecutable(QStringLiteral("runuser")).isEmpty())
                return fail(QStringLiteral("running as root without a postgres account and runuser"));
            m_runAs = QStringLiteral("postgres");
            if (::chown(QFile::encodeName(m_dir.path()).constData(), account->pw_uid, account->pw_gid) != 0)
                return fail(QStringLiteral("cannot hand the temporary directory to postgres"));
        }
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return fail(QStringLiteral("no free port"));
        m_port = probe.serverPort();
        probe.close();
        m_data = m_dir.filePath(QStringLiteral("data"));
        if (!run(QStringLiteral("initdb"),
                 {QStringLiteral("-D"), m_data, QStringLiteral("-A"), QStringLiteral("trust"),
                  QStringLiteral("-U"), QStringLiteral("switchboard"), QStringLiteral("-E"),
                  QStringLiteral("UTF8"), QStringLiteral("--no-sync")}))
            return false;
        const QString options = QStringLiteral("-p %1 -k %2 -c listen_addresses=127.0.0.1 -c fsync=off "
                                               "-c synchronous_commit=off -c full_page_writes=off")
                                    .arg(m_port)
                                    .arg(m_dir.path());
        if (!run(QStringLiteral("pg_ctl"),
                 {QStringLiteral("-D"), m_data, QStringLiteral("-l"),
                  m_dir.filePath(QStringLiteral("server.log")), QStringLiteral("-w"), QStringLiteral("-o"),
                  options, QStringLiteral("start")}))
            return false;
        m_started = true;
        return true;
    }

    void stop()
    {
        if (!m_started)
            return;
        m_started = false;
        run(QStringLiteral("pg_ctl"),
            {QStringLiteral("-D"), m_data, QStringLiteral("-m"), QStringLiteral("immediate"),
             QStringLiteral("-w"), QStringLiteral("stop")});
    }

    // The "postgres" database exists from initdb; switchboard-server migrates it.
    QString url(const QString &database = QStringLiteral("postgres")) const
    {
        return QStringLiteral("postgres://switchboard@127.0.0.1:%1/%2").arg(m_port).arg(database);
    }
    int port() const { return m_port; }
    QString errorString() const { return m_error; }

private:
    bool fail(const QString &message)
    {
        m_error = message;
        return false;
    }

    bool run(const QString &program, const QStringList &arguments, int timeoutMs = 60000)
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        if (m_runAs.isEmpty())
            process.start(m_binaries + u'/' + program, arguments);
        else
            process.start(QStringLiteral("runuser"),
                          QStringList{QStringLiteral("-u"), m_runAs, QStringLiteral("--"),
                                      m_binaries + u'/' + program} +
                              arguments);
        const bool ok = process.waitForFinished(timeoutMs) && process.exitStatus() == QProcess::NormalExit &&
                        process.exitCode() == 0;
        if (!ok)
            m_error = program + QStringLiteral(" failed: ") + QString::fromLocal8Bit(process.readAll());
        return ok;
    }

    QTemporaryDir m_dir;
    QString m_binaries;
    QString m_runAs;
    QString m_data;
    QString m_error;
    int m_port = 0;
    bool m_started = false;
};

} // namespace switchboard::test
