// Hub over real sockets: org-scoped fan-out, indexes, the slow-client policy, bad frames, frame
// limits, the ping sweep, and that every frame carries exactly one JSON message.
#include "CoreTestKit.h"

#include "core/Hub.h"
#include "metrics/PrometheusText.h"
#include "metrics/ServerMetrics.h"
#include "shared/BrowserProtocol.h"

#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

OutgoingMessage message(const QJsonObject &object)
{
    return OutgoingMessage::fromUtf8(protocol::toJsonBytes(object));
}

Hub::Config quietConfig()
{
    Hub::Config config;
    config.pingInterval = std::chrono::milliseconds(60000); // no pings unless a test wants them
    config.readTimeout = std::chrono::milliseconds(120000);
    return config;
}

// The handler a real endpoint would be: decode, report the outcome, answer pings.
void attachEchoHandler(Hub &hub)
{
    QObject::connect(&hub, &Hub::messageReceived, &hub, [&hub](quint64 clientId, const QByteArray &utf8) {
        const auto decoded = protocol::browser::decodeClientMessage(utf8);
        if (!decoded) {
            hub.reportBadFrame(clientId, decoded.error());
            return;
        }
        hub.reportGoodFrame(clientId);
        hub.send(clientId, protocol::browser::encodePong(decoded.value().requestId));
    });
}

} // namespace

class HubTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void broadcastReachesExactlyTheRightClients();
    void indexesFollowConnectsAndDisconnects();
    void messagesNeverShareAFrame();
    void burstOverTheMessageLimitIsNotSlow();
    void wireBytesMatchWhatThePeerReceives_data();
    void wireBytesMatchWhatThePeerReceives();
    void slowClientIsDroppedWhileFastOneKeepsUp_data();
    void slowClientIsDroppedWhileFastOneKeepsUp();
    void badFrames_data();
    void badFrames();
    void tooManyBadFramesInARowClose1008();
    void goodFrameResetsTheBadFrameCount();
    void binaryFrameIsAnError();
    void oversizedFrameCloses1009();
    void pingSweepClosesSilentClientsAndKeepsLiveOnes();
    void closeAllSaysGoingAway();
};

void HubTest::initTestCase()
{
    QLoggingCategory::setFilterRules(u"switchboard.*.debug=false"_s);
}

void HubTest::broadcastReachesExactlyTheRightClients()
{
    Hub hub(quietConfig());
    HubHarness harness(&hub);
    QVERIFY(harness.listening());

    quint64 a1 = 0, a2 = 0, b1 = 0;
    auto acmeSessions = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &a1);
    auto acmeCluster = harness.connect(ClientKind::Cluster, makeContext(u"acme"_s, u"olga"_s), &a2);
    auto globex = harness.connect(ClientKind::Sessions, makeContext(u"globex"_s, u"alice"_s), &b1);
    QVERIFY(acmeSessions && acmeCluster && globex);

    QCOMPARE(hub.broadcast(message({{u"type"_s, u"all"_s}})), 3);
    QCOMPARE(hub.broadcastToOrg(u"acme"_s, message({{u"type"_s, u"acme"_s}})), 2);
    QCOMPARE(hub.broadcastToOrg(u"acme"_s, message({{u"type"_s, u"acme-cluster"_s}}), ClientKind::Cluster),
             1);
    QCOMPARE(hub.broadcastToOrg(u"globex"_s, message({{u"type"_s, u"globex"_s}})), 1);
    QCOMPARE(hub.broadcastToOrg(u"initech"_s, message({{u"type"_s, u"nobody"_s}})), 0);
    QCOMPARE(hub.broadcastToOrg(u"globex"_s, message({{u"type"_s, u"none"_s}}), ClientKind::Cluster), 0);
    QVERIFY(hub.send(a1, QByteArray(R"({"type":"direct"})")));

    const auto types = [](const TestClient &client) {
        QStringList list;
        for (const QJsonObject &m : client.messages)
            list.append(m.value("type"_L1).toString());
        return list;
    };
    QTRY_COMPARE(types(*acmeSessions), (QStringList{u"all"_s, u"acme"_s, u"direct"_s}));
    QTRY_COMPARE(types(*acmeCluster), (QStringList{u"all"_s, u"acme"_s, u"acme-cluster"_s}));
    QTRY_COMPARE(types(*globex), (QStringList{u"all"_s, u"globex"_s}));
    // Nothing else trickles in later.
    QTest::qWait(100);
    QCOMPARE(acmeSessions->messages.size(), 3);
    QCOMPARE(acmeCluster->messages.size(), 3);
    QCOMPARE(globex->messages.size(), 2);
    QCOMPARE(acmeSessions->badFrames + acmeCluster->badFrames + globex->badFrames, 0);
}

void HubTest::indexesFollowConnectsAndDisconnects()
{
    Hub hub(quietConfig());
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    QSignalSpy added(&hub, &Hub::clientAdded);
    QSignalSpy removed(&hub, &Hub::clientRemoved);
    QSignalSpy counts(&hub, &Hub::orgClientCountChanged);

    QCOMPARE(hub.clientCount(), 0);
    QVERIFY(hub.uniqueOrgs().isEmpty());

    quint64 a1 = 0, a2 = 0, b1 = 0;
    auto c1 = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &a1);
    auto c2 = harness.connect(ClientKind::Cluster, makeContext(u"acme"_s, u"olga"_s), &a2);
    auto c3 = harness.connect(ClientKind::Sessions, makeContext(u"globex"_s, u"gary"_s), &b1);
    QVERIFY(c1 && c2 && c3);
    QCOMPARE(added.size(), 3);
    QCOMPARE(counts.size(), 3);
    QCOMPARE(counts.at(1).at(0).toString(), u"acme"_s);
    QCOMPARE(counts.at(1).at(1).toInt(), 2);

    QCOMPARE(hub.clientCount(), 3);
    QCOMPARE(hub.clientCount(u"acme"_s), 2);
    QCOMPARE(hub.clientCount(u"globex"_s), 1);
    QCOMPARE(hub.clientCount(u"initech"_s), 0);
    QCOMPARE(hub.clientsByOrg(u"acme"_s), (QList<quint64>{a1, a2}));
    QCOMPARE(hub.clientsByOrg(u"acme"_s, ClientKind::Cluster), (QList<quint64>{a2}));
    QCOMPARE(hub.clientsOfKind(ClientKind::Sessions), (QList<quint64>{a1, b1}));
    QCOMPARE(hub.uniqueOrgs(), (QStringList{u"acme"_s, u"globex"_s}));
    QCOMPARE(hub.uniqueOrgs(ClientKind::Cluster), (QStringList{u"acme"_s}));
    QVERIFY(hub.uniqueOrgs(ClientKind::Admin).isEmpty());
    QCOMPARE(hub.k8sNamespaceForOrg(u"acme"_s), u"ns-acme"_s);
    QCOMPARE(hub.k8sNamespaceForOrg(u"initech"_s), QString());
    QVERIFY(hub.client(a1));
    QCOMPARE(hub.client(a1)->context.userId, u"alice"_s);
    QCOMPARE(hub.client(a2)->kind, ClientKind::Cluster);

    // The browser leaves: the Hub notices and forgets it.
    c1->socket.close();
    QTRY_COMPARE(hub.clientCount(), 2);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed.at(0).at(0).value<quint64>(), a1);
    QCOMPARE(counts.last().at(0).toString(), u"acme"_s);
    QCOMPARE(counts.last().at(1).toInt(), 1);
    QVERIFY(!hub.client(a1));
    QCOMPARE(hub.clientsByOrg(u"acme"_s), (QList<quint64>{a2}));
    QCOMPARE(hub.uniqueOrgs(ClientKind::Sessions), (QStringList{u"globex"_s}));
    QVERIFY(!hub.send(a1, QByteArray("{}")));

    // The server closes one: removed at once, before the socket is even gone.
    hub.closeClient(b1, QWebSocketProtocol::CloseCodeNormal, u"bye"_s);
    QCOMPARE(hub.clientCount(), 1);
    QCOMPARE(removed.size(), 2);
    QCOMPARE(hub.uniqueOrgs(), (QStringList{u"acme"_s}));
    QTRY_VERIFY(c3->disconnected);
    QCOMPARE(c3->closeCode, 1000);

    c2->socket.close();
    QTRY_COMPARE(hub.clientCount(), 0);
    QVERIFY(hub.uniqueOrgs().isEmpty());
    QCOMPARE(removed.size(), 3);
}

void HubTest::messagesNeverShareAFrame()
{
    Hub hub(quietConfig());
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    quint64 id = 0;
    auto client = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);

    // A burst within one turn of the event loop: the bytes go out together, the frames must not.
    constexpr int kCount = 200;
    for (int i = 0; i < kCount; ++i)
        QVERIFY(hub.send(id, message({{u"type"_s, u"tick"_s}, {u"seq"_s, i}})));
    QTRY_COMPARE(client->messages.size(), kCount);
    QCOMPARE(client->badFrames, 0);
    QCOMPARE(client->partialFrames, 0);
    for (int i = 0; i < kCount; ++i)
        QCOMPARE(client->messages.at(i).value("seq"_L1).toInt(), i);
}

void HubTest::burstOverTheMessageLimitIsNotSlow()
{
    // Frames of one turn are queued and written together after it; a burst longer than the
    // slow-client message limit to a client that reads fine must be written, not judged slow.
    Hub::Config config = quietConfig();
    config.maxUnsentMessages = 16;
    Hub hub(config);
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    QSignalSpy dropped(&hub, &Hub::slowClientDropped);
    quint64 id = 0;
    auto client = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);
    constexpr int kCount = 100;
    for (int i = 0; i < kCount; ++i)
        QVERIFY(hub.send(id, message({{u"type"_s, u"tick"_s}, {u"seq"_s, i}})));
    QTRY_COMPARE(client->messages.size(), kCount);
    QCOMPARE(dropped.size(), 0);
    QCOMPARE(hub.client(id)->socket->messagesToWrite(), 0);
}

void HubTest::wireBytesMatchWhatThePeerReceives_data()
{
    QTest::addColumn<int>("payload");
    QTest::newRow("empty object") << 2;
    QTest::newRow("125 bytes: 2-byte header") << 125;
    QTest::newRow("126 bytes: 4-byte header") << 126;
    QTest::newRow("65535 bytes: 4-byte header") << 65535;
    QTest::newRow("65536 bytes: 10-byte header") << 65536;
    QTest::newRow("600 KiB: one frame") << 600 * 1024;
}

void HubTest::wireBytesMatchWhatThePeerReceives()
{
    // Each message is one unfragmented frame whose header has the RFC 6455 size for its payload,
    // and the connection's count of unwritten messages (the slow-client measure) returns to 0.
    QFETCH(int, payload);
    Hub hub(quietConfig());
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    RawClient raw;
    QVERIFY(raw.open(harness.port()));
    WsConnection *serverSide = harness.nextSocket();
    QVERIFY(serverSide);
    const quint64 id = hub.addClient(serverSide, ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s));

    const QString padding(payload - int(R"({"p":""})"_ba.size()), u'x');
    const QByteArray json = payload == 2 ? "{}"_ba : protocol::toJsonBytes({{u"p"_s, padding}});
    QCOMPARE(json.size(), payload);
    // Big ones one at a time: several would exceed the unsent-bytes limit while the peer sleeps.
    const int count = payload > 100000 ? 1 : 3;
    for (int i = 0; i < count; ++i)
        QVERIFY(hub.send(id, json));
    const qint64 header = payload <= 125 ? 2 : (payload <= 0xFFFF ? 4 : 10);
    const qint64 expected = count * (header + payload);

    qint64 received = 0;
    QTRY_VERIFY_WITH_TIMEOUT((received += raw.pump(), received >= expected), 10000);
    QTest::qWait(50);
    received += raw.pump();
    QCOMPARE(received, expected);
    QTRY_COMPARE(serverSide->messagesToWrite(), 0);
    QCOMPARE(serverSide->bytesToWrite(), 0);

    const QList<RawClient::Frame> frames = raw.takeFrames();
    QCOMPARE(frames.size(), count);
    for (const RawClient::Frame &frame : frames) {
        QVERIFY(frame.fin);
        QCOMPARE(frame.opcode, 1);
        QCOMPARE(frame.payload, json);
    }
}

void HubTest::slowClientIsDroppedWhileFastOneKeepsUp_data()
{
    QTest::addColumn<int>("padding");
    QTest::addColumn<int>("maxUnsentMessages");
    QTest::newRow("small messages: message limit") << 1000 << 256;
    QTest::newRow("large messages: byte limit") << 32 * 1024 << 1000000;
}

void HubTest::slowClientIsDroppedWhileFastOneKeepsUp()
{
    QFETCH(int, padding);
    QFETCH(int, maxUnsentMessages);
    Hub::Config config = quietConfig();
    config.maxUnsentMessages = maxUnsentMessages;
    config.closeTimeout = std::chrono::milliseconds(20000);
    metrics::ServerMetrics metrics(u"r1"_s, u"v1"_s, 0); // outlives the hub
    Hub hub(config);
    hub.setMetrics(&metrics);
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    QSignalSpy dropped(&hub, &Hub::slowClientDropped);
    QSignalSpy removed(&hub, &Hub::clientRemoved);

    quint64 fastId = 0;
    auto fast = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &fastId);
    QVERIFY(fast);
    RawClient slow;
    QVERIFY(slow.open(harness.port(), 4096));
    WsConnection *slowSide = harness.nextSocket();
    QVERIFY(slowSide);
    const quint64 slowId = hub.addClient(slowSide, ClientKind::Sessions, makeContext(u"acme"_s, u"sam"_s));

    // The slow client never reads; the flood goes on until the Hub gives up on it.
    const QString pad(padding, u'x');
    int sent = 0;
    while (dropped.isEmpty() && sent < 100000) {
        for (int i = 0; i < 16; ++i) {
            hub.broadcast(message({{u"type"_s, u"flood"_s}, {u"seq"_s, sent}, {u"pad"_s, pad}}));
            ++sent;
        }
        QCoreApplication::processEvents();
    }
    QCOMPARE(dropped.size(), 1);
    QCOMPARE(dropped.at(0).at(0).value<quint64>(), slowId);
    // Removed at once, and only the slow one.
    QCOMPARE(removed.size(), 1);
    QVERIFY(!hub.client(slowId));
    QVERIFY(hub.client(fastId));
    QCOMPARE(hub.clientCount(), 1);
    QCOMPARE(hub.broadcast(message({{u"type"_s, u"flood"_s}, {u"seq"_s, sent}})), 1);
    ++sent;
    qInfo() << "slow client dropped after" << sent << "messages";
    // /metrics counts the drop, every broadcast, and (with the type read once per message) what was sent.
    const QByteArray text = metrics::renderPrometheusText(metrics.registry());
    QVERIFY2(text.contains("\nswitchboard_slow_client_drops_total 1\n"), text.constData());
    QVERIFY(text.contains(QByteArray("\nswitchboard_broadcasts_total " + QByteArray::number(sent) + '\n')));
    QVERIFY(text.contains(R"(switchboard_messages_sent_total{endpoint="browser",type="other"} )"));

    // The fast client got everything, in order, one message per frame.
    QTRY_COMPARE_WITH_TIMEOUT(fast->messages.size(), sent, 30000);
    for (int i = 0; i < sent; ++i)
        QCOMPARE(fast->messages.at(i).value("seq"_L1).toInt(), i);
    QCOMPARE(fast->badFrames, 0);
    QVERIFY(!fast->disconnected);

    // Once the slow client reads again it finds what was queued before the drop, then 1008.
    std::optional<std::pair<int, QString>> close;
    int nextSeq = 0;
    bool inOrder = true;
    QElapsedTimer timer;
    timer.start();
    while (!close && timer.elapsed() < 20000) {
        slow.pump();
        for (const RawClient::Frame &frame : slow.takeFrames()) {
            if (frame.opcode == 0x1) {
                const QJsonObject object = QJsonDocument::fromJson(frame.payload).object();
                inOrder = inOrder && object.value("seq"_L1).toInt(-1) == nextSeq;
                ++nextSeq;
            } else if (auto code = RawClient::closeOf(frame)) {
                close = code;
            }
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    }
    QVERIFY(close.has_value());
    QCOMPARE(close->first, 1008);
    QCOMPARE(close->second, u"slow client"_s);
    QVERIFY(inOrder);
    QVERIFY(nextSeq > 16);
}

void HubTest::badFrames_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("requestId");
    QTest::newRow("not JSON") << "hello"_ba << u"invalid_json"_s << QString();
    QTest::newRow("truncated") << R"({"type":"ping")"_ba << u"invalid_json"_s << QString();
    QTest::newRow("array") << "[1,2]"_ba << u"invalid_json"_s << QString();
    QTest::newRow("two objects") << R"({"type":"ping"}{"type":"ping"})"_ba << u"invalid_json"_s << QString();
    QTest::newRow("no type") << R"({"requestId":"r1"})"_ba << u"missing_field"_s << u"r1"_s;
    QTest::newRow("unknown type") << R"({"type":"warp","requestId":"r2"})"_ba << u"unknown_type"_s << u"r2"_s;
    QTest::newRow("type not a string") << R"({"type":5,"requestId":"r3"})"_ba << u"wrong_type"_s << u"r3"_s;
    QTest::newRow("subscribe without target")
        << R"({"type":"subscribe","requestId":"r4"})"_ba << u"missing_field"_s << u"r4"_s;
    QTest::newRow("userId not a string")
        << R"({"type":"subscribe","userId":7,"requestId":"r5"})"_ba << u"wrong_type"_s << u"r5"_s;
    QTest::newRow("both targets")
        << R"({"type":"unsubscribe","userId":"a","sessionId":"b","requestId":"r6"})"_ba << u"invalid_value"_s
        << u"r6"_s;
}

void HubTest::badFrames()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    QFETCH(QString, requestId);
    Hub hub(quietConfig());
    attachEchoHandler(hub);
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    quint64 id = 0;
    auto client = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);

    client->socket.sendTextMessage(QString::fromUtf8(frame));
    QTRY_COMPARE(client->messages.size(), 1);
    const QJsonObject error = client->messages.first();
    QCOMPARE(error.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(error.value("code"_L1).toString(), code);
    QVERIFY(!error.value("message"_L1).toString().isEmpty());
    QCOMPARE(error.value("requestId"_L1).toString(), requestId);
    QCOMPARE(error.contains("requestId"_L1), !requestId.isEmpty());
    QCOMPARE(hub.client(id)->consecutiveBadFrames, 1);
    QVERIFY(client->socket.state() == QAbstractSocket::ConnectedState);
}

void HubTest::tooManyBadFramesInARowClose1008()
{
    Hub hub(quietConfig());
    attachEchoHandler(hub);
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    quint64 id = 0;
    auto client = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);

    for (int i = 0; i < protocol::kMaxConsecutiveBadFrames; ++i)
        client->socket.sendTextMessage(u"garbage"_s);
    QTRY_VERIFY(client->disconnected);
    QCOMPARE(client->closeCode, 1008);
    QCOMPARE(client->ofType(u"error"_s).size(), protocol::kMaxConsecutiveBadFrames);
    QCOMPARE(hub.clientCount(), 0);
}

void HubTest::goodFrameResetsTheBadFrameCount()
{
    Hub hub(quietConfig());
    attachEchoHandler(hub);
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    quint64 id = 0;
    auto client = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);

    const int almost = protocol::kMaxConsecutiveBadFrames - 1;
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < almost; ++i)
            client->socket.sendTextMessage(u"garbage"_s);
        client->socket.sendTextMessage(uR"({"type":"ping","requestId":"p%1"})"_s.arg(round));
    }
    QTRY_COMPARE(client->ofType(u"pong"_s).size(), 3);
    QCOMPARE(client->ofType(u"error"_s).size(), 3 * almost);
    QVERIFY(!client->disconnected);
    QCOMPARE(hub.client(id)->consecutiveBadFrames, 0);
}

void HubTest::binaryFrameIsAnError()
{
    Hub hub(quietConfig());
    attachEchoHandler(hub);
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    QSignalSpy received(&hub, &Hub::messageReceived);
    quint64 id = 0;
    auto client = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);

    client->socket.sendBinaryMessage(R"({"type":"ping"})"_ba);
    QTRY_COMPARE(client->messages.size(), 1);
    QCOMPARE(client->messages.first().value("type"_L1).toString(), u"error"_s);
    QCOMPARE(client->messages.first().value("code"_L1).toString(), u"binary_frame"_s);
    QCOMPARE(received.size(), 0); // handlers never see binary frames
    QVERIFY(!client->disconnected);
}

void HubTest::oversizedFrameCloses1009()
{
    Hub hub(quietConfig());
    attachEchoHandler(hub);
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    QSignalSpy received(&hub, &Hub::messageReceived);
    quint64 id = 0;
    auto client = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &id);
    QVERIFY(client);

    // Exactly at the limit is fine...
    const QString prefix = uR"({"type":"ping","requestId":")"_s;
    const QString atLimit =
        prefix + QString(int(protocol::kMaxBrowserFrameBytes) - prefix.size() - 2, u'x') + u"\"}"_s;
    QCOMPARE(atLimit.toUtf8().size(), protocol::kMaxBrowserFrameBytes);
    client->socket.sendTextMessage(atLimit);
    QTRY_COMPARE(received.size(), 1);

    // ...one frame over it is refused by the WebSocket layer itself.
    client->socket.sendTextMessage(QString(int(protocol::kMaxBrowserFrameBytes) + 1024, u'x'));
    QTRY_VERIFY(client->disconnected);
    QCOMPARE(client->closeCode, 1009);
    QTRY_COMPARE(hub.clientCount(), 0);
    QCOMPARE(received.size(), 1);
}

void HubTest::pingSweepClosesSilentClientsAndKeepsLiveOnes()
{
    Hub::Config config;
    config.pingInterval = std::chrono::milliseconds(100);
    config.readTimeout = std::chrono::milliseconds(800);
    Hub hub(config);
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    QSignalSpy removed(&hub, &Hub::clientRemoved);

    quint64 liveId = 0;
    auto live = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &liveId);
    QVERIFY(live);
    RawClient silent; // reads, but never answers a ping and never sends anything
    QVERIFY(silent.open(harness.port()));
    WsConnection *silentSide = harness.nextSocket();
    QVERIFY(silentSide);
    const quint64 silentId =
        hub.addClient(silentSide, ClientKind::Sessions, makeContext(u"acme"_s, u"sam"_s));

    int pings = 0;
    std::optional<std::pair<int, QString>> close;
    QElapsedTimer timer;
    timer.start();
    while (!close && timer.elapsed() < 5000) {
        silent.pump();
        for (const RawClient::Frame &frame : silent.takeFrames()) {
            if (frame.opcode == 0x9)
                ++pings;
            else if (auto code = RawClient::closeOf(frame))
                close = code;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    }
    QVERIFY(close.has_value());
    QCOMPARE(close->first, 4002);
    QCOMPARE(close->second, u"read timeout"_s);
    QVERIFY2(pings >= 3, qPrintable(QString::number(pings)));
    QVERIFY(timer.elapsed() >= 700);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed.at(0).at(0).value<quint64>(), silentId);

    // The live client answers every ping (QWebSocket does it by itself) and stays.
    QTest::qWait(1200);
    QVERIFY(!live->disconnected);
    QVERIFY(hub.client(liveId));
    QCOMPARE(hub.clientCount(), 1);
}

void HubTest::closeAllSaysGoingAway()
{
    Hub hub(quietConfig());
    HubHarness harness(&hub);
    QVERIFY(harness.listening());
    quint64 a = 0, b = 0;
    auto c1 = harness.connect(ClientKind::Sessions, makeContext(u"acme"_s, u"alice"_s), &a);
    auto c2 = harness.connect(ClientKind::Cluster, makeContext(u"globex"_s, u"gary"_s), &b);
    QVERIFY(c1 && c2);

    hub.closeAll(QWebSocketProtocol::CloseCodeGoingAway, u"going away"_s);
    QCOMPARE(hub.clientCount(), 0);
    QTRY_VERIFY(c1->disconnected && c2->disconnected);
    QCOMPARE(c1->closeCode, 1001);
    QCOMPARE(c2->closeCode, 1001);
    QCOMPARE(c1->closeReason, u"going away"_s);
}

QTEST_GUILESS_MAIN(HubTest)
#include "tst_hub.moc"
