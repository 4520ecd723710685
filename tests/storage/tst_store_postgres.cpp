// Store on PostgreSQL: the shared behaviour suite against a throw-away server (initdb + pg_ctl in a
// temporary folder, on a free port), one fresh database per test. Skipped when the PostgreSQL
// server binaries are not installed (set SWITCHBOARD_PG_BINDIR to point at them).
#include "../support/PostgresProcess.h"
#include "StoreTestSuite.h"

using namespace Qt::StringLiterals;
using switchboard::protocol::ErrorCode;
using switchboard::test::PostgresProcess;
namespace protocol = switchboard::protocol;

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
            admin.setPort(m_postgres.port());
            admin.setUserName(u"switchboard"_s);
            admin.setDatabaseName(u"postgres"_s);
            if (!admin.open() || !QSqlQuery(admin).exec(u"CREATE DATABASE "_s + database))
                qWarning() << "cannot create database" << database << admin.lastError().text();
        }
        QSqlDatabase::removeDatabase(name);
        return m_postgres.url(database);
    }

private:
    PostgresProcess m_postgres;
    int m_databases = 0;

    // The server is back (a test that stopped it must leave it running for the next).
    void ensureRunning() { QVERIFY2(m_postgres.resume(), qPrintable(m_postgres.errorString())); }

    // Statements on the test's own connection to the current database.
    bool executeAll(const QStringList &statements)
    {
        const auto url = switchboard::DatabaseUrl::parse(m_url);
        const QString name = u"setup-"_s + QString::number(++m_databases);
        bool ok = url.ok();
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
            db.setHostName(u"127.0.0.1"_s);
            db.setPort(m_postgres.port());
            db.setUserName(u"switchboard"_s);
            db.setDatabaseName(url.value().database);
            ok = ok && db.open();
            for (const QString &sql : statements) {
                QSqlQuery query(db);
                if (!query.exec(sql)) {
                    qWarning() << sql << query.lastError().text();
                    ok = false;
                }
            }
        }
        QSqlDatabase::removeDatabase(name);
        return ok;
    }

    // The first INSERT into `table` after this kills its own server connection (as a server
    // restart would), before the statement completes; later ones go through.
    bool killFirstInsertInto(const QString &table)
    {
        return executeAll({u"CREATE SEQUENCE kill_once"_s,
                           u"CREATE FUNCTION kill_once() RETURNS trigger AS $$ BEGIN "
                           "IF nextval('kill_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); "
                           "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"_s,
                           u"CREATE TRIGGER kill_once BEFORE INSERT ON "_s + table +
                               u" FOR EACH ROW EXECUTE FUNCTION kill_once()"_s});
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (PostgresProcess::findBinaries().isEmpty())
            QSKIP("PostgreSQL server binaries not found (initdb, pg_ctl); set SWITCHBOARD_PG_BINDIR");
        if (!QSqlDatabase::isDriverAvailable(u"QPSQL"_s))
            QSKIP("the Qt PostgreSQL driver (QPSQL) is not installed");
        QVERIFY2(m_postgres.start(), qPrintable(m_postgres.errorString()));
    }

    void cleanupTestCase()
    {
        m_store.reset();
        m_postgres.stop();
    }

    // A restart between jobs is invisible: the idle connection is found dead before use and
    // replaced; a job queued while the server is down waits for it (within the window) and runs.
    void serverRestartIsRetried()
    {
        SB_AWAIT_OK(before, m_store->ensureOrg(u"before"_s));
        QVERIFY2(m_postgres.halt(u"fast"_s), qPrintable(m_postgres.errorString()));
        auto during = m_store->ensureOrg(u"during"_s); // waits on the storage thread
        ensureRunning();
        SB_AWAIT_OK(stored, during);
        SB_AWAIT_OK(after, m_store->ensureOrg(u"after"_s));
        QCOMPARE(countRows(u"organisations WHERE id IN ('before', 'during', 'after')"_s), 3);
        QVERIFY(!m_store->databaseLost());

        // And with the connection in use right up to the restart (no idle probe to save it).
        QVERIFY(m_postgres.halt(u"fast"_s));
        ensureRunning();
        SB_AWAIT_OK(right, m_store->ensureOrg(u"right-after"_s));
        QCOMPARE(countRows(u"organisations WHERE id = 'right-after'"_s), 1);
    }

    // The connection dies inside a transaction, before COMMIT: nothing was applied, so the job
    // runs again on a new connection and succeeds; the caller sees one success, one row.
    void lostTransactionIsRetried()
    {
        QVERIFY(killFirstInsertInto(u"agents"_s));
        SB_AWAIT_OK(created, m_store->createAgent(switchboard::testing::makeAgent(u"ag-retry"_s), "hash"));
        QCOMPARE(countRows(u"agents WHERE agent_id = 'ag-retry'"_s), 1);
        QCOMPARE(scalar(u"SELECT last_value FROM kill_once"_s).toInt(), 2); // ran twice
    }

    // The connection dies during a write outside a transaction: the server may have applied it
    // or not, so the job is not repeated blindly and the caller gets an error that says so —
    // never a success.
    void lostAutocommitWriteIsReportedInDoubt()
    {
        QVERIFY(killFirstInsertInto(u"organisations"_s));
        auto failed = switchboard::testing::await(m_store->ensureOrg(u"doubt"_s));
        QVERIFY(!failed.ok());
        QCOMPARE(failed.error().code, ErrorCode::Unavailable);
        QVERIFY2(failed.error().message.contains(u"may or may not have been stored"_s),
                 qPrintable(failed.error().message));
        // The store serves again at once.
        SB_AWAIT_OK(again, m_store->ensureOrg(u"doubt"_s));
        QCOMPARE(countRows(u"organisations WHERE id = 'doubt'"_s), 1);
    }

    // An outage longer than the window: jobs fail with Unavailable (fast, once the window has
    // passed), ping says so at once, and the store comes back by itself when the server does.
    void longOutageFailsThenRecovers()
    {
        m_store = std::make_unique<switchboard::Store>();
        switchboard::SqlReconnectPolicy policy;
        policy.windowMs = 300;
        policy.maxDelayMs = 200;
        m_store->setReconnectPolicy(policy);
        SB_AWAIT_OK(opened, m_store->open(m_url));
        SB_AWAIT_OK(first, m_store->ensureOrg(u"kept"_s));

        QVERIFY2(m_postgres.halt(u"fast"_s), qPrintable(m_postgres.errorString()));
        SB_AWAIT_ERROR(m_store->ensureOrg(u"refused"_s), ErrorCode::Unavailable);
        QVERIFY(m_store->databaseLost());
        SB_AWAIT_ERROR(m_store->ping(), ErrorCode::Unavailable);
        SB_AWAIT_ERROR(m_store->listOrgs(), ErrorCode::Unavailable);

        ensureRunning();
        QTRY_VERIFY_WITH_TIMEOUT(switchboard::testing::await(m_store->ping()).ok(), 20000);
        QVERIFY(!m_store->databaseLost());
        SB_AWAIT_OK(orgs, m_store->listOrgs());
        QStringList ids;
        for (const auto &org : orgs.value())
            ids.append(org.orgId);
        QVERIFY(ids.contains(u"kept"_s));
        QVERIFY(!ids.contains(u"refused"_s));
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
