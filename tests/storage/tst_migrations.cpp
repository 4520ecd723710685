// The numbered SQL migrations: all of them apply to an empty SQLite database, the schema version
// is the number of files, a second open changes nothing, and the tables have their columns.
#include "storage/Migrator.h"
#include "storage/Store.h"

#include <QDir>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace Qt::StringLiterals;
using namespace switchboard;
using protocol::Decoded;

namespace {

template<class T>
Decoded<T> await(const QFuture<Decoded<T>> &future)
{
    if (!QTest::qWaitFor([&] { return future.isFinished(); }, 30000))
        return protocol::Error{protocol::ErrorCode::Internal, u"timed out"_s, {}, {}};
    return future.result();
}

QStringList sqlFiles(const QString &dialect)
{
    return QDir(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/resources/sql/"_s + dialect)
        .entryList({u"*.sql"_s}, QDir::Files, QDir::Name);
}

// Rows of a query on a connection of the test thread.
QList<QVariantList> rows(const QString &file, const QString &sql)
{
    const QString name = QUuid::createUuid().toString();
    QList<QVariantList> result;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        db.setDatabaseName(file);
        if (!db.open())
            qWarning() << db.lastError().text();
        QSqlQuery query(db);
        if (!query.exec(sql))
            qWarning() << query.lastError().text();
        while (query.next()) {
            QVariantList row;
            for (int i = 0; i < query.record().count(); ++i)
                row.append(query.value(i));
            result.append(row);
        }
    }
    QSqlDatabase::removeDatabase(name);
    return result;
}

QSet<QString> firstColumn(const QList<QVariantList> &rowList, int column = 0)
{
    QSet<QString> values;
    for (const QVariantList &row : rowList)
        values.insert(row.value(column).toString());
    return values;
}

} // namespace

class TestMigrations : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_file;

    void openAndClose(int expectedVersion)
    {
        Store store;
        const auto opened = await(store.open(u"sqlite://"_s + m_file));
        QVERIFY2(opened.ok(), opened.ok() ? "" : qPrintable(opened.error().message));
        const auto version = await(store.schemaVersion());
        QVERIFY(version.ok());
        QCOMPARE(version.value(), expectedVersion);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_file = m_dir.filePath(u"migrations.db"_s);
    }

    void filesAreNumberedWithoutGaps_data()
    {
        QTest::addColumn<QString>("dialect");
        QTest::newRow("sqlite") << u"sqlite"_s;
        QTest::newRow("postgres") << u"postgres"_s;
    }

    void filesAreNumberedWithoutGaps()
    {
        QFETCH(QString, dialect);
        const QStringList files = sqlFiles(dialect);
        QVERIFY(!files.isEmpty());
        const QList<Migration> migrations = Migrator::available(dialect);
        QCOMPARE(migrations.size(), files.size()); // every file is compiled in and well named
        for (int i = 0; i < migrations.size(); ++i) {
            QCOMPARE(migrations.at(i).version, i + 1);
            QCOMPARE(migrations.at(i).name, files.at(i));
        }
    }

    void dialectsHaveTheSameMigrations() { QCOMPARE(sqlFiles(u"postgres"_s), sqlFiles(u"sqlite"_s)); }

    void splitStatements_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QStringList>("statements");
        QTest::newRow("two") << u"CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);"_s
                             << QStringList{u"CREATE TABLE a (x INT)"_s, u"CREATE TABLE b (y INT)"_s};
        QTest::newRow("no final semicolon") << u"SELECT 1"_s << QStringList{u"SELECT 1"_s};
        QTest::newRow("empty statements") << u";; \n ;SELECT 1;;"_s << QStringList{u"SELECT 1"_s};
        QTest::newRow("line comment")
            << u"-- a; comment\nSELECT 1; -- trailing; one"_s << QStringList{u"SELECT 1"_s};
        QTest::newRow("block comment") << u"/* x; y */SELECT 2;"_s << QStringList{u"SELECT 2"_s};
        QTest::newRow("quoted semicolon")
            << u"INSERT INTO t VALUES ('a;b', 'it''s; ok');SELECT 3"_s
            << QStringList{u"INSERT INTO t VALUES ('a;b', 'it''s; ok')"_s, u"SELECT 3"_s};
        QTest::newRow("quoted identifier")
            << u"SELECT \"odd;name\" FROM t;"_s << QStringList{u"SELECT \"odd;name\" FROM t"_s};
        QTest::newRow("dollar quote")
            << u"CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;"_s
            << QStringList{u"CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ "
                           u"LANGUAGE sql"_s};
        QTest::newRow("positional parameter")
            << u"SELECT $1; SELECT 2"_s << QStringList{u"SELECT $1"_s, u"SELECT 2"_s};
    }

    void splitStatements()
    {
        QFETCH(QString, sql);
        QFETCH(QStringList, statements);
        QCOMPARE(Migrator::splitStatements(sql), statements);
    }

    void appliesAllToAnEmptyDatabase()
    {
        const int count = int(sqlFiles(u"sqlite"_s).size());
        openAndClose(count);
        const auto applied =
            rows(m_file, u"SELECT version, applied_at FROM schema_migrations ORDER BY version"_s);
        QCOMPARE(applied.size(), count);
        for (int i = 0; i < count; ++i) {
            QCOMPARE(applied.at(i).at(0).toInt(), i + 1);
            QVERIFY(protocol::parseTimestamp(applied.at(i).at(1).toString()).has_value());
        }
        QCOMPARE(rows(m_file, u"PRAGMA journal_mode"_s).value(0).value(0).toString(), u"wal"_s);
    }

    void reopenIsANoOp()
    {
        const auto before =
            rows(m_file, u"SELECT version, applied_at FROM schema_migrations ORDER BY version"_s);
        const auto schemaBefore = rows(m_file, u"SELECT type, name, sql FROM sqlite_master ORDER BY name"_s);
        QVERIFY(!before.isEmpty());
        openAndClose(int(before.size()));
        QCOMPARE(rows(m_file, u"SELECT version, applied_at FROM schema_migrations ORDER BY version"_s),
                 before);
        QCOMPARE(rows(m_file, u"SELECT type, name, sql FROM sqlite_master ORDER BY name"_s), schemaBefore);
    }

    void tablesHaveTheirColumns_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QStringList>("columns");
        QTest::newRow("schema_migrations")
            << u"schema_migrations"_s << QStringList{u"version"_s, u"applied_at"_s};
        QTest::newRow("organisations")
            << u"organisations"_s << QStringList{u"id"_s, u"name"_s, u"created_at"_s};
        QTest::newRow("agents") << u"agents"_s
                                << QStringList{u"id"_s,
                                               u"agent_id"_s,
                                               u"org_id"_s,
                                               u"platform"_s,
                                               u"region"_s,
                                               u"status"_s,
                                               u"capacity"_s,
                                               u"active_sessions"_s,
                                               u"last_heartbeat"_s,
                                               u"metadata"_s,
                                               u"created_at"_s,
                                               u"updated_at"_s,
                                               u"cluster_id"_s,
                                               u"cluster_name"_s,
                                               u"api_key_hash"_s,
                                               u"api_key_created_at"_s,
                                               u"api_key_last_used_at"_s,
                                               u"approval_status"_s,
                                               u"approved_at"_s,
                                               u"approved_by"_s,
                                               u"replica"_s,
                                               u"previous_api_key_hash"_s,
                                               u"previous_api_key_expires_at"_s};
        QTest::newRow("token_revocations")
            << u"token_revocations"_s
            << QStringList{u"jti"_s, u"expires_at"_s, u"revoked_at"_s, u"revoked_by"_s};
        QTest::newRow("agent_commands")
            << u"agent_commands"_s << QStringList{u"id"_s,         u"command_id"_s,      u"agent_id"_s,
                                                  u"org_id"_s,     u"session_id"_s,      u"action"_s,
                                                  u"payload"_s,    u"status"_s,          u"error_message"_s,
                                                  u"result"_s,     u"attempts"_s,        u"created_at"_s,
                                                  u"sent_at"_s,    u"acknowledged_at"_s, u"completed_at"_s,
                                                  u"updated_at"_s, u"first_sent_at"_s};
        QTest::newRow("sessions") << u"sessions"_s
                                  << QStringList{u"id"_s,
                                                 u"org_id"_s,
                                                 u"user_id"_s,
                                                 u"template"_s,
                                                 u"state"_s,
                                                 u"agent_id"_s,
                                                 u"platform"_s,
                                                 u"namespace"_s,
                                                 u"pod_name"_s,
                                                 u"url"_s,
                                                 u"memory"_s,
                                                 u"cpu"_s,
                                                 u"idle_timeout"_s,
                                                 u"last_activity"_s,
                                                 u"tags"_s,
                                                 u"termination_reason"_s,
                                                 u"terminated_at"_s,
                                                 u"created_at"_s,
                                                 u"updated_at"_s};
    }

    void tablesHaveTheirColumns()
    {
        QFETCH(QString, table);
        QFETCH(QStringList, columns);
        // table_info rows: cid, name, type, notnull, dflt_value, pk
        const auto info = rows(m_file, u"PRAGMA table_info("_s + table + u')');
        QStringList actual;
        for (const QVariantList &row : info)
            actual.append(row.at(1).toString());
        QCOMPARE(actual, columns);
    }

    void queriedColumnsAreIndexed_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QString>("firstColumns"); // leading columns of some index, comma separated
        QTest::newRow("agents by org") << u"agents"_s << u"org_id"_s;
        QTest::newRow("agents by replica") << u"agents"_s << u"replica"_s;
        QTest::newRow("commands by agent and status") << u"agent_commands"_s << u"agent_id,status"_s;
        QTest::newRow("commands by org") << u"agent_commands"_s << u"org_id"_s;
        QTest::newRow("commands by session") << u"agent_commands"_s << u"session_id"_s;
        QTest::newRow("sessions by org") << u"sessions"_s << u"org_id,created_at"_s;
        QTest::newRow("sessions by agent") << u"sessions"_s << u"agent_id,state"_s;
    }

    void queriedColumnsAreIndexed()
    {
        QFETCH(QString, table);
        QFETCH(QString, firstColumns);
        const QStringList wanted = firstColumns.split(u',');
        bool found = false;
        for (const QString &index : firstColumn(rows(m_file, u"PRAGMA index_list("_s + table + u')'), 1)) {
            QStringList columns;
            for (const QVariantList &row : rows(m_file, u"PRAGMA index_info("_s + index + u')'))
                columns.append(row.at(2).toString());
            found = found || columns.mid(0, wanted.size()) == wanted;
        }
        QVERIFY2(found, qPrintable(u"no index on "_s + table + u'(' + firstColumns + u')'));
    }

    void newerSchemaStillOpens()
    {
        // A newer server of a rolling upgrade may already have migrated further.
        QTemporaryDir dir;
        const QString file = dir.filePath(u"newer.db"_s);
        {
            Store store;
            QVERIFY(await(store.open(u"sqlite://"_s + file)).ok());
        }
        rows(
            file,
            u"INSERT INTO schema_migrations (version, applied_at) VALUES (999, '2030-01-01T00:00:00.000Z')"_s);
        Store store;
        QVERIFY(await(store.open(u"sqlite://"_s + file)).ok());
        const auto version = await(store.schemaVersion());
        QVERIFY(version.ok());
        QCOMPARE(version.value(), 999);
    }

    void unwritableLocationIsUnavailable()
    {
        QTemporaryDir dir;
        QFile blocker(dir.filePath(u"file"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        Store store; // a regular file where a folder should be
        const auto opened = await(store.open(u"sqlite://"_s + dir.filePath(u"file/sub/db.sqlite"_s)));
        QVERIFY(!opened.ok());
        QCOMPARE(opened.error().code, protocol::ErrorCode::Unavailable);
    }
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
