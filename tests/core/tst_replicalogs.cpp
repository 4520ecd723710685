// Live session logs across replicas, with real processes: two switchboard-server replicas sharing
// one PostgreSQL and one redis-server, and the agent simulator (switchboard-agent) connected to A.
// A viewer on B of the session gets the simulator's lines (its tail first) relayed from A; a viewer
// on A shares the same agent stream; either one leaving does not stop the other's lines; the last
// one leaving makes A send stop_logs; Redis going down ends B's viewer with agent_unavailable;
// killing the agent ends the viewers of both replicas with agent_disconnected.
#include "../redis/RedisTestSupport.h"
#include "PostgresProcess.h"
#include "ProgramTestSupport.h"
#include "ServerProcess.h"
#include "TestClients.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <array>
#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;
using namespace switchboard::test;

namespace {

constexpr int kLong = 30000; // anything that involves processes, Redis or the presence refresh

const QString kSecret = u"replica-logs-test-secret-0123456789abcdef0123456789"_s;
const QString kAgent = u"ag-logs"_s;

QStringList linesOf(const JsonSocket &viewer)
{
    QStringList lines;
    for (const QJsonObject &message : viewer.ofType(u"log"_s)) {
        for (const QJsonValue &line : message.value("lines"_L1).toArray())
            lines.append(line.toString());
    }
    return lines;
}

} // namespace

class TestReplicaLogs : public QObject
{
    Q_OBJECT

private:
    PostgresProcess m_postgres;
    std::unique_ptr<RedisServerProcess> m_redis;
    std::array<Replica, 2> m_replicas;
    QString m_adminToken;
    QString m_userToken;
    QByteArray m_apiKey;
    QString m_sessionId;
    std::unique_ptr<QProcess> m_simulator;
    std::unique_ptr<JsonSocket> m_adminA;

    Replica &a() { return m_replicas[0]; }
    Replica &b() { return m_replicas[1]; }

    QStringList common() const { return {u"--database"_s, m_postgres.url(), u"--jwt-secret"_s, kSecret}; }

    QString runCli(const QStringList &arguments)
    {
        QTemporaryDir dataDir;
        return runServerCommand(arguments + common() + QStringList{u"--data-dir"_s, dataDir.path()});
    }

    QString token(const QString &user, const QString &role)
    {
        return runCli({u"token"_s, u"issue"_s, u"--user"_s, user, u"--org"_s, u"acme"_s, u"--role"_s, role})
            .trimmed();
    }

    bool startReplica(Replica &replica)
    {
        return switchboard::test::startReplica(replica, m_redis->port(), common(), kLong);
    }

    std::unique_ptr<JsonSocket> openViewer(Replica &replica, int tailLines = 0)
    {
        auto viewer = std::make_unique<JsonSocket>();
        if (!viewer->open(replica.ws(u"/api/v1/ws/logs/"_s + m_sessionId, m_userToken,
                                     u"tailLines=%1"_s.arg(tailLines)),
                          10000))
            return nullptr;
        return viewer;
    }

    // A viewer whose first message is a `log` one (nullptr if it was told log_end, or nothing).
    std::unique_ptr<JsonSocket> streamingViewer(Replica &replica)
    {
        auto viewer = openViewer(replica);
        if (!viewer)
            return nullptr;
        const QJsonObject first = viewer->waitFor(
            [](const QJsonObject &m) {
                return m.value("type"_L1) == "log"_L1 || m.value("type"_L1) == "log_end"_L1;
            },
            10000);
        return first.value("type"_L1) == "log"_L1 ? std::move(viewer) : nullptr;
    }

    // stop_logs commands of the session that the agent completed, as A's admins saw them.
    int stopLogsCompleted() const
    {
        int count = 0;
        for (const QJsonObject &update : m_adminA->ofType(u"command.updated"_s)) {
            const QJsonObject command = update.value("command"_L1).toObject();
            count += command.value("action"_L1) == "stop_logs"_L1 &&
                     command.value("status"_L1) == "completed"_L1 &&
                     command.value("sessionId"_L1).toString() == m_sessionId;
        }
        return count;
    }
    int streamLogsSent() const
    {
        int count = 0;
        for (const QJsonObject &update : m_adminA->ofType(u"command.updated"_s)) {
            const QJsonObject command = update.value("command"_L1).toObject();
            count += command.value("action"_L1) == "stream_logs"_L1 &&
                     command.value("status"_L1) == "completed"_L1 &&
                     command.value("sessionId"_L1).toString() == m_sessionId;
        }
        return count;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (PostgresProcess::findBinaries().isEmpty())
            QSKIP("PostgreSQL server binaries not found (initdb, pg_ctl): the replica tests need a real "
                  "PostgreSQL; install postgresql or set SWITCHBOARD_PG_BINDIR");
        QVERIFY2(RedisServerProcess::isAvailable(), "redis-server is not installed (/usr/bin/redis-server)");
        QVERIFY2(m_postgres.start(), qPrintable(m_postgres.errorString()));
        m_redis = std::make_unique<RedisServerProcess>();
        QVERIFY2(m_redis->start(), qPrintable(m_redis->errorString()));

        m_apiKey = agentKeyFrom(runCli(agentAddArguments(kAgent)));
        QVERIFY(!m_apiKey.isEmpty());
        m_adminToken = token(u"root"_s, u"admin"_s);
        m_userToken = token(u"alice"_s, u"user"_s);
        QVERIFY(!m_adminToken.isEmpty() && !m_userToken.isEmpty());

        a().name = u"replica-a"_s;
        b().name = u"replica-b"_s;
        for (Replica &replica : m_replicas)
            QVERIFY2(startReplica(replica), qPrintable(replica.name));

        // The simulator on A, one synthetic line every 0.1 s while it streams.
        m_simulator = std::make_unique<QProcess>();
        m_simulator->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_simulator->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_simulator->start(QStringLiteral(SWITCHBOARD_AGENT_BINARY),
                           {u"--server"_s, u"http://127.0.0.1:%1"_s.arg(a().port), u"--agent-id"_s, kAgent,
                            u"--api-key"_s, QString::fromLatin1(m_apiKey), u"--heartbeat-interval"_s,
                            u"0.5"_s, u"--start-delay"_s, u"0.1"_s, u"--log-interval"_s, u"0.1"_s,
                            u"--quiet"_s});
        QVERIFY(m_simulator->waitForStarted());

        m_adminA = std::make_unique<JsonSocket>();
        QVERIFY(m_adminA->open(a().ws(u"/api/v1/ws/admin"_s, m_adminToken), 10000));
        QVERIFY(!m_adminA->waitForType(u"snapshot"_s, 15000).isEmpty());
        JsonSocket browser;
        QVERIFY(browser.open(a().ws(u"/api/v1/ws/sessions"_s, m_userToken), 10000));

        // A session the simulator really runs, started once it is connected (to A).
        QJsonObject reply;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                m_adminA->send({{"type"_L1, u"session.start"_s},
                                {"requestId"_L1, u"start"_s},
                                {"orgId"_L1, u"acme"_s},
                                {"userId"_L1, u"alice"_s},
                                {"template"_L1, u"firefox"_s},
                                {"agentId"_L1, kAgent}});
                reply = m_adminA->waitFor(
                    [](const QJsonObject &m) { return m.value("requestId"_L1) == "start"_L1; }, 10000,
                    int(m_adminA->received().size()));
                return reply.value("type"_L1) == "reply"_L1;
            }(),
            kLong);
        m_sessionId = reply[u"result"_s][u"session"_s][u"sessionId"_s].toString();
        QVERIFY(!m_sessionId.isEmpty());
        const QJsonObject running = browser.waitFor(
            [this](const QJsonObject &m) {
                return m.value("type"_L1) == "session.state.changed"_L1 &&
                       m.value("sessionId"_L1).toString() == m_sessionId &&
                       m[u"data"_s][u"newState"_s].toString() == u"running"_s;
            },
            kLong);
        QVERIFY2(!running.isEmpty(), "the simulator never ran the session");
    }

    void cleanupTestCase()
    {
        if (m_simulator && m_simulator->state() != QProcess::NotRunning) {
            m_simulator->kill();
            m_simulator->waitForFinished(5000);
        }
        m_adminA.reset();
        for (Replica &replica : m_replicas) {
            if (replica.process && replica.process->state() != QProcess::NotRunning) {
                ::kill(static_cast<pid_t>(replica.process->processId()), SIGKILL);
                replica.process->waitForFinished(10000);
            }
        }
        m_redis.reset();
        m_postgres.stop();
    }

    // B has no agent: its viewer gets A's stream through Redis, the tail first. A viewer on A
    // shares the same agent stream. Each leaving leaves the other's lines flowing; the last one
    // leaving makes A stop the agent's stream.
    void viewersOnBothReplicasShareOneStream()
    {
        auto viewerB = openViewer(b(), 5);
        QVERIFY(viewerB);
        const QJsonObject tail = viewerB->waitForType(u"log"_s, kLong);
        QVERIFY2(!tail.isEmpty(),
                 qPrintable(u"no lines on B; got: %1"_s.arg(
                     viewerB->received().isEmpty()
                         ? u"nothing"_s
                         : QString::fromUtf8(QJsonDocument(viewerB->received().first()).toJson()))));
        QCOMPARE(tail.value("sessionId"_L1).toString(), m_sessionId);
        QCOMPARE(tail.value("lines"_L1).toArray().size(), 5);
        QTRY_VERIFY_WITH_TIMEOUT(linesOf(*viewerB).size() >= 10, kLong);
        QVERIFY(viewerB->ofType(u"log_end"_s).isEmpty());

        auto viewerA = openViewer(a());
        QVERIFY(viewerA);
        QTRY_VERIFY_WITH_TIMEOUT(linesOf(*viewerA).size() >= 5, kLong);
        // One agent stream for both: a single stream_logs (for B's viewer, which came first).
        QTRY_COMPARE_WITH_TIMEOUT(streamLogsSent(), 1, kLong);

        // B's viewer leaves: A's keeps getting lines, and A sends no stop_logs.
        viewerB->close();
        const qsizetype seenA = linesOf(*viewerA).size();
        QTRY_VERIFY_WITH_TIMEOUT(linesOf(*viewerA).size() >= seenA + 20, kLong);
        QCOMPARE(stopLogsCompleted(), 0);

        // B follows again (the same stream: no second stream_logs), then A's viewer leaves: B's
        // lines go on.
        viewerB = openViewer(b());
        QVERIFY(viewerB);
        QTRY_VERIFY_WITH_TIMEOUT(linesOf(*viewerB).size() >= 5, kLong);
        QCOMPARE(streamLogsSent(), 1);
        viewerA->close();
        const qsizetype seenB = linesOf(*viewerB).size();
        QTRY_VERIFY_WITH_TIMEOUT(linesOf(*viewerB).size() >= seenB + 20, kLong);
        QCOMPARE(stopLogsCompleted(), 0);
        QVERIFY(viewerB->ofType(u"log_end"_s).isEmpty());
        QCOMPARE(viewerB->badFrames(), 0);

        // The last viewer, on B, leaves: A stops the agent's stream.
        viewerB->close();
        QTRY_COMPARE_WITH_TIMEOUT(stopLogsCompleted(), 1, kLong);
    }

    // Without Redis B cannot relay: its viewer gets a clear log_end, and B keeps running.
    void redisDownEndsRemoteViewers()
    {
        auto viewerB = openViewer(b());
        QVERIFY(viewerB);
        QTRY_VERIFY_WITH_TIMEOUT(linesOf(*viewerB).size() >= 3, kLong);
        m_redis->kill();
        const QJsonObject end = viewerB->waitForType(u"log_end"_s, kLong);
        QCOMPARE(end.value("reason"_L1).toString(), u"agent_unavailable"_s);
        QVERIFY2(end.value("message"_L1).toString().contains(u"Redis"_s),
                 qPrintable(end.value("message"_L1).toString()));
        QVERIFY(viewerB->waitForDisconnect(kLong));
        // A new viewer on B meanwhile is told at once.
        auto refused = openViewer(b());
        QVERIFY(refused);
        QCOMPARE(refused->waitForType(u"log_end"_s, kLong).value("reason"_L1).toString(),
                 u"agent_unavailable"_s);

        QVERIFY2(m_redis->start(), qPrintable(m_redis->errorString()));
        for (Replica &replica : m_replicas)
            QTRY_VERIFY_WITH_TIMEOUT(redisOk(replica), kLong);
        QCOMPARE(b().process->state(), QProcess::Running);
    }

    // The agent dies while viewers on both replicas watch: both get log_end agent_disconnected.
    void killedAgentEndsViewersOnBothReplicas()
    {
        std::unique_ptr<JsonSocket> viewerB;
        // After the Redis restart the agent's presence is written again by A's next pass.
        QTRY_VERIFY_WITH_TIMEOUT((viewerB = streamingViewer(b())) != nullptr, 60000);
        auto viewerA = openViewer(a());
        QVERIFY(viewerA);
        QTRY_VERIFY_WITH_TIMEOUT(linesOf(*viewerA).size() >= 3, kLong);

        ::kill(static_cast<pid_t>(m_simulator->processId()), SIGKILL);
        m_simulator->waitForFinished(10000);
        const QJsonObject endA = viewerA->waitForType(u"log_end"_s, kLong);
        const QJsonObject endB = viewerB->waitForType(u"log_end"_s, kLong);
        QCOMPARE(endA.value("reason"_L1).toString(), u"agent_disconnected"_s);
        QCOMPARE(endB.value("reason"_L1).toString(), u"agent_disconnected"_s);
        QCOMPARE(endB.value("message"_L1).toString(), endA.value("message"_L1).toString());
        QCOMPARE(endB.value("sessionId"_L1).toString(), m_sessionId);
        QVERIFY(viewerB->waitForDisconnect(kLong));
    }
};

QTEST_GUILESS_MAIN(TestReplicaLogs)
#include "tst_replicalogs.moc"
