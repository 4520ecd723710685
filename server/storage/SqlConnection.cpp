#include "SqlConnection.h"

#include "StorageLogging.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDriver>
#include <QSqlError>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <cerrno>

#include <dlfcn.h>
#include <sys/socket.h>

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Done;
using protocol::Error;
using protocol::ErrorCode;

namespace {

constexpr int kBusyTimeoutMs = 5000;

// SQLite result codes that mean "try again later" rather than "this statement is wrong":
// BUSY, LOCKED, IOERR, FULL, CANTOPEN.
bool isTransientSqliteCode(int code)
{
    switch (code & 0xff) {
    case 5:
    case 6:
    case 10:
    case 13:
    case 14:
        return true;
    default:
        return false;
    }
}

// SQLSTATE classes of PostgreSQL that mean the server or the connection is not usable now:
// connection exceptions, insufficient resources, operator intervention, serialization failures.
bool isTransientSqlState(const QString &state)
{
    return state.startsWith("08"_L1) || state.startsWith("53"_L1) || state.startsWith("57"_L1) ||
           state == "40001"_L1 || state == "40P01"_L1;
}

// A statement that cannot have changed anything (outside a transaction, a lost write is in doubt).
bool isReadOnly(const QString &sql)
{
    return QStringView(sql).trimmed().startsWith("SELECT"_L1, Qt::CaseInsensitive);
}

} // namespace

SqlConnection::SqlConnection()
    : m_name(u"switchboard.storage."_s + QUuid::createUuid().toString(QUuid::WithoutBraces))
{}

SqlConnection::~SqlConnection()
{
    close();
}

Decoded<Done> SqlConnection::open(const DatabaseUrl &url)
{
    close();
    m_url = url;
    return connect();
}

Decoded<Done> SqlConnection::connect()
{
    if (!QSqlDatabase::isDriverAvailable(m_url.qtDriver()))
        return Error{ErrorCode::Unavailable,
                     u"the Qt SQL driver "_s + m_url.qtDriver() + u" is not installed"_s,
                     {},
                     {}};
    m_db = QSqlDatabase::addDatabase(m_url.qtDriver(), m_name);
    if (m_url.driver == DatabaseUrl::Driver::Sqlite) {
        if (!m_url.isMemory()) {
            const QString folder = QFileInfo(m_url.path).absolutePath();
            if (!QDir().mkpath(folder))
                return Error{
                    ErrorCode::Unavailable, u"cannot create the database folder "_s + folder, {}, {}};
        }
        m_db.setDatabaseName(m_url.path);
        m_db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT="_s + QString::number(kBusyTimeoutMs));
    } else {
        m_db.setHostName(m_url.host);
        m_db.setPort(m_url.port);
        m_db.setUserName(m_url.user);
        m_db.setPassword(m_url.password);
        m_db.setDatabaseName(m_url.database);
        QStringList options{u"connect_timeout=5"_s, u"application_name=switchboard"_s};
        options += m_url.options;
        m_db.setConnectOptions(options.join(u';'));
    }
    if (!m_db.open()) {
        const QString message = u"cannot open "_s + m_url.redacted() + u": "_s + m_db.lastError().text();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
        return Error{ErrorCode::Unavailable, message, {}, {}};
    }
    const QStringList setup =
        m_url.driver == DatabaseUrl::Driver::Sqlite
            ? QStringList{u"PRAGMA journal_mode = WAL"_s, u"PRAGMA synchronous = NORMAL"_s,
                          u"PRAGMA foreign_keys = ON"_s,
                          u"PRAGMA busy_timeout = "_s + QString::number(kBusyTimeoutMs)}
            : QStringList{u"SET TIME ZONE 'UTC'"_s, u"SET client_min_messages = warning"_s};
    for (const QString &statement : setup) {
        auto done = executeDirect(statement, u"connection setup");
        if (!done) {
            drop();
            return done;
        }
    }
    if (!m_outage.isValid())
        qCInfo(lcStorage) << "opened" << m_url.redacted();
    if (isPostgres() && !m_pqSocket) {
        // libpq is already loaded by the QPSQL plugin; taking PQsocket from it at run time keeps
        // libpq's headers out of the build. Without it, the idle probe does the job.
        if (void *libpq = ::dlopen("libpq.so.5", RTLD_LAZY | RTLD_NOLOAD)) {
            m_pqSocket = reinterpret_cast<int (*)(const void *)>(::dlsym(libpq, "PQsocket"));
            ::dlclose(libpq);
        }
    }
    m_lastUsed.start();
    return Done{};
}

void SqlConnection::drop()
{
    m_statements.clear();
    m_inTransaction = false;
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
}

void SqlConnection::close()
{
    if (m_db.isOpen())
        qCInfo(lcStorage) << "closing" << m_url.redacted();
    drop();
    m_lost = false;
    m_inDoubt = false;
    m_outage.invalidate();
    if (m_outageFlag)
        m_outageFlag->store(false);
}

void SqlConnection::noteLost(const QString &message)
{
    m_lost = true;
    if (m_outage.isValid())
        return;
    // Logged once per outage; the failures that follow until the connection is back are debug.
    m_outage.start();
    m_delayMs = m_policy.firstDelayMs;
    m_attempts = 0;
    m_nextAttempt = QDeadlineTimer(0);
    m_lastError = message;
    if (m_outageFlag)
        m_outageFlag->store(true);
    qCWarning(lcStorage).noquote() << "lost the connection to" << m_url.redacted() << "(" << message
                                   << "); reconnecting, requests wait up to" << m_policy.windowMs
                                   << "ms for it and fail after that";
}

void SqlConnection::noteRecovered()
{
    qCWarning(lcStorage).noquote() << "reconnected to" << m_url.redacted() << "after" << m_outage.elapsed()
                                   << "ms," << m_attempts << "attempts";
    m_outage.invalidate();
    m_lost = false;
    if (m_outageFlag)
        m_outageFlag->store(false);
}

bool SqlConnection::probeIdle()
{
    // An idle server connection learns of a server restart only when it is used; asking first
    // keeps the job's own statements off a dead connection (where a lost write is in doubt).
    QSqlQuery query(m_db);
    if (query.exec(u"SELECT 1"_s))
        return true;
    failure(query.lastError(), u"connection check");
    return !m_lost;
}

bool SqlConnection::serverHungUp()
{
    // Between jobs the connection is idle and every reply has been read, so anything readable on
    // its socket is the server going away (a restarting server sends FATAL 57P01 and closes).
    // Seeing it here, before a job's statements are sent, keeps them off a dead connection.
    const QVariant handle = m_db.driver() ? m_db.driver()->handle() : QVariant();
    if (!handle.isValid() ||
        (qstrcmp(handle.typeName(), "PGconn*") != 0 && qstrcmp(handle.typeName(), "pg_conn*") != 0))
        return false;
    const void *pgconn = *static_cast<void *const *>(handle.constData());
    const int fd = pgconn ? m_pqSocket(pgconn) : -1;
    if (fd < 0)
        return true;
    char byte = 0;
    const ssize_t peeked = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return peeked >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

Decoded<Done> SqlConnection::ensureUsable(bool wait)
{
    m_inDoubt = false;
    if (!m_lost && isPostgres() && m_db.isOpen()) {
        if (m_pqSocket) {
            if (serverHungUp())
                noteLost(u"the server closed the connection"_s);
        } else if (m_lastUsed.isValid() && m_lastUsed.elapsed() > m_policy.idleProbeMs) {
            probeIdle();
        }
    }
    if (m_lost) {
        const qint64 budget = wait ? std::max<qint64>(0, m_policy.windowMs - m_outage.elapsed()) : 0;
        const QDeadlineTimer deadline(budget);
        for (;;) {
            if (m_nextAttempt.hasExpired()) {
                ++m_attempts;
                drop();
                auto reconnected = connect();
                if (reconnected) {
                    noteRecovered();
                    break;
                }
                m_lastError = reconnected.error().message;
                qCDebug(lcStorage).noquote() << "reconnect attempt" << m_attempts << "failed:" << m_lastError;
                m_nextAttempt = QDeadlineTimer(m_delayMs);
                m_delayMs = std::min(m_delayMs * 2, m_policy.maxDelayMs);
            }
            const qint64 left = deadline.remainingTime();
            const qint64 untilNext = m_nextAttempt.remainingTime();
            if (left <= 0 || untilNext > left)
                return Error{
                    ErrorCode::Unavailable,
                    u"the database is unreachable (connection lost %1 ms ago): "_s.arg(m_outage.elapsed()) +
                        m_lastError,
                    {},
                    {}};
            // The storage thread's own wait: the socket thread never blocks on it.
            QThread::msleep(static_cast<unsigned long>(std::max<qint64>(1, untilNext)));
        }
    }
    if (!m_db.isOpen())
        return Error{ErrorCode::Unavailable, u"the database is not open"_s, {}, {}};
    m_lastUsed.start();
    return Done{};
}

Decoded<SqlResult> SqlConnection::execute(const QString &sql, const QVariantList &values, QStringView what)
{
    auto found = m_statements.find(sql);
    if (found == m_statements.end()) {
        auto query = std::make_unique<QSqlQuery>(m_db);
        query->setForwardOnly(true);
        if (!query->prepare(sql))
            return failure(query->lastError(), what);
        found = m_statements.emplace(sql, std::move(query)).first;
    }
    QSqlQuery *query = found->second.get();
    for (int i = 0; i < values.size(); ++i)
        query->bindValue(i, values.at(i));
    if (!query->exec()) {
        const Error error = failure(query->lastError(), what);
        // A lost write outside a transaction may have been applied before the connection went.
        if (m_lost && !m_inTransaction && !isReadOnly(sql))
            m_inDoubt = true;
        query->finish();
        return error;
    }
    return SqlResult(query);
}

Decoded<Done> SqlConnection::executeDirect(const QString &sql, QStringView what)
{
    QSqlQuery query(m_db);
    if (!query.exec(sql))
        return failure(query.lastError(), what);
    return Done{};
}

Decoded<Done> SqlConnection::begin()
{
    auto begun = executeDirect(isPostgres() ? u"BEGIN"_s : u"BEGIN IMMEDIATE"_s, u"begin transaction");
    m_inTransaction = begun.ok();
    return begun;
}

Decoded<Done> SqlConnection::commit()
{
    auto committed = executeDirect(u"COMMIT"_s, u"commit");
    if (!committed) {
        // The server may have committed before the connection went.
        if (m_lost)
            m_inDoubt = true;
        rollback();
        return committed;
    }
    m_inTransaction = false;
    return committed;
}

void SqlConnection::rollback()
{
    if (!m_inTransaction)
        return;
    m_inTransaction = false;
    if (m_lost)
        return; // the server rolled back when the connection went
    QSqlQuery query(m_db);
    if (!query.exec(u"ROLLBACK"_s))
        qCWarning(lcStorage) << "rollback failed:" << query.lastError().text();
}

Error SqlConnection::failure(const QSqlError &error, QStringView what)
{
    bool transient = error.type() == QSqlError::ConnectionError || !m_db.isOpen();
    if (isPostgres()) {
        const QString state = error.nativeErrorCode();
        // libpq reports a dropped connection without any SQLSTATE.
        const bool lost = state.isEmpty() || state.startsWith("08"_L1) || state.startsWith("57P"_L1);
        if (lost)
            noteLost(error.text());
        transient = transient || lost || isTransientSqlState(state);
    } else {
        bool numeric = false;
        const int code = error.nativeErrorCode().toInt(&numeric);
        transient = transient || (numeric && isTransientSqliteCode(code));
    }
    const QString message = what.toString() + u": "_s + error.text();
    if (transient && m_outage.isValid())
        qCDebug(lcStorage).noquote() << message;
    else if (transient)
        qCWarning(lcStorage).noquote() << message;
    else
        qCCritical(lcStorage).noquote() << message;
    return Error{transient ? ErrorCode::Unavailable : ErrorCode::Internal, message, {}, {}};
}

} // namespace switchboard
