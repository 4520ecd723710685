// AgentHub over real sockets: registration, heartbeats and staleness, replacement on reconnect,
// hostile frames, read timeouts and shutdown, checked against a real Store on a SQLite file.
#include "AgentTestKit.h"

#include "core/AgentHub.h"
#include "storage/Store.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using protocol::AgentInfo;
using protocol::AgentStatus;

namespace {

// What agentDisconnected reported, in order.
struct Departure
{
    AgentInfo agent;
    AgentStatus finalStatus;
};

} // namespace

class TestAgentHub : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void connectRegistersAgent();
    void heartbeatKeepsOnlineAndSilenceMakesStale();
    void heartbeatsAreCoalescedAndNeverLost();
    void manyAgentsGoStaleInOneSweep();
    void reconnectReplacesOldConnection();
    void drainingIsPreserved();
    void badFrameIsAnsweredWithError_data();
    void badFrameIsAnsweredWithError();
    void tooManyBadFramesInARowClose();
    void oversizedFrameCloses();
    void silentPeerIsClosedAfterReadTimeout();
    void sendToClosedAgentFails();
    void rejectedAgentIsDisconnected();
    void shutdownClosesAllAndMarksOffline();

private:
    void makeHub(const AgentHub::Config &config);

    std::unique_ptr<TempStore> m_db;
    std::unique_ptr<AgentHub> m_hub;
    std::unique_ptr<AgentHarness> m_harness;
    QList<Departure> m_departures;
    QList<AgentInfo> m_updates;
};

void TestAgentHub::init()
{
    m_db = std::make_unique<TempStore>();
    QVERIFY(m_db->opened());
    m_departures.clear();
    m_updates.clear();
}

void TestAgentHub::cleanup()
{
    m_harness.reset();
    m_hub.reset();
    m_db.reset();
}

void TestAgentHub::makeHub(const AgentHub::Config &config)
{
    m_hub = std::make_unique<AgentHub>(m_db->store(), config);
    m_harness = std::make_unique<AgentHarness>(m_hub.get());
    QVERIFY(m_harness->listening());
    connect(m_hub.get(), &AgentHub::agentDisconnected, this,
            [this](const AgentInfo &agent, AgentStatus finalStatus) {
                m_departures.append({agent, finalStatus});
            });
    connect(m_hub.get(), &AgentHub::agentUpdated, this,
            [this](const AgentInfo &agent) { m_updates.append(agent); });
}

void TestAgentHub::connectRegistersAgent()
{
    makeHub(quietConfig());
    const AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    QCOMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Offline);

    QSignalSpy connected(m_hub.get(), &AgentHub::agentConnected);
    auto client = m_harness->connect(info);
    QVERIFY(client);
    QCOMPARE(connected.count(), 1);
    QVERIFY(m_hub->isAgentConnected(u"k8s-1"_s));
    QCOMPARE(m_hub->connectedAgents(), QStringList{u"k8s-1"_s});
    QCOMPARE(m_hub->connectedAgentInfos(u"acme"_s).size(), 1);
    QCOMPARE(m_hub->connectedAgentInfos(u"acme"_s).first().status, AgentStatus::Online);
    QVERIFY(m_hub->connectedAgentInfos(u"other"_s).isEmpty());

    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);
    const AgentInfo stored = m_db->store()->getAgent(u"k8s-1"_s).result().value();
    QCOMPARE(stored.replica, u"replica-1"_s);
    QVERIFY(stored.lastHeartbeat.isValid());

    // A normal close unregisters it and takes it offline.
    client->socket.close();
    QTRY_COMPARE(m_departures.size(), 1);
    QCOMPARE(m_departures.first().finalStatus, AgentStatus::Offline);
    QVERIFY(!m_hub->isAgentConnected(u"k8s-1"_s));
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Offline);
}

void TestAgentHub::heartbeatKeepsOnlineAndSilenceMakesStale()
{
    makeHub(fastConfig()); // heartbeatTimeout 600 ms, sweep every 200 ms
    const AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    auto client = m_harness->connect(info);
    QVERIFY(client);

    QTimer beat;
    beat.setInterval(100);
    connect(&beat, &QTimer::timeout, this, [&client] { client->heartbeat(u"online"_s, 3, 10); });
    beat.start();
    // Three heartbeat timeouts pass on purpose: heartbeats must keep the agent.
    QTest::qWait(1800);
    QVERIFY(m_hub->isAgentConnected(u"k8s-1"_s));
    QVERIFY(m_departures.isEmpty());
    QTRY_VERIFY(m_db->store()->getAgent(u"k8s-1"_s).result().value().activeSessions == 3);
    QCOMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);

    const qsizetype updatesBefore = m_updates.size();
    beat.stop();
    QTRY_COMPARE_WITH_TIMEOUT(m_departures.size(), 1, 5000);
    QCOMPARE(m_departures.first().finalStatus, AgentStatus::Stale);
    QCOMPARE(m_departures.first().agent.status, AgentStatus::Stale);
    QCOMPARE(m_departures.first().agent.agentId, u"k8s-1"_s);
    QCOMPARE(m_updates.size(), updatesBefore + 1);
    QCOMPARE(m_updates.last().status, AgentStatus::Offline);
    QVERIFY(!m_hub->isAgentConnected(u"k8s-1"_s));

    QTRY_VERIFY(client->disconnected);
    QCOMPARE(client->closeCode, 4001);
    QCOMPARE(client->closeReason, u"heartbeat timeout"_s);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Offline);
}

void TestAgentHub::heartbeatsAreCoalescedAndNeverLost()
{
    AgentHub::Config config = quietConfig();
    config.heartbeatFlushInterval = std::chrono::hours(1); // only shutdown or a departure writes them
    makeHub(config);
    const AgentInfo first = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    const AgentInfo second = m_db->createAgent(u"k8s-2"_s, u"acme"_s);
    auto one = m_harness->connect(first);
    auto two = m_harness->connect(second);
    QVERIFY(one && two);
    for (int sessions = 1; sessions <= 3; ++sessions) {
        one->heartbeat(u"online"_s, sessions);
        two->heartbeat(u"draining"_s, sessions + 10);
    }
    QTRY_COMPARE(m_updates.size(), 6);
    QCOMPARE(m_hub->connection(u"k8s-1"_s)->info.activeSessions, 3);
    m_db->settle();
    // Coalesced: nothing written yet.
    QCOMPARE(m_db->store()->getAgent(u"k8s-1"_s).result().value().activeSessions, 0);

    // A departure writes the latest heartbeat before the agent goes offline.
    one->socket.close();
    QTRY_COMPARE(m_departures.size(), 1);
    m_db->settle();
    AgentInfo stored = m_db->store()->getAgent(u"k8s-1"_s).result().value();
    QCOMPARE(stored.activeSessions, 3);
    QCOMPARE(stored.status, AgentStatus::Offline);

    // So does shutdown.
    QVERIFY(m_hub->shutdown().result().ok());
    stored = m_db->store()->getAgent(u"k8s-2"_s).result().value();
    QCOMPARE(stored.activeSessions, 13);
    QCOMPARE(stored.status, AgentStatus::Offline);
}

void TestAgentHub::manyAgentsGoStaleInOneSweep()
{
    constexpr int kAgents = 200;
    AgentHub::Config config = quietConfig();
    config.heartbeatTimeout = std::chrono::milliseconds(300);
    makeHub(config); // the sweep runs only when the test says so

    QList<QFuture<protocol::Decoded<AgentInfo>>> creations;
    QList<AgentInfo> agents;
    for (int i = 0; i < kAgents; ++i) {
        AgentInfo agent;
        agent.agentId = u"agent-%1"_s.arg(i, 3, 10, QChar(u'0'));
        agent.orgId = u"acme"_s;
        agents.append(agent);
        creations.append(m_db->store()->createAgent(agent, "hash"));
    }
    for (auto &creation : creations)
        QVERIFY(creation.result().ok());
    const AgentInfo alive = m_db->createAgent(u"alive"_s, u"acme"_s);

    std::vector<std::unique_ptr<AgentClient>> clients;
    for (const AgentInfo &agent : std::as_const(agents)) {
        clients.push_back(m_harness->connect(agent));
        QVERIFY(clients.back());
    }
    auto aliveClient = m_harness->connect(alive);
    QVERIFY(aliveClient);
    QCOMPARE(m_hub->connectedAgents().size(), kAgents + 1);
    const auto onlineCount = [this] {
        int online = 0;
        const protocol::Decoded<QList<AgentInfo>> listed = m_db->store()->listAgents(u"acme"_s).result();
        for (const AgentInfo &agent : listed.value())
            online += agent.status == AgentStatus::Online ? 1 : 0;
        return online;
    };
    QTRY_COMPARE_WITH_TIMEOUT(onlineCount(), kAgents + 1, 10000);

    QTest::qWait(400); // longer than heartbeatTimeout
    aliveClient->heartbeat();
    QTRY_VERIFY(!m_updates.isEmpty() && m_updates.last().agentId == u"alive"_s);

    QElapsedTimer timer;
    timer.start();
    m_hub->sweepStaleAgents();
    const qint64 sweepMs = timer.elapsed();
    qInfo() << "one sweep over" << kAgents << "stale agents took" << sweepMs << "ms";
    QVERIFY2(sweepMs < 2000, qPrintable(u"sweep took %1 ms"_s.arg(sweepMs)));

    QCOMPARE(m_departures.size(), kAgents);
    for (const Departure &departure : std::as_const(m_departures))
        QCOMPARE(departure.finalStatus, AgentStatus::Stale);
    QCOMPARE(m_hub->connectedAgents(), QStringList{u"alive"_s});

    for (const auto &client : clients)
        QTRY_VERIFY_WITH_TIMEOUT(client->disconnected, 10000);
    for (const auto &client : clients)
        QCOMPARE(client->closeCode, 4001);

    m_db->settle();
    QCOMPARE(onlineCount(), 1);
    {
        // One batch: every row was taken offline by one statement batch with one timestamp.
        QSqlDatabase probe = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"probe"_s);
        probe.setDatabaseName(m_db->databasePath());
        QVERIFY(probe.open());
        QSqlQuery query(probe);
        QVERIFY(query.exec(
            u"SELECT COUNT(*), COUNT(DISTINCT updated_at) FROM agents WHERE status = 'offline'"_s));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toInt(), kAgents);
        QCOMPARE(query.value(1).toInt(), 1);
        query.finish();
        probe.close();
    }
    QSqlDatabase::removeDatabase(u"probe"_s);

    // Still responsive: a newcomer registers and is heard at once.
    const AgentInfo late = m_db->createAgent(u"late"_s, u"acme"_s);
    auto lateClient = m_harness->connect(late);
    QVERIFY(lateClient);
    lateClient->heartbeat(u"online"_s, 1);
    QTRY_VERIFY(m_updates.last().agentId == u"late"_s);
    QTRY_COMPARE(m_db->agentStatus(u"late"_s), AgentStatus::Online);
}

void TestAgentHub::reconnectReplacesOldConnection()
{
    makeHub(quietConfig());
    const AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    auto first = m_harness->connect(info);
    QVERIFY(first);
    const quint64 firstSerial = m_hub->connection(u"k8s-1"_s)->serial;
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);

    QSignalSpy connected(m_hub.get(), &AgentHub::agentConnected);
    auto second = m_harness->connect(info);
    QVERIFY(second);
    QCOMPARE(connected.count(), 1);
    QVERIFY(m_hub->connection(u"k8s-1"_s)->serial != firstSerial);

    QTRY_VERIFY(first->disconnected);
    QCOMPARE(first->closeCode, 4000);
    QCOMPARE(first->closeReason, u"replaced by a newer connection"_s);

    // The old connection's end did not unregister the new one.
    QVERIFY(second->isConnected());
    QVERIFY(m_hub->isAgentConnected(u"k8s-1"_s));
    QVERIFY(m_departures.isEmpty());
    m_db->settle();
    QCOMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);

    second->heartbeat(u"online"_s, 2);
    QTRY_VERIFY(!m_updates.isEmpty() && m_updates.last().activeSessions == 2);
    QVERIFY(m_hub->sendCommandToAgent(
        u"k8s-1"_s, {u"cmd-1"_s, protocol::agent::Action::StopSession, {{u"sessionId"_s, u"s-1"_s}}}));
    QTRY_COMPARE(second->commandIds(), QStringList{u"cmd-1"_s});
    QVERIFY(first->commandIds().isEmpty());

    second->socket.close();
    QTRY_COMPARE(m_departures.size(), 1);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Offline);
}

void TestAgentHub::drainingIsPreserved()
{
    AgentHub::Config config = fastConfig();
    config.heartbeatTimeout = std::chrono::seconds(30); // pings, flushes and sweeps run; nobody goes stale
    makeHub(config);
    const AgentInfo info = m_db->createAgent(u"k8s-1"_s, u"acme"_s);
    auto client = m_harness->connect(info);
    QVERIFY(client);

    client->heartbeat(u"draining"_s, 1);
    QTRY_COMPARE(m_hub->connection(u"k8s-1"_s)->info.status, AgentStatus::Draining);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Draining);

    // Other frames, pings, flushes and sweeps leave it draining.
    client->send(u"pong"_s, {});
    client->send(u"ack"_s, {{u"commandId"_s, u"cmd-unknown"_s}});
    client->send(u"status"_s, {{u"sessionId"_s, u"s-1"_s}, {u"state"_s, u"running"_s}});
    QTest::qWait(700); // several ping, flush and sweep periods
    QCOMPARE(m_hub->connection(u"k8s-1"_s)->info.status, AgentStatus::Draining);
    QCOMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Draining);

    client->heartbeat(u"draining"_s, 0);
    QTRY_COMPARE(m_hub->connection(u"k8s-1"_s)->info.activeSessions, 0);
    QCOMPARE(m_hub->connection(u"k8s-1"_s)->info.status, AgentStatus::Draining);

    // Only the agent's own word brings it back.
    client->heartbeat(u"online"_s, 0);
    QTRY_COMPARE(m_hub->connection(u"k8s-1"_s)->info.status, AgentStatus::Online);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);
}

void TestAgentHub::badFrameIsAnsweredWithError_data()
{
    QTest::addColumn<QString>("frame");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("field");

    const QString capacity = u"\"capacity\":{\"maxSessions\":10,\"cpu\":\"8\",\"memory\":\"16Gi\"}"_s;
    QTest::newRow("invalid JSON") << u"{\"type\":\"heartbeat\","_s << false << u"invalid_json"_s << QString();
    QTest::newRow("not an object") << u"[1,2,3]"_s << false << u"invalid_json"_s << QString();
    QTest::newRow("empty") << QString() << false << u"invalid_json"_s << QString();
    QTest::newRow("unknown type") << u"{\"type\":\"teleport\",\"payload\":{}}"_s << false << u"unknown_type"_s
                                  << u"type"_s;
    QTest::newRow("missing type") << u"{\"payload\":{}}"_s << false << u"missing_field"_s << u"type"_s;
    QTest::newRow("missing payload") << u"{\"type\":\"ack\"}"_s << false << u"missing_field"_s
                                     << u"payload"_s;
    QTest::newRow("missing commandId")
        << u"{\"type\":\"ack\",\"payload\":{}}"_s << false << u"missing_field"_s << u"payload.commandId"_s;
    QTest::newRow("missing capacity") << u"{\"type\":\"heartbeat\",\"payload\":{\"status\":\"online\","
                                         u"\"activeSessions\":0}}"_s
                                      << false << u"missing_field"_s << u"payload.capacity"_s;
    QTest::newRow("wrong type of payload")
        << u"{\"type\":\"ack\",\"payload\":\"cmd-1\"}"_s << false << u"wrong_type"_s << u"payload"_s;
    QTest::newRow("wrong type of activeSessions")
        << u"{\"type\":\"heartbeat\",\"payload\":{\"status\":\"online\",\"activeSessions\":\"three\","_s +
               capacity + u"}}"_s
        << false << u"wrong_type"_s << u"payload.activeSessions"_s;
    QTest::newRow("wrong type of commandId") << u"{\"type\":\"complete\",\"payload\":{\"commandId\":42}}"_s
                                             << false << u"wrong_type"_s << u"payload.commandId"_s;
    QTest::newRow("unknown status") << u"{\"type\":\"heartbeat\",\"payload\":{\"status\":\"asleep\","
                                       u"\"activeSessions\":0,"_s +
                                           capacity + u"}}"_s
                                    << false << u"invalid_value"_s << u"payload.status"_s;
    QTest::newRow("binary frame") << u"{\"type\":\"pong\"}"_s << true << u"binary_frame"_s << QString();
}

void TestAgentHub::badFrameIsAnsweredWithError()
{
    QFETCH(QString, frame);
    QFETCH(bool, binary);
    QFETCH(QString, code);
    QFETCH(QString, field);

    makeHub(quietConfig());
    auto victim = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    auto bystander = m_harness->connect(m_db->createAgent(u"k8s-2"_s, u"acme"_s));
    QVERIFY(victim && bystander);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);
    QSignalSpy acks(m_hub.get(), &AgentHub::commandAcknowledged);
    QSignalSpy completions(m_hub.get(), &AgentHub::commandCompleted);

    if (binary)
        victim->socket.sendBinaryMessage(frame.toUtf8());
    else
        victim->sendRaw(frame);
    QTRY_COMPARE(victim->ofType(u"error"_s).size(), 1);
    const QJsonObject error = victim->ofType(u"error"_s).first();
    QVERIFY(protocol::parseTimestamp(error.value(u"timestamp"_s).toString()).has_value());
    const QJsonObject payload = error.value(u"payload"_s).toObject();
    QCOMPARE(payload.value(u"code"_s).toString(), code);
    const QString message = payload.value(u"message"_s).toString();
    QVERIFY(!message.isEmpty());
    if (!field.isEmpty())
        QVERIFY2(message.startsWith(field + u':'), qPrintable(message));

    // Nothing changed: still connected, nothing reported, the count of bad frames noted.
    QVERIFY(victim->isConnected());
    QVERIFY(m_hub->isAgentConnected(u"k8s-1"_s));
    QCOMPARE(m_hub->connection(u"k8s-1"_s)->consecutiveBadFrames, 1);
    QVERIFY(m_updates.isEmpty());
    QCOMPARE(acks.count(), 0);
    QCOMPARE(completions.count(), 0);
    QVERIFY(m_departures.isEmpty());
    QCOMPARE(victim->badFrames, 0);

    // The other agent is not affected.
    bystander->heartbeat(u"online"_s, 4);
    QTRY_COMPARE(m_updates.size(), 1);
    QCOMPARE(m_updates.first().agentId, u"k8s-2"_s);
    QVERIFY(bystander->ofType(u"error"_s).isEmpty());
    QCOMPARE(m_hub->connection(u"k8s-2"_s)->consecutiveBadFrames, 0);
    m_db->settle();
    QCOMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);
}

void TestAgentHub::tooManyBadFramesInARowClose()
{
    makeHub(quietConfig());
    auto victim = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    auto bystander = m_harness->connect(m_db->createAgent(u"k8s-2"_s, u"acme"_s));
    QVERIFY(victim && bystander);
    const int limit = protocol::kMaxConsecutiveBadFrames;

    for (int i = 0; i < limit - 1; ++i)
        victim->sendRaw(u"not json"_s);
    QTRY_COMPARE(victim->ofType(u"error"_s).size(), limit - 1);
    QVERIFY(victim->isConnected());
    // A good frame ends the run.
    victim->send(u"pong"_s, {});
    QTRY_COMPARE(m_hub->connection(u"k8s-1"_s)->consecutiveBadFrames, 0);
    for (int i = 0; i < limit - 1; ++i)
        victim->sendRaw(u"not json"_s);
    QTRY_COMPARE(victim->ofType(u"error"_s).size(), 2 * (limit - 1));
    QVERIFY(victim->isConnected());
    QVERIFY(m_departures.isEmpty());

    victim->sendRaw(u"not json"_s);
    QTRY_VERIFY(victim->disconnected);
    QCOMPARE(victim->closeCode, int(QWebSocketProtocol::CloseCodePolicyViolated));
    QCOMPARE(victim->ofType(u"error"_s).size(), 2 * limit - 1);
    QCOMPARE(m_departures.size(), 1);
    QCOMPARE(m_departures.first().agent.agentId, u"k8s-1"_s);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Offline);

    QVERIFY(bystander->isConnected());
    QVERIFY(m_hub->isAgentConnected(u"k8s-2"_s));
}

void TestAgentHub::oversizedFrameCloses()
{
    makeHub(quietConfig());
    auto client = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    auto bystander = m_harness->connect(m_db->createAgent(u"k8s-2"_s, u"acme"_s));
    QVERIFY(client && bystander);

    // Just below the limit: read, found invalid, answered.
    client->sendRaw(QString(400 * 1024, u'x'));
    QTRY_COMPARE(client->ofType(u"error"_s).size(), 1);
    QVERIFY(client->isConnected());

    client->sendRaw(QString(int(protocol::kMaxAgentFrameBytes) + 1024, u'x'));
    QTRY_VERIFY(client->disconnected);
    QCOMPARE(client->closeCode, int(QWebSocketProtocol::CloseCodeTooMuchData));
    QTRY_COMPARE(m_departures.size(), 1);
    QVERIFY(!m_hub->isAgentConnected(u"k8s-1"_s));
    QVERIFY(bystander->isConnected());
}

void TestAgentHub::silentPeerIsClosedAfterReadTimeout()
{
    AgentHub::Config config = quietConfig();
    config.pingInterval = std::chrono::milliseconds(100);
    config.readTimeout = std::chrono::milliseconds(500);
    config.closeTimeout = std::chrono::milliseconds(300);
    makeHub(config);

    // This one never sends a frame but its QWebSocket answers every ping.
    auto answering = m_harness->connect(m_db->createAgent(u"answering"_s, u"acme"_s));
    QVERIFY(answering);

    SilentClient silent;
    QVERIFY(silent.open(m_harness->port()));
    WsConnection *serverSide = m_harness->nextSocket();
    QVERIFY(serverSide);
    m_hub->acceptConnection(serverSide, m_db->createAgent(u"silent"_s, u"acme"_s));
    QTRY_VERIFY(silent.handshakeDone());
    QVERIFY(m_hub->isAgentConnected(u"silent"_s));

    QTRY_COMPARE_WITH_TIMEOUT(m_departures.size(), 1, 5000);
    QCOMPARE(m_departures.first().agent.agentId, u"silent"_s);
    QCOMPARE(m_departures.first().finalStatus, AgentStatus::Offline);
    QTRY_COMPARE(silent.closeCode().value_or(0), 4002);
    // It never completes the close handshake either: the socket is aborted.
    QTRY_VERIFY_WITH_TIMEOUT(silent.peerClosed(), 5000);
    QTRY_COMPARE(m_db->agentStatus(u"silent"_s), AgentStatus::Offline);

    // Pongs count as life.
    QVERIFY(answering->isConnected());
    QVERIFY(m_hub->isAgentConnected(u"answering"_s));
}

void TestAgentHub::sendToClosedAgentFails()
{
    makeHub(quietConfig());
    auto client = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    QVERIFY(client);
    const protocol::agent::Command command{
        u"cmd-1"_s, protocol::agent::Action::StopSession, {{u"sessionId"_s, u"s-1"_s}}};
    QVERIFY(!m_hub->sendCommandToAgent(u"nobody"_s, command));
    QCOMPARE(m_hub->broadcastToAllAgents(protocol::agent::Notice{u"hello"_s}), 1);
    QCOMPARE(m_hub->broadcastToAllAgents(protocol::agent::Notice{u"hello"_s}, u"k8s-1"_s), 0);
    QTRY_COMPARE(client->ofType(u"notice"_s).size(), 1);

    client->socket.close();
    QTRY_VERIFY(!m_hub->isAgentConnected(u"k8s-1"_s));
    QVERIFY(!m_hub->sendCommandToAgent(u"k8s-1"_s, command));
    QCOMPARE(m_hub->broadcastToAllAgents(protocol::agent::Notice{u"hello"_s}), 0);
    m_hub->sendError(u"k8s-1"_s, {protocol::ErrorCode::NotFound, u"gone"_s, {}, {}}); // no crash, no effect
}

void TestAgentHub::rejectedAgentIsDisconnected()
{
    makeHub(quietConfig());
    auto client = m_harness->connect(m_db->createAgent(u"k8s-1"_s, u"acme"_s));
    auto other = m_harness->connect(m_db->createAgent(u"k8s-2"_s, u"acme"_s));
    QVERIFY(client && other);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Online);

    m_hub->setApprovalStatus(u"k8s-1"_s, protocol::ApprovalStatus::Approved); // no change, nothing happens
    QVERIFY(m_updates.isEmpty());
    m_hub->setApprovalStatus(u"k8s-1"_s, protocol::ApprovalStatus::Rejected);
    QCOMPARE(m_updates.size(), 1);
    QCOMPARE(m_updates.first().approvalStatus, protocol::ApprovalStatus::Rejected);
    QCOMPARE(m_departures.size(), 1);
    QVERIFY(!m_hub->isAgentConnected(u"k8s-1"_s));
    QTRY_VERIFY(client->disconnected);
    QCOMPARE(client->closeCode, 4003);
    QTRY_COMPARE(m_db->agentStatus(u"k8s-1"_s), AgentStatus::Offline);
    QVERIFY(other->isConnected());
}

void TestAgentHub::shutdownClosesAllAndMarksOffline()
{
    makeHub(quietConfig());
    std::vector<std::unique_ptr<AgentClient>> clients;
    for (const QString &id : {u"k8s-1"_s, u"k8s-2"_s, u"docker-1"_s}) {
        clients.push_back(m_harness->connect(m_db->createAgent(id, u"acme"_s)));
        QVERIFY(clients.back());
    }
    QTRY_COMPARE(m_db->agentStatus(u"docker-1"_s), AgentStatus::Online);

    const protocol::Decoded<int> marked = m_hub->shutdown().result();
    QVERIFY(marked.ok());
    QCOMPARE(marked.value(), 3);
    QVERIFY(m_hub->connectedAgents().isEmpty());
    QCOMPARE(m_departures.size(), 3);
    for (const QString &id : {u"k8s-1"_s, u"k8s-2"_s, u"docker-1"_s})
        QCOMPARE(m_db->agentStatus(id), AgentStatus::Offline);
    for (const auto &client : clients) {
        QTRY_VERIFY(client->disconnected);
        QCOMPARE(client->closeCode, int(QWebSocketProtocol::CloseCodeGoingAway));
        QCOMPARE(client->closeReason, u"going away"_s);
    }

    // A connection arriving after shutdown is turned away.
    auto late = std::make_unique<AgentClient>();
    late->socket.open(m_harness->url());
    WsConnection *serverSide = m_harness->nextSocket();
    QVERIFY(serverSide);
    m_hub->acceptConnection(serverSide, m_db->createAgent(u"late"_s, u"acme"_s));
    QTRY_VERIFY(late->disconnected);
    QVERIFY(!m_hub->isAgentConnected(u"late"_s));
    QCOMPARE(m_db->agentStatus(u"late"_s), AgentStatus::Offline);
}

QTEST_GUILESS_MAIN(TestAgentHub)
#include "tst_agenthub.moc"
