// Message type labels: the top-level "type" read without a full parse, and a bounded label set
// (anything unknown is "other"), so that no client can create series at will.
#include "metrics/MessageTypes.h"
#include "metrics/PrometheusText.h"
#include "metrics/ServerMetrics.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::metrics;

class TestMessageTypes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void topLevelType_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("first") << QByteArray(R"({"type":"heartbeat","payload":{}})")
                               << QByteArray("heartbeat");
        QTest::newRow("last") << QByteArray(R"({"payload":{"a":1},"type":"ack"})") << QByteArray("ack");
        QTest::newRow("blanks") << QByteArray(" { \"x\" : [1, {\"type\":\"no\"}] ,\n \"type\" : \"pong\" }")
                                << QByteArray("pong");
        QTest::newRow("nested only") << QByteArray(R"({"data":{"type":"inner"}})") << QByteArray();
        QTest::newRow("nested before")
            << QByteArray(R"({"data":{"type":"inner"},"type":"outer"})") << QByteArray("outer");
        QTest::newRow("in a string value")
            << QByteArray(R"({"note":"\"type\":\"fake\"","type":"real"})") << QByteArray("real");
        QTest::newRow("as a value") << QByteArray(R"({"kind":"type","type":"x"})") << QByteArray("x");
        QTest::newRow("not a string") << QByteArray(R"({"type":5})") << QByteArray();
        QTest::newRow("array") << QByteArray(R"([{"type":"x"}])") << QByteArray();
        QTest::newRow("not json") << QByteArray("type") << QByteArray();
        QTest::newRow("truncated") << QByteArray(R"({"type":"unterminated)") << QByteArray();
        QTest::newRow("empty") << QByteArray() << QByteArray();
    }
    void topLevelType()
    {
        QFETCH(QByteArray, json);
        QFETCH(QByteArray, expected);
        QCOMPARE(topLevelMessageType(json).toByteArray(), expected);
    }

    void knownTypesRoundTrip()
    {
        QVERIFY(knownMessageTypeCount() > 30);
        for (qsizetype i = 0; i < knownMessageTypeCount(); ++i) {
            const QLatin1StringView label = messageTypeLabel(i);
            QCOMPARE(messageTypeIndex(QByteArrayView(label.data(), label.size())), i);
            if (i > 0)
                QVERIFY2(messageTypeLabel(i - 1) < label, label.data()); // sorted for the binary search
        }
        QCOMPARE(messageTypeIndex("no-such-type"), knownMessageTypeCount());
        QCOMPARE(messageTypeLabel(knownMessageTypeCount()), "other"_L1);
    }

    // A client inventing types adds exactly one series, "other".
    void labelSetIsBounded()
    {
        ServerMetrics metrics(u"r1"_s, u"1.0"_s, 0);
        for (int i = 0; i < 1000; ++i)
            metrics.messageReceived(ServerMetrics::Endpoint::Browser,
                                    QByteArray(QByteArray("made-up-") + QByteArray::number(i)));
        metrics.messageReceived(ServerMetrics::Endpoint::Browser, "subscribe");
        const QByteArray text = renderPrometheusText(metrics.registry());
        QVERIFY(
            text.contains("switchboard_messages_received_total{endpoint=\"browser\",type=\"other\"} 1000\n"));
        QVERIFY(text.contains(
            "switchboard_messages_received_total{endpoint=\"browser\",type=\"subscribe\"} 1\n"));
        QVERIFY(!text.contains("made-up"));
        QCOMPARE(text.count("switchboard_messages_received_total{"), 2);
    }
};

QTEST_GUILESS_MAIN(TestMessageTypes)
#include "tst_messagetypes.moc"
