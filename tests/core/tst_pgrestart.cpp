// PostgreSQL restarted under a running switchboard-server (a real process on a real PostgreSQL):
// nothing acknowledged to a client is lost, requests made while the database is away are
// answered (retried when it comes back within the storage's reconnect window, an error when it
// does not — never a silent success), /readyz reports the outage, and the server serves again
// by itself.
#include "PostgresProcess.h"
#include "ServerProcess.h"
#include "TestClients.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

#include <sys/prctl.h>

using namespace Qt::StringLiterals;
using namespace switchboard::test;

namespace {

constexpr int kLong = 30000; // anything that involves processes or waiting out the reconnect window

const QString kSecret = u"pgrestart-test-secret-0123456789abcdef0123456789"_s;

} // namespace

class TestPgRestart : public QObject
{
    Q_OBJECT

private:
    PostgresProcess m_postgres;
    QTemporaryDir m_dataDir;
    std::unique_ptr<QProcess> m_server;
    quint16 m_port = 0;
    QString m_adminToken;
    QByteArray m_apiKey;
    int m_nextRequest = 1;
    int m_nextEvent = 1;

    QStringList common() const { return {u"--database"_s, m_postgres.url(), u"--jwt-secret"_s, kSecret}; }

    QString runCli(const QStringList &arguments)
    {
        QTemporaryDir dataDir;
        return runServerCommand(arguments + common() + QStringList{u"--data-dir"_s, dataDir.path()});
    }

    QUrl ws(const QString &path, const QString &token) const
    {
        return QUrl(u"ws://127.0.0.1:%1%2?token=%3"_s.arg(m_port).arg(path, token));
    }

    QByteArray readiness(int *status = nullptr) const
    {
        const RawHttpResponse response = rawHttp(m_port, httpRequest("GET", "/readyz"), 5000);
        if (status)
            *status = response.status;
        return response.body;
    }
    bool ready() const
    {
        int status = 0;
        readiness(&status);
        return status == 200;
    }

    std::unique_ptr<JsonSocket> openAdmin()
    {
        auto admin = std::make_unique<JsonSocket>();
        if (!admin->open(ws(u"/api/v1/ws/admin"_s, m_adminToken), 10000))
            return nullptr;
        if (admin->waitForType(u"snapshot"_s, 15000).isEmpty())
            return nullptr;
        return admin;
    }

    // Sends command.send without waiting; the request id.
    QString sendCommand(JsonSocket &admin)
    {
        const QString requestId = u"r%1"_s.arg(m_nextRequest++);
        admin.send({{u"type"_s, u"command.send"_s},
                    {u"requestId"_s, requestId},
                    {u"agentId"_s, u"ag-1"_s},
                    {u"action"_s, u"stop_session"_s},
                    {u"payload"_s, QJsonObject{{u"sessionId"_s, requestId}}}});
        return requestId;
    }

    static QJsonObject answerTo(const JsonSocket &admin, const QString &requestId)
    {
        for (const QJsonObject &message : admin.received())
            if (message.value(u"requestId"_s).toString() == requestId)
                return message;
        return {};
    }

    // POST /api/v1/events for an external session of org acme; the HTTP status (202 = accepted).
    int publishEvent(const QString &sessionId)
    {
        const QByteArray body = QJsonDocument(QJsonObject{{u"type"_s, u"session.idle"_s},
                                                          {u"sessionId"_s, sessionId},
                                                          {u"userId"_s, u"alice"_s},
                                                          {u"orgId"_s, u"acme"_s},
                                                          {u"data"_s, QJsonObject{{u"idleDuration"_s, 1}}}})
                                    .toJson(QJsonDocument::Compact);
        return rawHttp(m_port,
                       httpRequest("POST", "/api/v1/events", body,
                                   {"Authorization: Bearer " + m_adminToken.toUtf8()}),
                       kLong)
            .status;
    }

    // The ids found by `sql` (one text column), read with the test's own connection.
    QStringList column(const QString &sql)
    {
        QStringList values;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, u"inspect"_s);
            db.setHostName(u"127.0.0.1"_s);
            db.setPort(m_postgres.port());
            db.setUserName(u"switchboard"_s);
            db.setDatabaseName(u"postgres"_s);
            if (!db.open()) {
                qWarning() << db.lastError().text();
            } else {
                QSqlQuery query(db);
                if (!query.exec(sql))
                    qWarning() << query.lastError().text();
                while (query.next())
                    values.append(query.value(0).toString());
            }
        }
        QSqlDatabase::removeDatabase(u"inspect"_s);
        return values;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (PostgresProcess::findBinaries().isEmpty())
            QSKIP("PostgreSQL server binaries not found (initdb, pg_ctl): this test needs a real "
                  "PostgreSQL; install postgresql or set SWITCHBOARD_PG_BINDIR");
        QVERIFY2(m_postgres.start(), qPrintable(m_postgres.errorString()));
        m_apiKey = agentKeyFrom(runCli(agentAddArguments(u"ag-1"_s)));
        QVERIFY(!m_apiKey.isEmpty());
        m_adminToken = runCli({u"token"_s, u"issue"_s, u"--user"_s, u"root"_s, u"--org"_s, u"acme"_s,
                               u"--role"_s, u"admin"_s})
                           .trimmed();
        QVERIFY(!m_adminToken.isEmpty());

        m_port = freePort();
        m_server = std::make_unique<QProcess>();
        m_server->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_server->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_server->start(QStringLiteral(SWITCHBOARD_SERVER_BINARY),
                        QStringList{u"--listen"_s, u"127.0.0.1:%1"_s.arg(m_port), u"--log-level"_s,
                                    u"warning"_s, u"--data-dir"_s, m_dataDir.path()} +
                            common());
        QVERIFY(m_server->waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(ready(), kLong);
    }

    void cleanupTestCase()
    {
        if (m_server && m_server->state() != QProcess::NotRunning) {
            m_server->terminate();
            if (!m_server->waitForFinished(10000))
                m_server->kill();
        }
        m_postgres.stop();
    }

    // Commands and events keep coming while PostgreSQL restarts: every request is answered; every
    // command acknowledged with a reply and every event accepted with 202 is in the database
    // afterwards, and the acknowledged commands reach the agent.
    void restartDuringTraffic()
    {
        TestAgent agent;
        QVERIFY(agent.connectTo(QUrl(u"ws://127.0.0.1:%1"_s.arg(m_port)), u"ag-1"_s, m_apiKey, 10000));
        agent.heartbeat();
        auto admin = openAdmin();
        QVERIFY(admin);

        QStringList requests;
        QStringList acceptedEvents;
        int refusedEvents = 0;
        auto traffic = [&](int rounds, bool events) {
            for (int i = 0; i < rounds; ++i) {
                requests.append(sendCommand(*admin));
                const QString sessionId = u"ext-%1"_s.arg(m_nextEvent++);
                if (events && publishEvent(sessionId) == 202)
                    acceptedEvents.append(sessionId);
                else if (events)
                    ++refusedEvents;
                QTest::qWait(30);
            }
        };
        traffic(10, true);
        QVERIFY2(m_postgres.halt(u"fast"_s), qPrintable(m_postgres.errorString()));
        // Commands sent now wait on the storage thread for the database (nothing blocks here).
        traffic(5, false);
        QVERIFY2(m_postgres.resume(), qPrintable(m_postgres.errorString()));
        traffic(10, true);

        // Every request gets an answer: a reply (stored) or an error (not stored) — none is lost.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QString &id : requests)
                    if (answerTo(*admin, id).isEmpty())
                        return false;
                return true;
            }(),
            kLong);
        QStringList acknowledged;
        for (const QString &id : requests) {
            const QJsonObject answer = answerTo(*admin, id);
            if (answer.value(u"type"_s).toString() == u"reply"_s)
                acknowledged.append(answer[u"result"_s][u"command"_s][u"commandId"_s].toString());
            else
                QCOMPARE(answer.value(u"type"_s).toString(), u"error"_s);
        }
        // The restart is shorter than the reconnect window: everything was retried, nothing refused.
        QCOMPARE(acknowledged.size(), requests.size());
        QCOMPARE(refusedEvents, 0);

        const QStringList stored = column(u"SELECT command_id FROM agent_commands WHERE agent_id = 'ag-1'"_s);
        for (const QString &commandId : acknowledged)
            QVERIFY2(stored.contains(commandId), qPrintable(commandId + u" acknowledged but not stored"_s));
        // Accepted events are recorded (the journal retries them until the database takes them).
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QStringList recorded = column(u"SELECT session_id FROM session_events"_s);
                for (const QString &sessionId : acceptedEvents)
                    if (!recorded.contains(sessionId))
                        return false;
                return true;
            }(),
            kLong);
        // And the agent gets every acknowledged command.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QStringList delivered;
                for (const QJsonObject &frame : agent.ofType(u"command"_s))
                    delivered.append(frame[u"payload"_s][u"commandId"_s].toString());
                for (const QString &commandId : acknowledged)
                    if (!delivered.contains(commandId))
                        return false;
                return true;
            }(),
            kLong);
        QVERIFY(ready());
    }

    // PostgreSQL stays away longer than the reconnect window: /readyz says so, requests get
    // errors (nothing claims success), and once it is back the server serves again by itself.
    void longOutageIsReported()
    {
        auto admin = openAdmin();
        QVERIFY(admin);
        const int before = column(u"SELECT command_id FROM agent_commands"_s).size();

        QVERIFY2(m_postgres.halt(u"fast"_s), qPrintable(m_postgres.errorString()));
        QTRY_VERIFY_WITH_TIMEOUT(!ready(), kLong);
        int status = 0;
        const QByteArray body = readiness(&status);
        QCOMPARE(status, 503);
        QVERIFY2(body.contains(R"("status":"unavailable")"), body.constData());

        const QString during = sendCommand(*admin);
        QTRY_VERIFY_WITH_TIMEOUT(!answerTo(*admin, during).isEmpty(), kLong);
        const QJsonObject answer = answerTo(*admin, during);
        QCOMPARE(answer.value(u"type"_s).toString(), u"error"_s);
        QCOMPARE(publishEvent(u"ext-during-outage"_s), 503);

        QVERIFY2(m_postgres.resume(), qPrintable(m_postgres.errorString()));
        QTRY_VERIFY_WITH_TIMEOUT(ready(), kLong);
        const QString after = sendCommand(*admin);
        QTRY_VERIFY_WITH_TIMEOUT(!answerTo(*admin, after).isEmpty(), kLong);
        QCOMPARE(answerTo(*admin, after).value(u"type"_s).toString(), u"reply"_s);
        // Exactly the one acknowledged command was added: the refused one was not stored.
        QCOMPARE(column(u"SELECT command_id FROM agent_commands"_s).size(), before + 1);
        QVERIFY(m_server->state() == QProcess::Running);
    }
};

QTEST_GUILESS_MAIN(TestPgRestart)
#include "tst_pgrestart.moc"
