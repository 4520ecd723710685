#include "Migrator.h"

#include "SqlConnection.h"
#include "SqlValues.h"
#include "StorageLogging.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Done;
using protocol::Error;
using protocol::ErrorCode;

namespace {
// Any constant shared by all replicas: serialises migrations of several servers starting at once.
constexpr qint64 kMigrationLockKey = 0x5357424452444231; // "SWBDRDB1"
} // namespace

Migrator::Migrator(SqlConnection &connection)
    : m_connection(connection)
{}

QList<Migration> Migrator::available(const QString &dialect)
{
    static const QRegularExpression pattern(u"^(\\d{4})_[A-Za-z0-9_]+\\.sql$"_s);
    const QString folder = u":/sql/"_s + dialect;
    QList<Migration> migrations;
    const QStringList files = QDir(folder).entryList(QDir::Files, QDir::Name);
    for (const QString &file : files) {
        const auto match = pattern.match(file);
        if (!match.hasMatch()) {
            qCWarning(lcStorage) << "ignoring" << file << "in" << folder << "(not NNNN_name.sql)";
            continue;
        }
        migrations.append(Migration{match.captured(1).toInt(), file, folder + u'/' + file});
    }
    std::sort(migrations.begin(), migrations.end(),
              [](const Migration &a, const Migration &b) { return a.version < b.version; });
    return migrations;
}

QStringList Migrator::splitStatements(const QString &sql)
{
    QStringList statements;
    QString current;
    const qsizetype size = sql.size();
    auto flush = [&] {
        const QString statement = current.trimmed();
        if (!statement.isEmpty())
            statements.append(statement);
        current.clear();
    };
    for (qsizetype i = 0; i < size; ++i) {
        const QChar c = sql.at(i);
        const QChar next = i + 1 < size ? sql.at(i + 1) : QChar();
        if (c == u'-' && next == u'-') {
            while (i < size && sql.at(i) != u'\n')
                ++i;
            current += u'\n';
        } else if (c == u'/' && next == u'*') {
            const qsizetype end = sql.indexOf("*/"_L1, i + 2);
            i = end < 0 ? size : end + 1;
            current += u' ';
        } else if (c == u'\'' || c == u'"') {
            qsizetype end = i + 1;
            while (end < size) {
                if (sql.at(end) == c) {
                    if (end + 1 < size && sql.at(end + 1) == c) { // doubled quote
                        end += 2;
                        continue;
                    }
                    break;
                }
                ++end;
            }
            current += sql.mid(i, end - i + 1);
            i = end;
        } else if (c == u'$') {
            // A dollar quote: $$...$$ or $tag$...$tag$.
            qsizetype tagEnd = i + 1;
            while (tagEnd < size && (sql.at(tagEnd).isLetterOrNumber() || sql.at(tagEnd) == u'_'))
                ++tagEnd;
            if (tagEnd < size && sql.at(tagEnd) == u'$') {
                const QString tag = sql.mid(i, tagEnd - i + 1);
                const qsizetype close = sql.indexOf(tag, tagEnd + 1);
                const qsizetype end = close < 0 ? size : close + tag.size();
                current += sql.mid(i, end - i);
                i = end - 1;
            } else {
                current += c;
            }
        } else if (c == u';') {
            flush();
        } else {
            current += c;
        }
    }
    flush();
    return statements;
}

Decoded<Done> Migrator::ensureMigrationTable()
{
    const QString sql = m_connection.isPostgres()
                            ? u"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                              u"applied_at TIMESTAMPTZ NOT NULL)"_s
                            : u"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                              u"applied_at TEXT NOT NULL)"_s;
    return m_connection.executeDirect(sql, u"create schema_migrations");
}

Decoded<Done> Migrator::lockForMigration()
{
    // SQLite's BEGIN IMMEDIATE already excludes other writers; PostgreSQL needs an explicit lock
    // held until the transaction ends.
    if (!m_connection.isPostgres())
        return Done{};
    auto locked = m_connection.execute(u"SELECT pg_advisory_xact_lock(?)"_s, {kMigrationLockKey},
                                       u"lock for migration");
    if (!locked)
        return locked.error();
    return Done{};
}

Decoded<int> Migrator::currentVersion()
{
    auto result = m_connection.execute(u"SELECT COALESCE(MAX(version), 0) FROM schema_migrations"_s, {},
                                       u"read schema version");
    if (!result)
        return result.error();
    SqlResult rows = std::move(result).value();
    if (!rows.next())
        return 0;
    return rows.value(0).toInt();
}

Decoded<Done> Migrator::apply(const Migration &migration)
{
    QFile file(migration.resourcePath);
    if (!file.open(QIODevice::ReadOnly))
        return Error{ErrorCode::Internal, u"cannot read migration "_s + migration.resourcePath, {}, {}};
    const QStringList statements = splitStatements(QString::fromUtf8(file.readAll()));

    SqlTransaction transaction(m_connection);
    if (auto begun = transaction.begin(); !begun)
        return begun;
    if (auto locked = lockForMigration(); !locked)
        return locked;
    // Another server may have applied it while this one waited for the lock.
    auto applied = m_connection.execute(u"SELECT COUNT(*) FROM schema_migrations WHERE version = ?"_s,
                                        {migration.version}, u"check migration");
    if (!applied)
        return applied.error();
    {
        SqlResult rows = std::move(applied).value();
        if (rows.next() && rows.value(0).toInt() > 0)
            return Done{};
    }
    for (const QString &statement : statements) {
        auto done = m_connection.executeDirect(statement, migration.name);
        if (!done)
            return done;
    }
    auto recorded =
        m_connection.execute(u"INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"_s,
                             {migration.version, sqlvalues::time(sqlvalues::now())}, u"record migration");
    if (!recorded)
        return recorded.error();
    if (auto committed = transaction.commit(); !committed)
        return committed;
    qCInfo(lcStorage) << "applied migration" << migration.name;
    return Done{};
}

Decoded<int> Migrator::migrate()
{
    const QString dialect = m_connection.url().dialect();
    const QList<Migration> migrations = available(dialect);
    if (migrations.isEmpty())
        return Error{ErrorCode::Internal, u"no migrations found under :/sql/"_s + dialect, {}, {}};
    if (m_connection.isPostgres()) {
        // CREATE TABLE IF NOT EXISTS can still collide when two servers run it at once.
        SqlTransaction transaction(m_connection);
        if (auto begun = transaction.begin(); !begun)
            return begun.error();
        if (auto locked = lockForMigration(); !locked)
            return locked.error();
        if (auto created = ensureMigrationTable(); !created)
            return created.error();
        if (auto committed = transaction.commit(); !committed)
            return committed.error();
    } else if (auto created = ensureMigrationTable(); !created) {
        return created.error();
    }

    auto applied =
        m_connection.execute(u"SELECT version FROM schema_migrations"_s, {}, u"read applied migrations");
    if (!applied)
        return applied.error();
    QSet<int> done;
    {
        SqlResult rows = std::move(applied).value();
        while (rows.next())
            done.insert(rows.value(0).toInt());
    }
    for (const Migration &migration : migrations) {
        if (done.contains(migration.version))
            continue;
        if (auto result = apply(migration); !result)
            return result.error();
    }
    auto reached = currentVersion();
    if (reached && reached.value() > migrations.last().version)
        qCWarning(lcStorage) << "the database schema" << reached.value()
                             << "is newer than this server knows:" << migrations.last().version;
    return reached;
}

} // namespace switchboard
