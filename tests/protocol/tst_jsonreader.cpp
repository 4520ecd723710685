// JsonReader and parseObject: every kind of bad input yields a typed error naming the field.
#include "shared/JsonReader.h"

#include "ProtocolTestUtil.h"

#include <QJsonDocument>
#include <QTest>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

using test::parse;

class TestJsonReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseObjectRejects_data();
    void parseObjectRejects();
    void parseObjectAcceptsObjects();
    void deepNestingDoesNotCrash();
    void hugeNumbersDoNotCrash_data();
    void hugeNumbersDoNotCrash();
    void fieldErrors_data();
    void fieldErrors();
    void goodValues();
    void nullCountsAsAbsent();
    void firstErrorWins();
    void nonFiniteNumbersAreRejected();
    void stringListLimits();
    void pathOfNests();
    void callerFailuresArePrefixed();
};

void TestJsonReader::parseObjectRejects_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("whitespace") << " \n"_ba;
    QTest::newRow("garbage") << "hello"_ba;
    QTest::newRow("truncated") << R"({"type":"ack")"_ba;
    QTest::newRow("array") << "[1,2]"_ba;
    QTest::newRow("string") << R"("x")"_ba;
    QTest::newRow("number") << "42"_ba;
    QTest::newRow("null") << "null"_ba;
    QTest::newRow("trailing comma") << R"({"a":1,})"_ba;
    QTest::newRow("two objects") << R"({"a":1}{"b":2})"_ba;
    QTest::newRow("NaN literal") << R"({"a":NaN})"_ba;
    QTest::newRow("Infinity literal") << R"({"a":Infinity})"_ba;
    QTest::newRow("single quotes") << "{'a':1}"_ba;
    QTest::newRow("nul byte") << QByteArray("{\"a\":\0}", 7);
}

void TestJsonReader::parseObjectRejects()
{
    QFETCH(QByteArray, json);
    const Decoded<QJsonObject> parsed = parseObject(json);
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error().code, ErrorCode::InvalidJson);
    QVERIFY(!parsed.error().message.isEmpty());
}

void TestJsonReader::parseObjectAcceptsObjects()
{
    const Decoded<QJsonObject> parsed = parseObject(R"( {"a":[1,{"b":null}],"c":"\u00e9"} )"_ba);
    QVERIFY(parsed.ok());
    QCOMPARE(parsed.value().value(u"c"_s).toString(), u"é"_s);
}

void TestJsonReader::deepNestingDoesNotCrash()
{
    for (const int depth : {100, 5000, 100000}) {
        const QByteArray json = "{\"a\":"_ba + QByteArray(depth, '[') + QByteArray(depth, ']') + "}"_ba;
        const Decoded<QJsonObject> parsed = parseObject(json);
        if (!parsed)
            QCOMPARE(parsed.error().code, ErrorCode::InvalidJson);
        QByteArray objects;
        for (int i = 0; i < depth; ++i)
            objects += "{\"a\":"_ba;
        objects += "1"_ba + QByteArray(depth, '}');
        const Decoded<QJsonObject> nested = parseObject(objects);
        if (!nested)
            QCOMPARE(nested.error().code, ErrorCode::InvalidJson);
    }
    // Shallow enough nesting parses.
    QVERIFY(parseObject(R"({"a":[[[[{"b":[]}]]]]})"_ba).ok());
}

void TestJsonReader::hugeNumbersDoNotCrash_data()
{
    QTest::addColumn<QByteArray>("number");
    QTest::newRow("1e400") << "1e400"_ba;
    QTest::newRow("-1e400") << "-1e400"_ba;
    QTest::newRow("20 digits") << "99999999999999999999"_ba;
    QTest::newRow("int64 max") << "9223372036854775807"_ba;
    QTest::newRow("int64 min") << "-9223372036854775808"_ba;
    QTest::newRow("2^63") << "9223372036854775808"_ba;
    QTest::newRow("1e308") << "1e308"_ba;
    QTest::newRow("tiny") << "1e-400"_ba;
    QTest::newRow("300 digits") << QByteArray(300, '7');
    QTest::newRow("fraction") << "1.5"_ba;
    QTest::newRow("negative") << "-1"_ba;
}

void TestJsonReader::hugeNumbersDoNotCrash()
{
    QFETCH(QByteArray, number);
    const Decoded<QJsonObject> parsed = parseObject(QByteArray("{\"n\":"_ba + number + "}"_ba));
    if (!parsed) {
        QCOMPARE(parsed.error().code, ErrorCode::InvalidJson);
        return;
    }
    JsonReader ints(parsed.value());
    const qint64 value = ints.requiredInt(u"n"_s, 1, 1000);
    QVERIFY(!ints.ok());
    QVERIFY(value >= 1 && value <= 1000);
    QCOMPARE(ints.error().field, u"n"_s);
    QVERIFY(ints.error().code == ErrorCode::InvalidValue || ints.error().code == ErrorCode::WrongType);

    JsonReader full(parsed.value());
    full.optionalInt(u"n"_s, 0, std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::max());
    JsonReader numbers(parsed.value());
    numbers.optionalNumber(u"n"_s, 0);
}

void TestJsonReader::fieldErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("method");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");

    QTest::newRow("string missing") << "{}"_ba << u"requiredString"_s << ErrorCode::MissingField
                                    << u"p.k: required string is missing"_s;
    QTest::newRow("string null") << R"({"k":null})"_ba << u"requiredString"_s << ErrorCode::MissingField
                                 << u"p.k: required string is missing"_s;
    QTest::newRow("string number") << R"({"k":1})"_ba << u"requiredString"_s << ErrorCode::WrongType
                                   << u"p.k: expected string, got number"_s;
    QTest::newRow("string object") << R"({"k":{}})"_ba << u"requiredString"_s << ErrorCode::WrongType
                                   << u"p.k: expected string, got object"_s;
    QTest::newRow("string empty") << R"({"k":""})"_ba << u"requiredString"_s << ErrorCode::InvalidValue
                                  << u"p.k: must not be empty"_s;
    QTest::newRow("string too long") << R"({"k":"abcdefghijk"})"_ba << u"requiredString"_s
                                     << ErrorCode::InvalidValue << u"p.k: must be at most 10 characters"_s;
    QTest::newRow("optional string bool") << R"({"k":true})"_ba << u"optionalString"_s << ErrorCode::WrongType
                                          << u"p.k: expected string, got boolean"_s;
    QTest::newRow("optional string too long")
        << R"({"k":"abcdefghijk"})"_ba << u"optionalString"_s << ErrorCode::InvalidValue
        << u"p.k: must be at most 10 characters"_s;
    QTest::newRow("int missing") << "{}"_ba << u"requiredInt"_s << ErrorCode::MissingField
                                 << u"p.k: required integer is missing"_s;
    QTest::newRow("int string") << R"({"k":"5"})"_ba << u"requiredInt"_s << ErrorCode::WrongType
                                << u"p.k: expected integer, got string"_s;
    QTest::newRow("int fraction") << R"({"k":5.5})"_ba << u"requiredInt"_s << ErrorCode::WrongType
                                  << u"p.k: expected integer, got a fraction"_s;
    QTest::newRow("int below") << R"({"k":-1})"_ba << u"requiredInt"_s << ErrorCode::InvalidValue
                               << u"p.k: must be between 0 and 10"_s;
    QTest::newRow("int above") << R"({"k":11})"_ba << u"requiredInt"_s << ErrorCode::InvalidValue
                               << u"p.k: must be between 0 and 10"_s;
    QTest::newRow("int huge") << R"({"k":1e300})"_ba << u"requiredInt"_s << ErrorCode::InvalidValue
                              << u"p.k: must be between 0 and 10"_s;
    QTest::newRow("optional int array") << R"({"k":[]})"_ba << u"optionalInt"_s << ErrorCode::WrongType
                                        << u"p.k: expected integer, got array"_s;
    QTest::newRow("number string") << R"({"k":"1"})"_ba << u"optionalNumber"_s << ErrorCode::WrongType
                                   << u"p.k: expected number, got string"_s;
    QTest::newRow("bool missing") << "{}"_ba << u"requiredBool"_s << ErrorCode::MissingField
                                  << u"p.k: required boolean is missing"_s;
    QTest::newRow("bool number") << R"({"k":1})"_ba << u"requiredBool"_s << ErrorCode::WrongType
                                 << u"p.k: expected boolean, got number"_s;
    QTest::newRow("bool string") << R"({"k":"true"})"_ba << u"optionalBool"_s << ErrorCode::WrongType
                                 << u"p.k: expected boolean, got string"_s;
    QTest::newRow("object missing") << "{}"_ba << u"requiredObject"_s << ErrorCode::MissingField
                                    << u"p.k: required object is missing"_s;
    QTest::newRow("object array") << R"({"k":[]})"_ba << u"requiredObject"_s << ErrorCode::WrongType
                                  << u"p.k: expected object, got array"_s;
    QTest::newRow("optional object string") << R"({"k":"x"})"_ba << u"optionalObject"_s
                                            << ErrorCode::WrongType << u"p.k: expected object, got string"_s;
    QTest::newRow("array object") << R"({"k":{}})"_ba << u"optionalArray"_s << ErrorCode::WrongType
                                  << u"p.k: expected array, got object"_s;
    QTest::newRow("string list item") << R"({"k":["a",2]})"_ba << u"optionalStringList"_s
                                      << ErrorCode::WrongType << u"p.k[1]: expected string, got number"_s;
    QTest::newRow("string list string") << R"({"k":"a"})"_ba << u"optionalStringList"_s
                                        << ErrorCode::WrongType << u"p.k: expected array, got string"_s;
    QTest::newRow("timestamp number") << R"({"k":12})"_ba << u"optionalTimestamp"_s << ErrorCode::WrongType
                                      << u"p.k: expected string, got number"_s;
    QTest::newRow("timestamp bad") << R"({"k":"yesterday"})"_ba << u"optionalTimestamp"_s
                                   << ErrorCode::InvalidValue << u"p.k: must be an RFC 3339 timestamp"_s;
}

void TestJsonReader::fieldErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, method);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);

    JsonReader reader(parse(json), u"p"_s);
    const QString key = u"k"_s;
    if (method == "requiredString"_L1)
        reader.requiredString(key, 1, 10);
    else if (method == "optionalString"_L1)
        reader.optionalString(key, {}, 10);
    else if (method == "requiredInt"_L1)
        reader.requiredInt(key, 0, 10);
    else if (method == "optionalInt"_L1)
        reader.optionalInt(key, 0, 0, 10);
    else if (method == "optionalNumber"_L1)
        reader.optionalNumber(key, 0);
    else if (method == "requiredBool"_L1)
        reader.requiredBool(key);
    else if (method == "optionalBool"_L1)
        reader.optionalBool(key, false);
    else if (method == "requiredObject"_L1)
        reader.requiredObject(key);
    else if (method == "optionalObject"_L1)
        reader.optionalObject(key);
    else if (method == "optionalArray"_L1)
        reader.optionalArray(key);
    else if (method == "optionalStringList"_L1)
        reader.optionalStringList(key);
    else if (method == "optionalTimestamp"_L1)
        reader.optionalTimestamp(key);
    else
        QFAIL("unknown method in test data");

    QVERIFY(!reader.ok());
    QCOMPARE(reader.error().code, code);
    QCOMPARE(reader.error().message, message);
    QVERIFY(reader.error().field.startsWith(u"p.k"_s));
}

void TestJsonReader::goodValues()
{
    JsonReader reader(parse(
        R"({"s":"abc","i":7,"big":9007199254740993,"d":2.5,"b":false,"o":{"x":1},"a":[1],"l":["x","y"],
            "t":"2025-12-04T10:00:00Z","i64":-9000000000000000000})"_ba));
    QCOMPARE(reader.requiredString(u"s"_s), u"abc"_s);
    QCOMPARE(reader.optionalString(u"missing"_s, u"fallback"_s), u"fallback"_s);
    QCOMPARE(reader.requiredInt(u"i"_s, 0, 10), 7);
    QCOMPARE(reader.optionalInt(u"missing"_s, 3, 0, 10), 3);
    QCOMPARE(reader.requiredInt(u"big"_s, 0, std::numeric_limits<qint64>::max() / 2), 9007199254740993LL);
    QCOMPARE(reader.optionalInt(u"i64"_s, 0, -9100000000000000000LL, 0), -9000000000000000000LL);
    QCOMPARE(reader.optionalNumber(u"d"_s, 0), 2.5);
    QCOMPARE(reader.optionalNumber(u"i"_s, 0), 7.0);
    QCOMPARE(reader.requiredBool(u"b"_s), false);
    QCOMPARE(reader.optionalBool(u"missing"_s, true), true);
    QCOMPARE(reader.requiredObject(u"o"_s).value(u"x"_s).toInt(), 1);
    QCOMPARE(reader.optionalArray(u"a"_s).size(), 1);
    QCOMPARE(reader.optionalStringList(u"l"_s), (QStringList{u"x"_s, u"y"_s}));
    QCOMPARE(reader.optionalTimestamp(u"t"_s), QDateTime(QDate(2025, 12, 4), QTime(10, 0), Qt::UTC));
    QVERIFY(!reader.optionalTimestamp(u"missing"_s).isValid());
    QVERIFY(reader.has(u"s"_s));
    QVERIFY(!reader.has(u"missing"_s));
    QVERIFY(reader.ok());
}

void TestJsonReader::nullCountsAsAbsent()
{
    JsonReader reader(parse(R"({"s":null,"o":null,"l":null,"i":null})"_ba));
    QCOMPARE(reader.optionalString(u"s"_s, u"d"_s), u"d"_s);
    QVERIFY(reader.optionalObject(u"o"_s).isEmpty());
    QVERIFY(reader.optionalStringList(u"l"_s).isEmpty());
    QCOMPARE(reader.optionalInt(u"i"_s, 4, 0, 10), 4);
    QVERIFY(!reader.has(u"s"_s));
    QVERIFY(reader.ok());
}

void TestJsonReader::firstErrorWins()
{
    JsonReader reader(parse(R"({"b":1})"_ba));
    reader.requiredString(u"a"_s);
    reader.requiredString(u"b"_s);
    QVERIFY(!reader.ok());
    QCOMPARE(reader.error().field, u"a"_s);
    QCOMPARE(reader.error().code, ErrorCode::MissingField);
    // Later reads are no-ops returning the fallback.
    QCOMPARE(reader.optionalString(u"b"_s, u"f"_s), u"f"_s);
}

void TestJsonReader::nonFiniteNumbersAreRejected()
{
    // Not reachable from JSON text, but objects built in code must not slip through either.
    const QJsonObject object{{u"nan"_s, std::numeric_limits<double>::quiet_NaN()},
                             {u"inf"_s, std::numeric_limits<double>::infinity()}};
    for (const QString &key : {u"nan"_s, u"inf"_s}) {
        JsonReader ints(object);
        ints.requiredInt(key, 0, 10);
        QVERIFY(!ints.ok());
        QCOMPARE(ints.error().field, key);
        JsonReader numbers(object);
        numbers.optionalNumber(key, 0);
        if (!numbers.ok())
            QCOMPARE(numbers.error().code, ErrorCode::InvalidValue);
    }
}

void TestJsonReader::stringListLimits()
{
    JsonReader tooMany(parse(R"({"k":["a","b","c"]})"_ba), u"payload"_s);
    tooMany.optionalStringList(u"k"_s, 2, 10);
    QVERIFY(!tooMany.ok());
    QCOMPARE(tooMany.error().code, ErrorCode::InvalidValue);
    QCOMPARE(tooMany.error().message, u"payload.k: must have at most 2 items"_s);

    JsonReader tooLong(parse(R"({"k":["a","bcd"]})"_ba), u"payload"_s);
    tooLong.optionalStringList(u"k"_s, 2, 2);
    QVERIFY(!tooLong.ok());
    QCOMPARE(tooLong.error().field, u"payload.k[1]"_s);
}

void TestJsonReader::pathOfNests()
{
    QCOMPARE(JsonReader(QJsonObject()).pathOf(u"type"_s), u"type"_s);
    QCOMPARE(JsonReader(QJsonObject(), u"payload"_s).pathOf(u"commandId"_s), u"payload.commandId"_s);
    QCOMPARE(JsonReader(QJsonObject(), u"payload.capacity"_s).pathOf(u"cpu"_s), u"payload.capacity.cpu"_s);
    QCOMPARE(JsonReader(QJsonObject(), u"payload"_s).pathOf(QString()), u"payload"_s);
}

void TestJsonReader::callerFailuresArePrefixed()
{
    JsonReader reader(QJsonObject(), u"payload"_s);
    reader.fail(ErrorCode::InvalidValue, u"state"_s, u"unknown session state \"x\""_s);
    QCOMPARE(reader.error().field, u"payload.state"_s);
    QCOMPARE(reader.error().message, u"payload.state: unknown session state \"x\""_s);
    reader.fail(ErrorCode::Internal, u"other"_s, u"ignored"_s);
    QCOMPARE(reader.error().code, ErrorCode::InvalidValue);
}

QTEST_GUILESS_MAIN(TestJsonReader)
#include "tst_jsonreader.moc"
