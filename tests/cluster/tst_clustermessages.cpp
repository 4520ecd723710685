// The cluster's Redis messages without Redis: round trips of the routed command, the
// confirmation and the bus envelope, compatibility with the Go original's command message, and
// replica name validation.
#include "cluster/ClusterKeys.h"
#include "cluster/ClusterMessages.h"

#include <QJsonDocument>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::cluster;

class TestClusterMessages : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keyNames();
    void routedCommandRoundTrip();
    void goOriginalCommandMessage();
    void confirmationRoundTrip_data();
    void confirmationRoundTrip();
    void busEnvelopeRoundTrip();
    void replicaNames_data();
    void replicaNames();
};

void TestClusterMessages::keyNames()
{
    QCOMPARE(agentPodKey(u"k8s-1"_s), QByteArray("agent:k8s-1:pod"));
    QCOMPARE(agentConnectedKey(u"k8s-1"_s), QByteArray("agent:k8s-1:connected"));
    QCOMPARE(replicaAliveKey(u"sb-0"_s), QByteArray("replica:sb-0:alive"));
    QCOMPARE(commandChannel(u"sb-0"_s), QByteArray("pod:sb-0:commands"));
    QCOMPARE(confirmChannel(u"sb-0"_s), QByteArray("pod:sb-0:confirm"));
    QCOMPARE(QByteArray(kEventsChannel), QByteArray("switchboard:events"));
}

void TestClusterMessages::routedCommandRoundTrip()
{
    const protocol::agent::Command command{
        u"cmd-1"_s, protocol::agent::Action::StopSession,
        QJsonObject{{u"sessionId"_s, u"s-1"_s}, {u"namespace"_s, u"ns"_s}}};
    const QByteArray bytes = encodeRoutedCommand(
        RoutedCommand{u"req-1"_s, u"host:8080"_s, u"k8s-1"_s, command}, QDateTime::currentDateTimeUtc());
    const auto decoded = decodeRoutedCommand(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
    QCOMPARE(decoded.value().requestId, u"req-1"_s);
    QCOMPARE(decoded.value().origin, u"host:8080"_s);
    QCOMPARE(decoded.value().agentId, u"k8s-1"_s);
    QCOMPARE(decoded.value().command.commandId, u"cmd-1"_s);
    QCOMPARE(decoded.value().command.action, protocol::agent::Action::StopSession);
    QCOMPARE(decoded.value().command.payload.value(u"sessionId"_s).toString(), u"s-1"_s);
    // "message" is the agent frame as a string, as in the Go original.
    const QJsonObject object = QJsonDocument::fromJson(bytes).object();
    QVERIFY(object.value(u"message"_s).isString());
    QCOMPARE(
        QJsonDocument::fromJson(object.value(u"message"_s).toString().toUtf8()).object().value(u"type"_s),
        QJsonValue(u"command"_s));
}

void TestClusterMessages::goOriginalCommandMessage()
{
    const QByteArray go =
        R"({"agentId":"k8s-1","message":"{\"type\":\"command\",\"timestamp\":\"2025-12-04T10:00:00Z\",)"
        R"(\"payload\":{\"commandId\":\"cmd-9\",\"action\":\"stop_session\",)"
        R"(\"payload\":{\"sessionId\":\"s-9\"}}}"})";
    const auto decoded = decodeRoutedCommand(go);
    QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
    QVERIFY(decoded.value().origin.isEmpty()); // nobody to confirm to
    QCOMPARE(decoded.value().command.commandId, u"cmd-9"_s);
}

void TestClusterMessages::confirmationRoundTrip_data()
{
    QTest::addColumn<bool>("delivered");
    QTest::addColumn<QString>("error");
    QTest::newRow("delivered") << true << QString();
    QTest::newRow("refused") << false << u"agent not connected here"_s;
}

void TestClusterMessages::confirmationRoundTrip()
{
    QFETCH(bool, delivered);
    QFETCH(QString, error);
    const CommandConfirmation sent{u"req-1"_s, u"cmd-1"_s, u"k8s-1"_s, u"sb-1"_s, delivered, error};
    const auto decoded = decodeCommandConfirmation(encodeCommandConfirmation(sent));
    QVERIFY(decoded.ok());
    QCOMPARE(decoded.value().requestId, sent.requestId);
    QCOMPARE(decoded.value().commandId, sent.commandId);
    QCOMPARE(decoded.value().agentId, sent.agentId);
    QCOMPARE(decoded.value().replica, sent.replica);
    QCOMPARE(decoded.value().delivered, delivered);
    QCOMPARE(decoded.value().error, error);
    QVERIFY(
        !decodeCommandConfirmation(R"({"requestId":"r","commandId":"c","agentId":"a","replica":"x"})").ok());
    QVERIFY(!decodeCommandConfirmation(
                 R"({"requestId":"r","commandId":"c","agentId":"a","replica":"x","delivered":"yes"})")
                 .ok());
}

void TestClusterMessages::busEnvelopeRoundTrip()
{
    const BusEnvelope sent{u"sb-1"_s,          u"abc"_s,
                           (quint64(1) << 40), BusTopic::AdminDelta,
                           u"org-1"_s,         QJsonObject{{u"type"_s, u"agent.updated"_s}}};
    const auto decoded = decodeBusEnvelope(encodeBusEnvelope(sent));
    QVERIFY(decoded.ok());
    QCOMPARE(decoded.value().origin, sent.origin);
    QCOMPARE(decoded.value().instance, sent.instance);
    QCOMPARE(decoded.value().seq, sent.seq);
    QCOMPARE(decoded.value().topic, BusTopic::AdminDelta);
    QCOMPARE(decoded.value().orgId, sent.orgId);
    QCOMPARE(decoded.value().payload, sent.payload);
    for (const BusTopic topic : {BusTopic::SessionEvent, BusTopic::OrgBroadcast, BusTopic::SessionsChanged,
                                 BusTopic::AdminDelta, BusTopic::ReplicaLoad})
        QCOMPARE(busTopicFromName(busTopicName(topic)), topic);
}

void TestClusterMessages::replicaNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");
    QTest::newRow("simple") << u"sb-0"_s << true;
    QTest::newRow("host:port default") << u"node-1.example.com:8080"_s << true;
    QTest::newRow("200 characters") << QString(200, u'x') << true;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("201 characters") << QString(201, u'x') << false;
    QTest::newRow("space") << u"a b"_s << false;
    QTest::newRow("newline") << u"a\nb"_s << false;
    QTest::newRow("non-ascii") << u"r\u00e9plica"_s << false;
}

void TestClusterMessages::replicaNames()
{
    QFETCH(QString, name);
    QFETCH(bool, valid);
    QCOMPARE(isValidReplicaName(name), valid);
}

QTEST_GUILESS_MAIN(TestClusterMessages)
#include "tst_clustermessages.moc"
