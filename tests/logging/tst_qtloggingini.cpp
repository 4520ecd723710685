// resources/qtlogging.ini documents every logging category of the server (and only those), and
// its rules mean what it says: Qt's categories warn only, Switchboard's log from info up.
#include <QDirIterator>
#include <QFile>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace Qt::StringLiterals;

class TestQtLoggingIni : public QObject
{
    Q_OBJECT

private:
    static QString readFile(const QString &path)
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        return QString::fromUtf8(file.readAll());
    }
    static QString ini()
    {
        return readFile(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/resources/qtlogging.ini"_s);
    }

private Q_SLOTS:
    void everyServerCategoryIsDocumented()
    {
        QSet<QString> defined;
        static const QRegularExpression category(u"Q_LOGGING_CATEGORY\\(\\w+,\\s*\"([a-z.]+)\""_s);
        QDirIterator files(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/server"_s, {u"*.cpp"_s}, QDir::Files,
                           QDirIterator::Subdirectories);
        while (files.hasNext()) {
            auto matches = category.globalMatch(readFile(files.next()));
            while (matches.hasNext())
                defined.insert(matches.next().captured(1));
        }
        QVERIFY(defined.size() > 15);

        QSet<QString> documented;
        static const QRegularExpression line(uR"re(^; (switchboard\.[a-z.]+)\.debug=true\s)re"_s,
                                             QRegularExpression::MultilineOption);
        auto matches = line.globalMatch(ini());
        while (matches.hasNext())
            documented.insert(matches.next().captured(1));
        for (const QString &name : std::as_const(defined))
            QVERIFY2(documented.contains(name), qPrintable(name + u" is not in resources/qtlogging.ini"_s));
        for (const QString &name : std::as_const(documented))
            QVERIFY2(defined.contains(name), qPrintable(name + u" is no category of the server"_s));
    }

    void rulesApply()
    {
        const QString text = ini();
        const qsizetype rules = text.indexOf(u"[Rules]"_s);
        QVERIFY(rules >= 0);
        QLoggingCategory::setFilterRules(text.mid(rules + 7));
        QLoggingCategory hub("switchboard.hub");
        QVERIFY(!hub.isDebugEnabled());
        QVERIFY(hub.isInfoEnabled());
        QVERIFY(hub.isWarningEnabled());
        QLoggingCategory ssl("qt.network.ssl");
        QVERIFY(!ssl.isDebugEnabled());
        QVERIFY(!ssl.isInfoEnabled());
        QVERIFY(ssl.isWarningEnabled());
        QLoggingCategory::setFilterRules({});
    }
};

QTEST_GUILESS_MAIN(TestQtLoggingIni)
#include "tst_qtloggingini.moc"
