// Where a Redis server is and how to log in: parsed from redis://[[user]:password@]host[:port][/db].
#pragma once

#include <QString>

#include <optional>

namespace switchboard {

struct RedisUrl
{
    static constexpr quint16 kDefaultPort = 6379;

    QString host; // name or address; IPv6 literals without brackets
    quint16 port = kDefaultPort;
    QString username; // Redis 6 ACL user; empty = AUTH with the password alone
    QString password; // empty = no AUTH
    int database = 0; // SELECTed after connecting when not 0

    // Accepts redis://host, redis://host:port/db, redis://:password@host:port/db and
    // redis://user:password@host:port/db (user and password percent-decoded). Rejects other
    // schemes (rediss:// TLS and unix sockets are not supported), a missing host, a bad port or
    // database number, a user without a password, and query strings or fragments.
    static std::optional<RedisUrl> parse(const QString &text, QString *errorMessage = nullptr);

    // redis://host:port/db with the password shown as *** : safe for logs.
    QString toDisplayString() const;
    // The full URL including credentials; parse(toString()) gives the same RedisUrl back.
    QString toString() const;

    friend bool operator==(const RedisUrl &, const RedisUrl &) = default;
};

} // namespace switchboard
