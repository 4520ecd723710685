#include "DatabaseUrl.h"

#include <QDir>
#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

protocol::Error invalid(const QString &message)
{
    return protocol::Error{protocol::ErrorCode::InvalidValue, message, u"database"_s, {}};
}

protocol::Decoded<DatabaseUrl> parseSqlite(const QString &url)
{
    DatabaseUrl result;
    result.driver = DatabaseUrl::Driver::Sqlite;
    if (url == "sqlite::memory:"_L1) {
        result.path = u":memory:"_s;
        return result;
    }
    if (!url.startsWith("sqlite://"_L1))
        return invalid(u"SQLite URL must be sqlite:///absolute/path.db or sqlite::memory:"_s);
    const QString path = QUrl::fromPercentEncoding(url.mid(9).toUtf8());
    if (path.isEmpty() || !QDir::isAbsolutePath(path) || path.endsWith(u'/'))
        return invalid(u"SQLite URL must name an absolute file path: sqlite:///absolute/path.db"_s);
    result.path = QDir::cleanPath(path);
    return result;
}

protocol::Decoded<DatabaseUrl> parsePostgres(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return invalid(u"invalid PostgreSQL URL: "_s + url.errorString());
    DatabaseUrl result;
    result.driver = DatabaseUrl::Driver::Postgres;
    result.host = url.host();
    if (result.host.isEmpty())
        return invalid(u"PostgreSQL URL needs a host: postgres://user:pass@host:port/db"_s);
    result.port = url.port(5432);
    if (result.port <= 0 || result.port > 65535)
        return invalid(u"PostgreSQL URL has an invalid port"_s);
    result.user = url.userName(QUrl::FullyDecoded);
    result.password = url.password(QUrl::FullyDecoded);
    result.database = url.path(QUrl::FullyDecoded);
    if (result.database.startsWith(u'/'))
        result.database.remove(0, 1);
    if (result.database.isEmpty() || result.database.contains(u'/'))
        return invalid(u"PostgreSQL URL needs a database name: postgres://user:pass@host:port/db"_s);
    // The options become part of a libpq conninfo string, so only plain key=value pairs pass.
    static const QRegularExpression key(u"^[a-z_]{1,64}$"_s);
    static const QRegularExpression value(u"^[A-Za-z0-9_.:/@+-]{0,256}$"_s);
    const QUrlQuery query(url);
    for (const auto &[name, optionValue] : query.queryItems(QUrl::FullyDecoded)) {
        if (!key.match(name).hasMatch() || !value.match(optionValue).hasMatch())
            return invalid(u"PostgreSQL URL has an invalid option: "_s + name);
        result.options.append(name + u'=' + optionValue);
    }
    return result;
}

} // namespace

QString DatabaseUrl::qtDriver() const
{
    return driver == Driver::Sqlite ? u"QSQLITE"_s : u"QPSQL"_s;
}

QString DatabaseUrl::dialect() const
{
    return driver == Driver::Sqlite ? u"sqlite"_s : u"postgres"_s;
}

QString DatabaseUrl::redacted() const
{
    if (driver == Driver::Sqlite)
        return isMemory() ? u"sqlite::memory:"_s : u"sqlite://"_s + path;
    QString text = u"postgres://"_s;
    if (!user.isEmpty())
        text += user + (password.isEmpty() ? u""_s : u":***"_s) + u'@';
    text += host + u':' + QString::number(port) + u'/' + database;
    if (!options.isEmpty())
        text += u'?' + options.join(u'&');
    return text;
}

protocol::Decoded<DatabaseUrl> DatabaseUrl::parse(const QString &url)
{
    const QString trimmed = url.trimmed();
    if (trimmed.startsWith("sqlite:"_L1))
        return parseSqlite(trimmed);
    if (trimmed.startsWith("postgres://"_L1) || trimmed.startsWith("postgresql://"_L1))
        return parsePostgres(trimmed);
    return invalid(u"unsupported database URL (expected sqlite:///path.db, sqlite::memory: or "
                   u"postgres://user:pass@host:port/db)"_s);
}

} // namespace switchboard
