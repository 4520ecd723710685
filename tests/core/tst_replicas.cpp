// Scale-out with real processes: three switchboard-server replicas sharing one PostgreSQL and one
// redis-server on loopback. Commands cross replicas (admin on one, agent on another), session
// events reach browsers on every replica and no other org, presence follows an agent that moves,
// a logs viewer on one replica follows the agent's stream on another,
// replicas survive Redis restarting and a replica killed with SIGKILL loses nothing.
#include "../redis/RedisTestSupport.h"
#include "PostgresProcess.h"
#include "ProgramTestSupport.h"
#include "ServerProcess.h"
#include "TestClients.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <array>
#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;
using namespace switchboard::test;

namespace {

constexpr int kLong = 30000; // anything that involves processes, Redis or the presence refresh

const QString kSecret = u"replicas-test-secret-0123456789abcdef0123456789"_s;

} // namespace

class TestReplicas : public QObject
{
    Q_OBJECT

private:
    PostgresProcess m_postgres;
    std::unique_ptr<RedisServerProcess> m_redis;
    std::array<Replica, 3> m_replicas;
    QString m_adminToken;    // admin of org acme
    QString m_userToken;     // alice, a user of org acme
    QString m_outsiderToken; // an operator of org other
    QHash<QString, QByteArray> m_apiKeys;
    int m_nextRequest = 1;

    Replica &a() { return m_replicas[0]; }
    Replica &b() { return m_replicas[1]; }
    Replica &c() { return m_replicas[2]; }

    QStringList common() const { return {u"--database"_s, m_postgres.url(), u"--jwt-secret"_s, kSecret}; }

    QString runCli(const QStringList &arguments)
    {
        QTemporaryDir dataDir;
        return runServerCommand(arguments + common() + QStringList{u"--data-dir"_s, dataDir.path()});
    }

    QByteArray addAgent(const QString &agentId) { return agentKeyFrom(runCli(agentAddArguments(agentId))); }

    QString token(const QString &user, const QString &org, const QString &role)
    {
        return runCli({u"token"_s, u"issue"_s, u"--user"_s, user, u"--org"_s, org, u"--role"_s, role})
            .trimmed();
    }

    bool startReplica(Replica &replica)
    {
        return switchboard::test::startReplica(replica, m_redis->port(), common(), kLong);
    }

    // One command to the test's redis-server; the reply's first line.
    QByteArray redisCommand(const QByteArray &command)
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_redis->port());
        if (!socket.waitForConnected(2000))
            return {};
        socket.write(command + "\r\n");
        QByteArray reply;
        while (socket.waitForReadyRead(2000)) {
            reply += socket.readAll();
            if (reply.startsWith('$') && reply.count("\r\n") >= 2)
                break;
            if (!reply.startsWith('$') && reply.contains("\r\n"))
                break;
        }
        return reply;
    }
    QString podOf(const QString &agentId)
    {
        const QByteArray reply = redisCommand("GET agent:" + agentId.toUtf8() + ":pod");
        if (!reply.startsWith('$') || reply.startsWith("$-1"))
            return {};
        return QString::fromUtf8(reply.split('\n').value(1).trimmed());
    }

    std::unique_ptr<JsonSocket> openAdmin(const Replica &replica)
    {
        auto admin = std::make_unique<JsonSocket>();
        if (!admin->open(replica.ws(u"/api/v1/ws/admin"_s, m_adminToken), 10000))
            return nullptr;
        if (admin->waitForType(u"snapshot"_s, 15000).isEmpty())
            return nullptr;
        return admin;
    }

    std::unique_ptr<TestAgent> connectAgent(const Replica &replica, const QString &agentId)
    {
        auto agent = std::make_unique<TestAgent>();
        if (!agent->connectTo(replica.wsBase(), agentId, m_apiKeys.value(agentId), 10000))
            return nullptr;
        agent->heartbeat();
        return agent;
    }

    // Sends a request on the admin stream and returns its reply (or error), empty on timeout.
    QJsonObject request(JsonSocket &admin, QJsonObject message)
    {
        const QString requestId = u"r%1"_s.arg(m_nextRequest++);
        message.insert(u"requestId"_s, requestId);
        admin.send(message);
        return admin.waitFor(
            [&](const QJsonObject &m) { return m.value(u"requestId"_s).toString() == requestId; }, 15000);
    }

    QString sendCommand(JsonSocket &admin, const QString &agentId, const QString &sessionId)
    {
        const QJsonObject reply = request(admin, {{u"type"_s, u"command.send"_s},
                                                  {u"agentId"_s, agentId},
                                                  {u"action"_s, u"stop_session"_s},
                                                  {u"payload"_s, QJsonObject{{u"sessionId"_s, sessionId}}}});
        if (reply.value(u"type"_s).toString() != u"reply"_s) {
            qWarning() << "command.send refused:" << reply;
            return {};
        }
        return reply[u"result"_s][u"command"_s][u"commandId"_s].toString();
    }

    static QStringList commandIdsIn(const JsonSocket &agent)
    {
        QStringList ids;
        for (const QJsonObject &frame : agent.ofType(u"command"_s))
            ids.append(frame.value(u"payload"_s).toObject().value(u"commandId"_s).toString());
        return ids;
    }

    static bool sawCommandStatus(const JsonSocket &admin, const QString &commandId, const QString &status)
    {
        for (const QJsonObject &update : admin.ofType(u"command.updated"_s)) {
            const QJsonObject command = update.value(u"command"_s).toObject();
            if (command.value(u"commandId"_s).toString() == commandId &&
                command.value(u"status"_s).toString() == status)
                return true;
        }
        return false;
    }

    static bool sawState(const JsonSocket &browser, const QString &sessionId, const QString &state)
    {
        for (const QJsonObject &event : browser.ofType(u"session.state.changed"_s)) {
            if (event.value(u"sessionId"_s).toString() == sessionId &&
                event.value(u"data"_s).toObject().value(u"newState"_s).toString() == state)
                return true;
        }
        return false;
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

        for (const QString &agentId : {u"ag-1"_s, u"ag-2"_s, u"ag-3"_s, u"ag-4"_s, u"ag-5"_s, u"ag-6"_s}) {
            const QByteArray key = addAgent(agentId);
            QVERIFY2(!key.isEmpty(), qPrintable(agentId));
            m_apiKeys.insert(agentId, key);
        }
        m_adminToken = token(u"root"_s, u"acme"_s, u"admin"_s);
        m_userToken = token(u"alice"_s, u"acme"_s, u"user"_s);
        m_outsiderToken = token(u"eve"_s, u"other"_s, u"operator"_s);
        QVERIFY(!m_adminToken.isEmpty() && !m_userToken.isEmpty() && !m_outsiderToken.isEmpty());

        a().name = u"replica-a"_s;
        b().name = u"replica-b"_s;
        c().name = u"replica-c"_s;
        for (Replica &replica : m_replicas)
            QVERIFY2(startReplica(replica), qPrintable(replica.name));
    }

    void cleanupTestCase()
    {
        for (Replica &replica : m_replicas)
            killReplica(replica);
        m_redis.reset();
        m_postgres.stop();
    }

    // An agent on A, a session stopped through the admin stream of B: the command reaches the
    // agent through Redis and becomes sent only once A confirmed it; the session's state changes
    // (recorded on A and on B) reach alice's browser on C; nobody of another org sees anything.
    void commandAndEventsCrossReplicas()
    {
        auto agent = connectAgent(a(), u"ag-1"_s);
        QVERIFY(agent);
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-1"_s), a().name, kLong);
        {
            // The snapshot of another replica shows the agent connected, on A.
            auto adminC = openAdmin(c());
            QVERIFY(adminC);
            const QJsonObject snapshot = adminC->ofType(u"snapshot"_s).first();
            QVERIFY(!snapshot.contains(u"partial"_s));
            QJsonObject listed;
            for (const QJsonValue &entry : snapshot.value(u"agents"_s).toArray())
                if (entry[u"agentId"_s].toString() == u"ag-1"_s)
                    listed = entry.toObject();
            QCOMPARE(listed.value(u"status"_s).toString(), u"online"_s);
            QCOMPARE(listed.value(u"replica"_s).toString(), a().name);
        }
        JsonSocket browser;
        QVERIFY(browser.open(c().ws(u"/api/v1/ws/sessions"_s, m_userToken), 10000));
        std::array<JsonSocket, 3> outsiders;
        for (int i = 0; i < 3; ++i)
            QVERIFY(outsiders[i].open(m_replicas[i].ws(u"/api/v1/ws/sessions"_s, m_outsiderToken), 10000));
        auto adminA = openAdmin(a());
        auto adminB = openAdmin(b());
        QVERIFY(adminA && adminB);

        // The session starts on A (its agent is there): the agent confirms it running.
        const QJsonObject started = request(*adminA, {{u"type"_s, u"session.start"_s},
                                                      {u"orgId"_s, u"acme"_s},
                                                      {u"userId"_s, u"alice"_s},
                                                      {u"template"_s, u"firefox"_s},
                                                      {u"agentId"_s, u"ag-1"_s}});
        QCOMPARE(started.value(u"type"_s).toString(), u"reply"_s);
        const QString sessionId = started[u"result"_s][u"session"_s][u"sessionId"_s].toString();
        QVERIFY(!sessionId.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(agent->ofType(u"command"_s).size(), 1, kLong);
        const QString startId = commandIdsIn(*agent).first();
        agent->sendFrame(u"ack"_s, {{u"commandId"_s, startId}});
        agent->sendFrame(u"status"_s, {{u"sessionId"_s, sessionId}, {u"state"_s, u"running"_s}});
        agent->sendFrame(u"complete"_s, {{u"commandId"_s, startId}});
        // Recorded on A, delivered on C.
        QTRY_VERIFY_WITH_TIMEOUT(sawState(browser, sessionId, u"running"_s), kLong);

        // Stopped from B: B records "terminating" and routes stop_session to A.
        const QJsonObject stopped =
            request(*adminB, {{u"type"_s, u"session.stop"_s}, {u"sessionId"_s, sessionId}});
        QCOMPARE(stopped.value(u"type"_s).toString(), u"reply"_s);
        QTRY_COMPARE_WITH_TIMEOUT(agent->ofType(u"command"_s).size(), 2, kLong);
        const QJsonObject stop = agent->ofType(u"command"_s).last().value(u"payload"_s).toObject();
        QCOMPARE(stop.value(u"action"_s).toString(), u"stop_session"_s);
        QCOMPARE(stop.value(u"payload"_s).toObject().value(u"sessionId"_s).toString(), sessionId);
        const QString stopId = stop.value(u"commandId"_s).toString();
        // B counts it sent only after A's confirmation; A's admins see it through the bus.
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminB, stopId, u"sent"_s), kLong);
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminA, stopId, u"sent"_s), kLong);
        QTRY_VERIFY_WITH_TIMEOUT(sawState(browser, sessionId, u"terminating"_s), kLong);

        agent->sendFrame(u"ack"_s, {{u"commandId"_s, stopId}});
        agent->sendFrame(u"complete"_s, {{u"commandId"_s, stopId}});
        // Completed on A (where the agent answered), seen by the admin of B.
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminB, stopId, u"completed"_s), kLong);

        // Exactly once on C, whatever replica recorded the event.
        int running = 0;
        for (const QJsonObject &event : browser.ofType(u"session.state.changed"_s))
            running += event.value(u"sessionId"_s).toString() == sessionId &&
                       event[u"data"_s][u"newState"_s].toString() == u"running"_s;
        QCOMPARE(running, 1);

        // Nothing of it anywhere in the other org (a second's grace for stray deliveries).
        QTest::qWait(1000);
        for (const JsonSocket &outsider : outsiders) {
            for (const QJsonObject &message : outsider.received())
                QVERIFY2(!QJsonDocument(message).toJson().contains(sessionId.toUtf8()),
                         "another org saw the session");
        }
    }

    // The agent reconnects from A to B: presence names B, the old connection on A is closed and
    // A's late cleanup does not erase B's registration; commands from C go to B.
    void agentMovesBetweenReplicas()
    {
        auto onA = connectAgent(a(), u"ag-2"_s);
        QVERIFY(onA);
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-2"_s), a().name, kLong);

        auto onB = connectAgent(b(), u"ag-2"_s);
        QVERIFY(onB);
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-2"_s), b().name, kLong);
        // A's next presence refresh finds the agent registered by B and closes its stale
        // connection like a replaced one; A's cleanup runs after B registered the agent.
        QVERIFY(onA->waitForDisconnect(kLong));
        QCOMPARE(onA->closeCode(), 4000);
        QTest::qWait(1500); // A's guarded release, if it were unguarded, would have run by now
        QCOMPARE(podOf(u"ag-2"_s), b().name);

        auto adminC = openAdmin(c());
        QVERIFY(adminC);
        const QString commandId = sendCommand(*adminC, u"ag-2"_s, u"s-moved"_s);
        QVERIFY(!commandId.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(commandIdsIn(*onB), QStringList{commandId}, kLong);
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminC, commandId, u"sent"_s), kLong);
    }

    // The only agent of the cluster is on A: a session.start on B without an agent is placed on it
    // (B sees it through presence and the shared database), its start_session is routed to A and
    // the session runs; one naming the agent through C works the same way.
    void sessionStartFindsAgentOnAnotherReplica()
    {
        auto agent = connectAgent(a(), u"ag-5"_s);
        QVERIFY(agent);
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-5"_s), a().name, kLong);
        JsonSocket browser;
        QVERIFY(browser.open(b().ws(u"/api/v1/ws/sessions"_s, m_userToken), 10000));
        auto adminB = openAdmin(b());
        auto adminC = openAdmin(c());
        QVERIFY(adminB && adminC);

        const QJsonObject started = request(*adminB, {{u"type"_s, u"session.start"_s},
                                                      {u"orgId"_s, u"acme"_s},
                                                      {u"userId"_s, u"alice"_s},
                                                      {u"template"_s, u"firefox"_s}});
        QCOMPARE(started.value(u"type"_s).toString(), u"reply"_s);
        const QJsonObject session = started[u"result"_s][u"session"_s].toObject();
        QCOMPARE(session.value(u"agentId"_s).toString(), u"ag-5"_s);
        const QString sessionId = session.value(u"sessionId"_s).toString();
        QTRY_COMPARE_WITH_TIMEOUT(agent->ofType(u"command"_s).size(), 1, kLong);
        const QJsonObject start = agent->ofType(u"command"_s).first().value(u"payload"_s).toObject();
        QCOMPARE(start.value(u"action"_s).toString(), u"start_session"_s);
        QCOMPARE(start[u"payload"_s][u"sessionId"_s].toString(), sessionId);
        const QString startId = start.value(u"commandId"_s).toString();
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminB, startId, u"sent"_s), kLong);
        agent->sendFrame(u"ack"_s, {{u"commandId"_s, startId}});
        agent->sendFrame(u"status"_s, {{u"sessionId"_s, sessionId}, {u"state"_s, u"running"_s}});
        agent->sendFrame(u"complete"_s, {{u"commandId"_s, startId}});
        QTRY_VERIFY_WITH_TIMEOUT(sawState(browser, sessionId, u"running"_s), kLong);
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminB, startId, u"completed"_s), kLong);

        // Live logs cross replicas too: a viewer on B follows the agent's stream, which A starts
        // (stream_logs) and stops (stop_logs) when the viewer leaves. tst_replicalogs covers more.
        JsonSocket viewer;
        QVERIFY(viewer.open(b().ws(u"/api/v1/ws/logs/"_s + sessionId, m_userToken), 10000));
        QTRY_COMPARE_WITH_TIMEOUT(agent->ofType(u"command"_s).size(), 2, kLong);
        const QJsonObject streamLogs = agent->ofType(u"command"_s).last().value(u"payload"_s).toObject();
        QCOMPARE(streamLogs.value(u"action"_s).toString(), u"stream_logs"_s);
        QCOMPARE(streamLogs[u"payload"_s][u"sessionId"_s].toString(), sessionId);
        agent->sendFrame(u"ack"_s, {{u"commandId"_s, streamLogs.value(u"commandId"_s)}});
        agent->sendFrame(u"complete"_s, {{u"commandId"_s, streamLogs.value(u"commandId"_s)}});
        agent->sendFrame(u"log"_s,
                         {{u"sessionId"_s, sessionId}, {u"lines"_s, QJsonArray{u"hello from A"_s}}});
        const QJsonObject log = viewer.waitForType(u"log"_s, kLong);
        QCOMPARE(log.value(u"lines"_s).toArray(), QJsonArray{u"hello from A"_s});
        viewer.close();
        QTRY_COMPARE_WITH_TIMEOUT(agent->ofType(u"command"_s).size(), 3, kLong);
        const QJsonObject stopLogs = agent->ofType(u"command"_s).last().value(u"payload"_s).toObject();
        QCOMPARE(stopLogs.value(u"action"_s).toString(), u"stop_logs"_s);
        agent->sendFrame(u"ack"_s, {{u"commandId"_s, stopLogs.value(u"commandId"_s)}});
        agent->sendFrame(u"complete"_s, {{u"commandId"_s, stopLogs.value(u"commandId"_s)}});

        const QJsonObject named = request(*adminC, {{u"type"_s, u"session.start"_s},
                                                    {u"orgId"_s, u"acme"_s},
                                                    {u"userId"_s, u"alice"_s},
                                                    {u"template"_s, u"firefox"_s},
                                                    {u"agentId"_s, u"ag-5"_s}});
        QCOMPARE(named.value(u"type"_s).toString(), u"reply"_s);
        QCOMPARE(named[u"result"_s][u"session"_s][u"agentId"_s].toString(), u"ag-5"_s);
        QTRY_COMPARE_WITH_TIMEOUT(agent->ofType(u"command"_s).size(), 4, kLong);

        // An agent connected nowhere is refused as before, from any replica.
        const QJsonObject refused = request(*adminC, {{u"type"_s, u"session.start"_s},
                                                      {u"orgId"_s, u"acme"_s},
                                                      {u"userId"_s, u"alice"_s},
                                                      {u"template"_s, u"firefox"_s},
                                                      {u"agentId"_s, u"ag-6"_s}});
        QCOMPARE(refused.value(u"type"_s).toString(), u"error"_s);
    }

    // A's pub/sub connection is cut while A is frozen: a command issued on B finds no subscriber
    // and stays pending. Once A is back, its pending sweep sends it to the agent connected there —
    // exactly once — without the agent having to reconnect.
    void pendingCommandIsDeliveredWhenRoutingRecovers()
    {
        auto agent = connectAgent(a(), u"ag-6"_s);
        QVERIFY(agent);
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-6"_s), a().name, kLong);
        auto adminB = openAdmin(b());
        QVERIFY(adminB);

        const auto pid = static_cast<pid_t>(a().process->processId());
        QCOMPARE(::kill(pid, SIGSTOP), 0);
        // B and C resubscribe at once; A, frozen, cannot.
        redisCommand("CLIENT KILL TYPE pubsub");
        const QByteArray channel = "pod:" + a().name.toUtf8() + ":commands";
        QTRY_VERIFY_WITH_TIMEOUT(redisCommand("PUBSUB NUMSUB " + channel).contains(":0\r\n"), kLong);
        const QString queued = sendCommand(*adminB, u"ag-6"_s, u"s-later"_s);
        QVERIFY(!queued.isEmpty());
        QTest::qWait(1500);
        const bool sentEarly = sawCommandStatus(*adminB, queued, u"sent"_s);
        QCOMPARE(::kill(pid, SIGCONT), 0);
        QVERIFY2(!sentEarly, "reported sent while nobody could have delivered it");

        QTRY_COMPARE_WITH_TIMEOUT(commandIdsIn(*agent), QStringList{queued}, kLong);
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminB, queued, u"sent"_s), kLong);
        agent->sendFrame(u"ack"_s, {{u"commandId"_s, queued}});
        // More than one sweep later it still arrived once.
        QTest::qWait(7000);
        QCOMPARE(commandIdsIn(*agent), QStringList{queued});
    }

    // Redis killed during traffic: every replica keeps serving its own agents and says so in
    // /readyz and on the admin stream; after the restart they re-publish presence and routing
    // across replicas works again.
    void redisRestart()
    {
        auto agentB = connectAgent(b(), u"ag-3"_s);
        QVERIFY(agentB);
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-3"_s), b().name, kLong);
        auto adminB = openAdmin(b());
        QVERIFY(adminB);

        m_redis->kill();
        QTRY_VERIFY_WITH_TIMEOUT(readiness(b()).contains(R"("redis":"unavailable")"), kLong);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QJsonObject &status : adminB->ofType(u"cluster.status"_s))
                    if (status.value(u"redis"_s).toString() == u"unavailable"_s)
                        return true;
                return false;
            }(),
            kLong);
        // Local traffic goes on.
        const QString local = sendCommand(*adminB, u"ag-3"_s, u"s-local"_s);
        QVERIFY(!local.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(commandIdsIn(*agentB), QStringList{local}, kLong);

        QVERIFY2(m_redis->start(), qPrintable(m_redis->errorString())); // same port, empty data
        for (Replica &replica : m_replicas)
            QTRY_VERIFY_WITH_TIMEOUT(redisOk(replica), kLong);
        // B published its agent again.
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-3"_s), b().name, kLong);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QJsonObject &status : adminB->ofType(u"cluster.status"_s))
                    if (status.value(u"redis"_s).toString() == u"ok"_s)
                        return true;
                return false;
            }(),
            kLong);

        auto adminA = openAdmin(a());
        QVERIFY(adminA);
        // Routing resumes once both sides have resubscribed: retried until the command arrives.
        QString remote;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                remote = sendCommand(*adminA, u"ag-3"_s, u"s-remote"_s);
                return QTest::qWaitFor([&] { return commandIdsIn(*agentB).contains(remote); }, 3000);
            }(),
            kLong);
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminA, remote, u"sent"_s), kLong);
    }

    // A killed with SIGKILL: a command issued on B meanwhile stays pending (nobody confirmed
    // it), the agent reconnects to B and gets it; nothing is lost, nothing is reported sent early.
    void replicaKilled()
    {
        auto onA = connectAgent(a(), u"ag-4"_s);
        QVERIFY(onA);
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-4"_s), a().name, kLong);
        auto adminB = openAdmin(b());
        QVERIFY(adminB);

        killReplica(a());
        QVERIFY(onA->waitForDisconnect(kLong));
        const QString queued = sendCommand(*adminB, u"ag-4"_s, u"s-queued"_s);
        QVERIFY(!queued.isEmpty());
        QTest::qWait(2000);
        QVERIFY(!sawCommandStatus(*adminB, queued, u"sent"_s));

        auto onB = connectAgent(b(), u"ag-4"_s);
        QVERIFY(onB);
        QTRY_COMPARE_WITH_TIMEOUT(commandIdsIn(*onB), QStringList{queued}, kLong);
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminB, queued, u"sent"_s), kLong);
        QTRY_COMPARE_WITH_TIMEOUT(podOf(u"ag-4"_s), b().name, kLong);
        onB->sendFrame(u"complete"_s, {{u"commandId"_s, queued}});
        QTRY_VERIFY_WITH_TIMEOUT(sawCommandStatus(*adminB, queued, u"completed"_s), kLong);
    }
};

QTEST_GUILESS_MAIN(TestReplicas)
#include "tst_replicas.moc"
