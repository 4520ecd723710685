// EventLogModel and its filter: append in order, cap with a dropped counter, pause/resume without
// loss, filters by category/org/text, JSON-lines export of what is shown.
#include "ConsoleTestKit.h"
#include "EventLogModel.h"

#include <QAbstractItemModelTester>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::console;
using namespace switchboard::console::test;
using namespace switchboard::protocol;

namespace {
browser::SessionEvent stateChange(const QString &sessionId, const QString &orgId, const QString &to)
{
    return sampleEvent(browser::EventType::StateChanged, sessionId, orgId, u"alice"_s,
                       QJsonObject{{"oldState"_L1, u"pending"_s}, {"newState"_L1, to}});
}
QStringList summaries(const QAbstractItemModel &model)
{
    QStringList out;
    for (int row = 0; row < model.rowCount(); ++row)
        out.append(model.index(row, EventLogModel::Summary).data().toString());
    return out;
}
} // namespace

class TestEventLogModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void capDropsOldest_data()
    {
        QTest::addColumn<int>("capacity");
        QTest::addColumn<int>("appended");
        QTest::addColumn<int>("expectedRows");
        QTest::addColumn<int>("expectedDropped");
        QTest::newRow("under the cap") << 5 << 3 << 3 << 0;
        QTest::newRow("at the cap") << 5 << 5 << 5 << 0;
        QTest::newRow("over the cap") << 5 << 12 << 5 << 7;
        QTest::newRow("cap of one") << 1 << 4 << 1 << 3;
    }

    void capDropsOldest()
    {
        QFETCH(int, capacity);
        QFETCH(int, appended);
        QFETCH(int, expectedRows);
        QFETCH(int, expectedDropped);
        EventLogModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setCapacity(capacity);
        for (int i = 0; i < appended; ++i)
            model.appendNotice(u"n%1"_s.arg(i));
        QCOMPARE(model.rowCount(), expectedRows);
        QCOMPARE(model.droppedCount(), qint64(expectedDropped));
        // The newest are kept, in order.
        QCOMPARE(model.index(expectedRows - 1, EventLogModel::Summary).data().toString(),
                 u"n%1"_s.arg(appended - 1));
        QCOMPARE(model.index(0, EventLogModel::Summary).data().toString(),
                 u"n%1"_s.arg(appended - expectedRows));
    }

    void lowerCapacityTrims()
    {
        EventLogModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (int i = 0; i < 10; ++i)
            model.appendNotice(u"n%1"_s.arg(i));
        model.setCapacity(4);
        QCOMPARE(summaries(model), (QStringList{u"n6"_s, u"n7"_s, u"n8"_s, u"n9"_s}));
        QCOMPARE(model.droppedCount(), 6);
    }

    void pauseHoldsAndResumeAppendsInOrder()
    {
        EventLogModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.appendNotice(u"before"_s);
        model.setPaused(true);
        model.appendNotice(u"while 1"_s);
        model.appendNotice(u"while 2"_s);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.heldCount(), 2);
        model.setPaused(false);
        QCOMPARE(summaries(model), (QStringList{u"before"_s, u"while 1"_s, u"while 2"_s}));
        QCOMPARE(model.heldCount(), 0);
        QCOMPARE(model.droppedCount(), 0);
    }

    void pausedQueueIsCappedToo()
    {
        EventLogModel model;
        model.setCapacity(3);
        model.setPaused(true);
        for (int i = 0; i < 5; ++i)
            model.appendNotice(u"n%1"_s.arg(i));
        QCOMPARE(model.heldCount(), 3);
        model.setPaused(false);
        QCOMPARE(summaries(model), (QStringList{u"n2"_s, u"n3"_s, u"n4"_s}));
        QCOMPARE(model.droppedCount(), 2);
    }

    void summariesOfEachSource()
    {
        EventLogModel model;
        model.appendSessionEvent(stateChange(u"s1"_s, u"acme"_s, u"running"_s));
        model.appendAgentChange(nullptr, sampleAgent(u"k8s-1"_s));
        const AgentInfo before = sampleAgent(u"k8s-1"_s);
        model.appendAgentChange(&before, sampleAgent(u"k8s-1"_s)); // heartbeat only: not logged
        model.appendAgentChange(&before, sampleAgent(u"k8s-1"_s, u"acme"_s, AgentStatus::Stale));
        model.appendCommand(sampleCommand(u"cmd-1"_s, CommandStatus::Completed));
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.index(0, EventLogModel::Type).data().toString(), u"session.state.changed"_s);
        QVERIFY(model.index(0, EventLogModel::Summary).data().toString().contains(u"pending → running"_s));
        QCOMPARE(model.index(0, EventLogModel::Org).data().toString(), u"acme"_s);
        QVERIFY(model.index(2, EventLogModel::Summary).data().toString().contains(u"Online → Stale"_s));
        QCOMPARE(model.index(3, EventLogModel::Type).data().toString(), u"command.updated"_s);
    }

    void filter_data()
    {
        QTest::addColumn<int>("category"); // -1 = all
        QTest::addColumn<QString>("org");
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("expected");
        QTest::newRow("everything") << -1 << QString() << QString() << 5;
        QTest::newRow("sessions only") << int(EventEntry::Category::Session) << QString() << QString() << 3;
        QTest::newRow("org globex") << -1 << u"globex"_s << QString() << 2;
        QTest::newRow("text running") << -1 << QString() << u"RUNNING"_s << 2;
        QTest::newRow("sessions of acme with text s2")
            << int(EventEntry::Category::Session) << u"acme"_s << u"s2"_s << 1;
        QTest::newRow("commands") << int(EventEntry::Category::Command) << QString() << QString() << 1;
        QTest::newRow("no match") << -1 << QString() << u"nothing-like-this"_s << 0;
    }

    void filter()
    {
        QFETCH(int, category);
        QFETCH(QString, org);
        QFETCH(QString, text);
        QFETCH(int, expected);
        EventLogModel model;
        EventFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.appendSessionEvent(stateChange(u"s1"_s, u"acme"_s, u"running"_s));
        model.appendSessionEvent(stateChange(u"s2"_s, u"acme"_s, u"hibernated"_s));
        model.appendSessionEvent(stateChange(u"s3"_s, u"globex"_s, u"running"_s));
        model.appendCommand(sampleCommand(u"cmd-1"_s, CommandStatus::Sent));
        model.appendAgentChange(nullptr, sampleAgent(u"g-1"_s, u"globex"_s));
        proxy.setCategory(category < 0 ? std::nullopt : std::optional(EventEntry::Category(category)));
        proxy.setOrg(org);
        proxy.setText(text);
        QCOMPARE(proxy.rowCount(), expected);
        // Rows arriving later obey the filter as well.
        model.appendSessionEvent(stateChange(u"s9"_s, u"initech"_s, u"failed"_s));
        QCOMPARE(proxy.rowCount(), expected + (category <= 0 && org.isEmpty() && text.isEmpty() ? 1 : 0));
    }

    void exportShownAsJsonLines()
    {
        EventLogModel model;
        EventFilterProxy proxy;
        proxy.setSourceModel(&model);
        model.appendSessionEvent(stateChange(u"s1"_s, u"acme"_s, u"running"_s));
        model.appendSessionEvent(stateChange(u"s2"_s, u"globex"_s, u"running"_s));
        model.appendNotice(u"Connected"_s);
        proxy.setOrg(u"acme"_s);
        const QList<QByteArray> lines = proxy.exportJsonLines().split('\n');
        QCOMPARE(lines.size(), 2); // one line and the final newline
        QVERIFY(lines.last().isEmpty());
        const QJsonObject line = QJsonDocument::fromJson(lines.first()).object();
        QCOMPARE(line.value("type"_L1).toString(), u"session.state.changed"_s);
        QCOMPARE(line.value("orgId"_L1).toString(), u"acme"_s);
        QCOMPARE(line.value("category"_L1).toString(), u"session"_s);
        QCOMPARE(line.value("data"_L1).toObject().value("sessionId"_L1).toString(), u"s1"_s);
        QCOMPARE(line.value("time"_L1).toString(), u"2025-12-04T10:00:00.000Z"_s);
    }
};

QTEST_MAIN(TestEventLogModel)
#include "tst_eventlogmodel.moc"
