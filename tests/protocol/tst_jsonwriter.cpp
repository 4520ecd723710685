// The fast JSON writer behind the broadcast encoders: byte-identical to Qt's compact JSON for any
// value, and the fast encoders carry exactly what their QJsonObject forms carry.
#include "shared/BrowserProtocol.h"
#include "shared/JsonWriter.h"

#include "ProtocolTestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <limits>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;
using detail::JsonWriter;
using test::parse;
using test::utc;

namespace {

const QDateTime kNow = utc(2025, 12, 4, 10, 0);

QString everyAsciiCharacter()
{
    QString text;
    for (char16_t c = 0; c < 0x80; ++c)
        text.append(QChar(c));
    return text;
}

SessionInfo baseSession()
{
    SessionInfo session;
    session.sessionId = u"alice-firefox-1"_s;
    session.orgId = u"acme"_s;
    session.userId = u"alice"_s;
    session.templateName = u"firefox"_s;
    session.state = SessionState::Running;
    session.agentId = u"k8s-1"_s;
    session.platform = u"kubernetes"_s;
    session.namespaceName = u"streamspace"_s;
    session.podName = u"pod-1"_s;
    session.url = u"/api/v1/sessions/alice-firefox-1/vnc"_s;
    session.memory = u"2Gi"_s;
    session.cpu = u"1000m"_s;
    session.idleTimeoutSeconds = 600;
    session.lastActivity = kNow.addSecs(-601);
    session.activeConnections = 2;
    session.createdAt = utc(2025, 12, 4, 9, 0);
    return session;
}

} // namespace

class TestJsonWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchesQtByteForByte_data();
    void matchesQtByteForByte();
    void separatesNestedContainers();
    void nonFiniteNumbersBecomeNull();
    void timestamps();
    void sessionsUpdateItemsMatchRecordForm_data();
    void sessionsUpdateItemsMatchRecordForm();
    void sessionEventsMatchObjectForm_data();
    void sessionEventsMatchObjectForm();
    void encodersLeadWithType();
    void benchmarkSessionsUpdate();
};

void TestJsonWriter::matchesQtByteForByte_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::newRow("ascii and control characters") << QJsonValue(everyAsciiCharacter());
    QTest::newRow("empty string") << QJsonValue(QString());
    QTest::newRow("latin, euro, emoji") << QJsonValue(u"é€😀 ünïcødé"_s);
    QTest::newRow("line separators") << QJsonValue(u"a\u2028b\u2029c\uFFFF\uFEFF"_s);
    QString loneSurrogates;
    loneSurrogates.append(QChar(0xD800));
    loneSurrogates.append(u'x');
    loneSurrogates.append(QChar(0xDC00));
    loneSurrogates.append(QChar(0xDBFF));
    QTest::newRow("lone surrogates") << QJsonValue(loneSurrogates);
    QTest::newRow("zero") << QJsonValue(0);
    QTest::newRow("negative") << QJsonValue(-17);
    QTest::newRow("integral double") << QJsonValue(1000000.0);
    QTest::newRow("negative zero") << QJsonValue(-0.0);
    QTest::newRow("fraction") << QJsonValue(0.1);
    QTest::newRow("small") << QJsonValue(1.5e-7);
    QTest::newRow("1e16 double") << QJsonValue(1e16);
    QTest::newRow("1e300 double") << QJsonValue(1e300);
    QTest::newRow("2^53+ double") << QJsonValue(123456789012345678.0);
    QTest::newRow("2^62 integer") << QJsonValue(qint64(1) << 62);
    QTest::newRow("int64 max") << QJsonValue(std::numeric_limits<qint64>::max());
    QTest::newRow("int64 min") << QJsonValue(std::numeric_limits<qint64>::min());
    QTest::newRow("true") << QJsonValue(true);
    QTest::newRow("false") << QJsonValue(false);
    QTest::newRow("null") << QJsonValue(QJsonValue::Null);
    QTest::newRow("empty object") << QJsonValue(QJsonObject());
    QTest::newRow("empty array") << QJsonValue(QJsonArray());
    QTest::newRow("nested") << QJsonValue(
        QJsonObject{{u"z"_s, QJsonArray{1, QJsonArray(), QJsonObject(),
                                        QJsonArray{QJsonObject{{u"a"_s, QJsonValue::Null}}}, u"x"_s}},
                    {u"a"_s, QJsonObject{{u"b"_s, QJsonObject{{u"c"_s, QJsonArray{true, false}}}}}},
                    {u"key \"quoted\"\n"_s, u"v"_s},
                    {u"é"_s, 1.25},
                    {QString(), QString()}});
    QTest::newRow("parsed big numbers") << QJsonValue(parse(R"({"a":9007199254740993,"b":1e20,"c":-1e-300,
        "d":12345678901234567890,"e":4.5})"_ba));
}

void TestJsonWriter::matchesQtByteForByte()
{
    QFETCH(QJsonValue, value);
    // Wrapped in an array: QJsonDocument serialises only arrays and objects.
    const QJsonArray wrapped{value};
    JsonWriter writer;
    writer.value(wrapped);
    QCOMPARE(writer.bytes(), QJsonDocument(wrapped).toJson(QJsonDocument::Compact));
}

void TestJsonWriter::separatesNestedContainers()
{
    JsonWriter writer;
    writer.beginObject();
    writer.key("a"_L1);
    writer.beginArray();
    writer.beginObject();
    writer.endObject();
    writer.beginArray();
    writer.endArray();
    writer.value(u""_s);
    writer.value(qint64(-5));
    writer.endArray();
    writer.field("b"_L1, QJsonObject{{u"c"_s, 1}});
    writer.field("d"_L1, QStringList{u"x"_s, u"y"_s});
    writer.field("e"_L1, "ascii"_L1);
    writer.key("f"_L1);
    writer.null();
    writer.endObject();
    QCOMPARE(writer.take(),
             "{\"a\":[{},[],\"\",-5],\"b\":{\"c\":1},\"d\":[\"x\",\"y\"],\"e\":\"ascii\",\"f\":null}"_ba);
}

void TestJsonWriter::nonFiniteNumbersBecomeNull()
{
    JsonWriter writer;
    writer.beginArray();
    writer.value(QJsonValue(std::numeric_limits<double>::quiet_NaN()));
    writer.value(QJsonValue(std::numeric_limits<double>::infinity()));
    writer.endArray();
    QCOMPARE(writer.take(), "[null,null]"_ba);
}

void TestJsonWriter::timestamps()
{
    JsonWriter writer;
    writer.beginArray();
    writer.timestamp(QDateTime(QDate(2025, 12, 4), QTime(12, 0, 0, 7), Qt::OffsetFromUTC, 7200));
    writer.timestamp(QDateTime());
    writer.endArray();
    QCOMPARE(writer.take(), R"(["2025-12-04T10:00:00.007Z",null])"_ba);
}

void TestJsonWriter::sessionsUpdateItemsMatchRecordForm_data()
{
    QTest::addColumn<SessionInfo>("session");
    QTest::newRow("full") << baseSession();
    SessionInfo session = baseSession();
    session.podName.clear();
    session.url.clear();
    QTest::newRow("no pod, no url") << session;
    session = baseSession();
    session.lastActivity = QDateTime();
    session.createdAt = QDateTime();
    QTest::newRow("no times") << session;
    session = baseSession();
    session.idleTimeoutSeconds = 0;
    QTest::newRow("no idle timeout") << session;
    session = baseSession();
    session.state = SessionState::Hibernated;
    session.lastActivity = kNow.addSecs(30);
    QTest::newRow("hibernated, future activity") << session;
    session = baseSession();
    session.sessionId = u"weird \"name\"\n\t\u00e9😀"_s;
    session.userId = QString();
    QTest::newRow("escaping") << session;
}

void TestJsonWriter::sessionsUpdateItemsMatchRecordForm()
{
    QFETCH(SessionInfo, session);
    const QJsonObject message = parse(browser::encodeSessionsUpdate(u"acme"_s, {session, session}, kNow));
    const QJsonArray items = message.value(u"sessions"_s).toArray();
    QCOMPARE(items.size(), 2);
    QCOMPARE(toJsonBytes(items.at(0).toObject()), toJsonBytes(session.toSessionsUpdateJson(kNow)));
    QCOMPARE(items.at(1), items.at(0));
}

void TestJsonWriter::sessionEventsMatchObjectForm_data()
{
    QTest::addColumn<browser::SessionEvent>("event");
    QTest::addColumn<bool>("includeOrg");
    const browser::SessionEvent full{browser::EventType::Created, u"s1"_s,   u"u1"_s, kNow,
                                     baseSession().toJson(),      u"acme"_s, 0,       {}};
    QTest::newRow("with data") << full << false;
    QTest::newRow("with org") << full << true;
    QTest::newRow("no data, no time")
        << browser::SessionEvent{browser::EventType::Active, u"s1"_s, u"u1"_s, {}, {}, {}, 0, {}} << true;
}

void TestJsonWriter::sessionEventsMatchObjectForm()
{
    QFETCH(browser::SessionEvent, event);
    QFETCH(bool, includeOrg);
    QCOMPARE(test::canonical(browser::encodeSessionEvent(event, includeOrg)),
             toJsonBytes(browser::sessionEventToJson(event, includeOrg)));
}

void TestJsonWriter::encodersLeadWithType()
{
    const QList<QByteArray> messages{
        browser::encodeSessionsUpdate(u"o"_s, {}, kNow),
        browser::encodeMetricsUpdate(u"o"_s, {}, kNow),
        browser::encodeOrgBroadcast(u"o"_s, QJsonValue(1), kNow),
        browser::encodeSessionEvent({browser::EventType::Active, u"s"_s, u"u"_s, kNow, {}, {}, 0, {}}),
        browser::encodeError(Error{ErrorCode::Internal, u"x"_s, {}, {}}),
        browser::encodeReply(u"r"_s, {}),
        browser::encodePong({}),
    };
    for (const QByteArray &message : messages)
        QVERIFY2(message.startsWith("{\"type\":\""), message.constData());
}

void TestJsonWriter::benchmarkSessionsUpdate()
{
    const QList<SessionInfo> sessions(500, baseSession());
    QByteArray bytes;
    QBENCHMARK
    {
        bytes = browser::encodeSessionsUpdate(u"acme"_s, sessions, kNow);
    }
    QCOMPARE(parse(bytes).value(u"count"_s).toInt(), 500);
}

QTEST_GUILESS_MAIN(TestJsonWriter)
#include "tst_jsonwriter.moc"
