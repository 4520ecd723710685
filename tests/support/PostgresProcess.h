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
#include <QTemporaryDir>

#include <algorithm>

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
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
        m_port = freePort();
        if (m_port == 0)
            return fail(QStringLiteral("no free port"));
        m_data = m_dir.filePath(QStringLiteral("data"));
        if (!run(QStringLiteral("initdb"),
                 {QStringLiteral("-D"), m_data, QStringLiteral("-A"), QStringLiteral("trust"),
                  QStringLiteral("-U"), QStringLiteral("switchboard"), QStringLiteral("-E"),
                  QStringLiteral("UTF8"), QStringLiteral("--no-sync")}))
            return false;
        return launch();
    }

    // Stops the server and keeps its data: `mode` is pg_ctl's (smart, fast, immediate). resume()
    // starts it again on the same folder and port.
    bool halt(const QString &mode = QStringLiteral("fast"))
    {
        if (!m_started)
            return fail(QStringLiteral("not running"));
        m_started = false;
        return run(QStringLiteral("pg_ctl"), {QStringLiteral("-D"), m_data, QStringLiteral("-m"), mode,
                                              QStringLiteral("-w"), QStringLiteral("stop")});
    }
    bool resume() { return m_started || launch(); }
    bool isRunning() const { return m_started; }

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
    // The socket folder (also holds server.log).
    QString directory() const { return m_dir.path(); }

private:
    // A loopback port nobody listens on right now (bound to port 0, read back, released). Plain
    // sockets, so that tests without Qt Network (the storage tests) can use this class.
    static int freePort()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return 0;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof(address);
        int port = 0;
        if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
            port = ntohs(address.sin_port);
        ::close(fd);
        return port;
    }

    bool launch()
    {
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
