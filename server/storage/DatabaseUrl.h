// Where the store keeps its data, parsed from the one configuration string:
// "sqlite:///absolute/path/file.db", "sqlite::memory:" or "postgres://user:pass@host:port/db?opt=v".
#pragma once

#include "shared/Protocol.h"

#include <QString>
#include <QStringList>

namespace switchboard {

struct DatabaseUrl
{
    enum class Driver { Sqlite, Postgres };

    Driver driver = Driver::Sqlite;
    QString path; // SQLite: absolute file path, or ":memory:"
    QString host; // PostgreSQL from here on
    int port = 5432;
    QString user;
    QString password;
    QString database;
    QStringList options; // libpq connection options from the query string, "key=value"

    bool isMemory() const { return driver == Driver::Sqlite && path == QLatin1StringView(":memory:"); }
    // The Qt SQL driver name (QSQLITE, QPSQL).
    QString qtDriver() const;
    // The folder of the migrations for this dialect under :/sql/ (sqlite, postgres).
    QString dialect() const;
    // The URL without its password, for logs.
    QString redacted() const;

    static protocol::Decoded<DatabaseUrl> parse(const QString &url);
};

} // namespace switchboard
