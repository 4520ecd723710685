// SqlConnection: the storage thread's one database connection, its cache of prepared statements,
// transactions, and the translation of database errors into protocol errors. Not thread-safe:
// it lives and dies on the storage thread.
#pragma once

#include "DatabaseUrl.h"

#include "shared/Protocol.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariant>

#include <memory>
#include <unordered_map>

class QSqlError;

namespace switchboard {

// The rows of one executed statement; finishes the statement when it goes away so that a cached
// statement never keeps a read transaction open.
class SqlResult
{
public:
    explicit SqlResult(QSqlQuery *query)
        : m_query(query)
    {}
    SqlResult(SqlResult &&other) noexcept
        : m_query(std::exchange(other.m_query, nullptr))
    {}
    SqlResult &operator=(SqlResult &&) = delete;
    SqlResult(const SqlResult &) = delete;
    SqlResult &operator=(const SqlResult &) = delete;
    ~SqlResult()
    {
        if (m_query)
            m_query->finish();
    }

    bool next() { return m_query->next(); }
    QVariant value(int column) const { return m_query->value(column); }
    int rowsAffected() const { return m_query->numRowsAffected(); }

private:
    QSqlQuery *m_query;
};

class SqlConnection
{
public:
    SqlConnection();
    ~SqlConnection();
    SqlConnection(const SqlConnection &) = delete;
    SqlConnection &operator=(const SqlConnection &) = delete;

    protocol::Decoded<protocol::Done> open(const DatabaseUrl &url);
    void close();
    bool isOpen() const { return m_db.isOpen(); }
    const DatabaseUrl &url() const { return m_url; }
    bool isPostgres() const { return m_url.driver == DatabaseUrl::Driver::Postgres; }

    // Reopens a server connection that an earlier error showed to be lost; Unavailable if closed.
    protocol::Decoded<protocol::Done> ensureUsable();

    // Runs a statement with positional (?) parameters. The statement is prepared once per
    // connection and reused; `what` names the operation in error messages.
    protocol::Decoded<SqlResult> execute(const QString &sql, const QVariantList &values, QStringView what);
    // Runs a statement without preparing it (DDL, pragmas, transaction control).
    protocol::Decoded<protocol::Done> executeDirect(const QString &sql, QStringView what);

    // BEGIN IMMEDIATE on SQLite (takes the write lock up front, so read-check-write sequences
    // never fail half way on a lock upgrade), BEGIN on PostgreSQL.
    protocol::Decoded<protocol::Done> begin();
    protocol::Decoded<protocol::Done> commit();
    void rollback();
    bool inTransaction() const { return m_inTransaction; }

    protocol::Error failure(const QSqlError &error, QStringView what);

private:
    protocol::Decoded<protocol::Done> connect();

    DatabaseUrl m_url;
    QString m_name;
    QSqlDatabase m_db;
    std::unordered_map<QString, std::unique_ptr<QSqlQuery>> m_statements;
    bool m_inTransaction = false;
    bool m_lost = false;
};

// Commits on commit(), rolls back if it goes out of scope first.
class SqlTransaction
{
public:
    explicit SqlTransaction(SqlConnection &connection)
        : m_connection(connection)
    {}
    ~SqlTransaction()
    {
        if (m_open)
            m_connection.rollback();
    }
    SqlTransaction(const SqlTransaction &) = delete;
    SqlTransaction &operator=(const SqlTransaction &) = delete;

    protocol::Decoded<protocol::Done> begin()
    {
        auto started = m_connection.begin();
        m_open = started.ok();
        return started;
    }
    protocol::Decoded<protocol::Done> commit()
    {
        m_open = false;
        return m_connection.commit();
    }

private:
    SqlConnection &m_connection;
    bool m_open = false;
};

} // namespace switchboard
