// Migrator: brings a database to the newest schema by applying the numbered SQL files of its
// dialect (:/sql/<dialect>/NNNN_name.sql) that schema_migrations does not list yet, each file in
// its own transaction.
#pragma once

#include "shared/Protocol.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace switchboard {

class SqlConnection;

struct Migration
{
    int version = 0;
    QString name;         // file name, e.g. 0001_initial.sql
    QString resourcePath; // :/sql/sqlite/0001_initial.sql
};

class Migrator
{
public:
    explicit Migrator(SqlConnection &connection);

    // The migrations shipped for a dialect, by ascending version.
    static QList<Migration> available(const QString &dialect);
    // Splits a file into statements at top-level semicolons (outside quotes, comments and
    // PostgreSQL dollar quotes); empty statements are dropped.
    static QStringList splitStatements(const QString &sql);

    // Applies what is missing; returns the resulting schema version.
    protocol::Decoded<int> migrate();
    protocol::Decoded<int> currentVersion();

private:
    protocol::Decoded<protocol::Done> ensureMigrationTable();
    protocol::Decoded<protocol::Done> apply(const Migration &migration);
    protocol::Decoded<protocol::Done> lockForMigration();

    SqlConnection &m_connection;
};

} // namespace switchboard
