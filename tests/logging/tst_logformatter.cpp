// Log lines in the text and JSON formats (formatLogLine is a pure function), fields passed with
// logWithFields, secrets redacted, and the installed LogHandler capturing what Qt logs.
#include "logging/LogFormatter.h"
#include "logging/LogHandler.h"
#include "logging/StructuredLog.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::logging;

Q_LOGGING_CATEGORY(lcTest, "switchboard.test")

namespace {
const QDateTime kTime = QDateTime(QDate(2026, 11, 27), QTime(10, 52, 41, 123), Qt::UTC);
}

class TestLogFormatter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void text_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("plain") << int(QtInfoMsg) << u"listening"_s
                               << QByteArray("2026-11-27T10:52:41.123Z INFO  switchboard.test: listening\n");
        QTest::newRow("warning") << int(QtWarningMsg) << u"slow"_s
                                 << QByteArray("2026-11-27T10:52:41.123Z WARN  switchboard.test: slow\n");
        QTest::newRow("critical is ERROR")
            << int(QtCriticalMsg) << u"broken"_s
            << QByteArray("2026-11-27T10:52:41.123Z ERROR switchboard.test: broken\n");
        QTest::newRow("fields") << int(QtInfoMsg)
                                << encodeWithFields(u"agent connected"_s,
                                                    {{u"agentId"_s, u"a-1"_s}, {u"reason"_s, u"two words"_s}})
                                << QByteArray(
                                       "2026-11-27T10:52:41.123Z INFO  switchboard.test: agent connected "
                                       "agentId=a-1 reason=\"two words\"\n");
        QTest::newRow("line break cannot forge a line")
            << int(QtInfoMsg) << u"a\n2026-01-01T00:00:00.000Z ERROR fake"_s
            << QByteArray("2026-11-27T10:52:41.123Z INFO  switchboard.test: a\\x0a2026-01-01T00:00:00.000Z "
                          "ERROR fake\n");
        QTest::newRow("token in a URL")
            << int(QtWarningMsg) << u"GET /api/v1/ws/sessions?token=abc.def.ghi&x=1"_s
            << QByteArray("2026-11-27T10:52:41.123Z WARN  switchboard.test: GET /api/v1/ws/sessions"
                          "?token=[redacted]&x=1\n");
    }
    void text()
    {
        QFETCH(int, type);
        QFETCH(QString, message);
        QFETCH(QByteArray, expected);
        QCOMPARE(formatLogLine(LogFormat::Text, QtMsgType(type), "switchboard.test", message, kTime),
                 expected);
    }

    void json_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QJsonObject>("expected");
        const QJsonObject base{{u"time"_s, u"2026-11-27T10:52:41.123Z"_s},
                               {u"level"_s, u"info"_s},
                               {u"category"_s, u"switchboard.test"_s}};
        QJsonObject plain = base;
        plain.insert(u"message"_s, u"listening"_s);
        QTest::newRow("plain") << int(QtInfoMsg) << u"listening"_s << plain;

        QJsonObject fields = base;
        fields.insert(u"message"_s, u"command status changed"_s);
        fields.insert(u"commandId"_s, u"c-1"_s);
        fields.insert(u"orgId"_s, u"acme"_s);
        fields.insert(u"field_level"_s, u"sneaky"_s); // a field never overrides the four base keys
        QTest::newRow("fields") << int(QtInfoMsg)
                                << encodeWithFields(u"command status changed"_s, {{u"commandId"_s, u"c-1"_s},
                                                                                  {u"orgId"_s, u"acme"_s},
                                                                                  {u"level"_s, u"sneaky"_s}})
                                << fields;

        QJsonObject warning = base;
        warning.insert(u"level"_s, u"warning"_s);
        warning.insert(u"message"_s, u"Authorization: Bearer [redacted] and [redacted]"_s);
        QTest::newRow("secrets") << int(QtWarningMsg)
                                 << u"Authorization: Bearer s3cr3t and eyJhbGciOi.eyJzdWIiOiJ4In0.c2ln"_s
                                 << warning;

        QJsonObject error = base;
        error.insert(u"level"_s, u"error"_s);
        error.insert(u"message"_s, u"two\nlines"_s);
        QTest::newRow("newline stays inside the object") << int(QtCriticalMsg) << u"two\nlines"_s << error;

        QJsonObject marker = base;
        marker.insert(u"message"_s, u"not a field block\x1f\x1e{oops"_s);
        QTest::newRow("stray marker") << int(QtInfoMsg) << u"not a field block\x1f\x1e{oops"_s << marker;
    }
    void json()
    {
        QFETCH(int, type);
        QFETCH(QString, message);
        QFETCH(QJsonObject, expected);
        const QByteArray line =
            formatLogLine(LogFormat::Json, QtMsgType(type), "switchboard.test", message, kTime);
        QVERIFY(line.startsWith("{\"time\":\"")); // time first, for people reading the raw stream
        QVERIFY(line.endsWith('\n'));
        QCOMPARE(line.count('\n'), 1);
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(line, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(document.object(), expected);
    }

    void formatNames()
    {
        QCOMPARE(logFormatFromName(u"json"), LogFormat::Json);
        QCOMPARE(logFormatFromName(u"text"), LogFormat::Text);
        QVERIFY(!logFormatFromName(u"xml"));
        QCOMPARE(logFormatName(LogFormat::Json), u"json"_s);
    }

    // Through Qt: the installed handler gets what logWithFields and qCWarning log, as JSON lines,
    // and a disabled level costs nothing.
    void handlerCapturesQtLogging()
    {
        QList<QByteArray> lines;
        {
            LogHandler handler(LogFormat::Json,
                               [&lines](QByteArrayView line) { lines.append(line.toByteArray()); });
            handler.install();
            logWithFields(lcTest(), QtWarningMsg, u"limit hit"_s, {{u"limit"_s, u"handshakes_per_ip"_s}});
            qCWarning(lcTest) << "plain" << 42;
            QLoggingCategory::setFilterRules(u"switchboard.test.debug=false"_s);
            logWithFields(lcTest(), QtDebugMsg, u"not shown"_s, {});
            QLoggingCategory::setFilterRules({});
        }
        qCWarning(lcTest) << "after uninstall"; // goes to the previous handler
        QCOMPARE(lines.size(), 2);
        const QJsonObject first = QJsonDocument::fromJson(lines.at(0)).object();
        QCOMPARE(first.value("message"_L1).toString(), u"limit hit"_s);
        QCOMPARE(first.value("limit"_L1).toString(), u"handshakes_per_ip"_s);
        QCOMPARE(first.value("level"_L1).toString(), u"warning"_s);
        QCOMPARE(first.value("category"_L1).toString(), u"switchboard.test"_s);
        QVERIFY(first.value("time"_L1).toString().endsWith(u'Z'));
        QCOMPARE(QJsonDocument::fromJson(lines.at(1)).object().value("message"_L1).toString(), u"plain 42"_s);
    }
};

QTEST_GUILESS_MAIN(TestLogFormatter)
#include "tst_logformatter.moc"
