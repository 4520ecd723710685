// Commands survive a server killed with SIGKILL: real switchboard-server processes on one data
// directory, commands queued through the admin stream, `kill -9`, a restart, and then every
// command completes exactly once; what was acknowledged before the kill is not sent again.
#include "ProgramTestSupport.h"
#include "ServerProcess.h"
#include "TestClients.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;
using namespace switchboard::test;

class TestDurability : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_server;
    int m_nextRequest = 1;

    QStringList common() const
    {
        return {u"--database"_s, u"sqlite:///"_s + m_dir->filePath(u"sb.db"_s), u"--data-dir"_s,
                m_dir->path()};
    }

    QString runCli(const QStringList &arguments) { return runServerCommand(arguments + common(), 20000); }

    QByteArray addAgent(const QString &agentId) { return agentKeyFrom(runCli(agentAddArguments(agentId))); }

    QString adminToken()
    {
        return runCli({u"token"_s, u"issue"_s, u"--user"_s, u"ops"_s, u"--org"_s, u"acme"_s, u"--role"_s,
                       u"admin"_s})
            .trimmed();
    }

    bool startServer()
    {
        m_server = std::make_unique<QProcess>();
        m_server->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        // Same port every time: the replica name (and so the crash cleanup) follows it.
        m_server->start(
            QStringLiteral(SWITCHBOARD_SERVER_BINARY),
            QStringList{u"--listen"_s, u"127.0.0.1:%1"_s.arg(m_port), u"--log-level"_s, u"warning"_s} +
                common());
        if (!m_server->waitForStarted())
            return false;
        return QTest::qWaitFor(
            [this] {
                return m_server->state() == QProcess::Running &&
                       rawHttp(m_port, httpRequest("GET", "/healthz"), 500).status == 200;
            },
            20000);
    }

    void killServer()
    {
        ::kill(static_cast<pid_t>(m_server->processId()), SIGKILL);
        m_server->waitForFinished(10000);
    }

    QUrl wsBase() const { return QUrl(u"ws://127.0.0.1:%1"_s.arg(m_port)); }

    std::unique_ptr<JsonSocket> openAdmin(const QString &token)
    {
        auto admin = std::make_unique<JsonSocket>();
        if (!admin->open(QUrl(u"ws://127.0.0.1:%1/api/v1/ws/admin?token=%2"_s.arg(m_port).arg(token))))
            return nullptr;
        if (admin->waitForType(u"snapshot"_s, 10000).isEmpty())
            return nullptr;
        return admin;
    }

    // Sends command.send and returns the new command's id (empty on failure).
    QString sendCommand(JsonSocket &admin, const QString &agentId, const QString &action,
                        const QJsonObject &payload)
    {
        const QString requestId = QString::number(m_nextRequest++);
        admin.send({{u"type"_s, u"command.send"_s},
                    {u"requestId"_s, requestId},
                    {u"agentId"_s, agentId},
                    {u"action"_s, action},
                    {u"payload"_s, payload}});
        const QJsonObject reply = admin.waitFor(
            [&](const QJsonObject &m) { return m.value(u"requestId"_s).toString() == requestId; }, 10000);
        if (reply.value(u"type"_s).toString() != u"reply"_s) {
            qWarning() << "command.send refused:" << reply;
            return {};
        }
        return reply.value(u"result"_s)
            .toObject()
            .value(u"command"_s)
            .toObject()
            .value(u"commandId"_s)
            .toString();
    }

    // The commands of a fresh snapshot, by id.
    QHash<QString, QJsonObject> snapshotCommands(const QString &token)
    {
        QHash<QString, QJsonObject> commands;
        auto admin = openAdmin(token);
        if (!admin)
            return commands;
        const QJsonArray list = admin->ofType(u"snapshot"_s).first().value(u"commands"_s).toArray();
        for (const QJsonValue &value : list)
            commands.insert(value[u"commandId"_s].toString(), value.toObject());
        return commands;
    }

    // command.updated deltas seen by `admin` for commandId with `status`.
    static int updatesOf(const JsonSocket &admin, const QString &commandId, const QString &status)
    {
        int count = 0;
        for (const QJsonObject &update : admin.ofType(u"command.updated"_s)) {
            const QJsonObject command = update.value(u"command"_s).toObject();
            if (command.value(u"commandId"_s).toString() == commandId &&
                command.value(u"status"_s).toString() == status)
                ++count;
        }
        return count;
    }

    static QStringList commandIdsIn(const JsonSocket &agent)
    {
        QStringList ids;
        for (const QJsonObject &frame : agent.ofType(u"command"_s))
            ids.append(frame.value(u"payload"_s).toObject().value(u"commandId"_s).toString());
        return ids;
    }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_port = freePort();
    }

    void cleanup()
    {
        if (m_server && m_server->state() != QProcess::NotRunning)
            killServer();
        m_server.reset();
        m_dir.reset();
    }

    void queuedCommandsSurviveKillAndCompleteOnce()
    {
        if (agentBinary().isEmpty())
            QSKIP("switchboard-agent is not part of this build");
        const QByteArray apiKey = addAgent(u"dur-1"_s);
        QVERIFY(!apiKey.isEmpty());
        const QString token = adminToken();
        QVERIFY(!token.isEmpty());

        QVERIFY(startServer());
        QStringList ids;
        {
            auto admin = openAdmin(token);
            QVERIFY(admin);
            for (int i = 0; i < 4; ++i) {
                const QString id = sendCommand(*admin, u"dur-1"_s, u"start_session"_s,
                                               {{u"sessionId"_s, u"s-%1"_s.arg(i)},
                                                {u"user"_s, u"alice"_s},
                                                {u"template"_s, u"firefox"_s}});
                QVERIFY(!id.isEmpty());
                ids.append(id);
            }
        }
        killServer();
        QCOMPARE(m_server->exitStatus(), QProcess::CrashExit);

        QVERIFY(startServer());
        auto admin = openAdmin(token);
        QVERIFY(admin);
        const QJsonArray before = admin->ofType(u"snapshot"_s).first().value(u"commands"_s).toArray();
        QCOMPARE(before.size(), ids.size()); // nothing lost by the kill
        for (const QJsonValue &command : before)
            QCOMPARE(command[u"status"_s].toString(), u"pending"_s);

        QProcess agent;
        agent.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        agent.start(agentBinary(),
                    {u"--server"_s, u"http://127.0.0.1:%1"_s.arg(m_port), u"--agent-id"_s, u"dur-1"_s,
                     u"--api-key"_s, QString::fromLatin1(apiKey), u"--heartbeat-interval"_s, u"1"_s,
                     u"--start-delay"_s, u"0.05"_s, u"--quiet"_s});
        QVERIFY(agent.waitForStarted());
        for (const QString &id : std::as_const(ids))
            QTRY_COMPARE_WITH_TIMEOUT(updatesOf(*admin, id, u"completed"_s), 1, 20000);
        // The agent runs each session once: its heartbeats count them all, and none was refused
        // as a duplicate start.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QJsonObject &update : admin->ofType(u"agent.updated"_s)) {
                    const QJsonObject info = update.value(u"agent"_s).toObject();
                    if (info.value(u"agentId"_s).toString() == u"dur-1"_s &&
                        info.value(u"activeSessions"_s).toInt() == 4)
                        return true;
                }
                return false;
            }(),
            20000);
        const QHash<QString, QJsonObject> after = snapshotCommands(token);
        for (const QString &id : std::as_const(ids)) {
            QCOMPARE(after.value(id).value(u"status"_s).toString(), u"completed"_s);
            QCOMPARE(after.value(id).value(u"attempts"_s).toInt(), 1);
            QCOMPARE(updatesOf(*admin, id, u"failed"_s), 0);
            QCOMPARE(updatesOf(*admin, id, u"completed"_s), 1);
        }
        agent.terminate();
        QVERIFY(agent.waitForFinished(10000));
    }

    void acknowledgedIsNotResentAfterKill()
    {
        const QByteArray apiKey = addAgent(u"dur-2"_s);
        QVERIFY(!apiKey.isEmpty());
        const QString token = adminToken();
        QVERIFY(startServer());

        QString acked;
        QString unacked;
        {
            TestAgent agent;
            QVERIFY(agent.connectTo(wsBase(), u"dur-2"_s, apiKey));
            agent.heartbeat();
            auto admin = openAdmin(token);
            QVERIFY(admin);
            acked = sendCommand(*admin, u"dur-2"_s, u"stop_session"_s, {{u"sessionId"_s, u"s-1"_s}});
            unacked = sendCommand(*admin, u"dur-2"_s, u"stop_session"_s, {{u"sessionId"_s, u"s-2"_s}});
            QVERIFY(!acked.isEmpty() && !unacked.isEmpty());
            QTRY_COMPARE(commandIdsIn(agent), (QStringList{acked, unacked}));
            agent.sendFrame(u"ack"_s, {{u"commandId"_s, acked}});
            // Stored: the delta is published after the write.
            QTRY_COMPARE_WITH_TIMEOUT(updatesOf(*admin, acked, u"ack"_s), 1, 10000);
            QTRY_COMPARE_WITH_TIMEOUT(updatesOf(*admin, unacked, u"sent"_s), 1, 10000);
            killServer();
            QVERIFY(agent.waitForDisconnect(10000));
        }

        QVERIFY(startServer());
        auto admin = openAdmin(token);
        QVERIFY(admin);
        TestAgent agent;
        QVERIFY(agent.connectTo(wsBase(), u"dur-2"_s, apiKey));
        agent.heartbeat();
        QTRY_COMPARE_WITH_TIMEOUT(commandIdsIn(agent), QStringList{unacked}, 10000);
        // Complete both; the acknowledged one was never sent again.
        agent.sendFrame(u"complete"_s, {{u"commandId"_s, unacked}});
        agent.sendFrame(u"complete"_s, {{u"commandId"_s, acked}});
        QTRY_COMPARE_WITH_TIMEOUT(updatesOf(*admin, unacked, u"completed"_s), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(updatesOf(*admin, acked, u"completed"_s), 1, 10000);
        QCOMPARE(commandIdsIn(agent), QStringList{unacked});
        QVERIFY(agent.ofType(u"error"_s).isEmpty());
        const QHash<QString, QJsonObject> after = snapshotCommands(token);
        QCOMPARE(after.value(acked).value(u"attempts"_s).toInt(), 1);
        QCOMPARE(after.value(unacked).value(u"attempts"_s).toInt(), 2);
    }

    // command.cancel through the admin stream of the real server, and a cancelled command that
    // survives the restart stays unsent.
    void cancelledCommandIsNeverSent()
    {
        const QByteArray apiKey = addAgent(u"dur-3"_s);
        QVERIFY(!apiKey.isEmpty());
        const QString token = adminToken();
        const QString outsider = runCli({u"token"_s, u"issue"_s, u"--user"_s, u"eve"_s, u"--org"_s,
                                         u"other"_s, u"--role"_s, u"operator"_s})
                                     .trimmed();
        QVERIFY(startServer());
        auto admin = openAdmin(token);
        QVERIFY(admin);
        const QString kept = sendCommand(*admin, u"dur-3"_s, u"stop_session"_s, {{u"sessionId"_s, u"s-1"_s}});
        const QString dropped =
            sendCommand(*admin, u"dur-3"_s, u"stop_session"_s, {{u"sessionId"_s, u"s-2"_s}});
        QVERIFY(!kept.isEmpty() && !dropped.isEmpty());

        const auto cancel = [](JsonSocket &socket, const QString &requestId, const QString &commandId) {
            socket.send(
                {{u"type"_s, u"command.cancel"_s}, {u"requestId"_s, requestId}, {u"commandId"_s, commandId}});
            return socket.waitFor(
                [&](const QJsonObject &m) { return m.value(u"requestId"_s).toString() == requestId; }, 10000);
        };
        auto intruder = openAdmin(outsider);
        QVERIFY(intruder);
        QCOMPARE(cancel(*intruder, u"x1"_s, dropped).value(u"code"_s).toString(), u"forbidden"_s);

        const QJsonObject done = cancel(*admin, u"c1"_s, dropped);
        QCOMPARE(done.value(u"type"_s).toString(), u"reply"_s);
        QCOMPARE(
            done.value(u"result"_s).toObject().value(u"command"_s).toObject().value(u"status"_s).toString(),
            u"cancelled"_s);
        QTRY_COMPARE(updatesOf(*admin, dropped, u"cancelled"_s), 1);
        const QJsonObject again = cancel(*admin, u"c2"_s, dropped);
        QCOMPARE(again.value(u"code"_s).toString(), u"conflict"_s);
        QVERIFY2(again.value(u"message"_s).toString().contains(u"cancelled"_s),
                 qPrintable(again.value(u"message"_s).toString()));
        QCOMPARE(cancel(*admin, u"c3"_s, u"cmd-0000000000000000"_s).value(u"code"_s).toString(),
                 u"not_found"_s);

        killServer();
        QVERIFY(startServer());
        TestAgent agent;
        QVERIFY(agent.connectTo(wsBase(), u"dur-3"_s, apiKey));
        agent.heartbeat();
        QTRY_COMPARE_WITH_TIMEOUT(commandIdsIn(agent), QStringList{kept}, 10000);
        auto later = openAdmin(token);
        QVERIFY(later);
        const QJsonObject refused = cancel(*later, u"c4"_s, kept); // sent by now
        QCOMPARE(refused.value(u"code"_s).toString(), u"conflict"_s);
        QVERIFY2(refused.value(u"message"_s).toString().contains(u"sent"_s),
                 qPrintable(refused.value(u"message"_s).toString()));
        QTest::qWait(200);
        QCOMPARE(commandIdsIn(agent), QStringList{kept});
    }
};

QTEST_GUILESS_MAIN(TestDurability)
#include "tst_durability.moc"
