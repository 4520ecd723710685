// Test helpers for the Redis client tests: a private redis-server child process on a free loopback
// port (killable and restartable on the same port), and a way to wait for one command's reply.
#pragma once

#include "redis/RedisConnection.h"
#include "redis/RedisUrl.h"

#include <QFileInfo>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

#include <signal.h>
#include <sys/prctl.h>

namespace switchboard::test {

using namespace Qt::StringLiterals;

class RedisServerProcess
{
public:
    static QString binary() { return u"/usr/bin/redis-server"_s; }
    static bool isAvailable() { return QFileInfo(binary()).isExecutable(); }

    explicit RedisServerProcess(const QStringList &extraArguments = {})
        : m_extraArguments(extraArguments)
    {}
    ~RedisServerProcess() { kill(); }
    RedisServerProcess(const RedisServerProcess &) = delete;
    RedisServerProcess &operator=(const RedisServerProcess &) = delete;

    // Starts on a free port the first time and on the same port afterwards; waits until the
    // server answers. Returns false with errorString() on failure.
    bool start()
    {
        if (m_port == 0)
            m_port = freePort();
        if (m_port == 0 || !m_dir.isValid()) {
            m_error = u"no free port or temporary directory"_s;
            return false;
        }
        m_process.setProgram(binary());
        m_process.setArguments(QStringList{u"--port"_s, QString::number(m_port), u"--bind"_s, u"127.0.0.1"_s,
                                           u"--save"_s, u""_s, u"--appendonly"_s, u"no"_s, u"--dir"_s,
                                           m_dir.path(), u"--daemonize"_s, u"no"_s,
                                           u"--enable-debug-command"_s, u"yes"_s} +
                               m_extraArguments);
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        // A crashed test must not leave redis-server behind.
        m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_process.start();
        if (!m_process.waitForStarted(5000)) {
            m_error = u"cannot start redis-server: "_s + m_process.errorString();
            return false;
        }
        return waitUntilAnswering();
    }

    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(5000);
    }

    quint16 port() const { return m_port; }
    // For SIGSTOP/SIGCONT: a server that accepts but does not answer (a stalled Redis).
    qint64 processId() const { return m_process.processId(); }
    QString errorString() const { return m_error; }

    RedisUrl url(const QString &password = {}, int database = 0, const QString &username = {}) const
    {
        RedisUrl url;
        url.host = u"127.0.0.1"_s;
        url.port = m_port;
        url.password = password;
        url.username = username;
        url.database = database;
        return url;
    }

    static quint16 freePort()
    {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return 0;
        const quint16 port = probe.serverPort();
        probe.close();
        return port;
    }

private:
    bool waitUntilAnswering()
    {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 10000) {
            if (m_process.state() != QProcess::Running) {
                m_error = u"redis-server exited: "_s + QString::fromLocal8Bit(m_process.readAll());
                return false;
            }
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, m_port);
            if (socket.waitForConnected(200)) {
                socket.write("PING\r\n");
                // +PONG, or -NOAUTH when the server wants a password: either way it is serving.
                if (socket.waitForReadyRead(1000) && !socket.readAll().isEmpty())
                    return true;
            }
            QTest::qWait(20); // waiting for the child process to listen
        }
        m_error = u"redis-server did not answer on port "_s + QString::number(m_port);
        return false;
    }

    QStringList m_extraArguments;
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_error;
};

// Sends one command and waits for its callback. nullopt when none came within timeoutMs.
inline std::optional<RedisReply> runCommand(RedisConnection &connection, const QList<QByteArray> &args,
                                            int timeoutMs = 5000)
{
    // Shared, so that a reply arriving after we gave up writes to live memory.
    const auto result = std::make_shared<std::optional<RedisReply>>();
    connection.command(args, [result](const RedisReply &reply) { *result = reply; });
    if (!QTest::qWaitFor([&result] { return result->has_value(); }, timeoutMs))
        return std::nullopt;
    return *result;
}

inline RedisOptions fastOptions()
{
    RedisOptions options;
    options.connectTimeout = std::chrono::milliseconds(2000);
    options.commandTimeout = std::chrono::milliseconds(5000);
    options.reconnectMinDelay = std::chrono::milliseconds(50);
    options.reconnectMaxDelay = std::chrono::milliseconds(400);
    return options;
}

} // namespace switchboard::test
