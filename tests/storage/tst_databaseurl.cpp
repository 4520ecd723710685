// Parsing of the database URL: the forms we accept and the ones we refuse with a message.
#include "storage/DatabaseUrl.h"

#include <QTest>

using namespace Qt::StringLiterals;
using switchboard::DatabaseUrl;

class TestDatabaseUrl : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sqlite_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("path");
        QTest::newRow("memory") << u"sqlite::memory:"_s << u":memory:"_s;
        QTest::newRow("absolute") << u"sqlite:///var/lib/switchboard/db.sqlite"_s
                                  << u"/var/lib/switchboard/db.sqlite"_s;
        QTest::newRow("cleaned") << u"sqlite:///var/lib/./x/../db.sqlite"_s << u"/var/lib/db.sqlite"_s;
        QTest::newRow("percent encoded") << u"sqlite:///tmp/my%20db.sqlite"_s << u"/tmp/my db.sqlite"_s;
        QTest::newRow("spaces around") << u"  sqlite:///tmp/a.db "_s << u"/tmp/a.db"_s;
    }

    void sqlite()
    {
        QFETCH(QString, url);
        QFETCH(QString, path);
        const auto parsed = DatabaseUrl::parse(url);
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().message));
        QCOMPARE(parsed.value().driver, DatabaseUrl::Driver::Sqlite);
        QCOMPARE(parsed.value().path, path);
        QCOMPARE(parsed.value().qtDriver(), u"QSQLITE"_s);
        QCOMPARE(parsed.value().dialect(), u"sqlite"_s);
        QCOMPARE(parsed.value().isMemory(), path == u":memory:"_s);
    }

    void postgres_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QStringList>("options");
        QTest::newRow("full") << u"postgres://sb:secret@db.example:6543/switchboard"_s << u"db.example"_s
                              << 6543 << u"sb"_s << u"secret"_s << u"switchboard"_s << QStringList{};
        QTest::newRow("default port") << u"postgresql://sb@127.0.0.1/sb"_s << u"127.0.0.1"_s << 5432
                                      << u"sb"_s << QString() << u"sb"_s << QStringList{};
        QTest::newRow("encoded password") << u"postgres://sb:p%40ss%3Aw0rd@h/db"_s << u"h"_s << 5432
                                          << u"sb"_s << u"p@ss:w0rd"_s << u"db"_s << QStringList{};
        QTest::newRow("options") << u"postgres://u:p@h:5433/db?sslmode=require&connect_timeout=3"_s << u"h"_s
                                 << 5433 << u"u"_s << u"p"_s << u"db"_s
                                 << QStringList{u"sslmode=require"_s, u"connect_timeout=3"_s};
        QTest::newRow("no credentials") << u"postgres://localhost/db"_s << u"localhost"_s << 5432 << QString()
                                        << QString() << u"db"_s << QStringList{};
    }

    void postgres()
    {
        QFETCH(QString, url);
        const auto parsed = DatabaseUrl::parse(url);
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().message));
        const DatabaseUrl &db = parsed.value();
        QCOMPARE(db.driver, DatabaseUrl::Driver::Postgres);
        QTEST(db.host, "host");
        QTEST(db.port, "port");
        QTEST(db.user, "user");
        QTEST(db.password, "password");
        QTEST(db.database, "database");
        QTEST(db.options, "options");
        QCOMPARE(db.qtDriver(), u"QPSQL"_s);
        QCOMPARE(db.dialect(), u"postgres"_s);
        QVERIFY(!db.redacted().contains(u"secret"_s));
        QVERIFY(!db.isMemory());
    }

    void invalid_data()
    {
        QTest::addColumn<QString>("url");
        QTest::newRow("empty") << QString();
        QTest::newRow("unknown scheme") << u"mysql://u:p@h/db"_s;
        QTest::newRow("relative sqlite path") << u"sqlite://relative/db.sqlite"_s;
        QTest::newRow("sqlite without slashes") << u"sqlite:db.sqlite"_s;
        QTest::newRow("sqlite folder") << u"sqlite:///var/lib/"_s;
        QTest::newRow("sqlite nothing") << u"sqlite://"_s;
        QTest::newRow("postgres without host") << u"postgres:///db"_s;
        QTest::newRow("postgres without database") << u"postgres://u:p@h:5432"_s;
        QTest::newRow("postgres root path") << u"postgres://u:p@h:5432/"_s;
        QTest::newRow("postgres nested path") << u"postgres://u:p@h/a/b"_s;
        QTest::newRow("postgres bad port") << u"postgres://u:p@h:99999/db"_s;
        QTest::newRow("postgres option injection") << u"postgres://u:p@h/db?sslmode=require%20host%3Devil"_s;
        QTest::newRow("postgres bad option name") << u"postgres://u:p@h/db?Bad-Key=1"_s;
    }

    void invalid()
    {
        QFETCH(QString, url);
        const auto parsed = DatabaseUrl::parse(url);
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().code, switchboard::protocol::ErrorCode::InvalidValue);
        QCOMPARE(parsed.error().field, u"database"_s);
        QVERIFY(!parsed.error().message.isEmpty());
    }

    void redactedHidesThePassword()
    {
        const auto parsed = DatabaseUrl::parse(u"postgres://sb:hunter2@h:5432/db"_s);
        QVERIFY(parsed.ok());
        QCOMPARE(parsed.value().redacted(), u"postgres://sb:***@h:5432/db"_s);
    }
};

QTEST_GUILESS_MAIN(TestDatabaseUrl)
#include "tst_databaseurl.moc"
