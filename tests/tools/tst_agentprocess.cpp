// The switchboard-agent program itself: SIGTERM/SIGINT drain and exit 0 within 2 s, usage errors
// exit 2, a refused registration exits 3.
#include "FakeAgentEndpoint.h"
#include "ProgramTestSupport.h"

#include <QProcess>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace switchboard;
using switchboard::test::agentBinary;
using switchboard::testing::CannedResponse;
using switchboard::testing::FakeAgentEndpoint;
namespace wire = switchboard::protocol::agent;

namespace {

const QString kKey = QString(64, u'e');

} // namespace

class TestAgentProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void signalDrainsAndExitsZero_data();
    void signalDrainsAndExitsZero();
    void usageErrorExitsTwo();
    void refusedRegistrationExitsThree();
};

void TestAgentProcess::initTestCase()
{
    if (agentBinary().isEmpty())
        QSKIP("switchboard-agent is not part of this build");
}

void TestAgentProcess::signalDrainsAndExitsZero_data()
{
    QTest::addColumn<int>("signalNumber");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void TestAgentProcess::signalDrainsAndExitsZero()
{
    QFETCH(int, signalNumber);
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    QProcess agent;
    agent.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    agent.start(agentBinary(), {u"--server"_s, fake.baseUrl().toString(), u"--agent-id"_s, u"proc-1"_s,
                                u"--api-key"_s, kKey, u"--heartbeat-interval"_s, u"5"_s, u"--quiet"_s});
    QVERIFY(agent.waitForStarted());
    QTRY_COMPARE_WITH_TIMEOUT(fake.connections, 1, 15000);
    QTRY_VERIFY(!fake.framesOf<wire::Heartbeat>().isEmpty());

    QElapsedTimer timer;
    timer.start();
    ::kill(pid_t(agent.processId()), signalNumber);
    QTRY_COMPARE_WITH_TIMEOUT(agent.state(), QProcess::NotRunning, 2500);
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(agent.exitStatus(), QProcess::NormalExit);
    QCOMPARE(agent.exitCode(), 0);
    QTRY_COMPARE(fake.closeCodes, QList<int>{1000});
    QCOMPARE(fake.framesOf<wire::Heartbeat>().constLast().status, wire::ReportedStatus::Draining);
}

void TestAgentProcess::usageErrorExitsTwo()
{
    QProcess agent;
    agent.start(agentBinary(), {u"--api-key"_s, kKey});
    QVERIFY(agent.waitForFinished(10000));
    QCOMPARE(agent.exitCode(), 2);
    QVERIFY(agent.readAllStandardError().contains("--agent-id"));
}

void TestAgentProcess::refusedRegistrationExitsThree()
{
    FakeAgentEndpoint fake;
    QVERIFY(fake.listen());
    fake.registerResponses = {CannedResponse{403, QJsonObject{{u"error"_s, u"Agent rejected"_s}}}};
    QProcess agent;
    agent.start(agentBinary(), {u"--server"_s, fake.baseUrl().toString(), u"--agent-id"_s, u"proc-2"_s,
                                u"--api-key"_s, kKey});
    QVERIFY(agent.waitForStarted());
    QTRY_COMPARE_WITH_TIMEOUT(agent.state(), QProcess::NotRunning, 15000);
    QCOMPARE(agent.exitCode(), 3);
    QVERIFY(agent.readAllStandardError().contains("403"));
    QVERIFY(fake.upgrades.isEmpty());
}

QTEST_GUILESS_MAIN(TestAgentProcess)
#include "tst_agentprocess.moc"
