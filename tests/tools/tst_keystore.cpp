// KeyStore: the "agentId apiKey" file format, and keys stored with mode 0600.
#include "agent/KeyStore.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::agentsim;

class TestKeyStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parses_data();
    void parses();
    void appendCreatesOwnerOnlyFile();
    void appendTightensExistingFile();
    void loadMissingFile();
};

void TestKeyStore::parses_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("count");
    QTest::addColumn<QString>("errorPart");
    QTest::newRow("empty") << QByteArray() << true << 0 << QString();
    QTest::newRow("two lines") << "sim-1 k1\nsim-2 k2\n"_ba << true << 2 << QString();
    QTest::newRow("tabs, comments, blanks") << "# keys\n\n  sim-1\tk1  \r\n"_ba << true << 1 << QString();
    QTest::newRow("later line wins") << "sim-1 old\nsim-1 new\n"_ba << true << 1 << QString();
    QTest::newRow("missing key") << "sim-1 k1\nsim-2\n"_ba << false << 0 << u"line 2"_s;
    QTest::newRow("three words") << "sim-1 k1 extra\n"_ba << false << 0 << u"line 1"_s;
    QTest::newRow("bad agent id") << "s! k1\n"_ba << false << 0 << u"line 1"_s;
}

void TestKeyStore::parses()
{
    QFETCH(QByteArray, content);
    QFETCH(bool, ok);
    QFETCH(int, count);
    QFETCH(QString, errorPart);
    const auto parsed = KeyStore::parse(content);
    QCOMPARE(parsed.ok(), ok);
    if (ok)
        QCOMPARE(parsed.value().size(), count);
    else
        QVERIFY2(parsed.error().message.contains(errorPart), qPrintable(parsed.error().message));
    if (QLatin1StringView(QTest::currentDataTag()) == "later line wins"_L1)
        QCOMPARE(parsed.value().value(u"sim-1"_s), u"new"_s);
}

void TestKeyStore::appendCreatesOwnerOnlyFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"keys"_s);
    QVERIFY(KeyStore::append(path, u"sim-1"_s, u"key-one"_s).ok());
    QVERIFY(KeyStore::append(path, u"sim-2"_s, u"key-two"_s).ok());
    const auto permissions = QFile::permissions(path);
    QVERIFY(permissions & QFileDevice::ReadOwner);
    QVERIFY(permissions & QFileDevice::WriteOwner);
    QVERIFY(!(permissions & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup |
                             QFileDevice::WriteOther)));
    const auto loaded = KeyStore::load(path);
    QVERIFY(loaded.ok());
    QCOMPARE(loaded.value().value(u"sim-1"_s), u"key-one"_s);
    QCOMPARE(loaded.value().value(u"sim-2"_s), u"key-two"_s);
    QVERIFY(!KeyStore::append(path, u"bad id!"_s, u"key"_s).ok());
}

void TestKeyStore::appendTightensExistingFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"keys"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther));
    QVERIFY(KeyStore::append(path, u"sim-1"_s, u"key-one"_s).ok());
    QVERIFY(!(QFile::permissions(path) & QFileDevice::ReadOther));
}

void TestKeyStore::loadMissingFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"absent"_s);
    QVERIFY(KeyStore::load(path, true).ok());
    QVERIFY(KeyStore::load(path, true).value().isEmpty());
    const auto missing = KeyStore::load(path, false);
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().message.contains(path));
}

QTEST_GUILESS_MAIN(TestKeyStore)
#include "tst_keystore.moc"
