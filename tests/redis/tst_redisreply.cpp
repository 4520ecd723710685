// RedisReply as a value: accessors, conversions and equality. Conversion from hiredis replies is
// covered by tst_redisclient against a real server.
#include "redis/RedisReply.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;

class TestRedisReply : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultIsNil();
    void typePredicates_data();
    void typePredicates();
    void toInteger_data();
    void toInteger();
    void toByteArray_data();
    void toByteArray();
    void errorMessage();
    void equality();
    void debugString();
};

void TestRedisReply::defaultIsNil()
{
    const RedisReply reply;
    QVERIFY(reply.isNil());
    QCOMPARE(reply, RedisReply::nil());
    QVERIFY(reply.elements().isEmpty());
    QVERIFY(reply.toByteArray().isNull());
}

void TestRedisReply::typePredicates_data()
{
    QTest::addColumn<RedisReply>("reply");
    QTest::addColumn<RedisReply::Type>("type");
    QTest::newRow("nil") << RedisReply::nil() << RedisReply::Type::Nil;
    QTest::newRow("status") << RedisReply::status("OK") << RedisReply::Type::Status;
    QTest::newRow("error") << RedisReply::error("ERR x") << RedisReply::Type::Error;
    QTest::newRow("integer") << RedisReply::integer(7) << RedisReply::Type::Integer;
    QTest::newRow("string") << RedisReply::string("s") << RedisReply::Type::String;
    QTest::newRow("array") << RedisReply::array({RedisReply::nil()}) << RedisReply::Type::Array;
}

void TestRedisReply::typePredicates()
{
    QFETCH(RedisReply, reply);
    QFETCH(RedisReply::Type, type);
    QCOMPARE(reply.type(), type);
    QCOMPARE(reply.isNil(), type == RedisReply::Type::Nil);
    QCOMPARE(reply.isStatus(), type == RedisReply::Type::Status);
    QCOMPARE(reply.isError(), type == RedisReply::Type::Error);
    QCOMPARE(reply.isInteger(), type == RedisReply::Type::Integer);
    QCOMPARE(reply.isString(), type == RedisReply::Type::String);
    QCOMPARE(reply.isArray(), type == RedisReply::Type::Array);
}

void TestRedisReply::toInteger_data()
{
    QTest::addColumn<RedisReply>("reply");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("value");
    QTest::newRow("integer") << RedisReply::integer(-42) << true << qint64(-42);
    QTest::newRow("max") << RedisReply::integer(std::numeric_limits<qint64>::max()) << true
                         << std::numeric_limits<qint64>::max();
    QTest::newRow("decimal string") << RedisReply::string("12345") << true << qint64(12345);
    QTest::newRow("negative string") << RedisReply::string("-9") << true << qint64(-9);
    QTest::newRow("status number") << RedisReply::status("3") << true << qint64(3);
    QTest::newRow("not a number") << RedisReply::string("12a") << false << qint64(0);
    QTest::newRow("blank around") << RedisReply::string(" 12") << false << qint64(0);
    QTest::newRow("empty string") << RedisReply::string("") << false << qint64(0);
    QTest::newRow("overflow") << RedisReply::string("99999999999999999999") << false << qint64(0);
    QTest::newRow("float") << RedisReply::string("1.5") << false << qint64(0);
    QTest::newRow("nil") << RedisReply::nil() << false << qint64(0);
    QTest::newRow("error") << RedisReply::error("12") << false << qint64(0);
    QTest::newRow("array") << RedisReply::array({RedisReply::integer(1)}) << false << qint64(0);
}

void TestRedisReply::toInteger()
{
    QFETCH(RedisReply, reply);
    QFETCH(bool, ok);
    QFETCH(qint64, value);
    bool parsed = !ok;
    QCOMPARE(reply.toInteger(&parsed), value);
    QCOMPARE(parsed, ok);
    QCOMPARE(reply.toInteger(), value);
}

void TestRedisReply::toByteArray_data()
{
    QTest::addColumn<RedisReply>("reply");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("string") << RedisReply::string(QByteArray("a\0b", 3)) << QByteArray("a\0b", 3);
    QTest::newRow("status") << RedisReply::status("PONG") << QByteArray("PONG");
    QTest::newRow("error") << RedisReply::error("timeout") << QByteArray("timeout");
    QTest::newRow("integer") << RedisReply::integer(-5) << QByteArray("-5");
    QTest::newRow("nil") << RedisReply::nil() << QByteArray();
    QTest::newRow("array") << RedisReply::array({RedisReply::string("x")}) << QByteArray();
}

void TestRedisReply::toByteArray()
{
    QFETCH(RedisReply, reply);
    QFETCH(QByteArray, bytes);
    QCOMPARE(reply.toByteArray(), bytes);
}

void TestRedisReply::errorMessage()
{
    QCOMPARE(RedisReply::error("ERR ✓ bad"_ba).errorMessage(), u"ERR ✓ bad"_s);
    QVERIFY(RedisReply::string("ERR").errorMessage().isEmpty());
    QVERIFY(RedisReply::status("OK").errorMessage().isEmpty());
}

void TestRedisReply::equality()
{
    QCOMPARE(RedisReply::string("1"), RedisReply::string("1"));
    QVERIFY(RedisReply::string("1") != RedisReply::status("1"));
    QVERIFY(RedisReply::string("1") != RedisReply::integer(1));
    QVERIFY(RedisReply::error("x") != RedisReply::status("x"));
    QVERIFY(RedisReply::nil() != RedisReply::string(""));
    QVERIFY(RedisReply::nil() != RedisReply::array({}));
    const auto nested = RedisReply::array({RedisReply::integer(1), RedisReply::array({RedisReply::nil()})});
    QCOMPARE(nested, RedisReply::array({RedisReply::integer(1), RedisReply::array({RedisReply::nil()})}));
    QVERIFY(nested != RedisReply::array({RedisReply::integer(1), RedisReply::array({})}));
    QCOMPARE(nested.elements().at(1).elements().size(), 1);
}

void TestRedisReply::debugString()
{
    const auto reply = RedisReply::array({RedisReply::status("OK"), RedisReply::integer(3), RedisReply::nil(),
                                          RedisReply::error("ERR x"), RedisReply::string("a b\r\n")});
    QCOMPARE(reply.toDebugString(), u"[OK, 3, nil, (error) ERR x, \"a b%0D%0A\"]"_s);
}

QTEST_GUILESS_MAIN(TestRedisReply)
#include "tst_redisreply.moc"
