// The German and French translations: every message of the console is translated and finished,
// the .qm files are embedded, and loading a locale really changes the visible text.
#include "ConsoleIcons.h"
#include "ConsoleTranslations.h"
#include "EventLogModel.h"

#include <QFile>
#include <QTest>
#include <QTranslator>
#include <QXmlStreamReader>

using namespace Qt::StringLiterals;
using namespace switchboard::console;

class TestConsoleTranslations : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyMessageTranslated_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("de") << u"switchboard_de.ts"_s;
        QTest::newRow("fr") << u"switchboard_fr.ts"_s;
    }

    void everyMessageTranslated()
    {
        QFETCH(QString, file);
        QFile ts(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/translations/"_s + file);
        QVERIFY(ts.open(QIODevice::ReadOnly));
        QXmlStreamReader xml(&ts);
        int messages = 0;
        QString source;
        while (!xml.atEnd()) {
            xml.readNext();
            if (!xml.isStartElement())
                continue;
            if (xml.name() == "source"_L1) {
                source = xml.readElementText();
                ++messages;
            } else if (xml.name() == "translation"_L1) {
                const QString type = xml.attributes().value("type"_L1).toString();
                QVERIFY2(type.isEmpty(), qPrintable(u"not finished (%1): %2"_s.arg(type, source)));
                const QString text = xml.readElementText(QXmlStreamReader::IncludeChildElements);
                QVERIFY2(!text.trimmed().isEmpty(), qPrintable(u"untranslated: "_s + source));
            }
        }
        QVERIFY(!xml.hasError());
        QVERIFY2(messages > 150, qPrintable(QString::number(messages)));
    }

    void localeChangesVisibleText_data()
    {
        QTest::addColumn<QString>("locale");
        QTest::addColumn<QString>("pendingApproval");
        QTest::addColumn<QString>("connection");
        QTest::newRow("de") << u"de_DE"_s << u"Freigabe ausstehend"_s << u"Verbindung"_s;
        QTest::newRow("fr") << u"fr_FR"_s << u"En attente d’approbation"_s << u"Connexion"_s;
    }

    void localeChangesVisibleText()
    {
        QFETCH(QString, locale);
        QFETCH(QString, pendingApproval);
        QFETCH(QString, connection);
        QTranslator translator;
        initConsoleResources();
        QVERIFY(translator.load(QLocale(locale), u"switchboard"_s, u"_"_s, u":/i18n"_s));
        QCoreApplication::installTranslator(&translator);
        QCOMPARE(displayStatusText(AgentDisplayStatus::Pending), pendingApproval);
        QCOMPARE(EventLogModel::categoryName(EventEntry::Category::Connection), connection);
        QCoreApplication::removeTranslator(&translator);
        QCOMPARE(displayStatusText(AgentDisplayStatus::Pending), u"Pending approval"_s);
    }
};

QTEST_MAIN(TestConsoleTranslations)
#include "tst_consoletranslations.moc"
