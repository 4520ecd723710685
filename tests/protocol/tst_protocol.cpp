// Common vocabulary: error code and session state names, timestamps, compact JSON.
#include "shared/Protocol.h"

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

class TestProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void errorCodeNames_data();
    void errorCodeNames();
    void unknownNamesAreRejected();
    void sessionStateNames_data();
    void sessionStateNames();
    void formatTimestamp_data();
    void formatTimestamp();
    void formatInvalidTimestampIsEmpty();
    void parseTimestamp_data();
    void parseTimestamp();
    void formatThenParseRoundTrips();
    void toJsonBytesIsCompact();
    void decodedDefaultIsInternalError();
};

void TestProtocol::errorCodeNames_data()
{
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("name");
    QTest::newRow("invalid_json") << ErrorCode::InvalidJson << u"invalid_json"_s;
    QTest::newRow("unknown_type") << ErrorCode::UnknownType << u"unknown_type"_s;
    QTest::newRow("missing_field") << ErrorCode::MissingField << u"missing_field"_s;
    QTest::newRow("wrong_type") << ErrorCode::WrongType << u"wrong_type"_s;
    QTest::newRow("invalid_value") << ErrorCode::InvalidValue << u"invalid_value"_s;
    QTest::newRow("binary_frame") << ErrorCode::BinaryFrame << u"binary_frame"_s;
    QTest::newRow("frame_too_large") << ErrorCode::FrameTooLarge << u"frame_too_large"_s;
    QTest::newRow("unauthorized") << ErrorCode::Unauthorized << u"unauthorized"_s;
    QTest::newRow("forbidden") << ErrorCode::Forbidden << u"forbidden"_s;
    QTest::newRow("not_found") << ErrorCode::NotFound << u"not_found"_s;
    QTest::newRow("conflict") << ErrorCode::Conflict << u"conflict"_s;
    QTest::newRow("no_agent_available") << ErrorCode::NoAgentAvailable << u"no_agent_available"_s;
    QTest::newRow("agent_unavailable") << ErrorCode::AgentUnavailable << u"agent_unavailable"_s;
    QTest::newRow("unavailable") << ErrorCode::Unavailable << u"unavailable"_s;
    QTest::newRow("internal") << ErrorCode::Internal << u"internal"_s;
    QTest::newRow("rate_limited") << ErrorCode::RateLimited << u"rate_limited"_s;
    QTest::newRow("limit_exceeded") << ErrorCode::LimitExceeded << u"limit_exceeded"_s;
}

void TestProtocol::errorCodeNames()
{
    QFETCH(ErrorCode, code);
    QFETCH(QString, name);
    QCOMPARE(errorCodeName(code), name);
    QCOMPARE(errorCodeFromName(name), std::optional<ErrorCode>(code));
}

void TestProtocol::unknownNamesAreRejected()
{
    QVERIFY(!errorCodeFromName(u"Invalid_Json").has_value());
    QVERIFY(!errorCodeFromName(u"").has_value());
    QVERIFY(!sessionStateFromName(u"Running").has_value());
    QVERIFY(!sessionStateFromName(u"stopped").has_value());
}

void TestProtocol::sessionStateNames_data()
{
    QTest::addColumn<SessionState>("state");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("terminal");
    QTest::newRow("pending") << SessionState::Pending << u"pending"_s << false;
    QTest::newRow("running") << SessionState::Running << u"running"_s << false;
    QTest::newRow("terminating") << SessionState::Terminating << u"terminating"_s << false;
    QTest::newRow("terminated") << SessionState::Terminated << u"terminated"_s << true;
    QTest::newRow("hibernating") << SessionState::Hibernating << u"hibernating"_s << false;
    QTest::newRow("hibernated") << SessionState::Hibernated << u"hibernated"_s << false;
    QTest::newRow("failed") << SessionState::Failed << u"failed"_s << true;
}

void TestProtocol::sessionStateNames()
{
    QFETCH(SessionState, state);
    QFETCH(QString, name);
    QFETCH(bool, terminal);
    QCOMPARE(sessionStateName(state), name);
    QCOMPARE(sessionStateFromName(name), std::optional<SessionState>(state));
    QCOMPARE(isTerminalSessionState(state), terminal);
}

void TestProtocol::formatTimestamp_data()
{
    QTest::addColumn<QDateTime>("time");
    QTest::addColumn<QString>("text");
    QTest::newRow("utc with ms") << QDateTime(QDate(2025, 12, 4), QTime(10, 0, 0, 123), Qt::UTC)
                                 << u"2025-12-04T10:00:00.123Z"_s;
    QTest::newRow("zero ms") << QDateTime(QDate(2025, 1, 2), QTime(3, 4, 5), Qt::UTC)
                             << u"2025-01-02T03:04:05.000Z"_s;
    QTest::newRow("offset converted to utc")
        << QDateTime(QDate(2025, 12, 4), QTime(12, 30, 0, 5), Qt::OffsetFromUTC, 2 * 3600 + 30 * 60)
        << u"2025-12-04T10:00:00.005Z"_s;
    QTest::newRow("crosses midnight backwards")
        << QDateTime(QDate(2025, 1, 1), QTime(0, 30), Qt::OffsetFromUTC, 3600)
        << u"2024-12-31T23:30:00.000Z"_s;
    QTest::newRow("year 1") << QDateTime(QDate(1, 1, 1), QTime(0, 0), Qt::UTC)
                            << u"0001-01-01T00:00:00.000Z"_s;
    QTest::newRow("year 9999") << QDateTime(QDate(9999, 12, 31), QTime(23, 59, 59, 999), Qt::UTC)
                               << u"9999-12-31T23:59:59.999Z"_s;
}

void TestProtocol::formatTimestamp()
{
    QFETCH(QDateTime, time);
    QFETCH(QString, text);
    QCOMPARE(switchboard::protocol::formatTimestamp(time), text);
}

void TestProtocol::formatInvalidTimestampIsEmpty()
{
    QVERIFY(switchboard::protocol::formatTimestamp(QDateTime()).isEmpty());
}

void TestProtocol::parseTimestamp_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QDateTime>("expected");
    const QDateTime base(QDate(2025, 12, 4), QTime(10, 0, 0), Qt::UTC);
    QTest::newRow("Z no fraction") << u"2025-12-04T10:00:00Z"_s << true << base;
    QTest::newRow("Z millis") << u"2025-12-04T10:00:00.123Z"_s << true << base.addMSecs(123);
    QTest::newRow("one digit fraction") << u"2025-12-04T10:00:00.1Z"_s << true << base.addMSecs(100);
    QTest::newRow("nanoseconds truncated")
        << u"2025-12-04T10:00:00.123456789Z"_s << true << base.addMSecs(123);
    QTest::newRow("lowercase t and z") << u"2025-12-04t10:00:00z"_s << true << base;
    QTest::newRow("space separator") << u"2025-12-04 10:00:00Z"_s << true << base;
    QTest::newRow("positive offset") << u"2025-12-04T12:00:00+02:00"_s << true << base;
    QTest::newRow("negative offset") << u"2025-12-04T05:30:00-04:30"_s << true << base;
    QTest::newRow("zero offset") << u"2025-12-04T10:00:00+00:00"_s << true << base;
    QTest::newRow("offset crossing date") << u"2025-12-05T01:00:00+15:00"_s << true << base;
    QTest::newRow("leap day") << u"2024-02-29T00:00:00Z"_s << true
                              << QDateTime(QDate(2024, 2, 29), QTime(0, 0), Qt::UTC);
    QTest::newRow("leap second") << u"2016-12-31T23:59:60Z"_s << true
                                 << QDateTime(QDate(2017, 1, 1), QTime(0, 0), Qt::UTC);
    QTest::newRow("empty") << QString() << false << QDateTime();
    QTest::newRow("date only") << u"2025-12-04"_s << false << QDateTime();
    QTest::newRow("no zone") << u"2025-12-04T10:00:00"_s << false << QDateTime();
    QTest::newRow("no zone with fraction") << u"2025-12-04T10:00:00.123"_s << false << QDateTime();
    QTest::newRow("empty fraction") << u"2025-12-04T10:00:00.Z"_s << false << QDateTime();
    QTest::newRow("ten fraction digits") << u"2025-12-04T10:00:00.1234567890Z"_s << false << QDateTime();
    QTest::newRow("month 13") << u"2025-13-04T10:00:00Z"_s << false << QDateTime();
    QTest::newRow("feb 30") << u"2025-02-30T10:00:00Z"_s << false << QDateTime();
    QTest::newRow("feb 29 non leap") << u"2025-02-29T10:00:00Z"_s << false << QDateTime();
    QTest::newRow("hour 24") << u"2025-12-04T24:00:00Z"_s << false << QDateTime();
    QTest::newRow("minute 60") << u"2025-12-04T10:60:00Z"_s << false << QDateTime();
    QTest::newRow("second 61") << u"2025-12-04T10:00:61Z"_s << false << QDateTime();
    QTest::newRow("year 0") << u"0000-01-01T00:00:00Z"_s << false << QDateTime();
    QTest::newRow("offset without colon") << u"2025-12-04T10:00:00+0200"_s << false << QDateTime();
    QTest::newRow("offset hour 24") << u"2025-12-04T10:00:00+24:00"_s << false << QDateTime();
    QTest::newRow("trailing garbage") << u"2025-12-04T10:00:00Zjunk"_s << false << QDateTime();
    QTest::newRow("leading space") << u" 2025-12-04T10:00:00Z"_s << false << QDateTime();
    QTest::newRow("letters") << u"abcd-ef-ghTij:kl:mnZ"_s << false << QDateTime();
    QTest::newRow("unix seconds") << u"1733306400"_s << false << QDateTime();
    QTest::newRow("arabic-indic digits") << u"٢٠٢٥-12-04T10:00:00Z"_s << false << QDateTime();
    QTest::newRow("huge") << QString(10000, u'9') << false << QDateTime();
}

void TestProtocol::parseTimestamp()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(QDateTime, expected);
    const std::optional<QDateTime> parsed = switchboard::protocol::parseTimestamp(text);
    QCOMPARE(parsed.has_value(), valid);
    if (valid) {
        QCOMPARE(*parsed, expected);
        QCOMPARE(parsed->timeSpec(), Qt::UTC);
    }
}

void TestProtocol::formatThenParseRoundTrips()
{
    const QDateTime time(QDate(2031, 7, 15), QTime(8, 9, 10, 987), Qt::UTC);
    const QString text = switchboard::protocol::formatTimestamp(time);
    QCOMPARE(switchboard::protocol::parseTimestamp(text), std::optional<QDateTime>(time));
}

void TestProtocol::toJsonBytesIsCompact()
{
    const QJsonObject object{{u"b"_s, 1}, {u"a"_s, QJsonArray{u"x"_s, true}}, {u"c"_s, QJsonObject{}}};
    QCOMPARE(toJsonBytes(object), R"({"a":["x",true],"b":1,"c":{}})"_ba);
}

void TestProtocol::decodedDefaultIsInternalError()
{
    const Decoded<int> empty;
    QVERIFY(!empty.ok());
    QCOMPARE(empty.error().code, ErrorCode::Internal);
    const Decoded<int> value(7);
    QVERIFY(value.ok());
    QCOMPARE(value.value(), 7);
}

QTEST_GUILESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
