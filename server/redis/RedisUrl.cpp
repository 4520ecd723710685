#include "RedisUrl.h"

#include <QRegularExpression>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

std::optional<RedisUrl> fail(QString *errorMessage, const QString &message)
{
    if (errorMessage)
        *errorMessage = message;
    return std::nullopt;
}

// "host:port" as written, between "//" (and any "user:password@") and the path.
QString rawHostAndPort(const QString &text)
{
    const qsizetype start = text.indexOf(u"//"_s);
    if (start < 0)
        return {};
    QString authority = text.mid(start + 2);
    const qsizetype end = authority.indexOf(QRegularExpression(u"[/?#]"_s));
    if (end >= 0)
        authority.truncate(end);
    return authority.mid(authority.lastIndexOf(u'@') + 1);
}

QString formatUrl(const RedisUrl &url, bool withPassword)
{
    QString text = u"redis://"_s;
    if (!url.password.isEmpty()) {
        text += QString::fromUtf8(QUrl::toPercentEncoding(url.username)) + u":"_s;
        text += withPassword ? QString::fromUtf8(QUrl::toPercentEncoding(url.password)) : u"***"_s;
        text += u"@"_s;
    }
    text += url.host.contains(u':') ? u"["_s + url.host + u"]"_s : url.host;
    text += u":"_s + QString::number(url.port);
    if (url.database != 0)
        text += u"/"_s + QString::number(url.database);
    return text;
}

} // namespace

std::optional<RedisUrl> RedisUrl::parse(const QString &text, QString *errorMessage)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return fail(errorMessage, u"empty Redis URL (expected redis://host:port/db)"_s);
    const QUrl url(trimmed, QUrl::StrictMode);
    if (!url.isValid())
        return fail(errorMessage, u"invalid Redis URL: "_s + url.errorString());
    if (url.scheme() == u"rediss"_s)
        return fail(errorMessage, u"rediss:// (TLS) is not supported"_s);
    if (url.scheme() != u"redis"_s)
        return fail(errorMessage, u"Redis URL must start with redis://"_s);
    if (url.hasQuery() || url.hasFragment())
        return fail(errorMessage, u"Redis URL must not have a query or fragment"_s);

    RedisUrl result;
    result.host = url.host(QUrl::FullyDecoded);
    if (result.host.isEmpty())
        return fail(errorMessage, u"Redis URL has no host"_s);

    const int port = url.port(-1);
    if (port == 0)
        return fail(errorMessage, u"Redis URL has an invalid port"_s);
    if (port > 0)
        result.port = static_cast<quint16>(port);
    else if (rawHostAndPort(trimmed).endsWith(u':')) // QUrl drops an empty port silently
        return fail(errorMessage, u"Redis URL has an empty port"_s);

    result.username = url.userName(QUrl::FullyDecoded);
    result.password = url.password(QUrl::FullyDecoded);
    if (!result.username.isEmpty() && result.password.isEmpty())
        return fail(errorMessage, u"Redis URL has a user but no password (write redis://:password@host)"_s);

    QString path = url.path(QUrl::FullyDecoded);
    if (path.startsWith(u'/'))
        path.remove(0, 1);
    if (!path.isEmpty()) {
        bool ok = false;
        const int database = path.toInt(&ok, 10);
        if (!ok || database < 0 || path.startsWith(u'+') || path.startsWith(u'-'))
            return fail(errorMessage, u"Redis URL has an invalid database number: "_s + path);
        result.database = database;
    }
    return result;
}

QString RedisUrl::toDisplayString() const
{
    return formatUrl(*this, false);
}

QString RedisUrl::toString() const
{
    return formatUrl(*this, true);
}

} // namespace switchboard
