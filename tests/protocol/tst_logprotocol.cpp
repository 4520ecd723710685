// Live log stream messages: the exact `log` and `log_end` shapes, their round trip, refusal of
// malformed messages naming the field, the split of an agent frame into bounded messages and the
// ?tailLines= parameter.
#include "shared/LogProtocol.h"

#include "ProtocolTestUtil.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;
using namespace switchboard::protocol::logs;
using test::canonical;
using test::why;

Q_DECLARE_METATYPE(switchboard::protocol::ErrorCode)

class TestLogProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void endReasonNames_data()
    {
        QTest::addColumn<int>("reason");
        QTest::addColumn<QString>("name");
        QTest::newRow("agent_disconnected") << int(EndReason::AgentDisconnected) << u"agent_disconnected"_s;
        QTest::newRow("agent_unavailable") << int(EndReason::AgentUnavailable) << u"agent_unavailable"_s;
        QTest::newRow("session_ended") << int(EndReason::SessionEnded) << u"session_ended"_s;
        QTest::newRow("stream_failed") << int(EndReason::StreamFailed) << u"stream_failed"_s;
        QTest::newRow("too_many_viewers") << int(EndReason::TooManyViewers) << u"too_many_viewers"_s;
    }
    void endReasonNames()
    {
        QFETCH(int, reason);
        QFETCH(QString, name);
        QCOMPARE(endReasonName(EndReason(reason)), name);
        QCOMPARE(endReasonFromName(name), std::optional<EndReason>(EndReason(reason)));
    }

    void logShape()
    {
        const QByteArray json =
            encodeLogLines({u"alice-firefox-1"_s, {u"started"_s, u"listening on :3000"_s}});
        QCOMPARE(
            canonical(json),
            canonical(
                R"({"type":"log","sessionId":"alice-firefox-1","lines":["started","listening on :3000"]})"));
        QVERIFY(!json.contains('\n'));
    }

    void logEndShape()
    {
        const QByteArray json =
            encodeLogEnd({u"alice-firefox-1"_s, EndReason::AgentDisconnected, u"agent k8s-1 disconnected"_s});
        QCOMPARE(canonical(json),
                 canonical(R"({"type":"log_end","sessionId":"alice-firefox-1","reason":"agent_disconnected",)"
                           R"("message":"agent k8s-1 disconnected"})"));
    }

    void roundTrip()
    {
        // Characters that need escaping or several UTF-8 bytes survive unchanged.
        const LogLines log{u"s-1"_s, {u"quote \" backslash \\ tab \t"_s, u"naïve ✓ 😀"_s, QString()}};
        const Decoded<ServerMessage> decoded = decodeServerMessage(encodeLogLines(log));
        QVERIFY2(decoded, why(decoded));
        const auto *lines = std::get_if<LogLines>(&decoded.value());
        QVERIFY(lines);
        QCOMPARE(lines->sessionId, log.sessionId);
        QCOMPARE(lines->lines, log.lines);

        const LogEnd end{u"s-1"_s, EndReason::StreamFailed, u"unknown session s-1"_s};
        const Decoded<ServerMessage> decodedEnd = decodeServerMessage(encodeLogEnd(end));
        QVERIFY2(decodedEnd, why(decodedEnd));
        const auto *ended = std::get_if<LogEnd>(&decodedEnd.value());
        QVERIFY(ended);
        QCOMPARE(ended->sessionId, end.sessionId);
        QCOMPARE(ended->reason, end.reason);
        QCOMPARE(ended->message, end.message);
    }

    void badMessages_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<ErrorCode>("code");
        QTest::addColumn<QString>("field");
        QTest::newRow("not json") << QByteArray("{") << ErrorCode::InvalidJson << QString();
        QTest::newRow("two objects") << QByteArray(R"({"type":"log"}{"type":"log"})")
                                     << ErrorCode::InvalidJson << QString();
        QTest::newRow("no type") << QByteArray(R"({"sessionId":"s","lines":[]})") << ErrorCode::MissingField
                                 << u"type"_s;
        QTest::newRow("unknown type")
            << QByteArray(R"({"type":"logs","sessionId":"s"})") << ErrorCode::UnknownType << u"type"_s;
        QTest::newRow("no session") << QByteArray(R"({"type":"log","lines":[]})") << ErrorCode::MissingField
                                    << u"sessionId"_s;
        QTest::newRow("empty session") << QByteArray(R"({"type":"log","sessionId":"","lines":[]})")
                                       << ErrorCode::InvalidValue << u"sessionId"_s;
        QTest::newRow("no lines") << QByteArray(R"({"type":"log","sessionId":"s"})")
                                  << ErrorCode::MissingField << u"lines"_s;
        QTest::newRow("line not a string") << QByteArray(R"({"type":"log","sessionId":"s","lines":["a",3]})")
                                           << ErrorCode::WrongType << u"lines[1]"_s;
        QTest::newRow("end without reason")
            << QByteArray(R"({"type":"log_end","sessionId":"s"})") << ErrorCode::MissingField << u"reason"_s;
        QTest::newRow("unknown reason")
            << QByteArray(R"({"type":"log_end","sessionId":"s","reason":"bored"})") << ErrorCode::InvalidValue
            << u"reason"_s;
    }
    void badMessages()
    {
        QFETCH(QByteArray, json);
        QFETCH(ErrorCode, code);
        QFETCH(QString, field);
        const Decoded<ServerMessage> decoded = decodeServerMessage(json);
        QVERIFY(!decoded);
        QCOMPARE(errorCodeName(decoded.error().code), errorCodeName(code));
        QCOMPARE(decoded.error().field, field);
        if (!field.isEmpty())
            QVERIFY2(decoded.error().message.startsWith(field + u':'), qPrintable(decoded.error().message));
    }

    void splitKeepsOrderWithinBounds_data()
    {
        QTest::addColumn<int>("lineCount");
        QTest::addColumn<int>("lineLength");
        QTest::addColumn<int>("maxLines");
        QTest::addColumn<int>("maxBytes");
        QTest::addColumn<int>("expectedChunks");
        QTest::newRow("empty") << 0 << 10 << 500 << 65536 << 0;
        QTest::newRow("one line") << 1 << 10 << 500 << 65536 << 1;
        QTest::newRow("exactly max lines") << 500 << 10 << 500 << 65536 << 1;
        QTest::newRow("one over max lines") << 501 << 10 << 500 << 65536 << 2;
        QTest::newRow("agent maximum by count") << 1000 << 1 << 500 << 65536 << 2;
        QTest::newRow("by bytes") << 10 << 100 << 500 << 250 << 5;
        QTest::newRow("line over the byte bound travels alone") << 3 << 1000 << 500 << 100 << 3;
        QTest::newRow("agent maximum by size") << 1000 << 16384 << 500 << 65536 << 250;
    }
    void splitKeepsOrderWithinBounds()
    {
        QFETCH(int, lineCount);
        QFETCH(int, lineLength);
        QFETCH(int, maxLines);
        QFETCH(int, maxBytes);
        QFETCH(int, expectedChunks);
        QStringList lines;
        for (int i = 0; i < lineCount; ++i)
            lines.append(QString::number(i).rightJustified(lineLength, u'x', true));
        const QList<QStringList> chunks = splitLines(lines, maxLines, maxBytes);
        QCOMPARE(chunks.size(), expectedChunks);
        QStringList joined;
        for (const QStringList &chunk : chunks) {
            QVERIFY(!chunk.isEmpty());
            QVERIFY(chunk.size() <= maxLines);
            qsizetype bytes = 0;
            for (const QString &line : chunk)
                bytes += line.toUtf8().size();
            QVERIFY(chunk.size() == 1 || bytes <= maxBytes);
            joined += chunk;
        }
        QCOMPARE(joined, lines);
    }

    void splitCountsUtf8Bytes()
    {
        // 3 lines of 10 characters of 3 UTF-8 bytes each (30 bytes a line): 2 fit in 60 bytes, not 3.
        const QString wide = QString(10, QChar(0x2713));
        QCOMPARE(splitLines({wide, wide, wide}, 500, 60).size(), 2);
        // A surrogate pair is 4 bytes: 15 emoji = 60 bytes fit exactly.
        QString emoji;
        for (int i = 0; i < 15; ++i)
            emoji += QString::fromUtf8("\xF0\x9F\x98\x80");
        QCOMPARE(emoji.toUtf8().size(), 60);
        QCOMPARE(splitLines({emoji}, 500, 60).size(), 1);
        QCOMPARE(splitLines({emoji, u"a"_s}, 500, 60).size(), 2);
    }

    void tailLines_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("expected"); // -1 = refused
        QTest::newRow("absent = default") << QString() << kDefaultTailLines;
        QTest::newRow("zero") << u"0"_s << 0;
        QTest::newRow("some") << u"250"_s << 250;
        QTest::newRow("maximum") << u"1000"_s << 1000;
        QTest::newRow("over the maximum") << u"1001"_s << -1;
        QTest::newRow("negative") << u"-1"_s << -1;
        QTest::newRow("plus sign") << u"+5"_s << -1;
        QTest::newRow("fraction") << u"1.5"_s << -1;
        QTest::newRow("text") << u"all"_s << -1;
        QTest::newRow("huge") << u"99999999999999999999999"_s << -1;
        QTest::newRow("arabic-indic digits") << QString::fromUtf8("\xD9\xA5") << -1;
    }
    void tailLines()
    {
        QFETCH(QString, text);
        QFETCH(int, expected);
        const Decoded<int> parsed = parseTailLines(text);
        if (expected < 0) {
            QVERIFY(!parsed);
            QCOMPARE(parsed.error().field, u"tailLines"_s);
            QVERIFY(parsed.error().message.startsWith(u"tailLines:"_s));
        } else {
            QVERIFY2(parsed, why(parsed));
            QCOMPARE(parsed.value(), expected);
        }
    }
};

QTEST_GUILESS_MAIN(TestLogProtocol)
#include "tst_logprotocol.moc"
