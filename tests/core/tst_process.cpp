// switchboard-server as a user runs it: admin subcommands on a database, serving, and a graceful
// SIGTERM that closes every socket with 1001, leaves agents offline in the database and exits 0.
#include "ProgramTestSupport.h"
#include "TestClients.h"
#include "TestTimeouts.h"

#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace switchboard::test;

class TestProcess : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QStringList common() const
    {
        return {u"--database"_s, u"sqlite:///"_s + m_dir.filePath(u"sb.db"_s), u"--data-dir"_s, m_dir.path()};
    }

    struct Run
    {
        int exitCode = -1;
        QString out;
        QString err;
    };
    Run run(const QStringList &arguments)
    {
        QProcess process;
        process.start(QStringLiteral(SWITCHBOARD_SERVER_BINARY), arguments);
        if (!process.waitForFinished(20000))
            return {};
        return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
                QString::fromUtf8(process.readAllStandardError())};
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void adminCommands()
    {
        Run added = run(QStringList{u"agent"_s, u"add"_s, u"--id"_s, u"k8s-prod-1"_s, u"--org"_s, u"acme"_s,
                                    u"--platform"_s, u"kubernetes"_s, u"--region"_s, u"eu-west-1"_s} +
                        common());
        QCOMPARE(added.exitCode, 0);
        const QRegularExpressionMatch key =
            QRegularExpression(u"^([0-9a-f]{64})$"_s, QRegularExpression::MultilineOption).match(added.out);
        QVERIFY2(key.hasMatch(), qPrintable(added.out));

        Run again = run(QStringList{u"agent"_s, u"add"_s, u"--id"_s, u"k8s-prod-1"_s, u"--org"_s, u"acme"_s,
                                    u"--platform"_s, u"kubernetes"_s} +
                        common());
        QCOMPARE(again.exitCode, 1);
        QVERIFY(!again.err.isEmpty());

        Run listed = run(QStringList{u"agent"_s, u"list"_s} + common());
        QCOMPARE(listed.exitCode, 0);
        QVERIFY(listed.out.contains(u"k8s-prod-1"_s));
        QVERIFY(listed.out.contains(u"kubernetes"_s));
        QVERIFY(!listed.out.contains(key.captured(1))); // the key is never shown again

        Run token = run(QStringList{u"token"_s, u"issue"_s, u"--user"_s, u"admin"_s, u"--org"_s, u"acme"_s,
                                    u"--role"_s, u"admin"_s, u"--ttl"_s, u"8h"_s} +
                        common());
        QCOMPARE(token.exitCode, 0);
        QVERIFY(QRegularExpression(u"^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"_s)
                    .match(token.out.trimmed())
                    .hasMatch());

        Run badRole = run(QStringList{u"token"_s, u"issue"_s, u"--user"_s, u"u"_s, u"--org"_s, u"acme"_s,
                                      u"--role"_s, u"superuser"_s} +
                          common());
        QVERIFY(badRole.exitCode != 0);

        Run removed = run(QStringList{u"agent"_s, u"remove"_s, u"--id"_s, u"k8s-prod-1"_s} + common());
        QCOMPARE(removed.exitCode, 0);
        Run removedAgain = run(QStringList{u"agent"_s, u"remove"_s, u"--id"_s, u"k8s-prod-1"_s} + common());
        QCOMPARE(removedAgain.exitCode, 1);
    }

    void badOptionsFailClearly()
    {
        Run bad = run({u"--heartbeat-timeout"_s, u"soon"_s});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(u"--heartbeat-timeout"_s), qPrintable(bad.err));
    }

    void gracefulShutdown()
    {
        Run added = run(QStringList{u"agent"_s, u"add"_s, u"--id"_s, u"agent-term"_s, u"--org"_s, u"acme"_s,
                                    u"--platform"_s, u"docker"_s} +
                        common());
        QCOMPARE(added.exitCode, 0);
        const QByteArray apiKey =
            QRegularExpression(u"^([0-9a-f]{64})$"_s, QRegularExpression::MultilineOption)
                .match(added.out)
                .captured(1)
                .toLatin1();
        Run token = run(QStringList{u"token"_s, u"issue"_s, u"--user"_s, u"alice"_s, u"--org"_s, u"acme"_s,
                                    u"--role"_s, u"user"_s} +
                        common());

        const quint16 port = freePort();
        QProcess server;
        server.setProcessChannelMode(QProcess::MergedChannels);
        server.start(QStringLiteral(SWITCHBOARD_SERVER_BINARY),
                     QStringList{u"--listen"_s, u"127.0.0.1:%1"_s.arg(port)} + common());
        QVERIFY(server.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(server.readAll().contains("listening") ||
                                     server.state() != QProcess::Running ||
                                     rawHttp(port, httpRequest("GET", "/healthz"), 200).status == 200,
                                 scaledTimeout(10000));
        QCOMPARE(rawHttp(port, httpRequest("GET", "/healthz")).status, 200);

        TestAgent agent;
        QVERIFY(agent.connectTo(QUrl(u"ws://127.0.0.1:%1"_s.arg(port)), u"agent-term"_s, apiKey));
        agent.heartbeat();
        JsonSocket browser;
        QVERIFY(browser.open(
            QUrl(u"ws://127.0.0.1:%1/api/v1/ws/sessions?token=%2"_s.arg(port).arg(token.out.trimmed()))));
        QTRY_VERIFY(run(QStringList{u"agent"_s, u"list"_s} + common()).out.contains(u"online"_s));

        QElapsedTimer clock;
        clock.start();
        ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
        QVERIFY(agent.waitForDisconnect(5000));
        QVERIFY(browser.waitForDisconnect(5000));
        QCOMPARE(agent.closeCode(), 1001);
        QCOMPARE(browser.closeCode(), 1001);
        QVERIFY(server.waitForFinished(5000));
        QVERIFY2(clock.elapsed() < 5000, "shutdown took too long");
        QCOMPARE(server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(server.exitCode(), 0);

        const Run listed = run(QStringList{u"agent"_s, u"list"_s} + common());
        const QString row = listed.out.split(u'\n').filter(u"agent-term"_s).value(0);
        QVERIFY2(row.contains(u"offline"_s), qPrintable(listed.out));
    }
};

QTEST_GUILESS_MAIN(TestProcess)
#include "tst_process.moc"
