// SqlConnection: the storage thread's one database connection, its cache of prepared statements,
// transactions, and the translation of database errors into protocol errors. Not thread-safe:
// it lives and dies on the storage thread.
#pragma once

#include "DatabaseUrl.h"
#include "StorageTypes.h"

#include "shared/Protocol.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariant>

#include <atomic>
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

    void setReconnectPolicy(const SqlReconnectPolicy &policy) { m_policy = policy; }
    // True while the server connection is lost, false once it works again (and after close());
    // read by other threads (Store::ping answers from it without queueing behind waiting jobs).
    void setOutageFlag(std::shared_ptr<std::atomic_bool> flag) { m_outageFlag = std::move(flag); }

    // Called before each job: reconnects a server connection that an earlier error (or the idle
    // probe) showed to be lost, waiting as ReconnectPolicy says; Unavailable if it cannot.
    // `wait` = false never waits (one attempt, if the backoff allows).
    protocol::Decoded<protocol::Done> ensureUsable(bool wait = true);
    // After a failed job: true when the connection was lost before anything of the job could have
    // been applied (a lost read, a lost statement inside a transaction before COMMIT), so running
    // the job again is safe. False when a COMMIT or a write outside a transaction was lost: the
    // server may or may not have applied it (lostInDoubt()).
    bool lostBeforeApplying() const { return m_lost && !m_inDoubt; }
    bool lostInDoubt() const { return m_lost && m_inDoubt; }

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
    void drop();
    void noteLost(const QString &message);
    void noteRecovered();
    bool probeIdle();
    bool serverHungUp();

    DatabaseUrl m_url;
    QString m_name;
    QSqlDatabase m_db;
    std::unordered_map<QString, std::unique_ptr<QSqlQuery>> m_statements;
    bool m_inTransaction = false;
    bool m_lost = false;
    bool m_inDoubt = false;
    SqlReconnectPolicy m_policy;
    std::shared_ptr<std::atomic_bool> m_outageFlag;
    QElapsedTimer m_outage;   // valid while the connection is lost: since when
    QElapsedTimer m_lastUsed; // for the idle probe
    QDeadlineTimer m_nextAttempt;
    int (*m_pqSocket)(const void *) = nullptr; // libpq's PQsocket, when the driver loaded libpq
    int m_delayMs = 0;
    int m_attempts = 0;
    QString m_lastError;
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
