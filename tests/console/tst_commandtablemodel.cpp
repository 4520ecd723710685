// CommandTableModel: newest first, progress updated in place, never backwards, capped.
#include "CommandTableModel.h"
#include "ConsoleIcons.h"
#include "ConsoleTestKit.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::console;
using namespace switchboard::console::test;
using namespace switchboard::protocol;

Q_DECLARE_METATYPE(CommandStatus)

class TestCommandTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void progress_data()
    {
        QTest::addColumn<QList<int>>("statuses"); // CommandStatus values applied in order to one command
        QTest::addColumn<int>("expected");
        const auto s = [](CommandStatus status) { return int(status); };
        QTest::newRow("happy path") << QList<int>{s(CommandStatus::Pending), s(CommandStatus::Sent),
                                                  s(CommandStatus::Ack), s(CommandStatus::Completed)}
                                    << s(CommandStatus::Completed);
        QTest::newRow("failure") << QList<int>{s(CommandStatus::Pending), s(CommandStatus::Sent),
                                               s(CommandStatus::Failed)}
                                 << s(CommandStatus::Failed);
        QTest::newRow("late sent after ack is ignored")
            << QList<int>{s(CommandStatus::Pending), s(CommandStatus::Ack), s(CommandStatus::Sent)}
            << s(CommandStatus::Ack);
        QTest::newRow("cancelled") << QList<int>{s(CommandStatus::Pending), s(CommandStatus::Cancelled)}
                                   << s(CommandStatus::Cancelled);
    }

    void progress()
    {
        QFETCH(QList<int>, statuses);
        QFETCH(int, expected);
        CommandTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        for (int status : statuses)
            model.upsert(sampleCommand(u"cmd-1"_s, CommandStatus(status)));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(model.index(0, CommandTableModel::Status).data(CommandTableModel::StatusRole).toInt(),
                 expected);
        QCOMPARE(model.index(0, CommandTableModel::Status).data().toString(),
                 commandStatusText(CommandStatus(expected)));
    }

    void newestFirstAndOutcome()
    {
        CommandTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.upsert(sampleCommand(u"cmd-1"_s, CommandStatus::Pending));
        CommandInfo failed = sampleCommand(u"cmd-2"_s, CommandStatus::Failed);
        failed.error = u"image pull failed"_s;
        model.upsert(failed);
        QCOMPARE(model.index(0, CommandTableModel::CommandId).data().toString(), u"cmd-2"_s);
        QCOMPARE(model.index(0, CommandTableModel::Outcome).data().toString(), u"image pull failed"_s);
        CommandInfo done = sampleCommand(u"cmd-1"_s, CommandStatus::Completed);
        done.result = QJsonObject{{"podName"_L1, u"pod-1"_s}};
        model.upsert(done);
        QCOMPARE(model.index(1, CommandTableModel::Outcome).data().toString(), u"{\"podName\":\"pod-1\"}"_s);
    }

    void snapshotMergesAndCapacityDropsOldestFinished()
    {
        CommandTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setCommands(QList<CommandInfo>{sampleCommand(u"c3"_s, CommandStatus::Pending),
                                             sampleCommand(u"c2"_s, CommandStatus::Completed),
                                             sampleCommand(u"c1"_s, CommandStatus::Pending)});
        QCOMPARE(model.rowCount(), 3);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setCommands(QList<CommandInfo>{sampleCommand(u"c3"_s, CommandStatus::Sent),
                                             sampleCommand(u"c2"_s, CommandStatus::Completed)});
        QCOMPARE(reset.count(), 0);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.rowOf(u"c1"_s), -1);
        model.setCapacity(1);
        // c2 is finished and goes first although c3 is newer.
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0, CommandTableModel::CommandId).data().toString(), u"c3"_s);
    }
};

QTEST_MAIN(TestCommandTableModel)
#include "tst_commandtablemodel.moc"
