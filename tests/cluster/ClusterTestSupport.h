// Test helpers for the cluster components: a "replica" is a set of separate Redis connections
// (commands and pub/sub) in the test process, so several replicas share one real redis-server.
#pragma once

#include "../redis/RedisTestSupport.h"

#include "redis/RedisConnection.h"
#include "redis/RedisSubscriber.h"

#include <QFuture>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <optional>

namespace switchboard::test {

struct RedisPair
{
    explicit RedisPair(const RedisUrl &url, const RedisOptions &options = fastOptions())
        : commands(std::make_unique<RedisConnection>(url, options))
        , subscriber(std::make_unique<RedisSubscriber>(url, options))
    {}

    // Opens both and waits until they are connected.
    bool open(int timeoutMs = 10000)
    {
        commands->open();
        subscriber->open();
        return QTest::qWaitFor([this] { return commands->isConnected() && subscriber->isConnected(); },
                               timeoutMs);
    }

    std::unique_ptr<RedisConnection> commands;
    std::unique_ptr<RedisSubscriber> subscriber;
};

// Waits for a future that finishes on this thread; nullopt if it did not within timeoutMs or
// ended without a result.
template<class T>
std::optional<T> waitForResult(const QFuture<T> &future, int timeoutMs = 10000)
{
    if (!QTest::qWaitFor([&future] { return future.isFinished(); }, timeoutMs))
        return std::nullopt;
    if (future.isCanceled() || future.resultCount() == 0)
        return std::nullopt;
    return future.result();
}

// The string value of a key (empty for nil), through a connection of the test's own.
inline QByteArray valueOf(RedisConnection &redis, const QByteArray &key)
{
    const auto reply = runCommand(redis, {"GET", key});
    return reply ? reply->toByteArray() : QByteArray("<no reply>");
}

inline qint64 integerOf(RedisConnection &redis, const QList<QByteArray> &args)
{
    const auto reply = runCommand(redis, args);
    return reply && reply->isInteger() ? reply->toInteger() : -1000;
}

// calls=N of one command in INFO commandstats (0 if it was not called since CONFIG RESETSTAT).
inline qint64 commandCalls(RedisConnection &redis, const QByteArray &command)
{
    const auto reply = runCommand(redis, {"INFO", "commandstats"});
    if (!reply)
        return -1;
    const QByteArray needle = "cmdstat_" + command.toLower() + ":calls=";
    const QByteArray text = reply->toByteArray();
    const qsizetype at = text.indexOf(needle);
    if (at < 0)
        return 0;
    const qsizetype start = at + needle.size();
    const qsizetype end = text.indexOf(',', start);
    return text.mid(start, end - start).toLongLong();
}

} // namespace switchboard::test
