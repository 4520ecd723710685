#include "SqlConnection.h"

#include "StorageLogging.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlError>
#include <QUuid>

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
            close();
            return done;
        }
    }
    m_lost = false;
    qCInfo(lcStorage) << "opened" << m_url.redacted();
    return Done{};
}

void SqlConnection::close()
{
    m_statements.clear();
    m_inTransaction = false;
    m_lost = false;
    if (m_db.isValid()) {
        if (m_db.isOpen())
            qCInfo(lcStorage) << "closing" << m_url.redacted();
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
}

Decoded<Done> SqlConnection::ensureUsable()
{
    if (m_lost && !m_url.isMemory()) {
        qCWarning(lcStorage) << "reconnecting to" << m_url.redacted();
        close();
        if (auto reconnected = connect(); !reconnected)
            return reconnected;
    }
    if (!m_db.isOpen())
        return Error{ErrorCode::Unavailable, u"the database is not open"_s, {}, {}};
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
            m_lost = true;
        transient = transient || lost || isTransientSqlState(state);
    } else {
        bool numeric = false;
        const int code = error.nativeErrorCode().toInt(&numeric);
        transient = transient || (numeric && isTransientSqliteCode(code));
    }
    const QString message = what.toString() + u": "_s + error.text();
    if (transient)
        qCWarning(lcStorage).noquote() << message;
    else
        qCCritical(lcStorage).noquote() << message;
    return Error{transient ? ErrorCode::Unavailable : ErrorCode::Internal, message, {}, {}};
}

} // namespace switchboard
