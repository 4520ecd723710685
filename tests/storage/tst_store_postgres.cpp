// Store on PostgreSQL: the shared behaviour suite against a throw-away server (initdb + pg_ctl in a
// temporary folder, on a free port), one fresh database per test. Skipped when the PostgreSQL
// server binaries are not installed (set SWITCHBOARD_PG_BINDIR to point at them).
#include "StoreTestSuite.h"

#include <QDir>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

QString findPostgresBinaries()
{
    const QString fromEnvironment = qEnvironmentVariable("SWITCHBOARD_PG_BINDIR");
    QStringList candidates;
    if (!fromEnvironment.isEmpty())
        candidates.append(fromEnvironment);
    QStringList versions = QDir(u"/usr/lib/postgresql"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(versions.begin(), versions.end(),
              [](const QString &a, const QString &b) { return a.toInt() > b.toInt(); });
    for (const QString &version : versions)
        candidates.append(u"/usr/lib/postgresql/"_s + version + u"/bin"_s);
    for (const QString &dir : candidates) {
        if (QFileInfo::exists(dir + u"/initdb"_s) && QFileInfo::exists(dir + u"/pg_ctl"_s))
            return dir;
    }
    return {};
}

// A port nobody listens on right now (bound to port 0, read back, released for the server).
int freePort()
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

} // namespace

class TestStorePostgres : public switchboard::testing::StoreTestSuite
{
    Q_OBJECT
protected:
    bool alwaysPersistent() const override { return true; }

    QString freshDatabaseUrl(bool) override
    {
        const QString database = u"switchboard_test_%1"_s.arg(++m_databases);
        const QString name = u"admin-"_s + database;
        {
            QSqlDatabase admin = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
            admin.setHostName(u"127.0.0.1"_s);
            admin.setPort(m_port);
            admin.setUserName(u"switchboard"_s);
            admin.setDatabaseName(u"postgres"_s);
            if (!admin.open() || !QSqlQuery(admin).exec(u"CREATE DATABASE "_s + database))
                qWarning() << "cannot create database" << database << admin.lastError().text();
        }
        QSqlDatabase::removeDatabase(name);
        return u"postgres://switchboard@127.0.0.1:%1/%2"_s.arg(m_port).arg(database);
    }

private:
    // Runs a PostgreSQL program; as root through the postgres account, since the server refuses root.
    bool run(const QString &program, const QStringList &arguments, int timeoutMs = 60000)
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        if (m_runAs.isEmpty())
            process.start(m_binaries + u'/' + program, arguments);
        else
            process.start(u"runuser"_s,
                          QStringList{u"-u"_s, m_runAs, u"--"_s, m_binaries + u'/' + program} + arguments);
        const bool ok = process.waitForFinished(timeoutMs) && process.exitStatus() == QProcess::NormalExit &&
                        process.exitCode() == 0;
        if (!ok)
            qWarning().noquote() << program << "failed:" << process.readAll();
        return ok;
    }

    QTemporaryDir m_dir;
    QString m_binaries;
    QString m_runAs;
    QString m_data;
    int m_port = 0;
    int m_databases = 0;
    bool m_started = false;

private Q_SLOTS:
    void initTestCase()
    {
        m_binaries = findPostgresBinaries();
        if (m_binaries.isEmpty())
            QSKIP("PostgreSQL server binaries not found (initdb, pg_ctl); set SWITCHBOARD_PG_BINDIR");
        if (!QSqlDatabase::isDriverAvailable(u"QPSQL"_s))
            QSKIP("the Qt PostgreSQL driver (QPSQL) is not installed");
        QVERIFY(m_dir.isValid());
        if (::geteuid() == 0) {
            const passwd *account = ::getpwnam("postgres");
            if (!account || QStandardPaths::findExecutable(u"runuser"_s).isEmpty())
                QSKIP("running as root without a postgres account and runuser");
            m_runAs = u"postgres"_s;
            QVERIFY(::chown(QFile::encodeName(m_dir.path()).constData(), account->pw_uid, account->pw_gid) ==
                    0);
        }
        m_port = freePort();
        QVERIFY(m_port > 0);
        m_data = m_dir.filePath(u"data"_s);
        QVERIFY(run(u"initdb"_s, {u"-D"_s, m_data, u"-A"_s, u"trust"_s, u"-U"_s, u"switchboard"_s, u"-E"_s,
                                  u"UTF8"_s, u"--no-sync"_s}));
        const QString options = u"-p %1 -k %2 -c listen_addresses=127.0.0.1 -c fsync=off "
                                u"-c synchronous_commit=off -c full_page_writes=off"_s.arg(m_port)
                                    .arg(m_dir.path());
        QVERIFY(run(u"pg_ctl"_s, {u"-D"_s, m_data, u"-l"_s, m_dir.filePath(u"server.log"_s), u"-w"_s, u"-o"_s,
                                  options, u"start"_s}));
        m_started = true;
    }

    void cleanupTestCase()
    {
        m_store.reset();
        if (m_started)
            run(u"pg_ctl"_s, {u"-D"_s, m_data, u"-m"_s, u"immediate"_s, u"-w"_s, u"stop"_s});
    }

    void migrationsRecordTheSchemaVersion()
    {
        SB_AWAIT_OK(version, m_store->schemaVersion());
        QCOMPARE(version.value(), int(switchboard::Migrator::available(u"postgres"_s).size()));
        QCOMPARE(countRows(u"schema_migrations"_s), version.value());
        QCOMPARE(countRows(u"information_schema.columns WHERE table_name = 'agents'"_s), 23);
        QCOMPARE(countRows(u"information_schema.columns WHERE table_name = 'token_revocations'"_s), 4);
        QCOMPARE(countRows(u"information_schema.columns WHERE table_name = 'agent_commands'"_s), 17);
        QCOMPARE(countRows(u"information_schema.columns WHERE table_name = 'sessions'"_s), 19);
        // Re-opening applies nothing again.
        m_store = std::make_unique<switchboard::Store>();
        SB_AWAIT_OK(reopened, m_store->open(m_url));
        QCOMPARE(countRows(u"schema_migrations"_s), version.value());
    }

    void concurrentOpensMigrateOnce()
    {
        // Two servers starting together on one empty database: the migration lock serialises them.
        const QString url = freshDatabaseUrl(true);
        switchboard::Store first;
        switchboard::Store second;
        auto a = first.open(url);
        auto b = second.open(url);
        SB_AWAIT_OK(openedA, a);
        SB_AWAIT_OK(openedB, b);
        SB_AWAIT_OK(version, second.schemaVersion());
        QCOMPARE(version.value(), int(switchboard::Migrator::available(u"postgres"_s).size()));
    }
};

QTEST_GUILESS_MAIN(TestStorePostgres)
#include "moc_StoreTestSuite.cpp"
#include "tst_store_postgres.moc"
