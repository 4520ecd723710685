// AgentTableModel: rows by agent id, updated in place (no remove/insert for an update), merged
// on reconnect so that views keep their selection, relative heartbeat times.
#include "AgentTableModel.h"
#include "ConsoleIcons.h"
#include "ConsoleTestKit.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::console;
using namespace switchboard::console::test;
using namespace switchboard::protocol;

namespace {
// One step of an update sequence: "+id" insert/update online, "~id" update to draining,
// "-id" remove, "=a,b" snapshot (reset on reconnect) with exactly these agents.
void apply(AgentTableModel &model, const QString &step)
{
    const QString arg = step.mid(1);
    switch (step.at(0).toLatin1()) {
    case '+':
        model.upsert(sampleAgent(arg));
        break;
    case '~':
        model.upsert(sampleAgent(arg, u"acme"_s, AgentStatus::Draining));
        break;
    case '-':
        model.remove(arg);
        break;
    case '=': {
        QList<AgentInfo> agents;
        for (const QString &id : arg.split(u',', Qt::SkipEmptyParts))
            agents.append(sampleAgent(id));
        model.setAgents(agents);
        break;
    }
    }
}
} // namespace

class TestAgentTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sequences_data()
    {
        QTest::addColumn<QStringList>("steps");
        QTest::addColumn<QStringList>("expectedIds");
        QTest::addColumn<int>("expectedInserts");
        QTest::addColumn<int>("expectedRemoves");

        QTest::newRow("insert") << QStringList{u"+a"_s, u"+b"_s} << QStringList{u"a"_s, u"b"_s} << 2 << 0;
        QTest::newRow("update in place")
            << QStringList{u"+a"_s, u"~a"_s, u"+a"_s} << QStringList{u"a"_s} << 1 << 0;
        QTest::newRow("remove") << QStringList{u"+a"_s, u"+b"_s, u"-a"_s} << QStringList{u"b"_s} << 2 << 1;
        QTest::newRow("remove unknown is a no-op")
            << QStringList{u"+a"_s, u"-zz"_s} << QStringList{u"a"_s} << 1 << 0;
        QTest::newRow("reset on reconnect keeps survivors")
            << QStringList{u"+a"_s, u"+b"_s, u"+c"_s, u"=b,d"_s} << QStringList{u"b"_s, u"d"_s} << 4 << 2;
        QTest::newRow("reset to empty") << QStringList{u"+a"_s, u"=,"_s} << QStringList{} << 1 << 1;
    }

    void sequences()
    {
        QFETCH(QStringList, steps);
        QFETCH(QStringList, expectedIds);
        QFETCH(int, expectedInserts);
        QFETCH(int, expectedRemoves);

        AgentTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        for (const QString &step : steps)
            apply(model, step);
        QCOMPARE(model.agentIds(), expectedIds);
        QCOMPARE(inserted.count(), expectedInserts);
        QCOMPARE(removed.count(), expectedRemoves);
        QCOMPARE(reset.count(), 0); // never a reset: views keep selection and scroll position
    }

    void updateEmitsWholeRowOnly()
    {
        AgentTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.upsert(sampleAgent(u"a"_s));
        model.upsert(sampleAgent(u"b"_s));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.upsert(sampleAgent(u"b"_s, u"acme"_s, AgentStatus::Stale));
        QCOMPARE(changed.count(), 1);
        const auto topLeft = changed.first().at(0).value<QModelIndex>();
        const auto bottomRight = changed.first().at(1).value<QModelIndex>();
        QCOMPARE(topLeft, model.index(1, 0));
        QCOMPARE(bottomRight, model.index(1, AgentTableModel::ColumnCount - 1)); // not one past
        QCOMPARE(model.index(1, AgentTableModel::Status).data().toString(),
                 displayStatusText(AgentDisplayStatus::Stale));
    }

    void displayedColumns_data()
    {
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("expected");
        QTest::newRow("id") << int(AgentTableModel::AgentId) << u"k8s-1"_s;
        QTest::newRow("org") << int(AgentTableModel::Org) << u"acme"_s;
        QTest::newRow("platform") << int(AgentTableModel::Platform) << u"docker"_s;
        QTest::newRow("region") << int(AgentTableModel::Region) << u"eu-west-1"_s;
        QTest::newRow("heartbeat") << int(AgentTableModel::LastHeartbeat) << u"12 s ago"_s;
        QTest::newRow("sessions") << int(AgentTableModel::Sessions) << u"3 / 10"_s;
        QTest::newRow("replica") << int(AgentTableModel::Replica) << u"sb-0"_s;
    }

    void displayedColumns()
    {
        QFETCH(int, column);
        QFETCH(QString, expected);
        AgentTableModel model;
        AgentInfo agent = sampleAgent(u"k8s-1"_s);
        agent.activeSessions = 3;
        model.setClock([agent] { return agent.lastHeartbeat.addSecs(12); });
        model.upsert(agent);
        QCOMPARE(model.index(0, column).data().toString(), expected);
    }

    void pendingApprovalWinsOverLiveness()
    {
        AgentTableModel model;
        model.upsert(sampleAgent(u"p"_s, u"acme"_s, AgentStatus::Offline, ApprovalStatus::Pending));
        QCOMPARE(model.index(0, AgentTableModel::Status).data(AgentTableModel::DisplayStatusRole).toInt(),
                 int(AgentDisplayStatus::Pending));
        QVERIFY(!model.index(0, AgentTableModel::Status).data(Qt::DecorationRole).value<QIcon>().isNull());
        QCOMPARE(model.connectedCount(), 0);
    }

    void tickRefreshesOnlyTheHeartbeatColumn()
    {
        AgentTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QDateTime now = QDateTime(QDate(2025, 12, 4), QTime(10, 0, 5), Qt::UTC);
        model.setClock([&now] { return now; });
        model.upsert(sampleAgent(u"a"_s));
        model.upsert(sampleAgent(u"b"_s));
        QCOMPARE(model.index(0, AgentTableModel::LastHeartbeat).data().toString(), u"5 s ago"_s);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        now = now.addSecs(120);
        model.tick();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().at(0).value<QModelIndex>(), model.index(0, AgentTableModel::LastHeartbeat));
        QCOMPARE(changed.first().at(1).value<QModelIndex>(), model.index(1, AgentTableModel::LastHeartbeat));
        QCOMPARE(model.index(0, AgentTableModel::LastHeartbeat).data().toString(), u"2 min ago"_s);
    }
};

QTEST_MAIN(TestAgentTableModel)
#include "tst_agenttablemodel.moc"
