// Limits and credential hygiene of a whole server (issue 7, section 1): subscriptions per client,
// event data size, token revocation by jti (admin requests, stored, enforced at the handshake
// and on open connections) and agent key rotation with a grace period, from the admin stream
// and from the real binary's CLI.
#include "TestClients.h"
#include "TestServer.h"

#include "core/Hub.h"
#include "core/Notifier.h"
#include "core/TokenRevocations.h"
#include "net/Jwt.h"
#include "storage/Store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

QByteArray bearer(const QString &token)
{
    return "Authorization: Bearer " + token.toLatin1();
}

// The jti claim of a token this server issued (the payload is read, not verified).
QString jtiOf(const QString &token)
{
    const QByteArray payload = QByteArray::fromBase64(
        token.section(u'.', 1, 1).toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    return QJsonDocument::fromJson(payload).object().value("jti"_L1).toString();
}

qint64 storedEvents(Store *store)
{
    const auto cursors = store->eventCursors().result();
    qint64 total = 0;
    if (cursors) {
        for (qint64 seq : cursors.value().latest)
            total += seq;
    }
    return total;
}

int upgradeStatus(quint16 port, const QByteArray &target, const QList<QByteArray> &headers)
{
    return rawHttp(port, upgradeRequest(target, headers), 10000).status;
}

int agentStatus(quint16 port, const QString &agentId, const QByteArray &key)
{
    return upgradeStatus(port, "/api/v1/agents/connect?agent_id=" + agentId.toLatin1(),
                         {"X-Agent-API-Key: " + key});
}

} // namespace

class tst_Credentials : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void subscriptionLimit();
    void eventDataLimit_data();
    void eventDataLimit();

    void revokeRefusesHandshakeAndClosesConnections();
    void revocationSurvivesRestart();
    void revocationReachesAnotherReplicaOnReload();
    void revocationRequestsAreChecked_data();
    void revocationRequestsAreChecked();
    void tokenWithoutJtiCannotBeRevoked();

    void rotateKeyFromAdminStream();
    void rotateKeyWithoutGrace();
    void rotateKeyOfAnotherOrgIsRefused();
    void rotateKeyFromCli();

private:
    std::unique_ptr<TestServer> m_server;

    quint16 port() const { return m_server->server()->serverPort(); }
    // An admin stream of the given role, past its snapshot.
    std::unique_ptr<JsonSocket> admin(Role role = Role::Admin, const QString &orgId = u"acme"_s);
    // Sends a request and returns its reply or error.
    static QJsonObject request(JsonSocket &socket, QJsonObject message);
};

void tst_Credentials::init()
{
    m_server = std::make_unique<TestServer>();
}

void tst_Credentials::cleanup()
{
    m_server.reset();
}

std::unique_ptr<JsonSocket> tst_Credentials::admin(Role role, const QString &orgId)
{
    auto socket = std::make_unique<JsonSocket>();
    if (!socket->open(m_server->wsUrl(u"/api/v1/ws/admin"_s, m_server->token(u"root"_s, orgId, role))))
        return {};
    if (socket->waitForType(u"snapshot"_s, 10000).isEmpty())
        return {};
    return socket;
}

QJsonObject tst_Credentials::request(JsonSocket &socket, QJsonObject message)
{
    static int next = 0;
    const QString requestId = u"req-%1"_s.arg(++next);
    message.insert("requestId"_L1, requestId);
    const int from = int(socket.received().size());
    socket.send(message);
    return socket.waitFor(
        [&](const QJsonObject &m) { return m.value("requestId"_L1).toString() == requestId; }, 10000, from);
}

void tst_Credentials::subscriptionLimit()
{
    m_server->settings().limits.maxSubscriptionsPerClient = 3;
    QVERIFY(m_server->start());
    JsonSocket client;
    JsonSocket bystander;
    QVERIFY(client.open(
        m_server->wsUrl(u"/api/v1/ws/sessions"_s, m_server->token(u"olga"_s, u"acme"_s, Role::Operator))));
    QVERIFY(bystander.open(
        m_server->wsUrl(u"/api/v1/ws/sessions"_s, m_server->token(u"bob"_s, u"acme"_s, Role::User))));
    // Its own user is the first subscription: two more fit.
    for (int i = 0; i < 2; ++i) {
        const QJsonObject answer =
            request(client, {{"type"_L1, u"subscribe"_s}, {"userId"_L1, u"u%1"_s.arg(i)}});
        QCOMPARE(answer.value("type"_L1).toString(), u"reply"_s);
    }
    const QJsonObject refused = request(client, {{"type"_L1, u"subscribe"_s}, {"userId"_L1, u"one-more"_s}});
    QCOMPARE(refused.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(refused.value("code"_L1).toString(), u"limit_exceeded"_s);
    QCOMPARE(refused.value("field"_L1).toString(), u"userId"_s);
    QCOMPARE(m_server->server()->notifier()->subscriptionCount(1), 3);
    QCOMPARE(m_server->server()->hub()->limitHits(u"subscriptions"_s), quint64(1));
    // The connection stays open (a refusal is a bad frame, not a close) and others are untouched.
    QVERIFY(client.isConnected());
    QVERIFY(bystander.isConnected());
}

void tst_Credentials::eventDataLimit_data()
{
    QTest::addColumn<int>("padding"); // bytes of the "x" string inside data {"x":"..."}
    QTest::addColumn<int>("status");
    // {"x":"..."} is 8 bytes of wrapping around the padding; the limit is 1000 bytes.
    QTest::newRow("at the limit") << 992 << 202;
    QTest::newRow("one byte over") << 993 << 413;
    QTest::newRow("far over") << 15000 << 413;
}

void tst_Credentials::eventDataLimit()
{
    QFETCH(int, padding);
    QFETCH(int, status);
    m_server->settings().limits.maxEventDataBytes = 1000;
    QVERIFY(m_server->start());
    const QString token = m_server->token(u"backend"_s, u"acme"_s, Role::Service);
    const QJsonObject event{{"type"_L1, u"session.created"_s},
                            {"sessionId"_L1, u"s-1"_s},
                            {"userId"_L1, u"alice"_s},
                            {"data"_L1, QJsonObject{{"x"_L1, QString(padding, u'a')}}}};
    if (status == 413)
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"limit event_data_bytes hit"_s));
    const RawHttpResponse response =
        rawHttp(port(),
                httpRequest("POST", "/api/v1/events", QJsonDocument(event).toJson(QJsonDocument::Compact),
                            {bearer(token), "Content-Type: application/json"}),
                10000);
    QCOMPARE(response.status, status);
    // Accepted events are recorded asynchronously; refused ones never.
    if (status == 202)
        QTRY_COMPARE_WITH_TIMEOUT(storedEvents(m_server->server()->store()), qint64(1), 10000);
    else
        QCOMPARE(storedEvents(m_server->server()->store()), qint64(0));
}

void tst_Credentials::revokeRefusesHandshakeAndClosesConnections()
{
    QVERIFY(m_server->start());
    const QString victimToken = m_server->token(u"mallory"_s, u"acme"_s, Role::Operator);
    const QString otherToken = m_server->token(u"bob"_s, u"acme"_s, Role::Operator);
    JsonSocket victim;
    JsonSocket victimLogs; // a second stream with the same token goes too
    JsonSocket other;
    QVERIFY(victim.open(m_server->wsUrl(u"/api/v1/ws/sessions"_s, victimToken)));
    QVERIFY(victimLogs.open(m_server->wsUrl(u"/api/v1/ws/cluster"_s, victimToken)));
    QVERIFY(other.open(m_server->wsUrl(u"/api/v1/ws/sessions"_s, otherToken)));
    auto console = admin();
    QVERIFY(console);

    const QString jti = jtiOf(victimToken);
    QVERIFY(!jti.isEmpty());
    const QJsonObject answer = request(*console, {{"type"_L1, u"token.revoke"_s}, {"jti"_L1, jti}});
    QCOMPARE(answer.value("type"_L1).toString(), u"reply"_s);
    const QJsonObject revocation = answer.value("result"_L1).toObject().value("revocation"_L1).toObject();
    QCOMPARE(revocation.value("jti"_L1).toString(), jti);
    QCOMPARE(revocation.value("revokedBy"_L1).toString(), u"root@acme"_s);

    QVERIFY(victim.waitForDisconnect(10000));
    QCOMPARE(victim.closeCode(), TokenRevocations::kCloseTokenRevoked);
    QVERIFY(victimLogs.waitForDisconnect(10000));
    QCOMPARE(victimLogs.closeCode(), TokenRevocations::kCloseTokenRevoked);
    QVERIFY(other.isConnected());
    QVERIFY(console->isConnected());

    QCOMPARE(upgradeStatus(port(), "/api/v1/ws/sessions", {bearer(victimToken)}), 401);
    QCOMPARE(upgradeStatus(port(), "/api/v1/ws/sessions", {bearer(otherToken)}), 101);

    const QJsonObject listed = request(*console, {{"type"_L1, u"token.revocations"_s}});
    const QJsonArray revocations = listed.value("result"_L1).toObject().value("revocations"_L1).toArray();
    QCOMPARE(revocations.size(), 1);
    QCOMPARE(revocations.at(0).toObject().value("jti"_L1).toString(), jti);
}

void tst_Credentials::revocationSurvivesRestart()
{
    QVERIFY(m_server->start());
    const QString token = m_server->token(u"mallory"_s, u"acme"_s, Role::Operator);
    {
        auto console = admin();
        QVERIFY(console);
        // An explicit exp: kept until then (plus the leeway), then pruned.
        const QString expiresAt = protocol::formatTimestamp(QDateTime::currentDateTimeUtc().addSecs(3600));
        const QJsonObject answer =
            request(*console,
                    {{"type"_L1, u"token.revoke"_s}, {"jti"_L1, jtiOf(token)}, {"expiresAt"_L1, expiresAt}});
        QCOMPARE(answer.value("type"_L1).toString(), u"reply"_s);
    }
    QVERIFY(m_server->start()); // a new Server on the same database
    QCOMPARE(upgradeStatus(port(), "/api/v1/ws/sessions", {bearer(token)}), 401);
    QCOMPARE(upgradeStatus(port(), "/api/v1/ws/sessions",
                           {bearer(m_server->token(u"bob"_s, u"acme"_s, Role::Operator))}),
             101);
}

void tst_Credentials::revocationReachesAnotherReplicaOnReload()
{
    // Two replicas on one database (what cluster mode shares); the second learns of a revocation
    // made on the first when it reloads (every 10 s with Redis configured; called here directly).
    QVERIFY(m_server->start());
    TestServer other;
    other.settings().databaseUrl = m_server->settings().databaseUrl;
    other.settings().replicaName = u"test-replica-2"_s;
    QVERIFY(other.start());
    const QString token = m_server->token(u"mallory"_s, u"acme"_s, Role::Operator);
    JsonSocket onOther;
    QVERIFY(onOther.open(other.wsUrl(u"/api/v1/ws/sessions"_s, token)));

    auto console = admin();
    QVERIFY(console);
    QCOMPARE(request(*console, {{"type"_L1, u"token.revoke"_s}, {"jti"_L1, jtiOf(token)}})
                 .value("type"_L1)
                 .toString(),
             u"reply"_s);
    QCOMPARE(upgradeStatus(port(), "/api/v1/ws/sessions", {bearer(token)}), 401);
    QVERIFY(onOther.isConnected()); // not yet: the other replica has not reloaded

    QSignalSpy reloaded(other.server()->tokenRevocations(), &TokenRevocations::reloaded);
    other.server()->tokenRevocations()->reload();
    QTRY_COMPARE_WITH_TIMEOUT(reloaded.size(), 1, 10000);
    QVERIFY(onOther.waitForDisconnect(10000));
    QCOMPARE(onOther.closeCode(), TokenRevocations::kCloseTokenRevoked);
    QCOMPARE(upgradeStatus(other.server()->serverPort(), "/api/v1/ws/sessions", {bearer(token)}), 401);
}

void tst_Credentials::revocationRequestsAreChecked_data()
{
    QTest::addColumn<Role>("role");
    QTest::addColumn<QJsonObject>("message");
    QTest::addColumn<QString>("code");
    const QJsonObject revoke{{"type"_L1, u"token.revoke"_s}, {"jti"_L1, u"abc"_s}};
    QTest::newRow("operator may not revoke") << Role::Operator << revoke << u"forbidden"_s;
    QTest::newRow("operator may not list")
        << Role::Operator << QJsonObject{{"type"_L1, u"token.revocations"_s}} << u"forbidden"_s;
    QTest::newRow("missing jti") << Role::Admin << QJsonObject{{"type"_L1, u"token.revoke"_s}}
                                 << u"missing_field"_s;
    QTest::newRow("empty jti") << Role::Admin
                               << QJsonObject{{"type"_L1, u"token.revoke"_s}, {"jti"_L1, u""_s}}
                               << u"invalid_value"_s;
    QTest::newRow("jti not a string")
        << Role::Admin << QJsonObject{{"type"_L1, u"token.revoke"_s}, {"jti"_L1, 42}} << u"wrong_type"_s;
    QTest::newRow("expiresAt not a time")
        << Role::Admin
        << QJsonObject{{"type"_L1, u"token.revoke"_s}, {"jti"_L1, u"abc"_s}, {"expiresAt"_L1, u"tomorrow"_s}}
        << u"invalid_value"_s;
    QTest::newRow("expiresAt passed") << Role::Admin
                                      << QJsonObject{{"type"_L1, u"token.revoke"_s},
                                                     {"jti"_L1, u"abc"_s},
                                                     {"expiresAt"_L1, u"2020-01-01T00:00:00Z"_s}}
                                      << u"invalid_value"_s;
    QTest::newRow("rotate without agentId")
        << Role::Admin << QJsonObject{{"type"_L1, u"agent.rotate_key"_s}} << u"missing_field"_s;
    QTest::newRow("negative grace") << Role::Admin
                                    << QJsonObject{{"type"_L1, u"agent.rotate_key"_s},
                                                   {"agentId"_L1, u"agent-1"_s},
                                                   {"graceSeconds"_L1, -1}}
                                    << u"invalid_value"_s;
    QTest::newRow("grace not a number") << Role::Admin
                                        << QJsonObject{{"type"_L1, u"agent.rotate_key"_s},
                                                       {"agentId"_L1, u"agent-1"_s},
                                                       {"graceSeconds"_L1, u"5"_s}}
                                        << u"wrong_type"_s;
    QTest::newRow("unknown agent") << Role::Admin
                                   << QJsonObject{{"type"_L1, u"agent.rotate_key"_s},
                                                  {"agentId"_L1, u"nobody"_s}}
                                   << u"not_found"_s;
}

void tst_Credentials::revocationRequestsAreChecked()
{
    QFETCH(Role, role);
    QFETCH(QJsonObject, message);
    QFETCH(QString, code);
    QVERIFY(m_server->start());
    auto console = admin(role);
    QVERIFY(console);
    const QJsonObject answer = request(*console, message);
    QCOMPARE(answer.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(answer.value("code"_L1).toString(), code);
    QCOMPARE(m_server->server()->tokenRevocations()->list().size(), 0);
}

void tst_Credentials::tokenWithoutJtiCannotBeRevoked()
{
    QVERIFY(m_server->start());
    // A token minted elsewhere (StreamSpace) may carry no jti: nothing names it, so it cannot be
    // revoked and stays valid until its exp. Only rotating the JWT secret ends it earlier.
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const QByteArray token = signJwt({{"user_id"_L1, u"legacy"_s},
                                      {"org_id"_L1, u"acme"_s},
                                      {"role"_L1, u"operator"_s},
                                      {"exp"_L1, now + 600}},
                                     m_server->settings().jwtSecret);
    QCOMPARE(jtiOf(QString::fromLatin1(token)), QString());
    auto console = admin();
    QVERIFY(console);
    // Revoking the empty id is refused rather than stored as a catch-all.
    const QJsonObject answer = request(*console, {{"type"_L1, u"token.revoke"_s}, {"jti"_L1, u""_s}});
    QCOMPARE(answer.value("code"_L1).toString(), u"invalid_value"_s);
    QCOMPARE(upgradeStatus(port(), "/api/v1/ws/sessions", {bearer(QString::fromLatin1(token))}), 101);
}

void tst_Credentials::rotateKeyFromAdminStream()
{
    QVERIFY(m_server->start());
    const CreatedAgent agent = m_server->createAgent(u"agent-1"_s, u"acme"_s);
    // An operator of the agent's organisation may rotate its key.
    auto console = admin(Role::Operator);
    QVERIFY(console);
    const QJsonObject answer =
        request(*console,
                {{"type"_L1, u"agent.rotate_key"_s}, {"agentId"_L1, agent.agentId}, {"graceSeconds"_L1, 3}});
    QCOMPARE(answer.value("type"_L1).toString(), u"reply"_s);
    const QJsonObject result = answer.value("result"_L1).toObject();
    const QByteArray newKey = result.value("apiKey"_L1).toString().toLatin1();
    QCOMPARE(newKey.size(), 64);
    QVERIFY(newKey != agent.apiKey);
    QVERIFY(result.contains("previousKeyExpiresAt"_L1));

    QCOMPARE(agentStatus(port(), agent.agentId, newKey), 101);
    QCOMPARE(agentStatus(port(), agent.agentId, agent.apiKey), 101); // within the grace period
    QTRY_COMPARE_WITH_TIMEOUT(agentStatus(port(), agent.agentId, agent.apiKey), 403, 20000);
    QCOMPARE(agentStatus(port(), agent.agentId, newKey), 101);
}

void tst_Credentials::rotateKeyWithoutGrace()
{
    QVERIFY(m_server->start());
    const CreatedAgent agent = m_server->createAgent(u"agent-1"_s, u"acme"_s);
    auto console = admin();
    QVERIFY(console);
    QByteArray latest;
    // Two rotations in a row: only the newest key works (no grace, so no previous key at all).
    for (int i = 0; i < 2; ++i) {
        const QJsonObject answer =
            request(*console, {{"type"_L1, u"agent.rotate_key"_s}, {"agentId"_L1, agent.agentId}});
        QCOMPARE(answer.value("type"_L1).toString(), u"reply"_s);
        QVERIFY(!answer.value("result"_L1).toObject().contains("previousKeyExpiresAt"_L1));
        const QByteArray key = answer.value("result"_L1).toObject().value("apiKey"_L1).toString().toLatin1();
        if (!latest.isEmpty())
            QCOMPARE(agentStatus(port(), agent.agentId, latest), 403);
        latest = key;
    }
    QCOMPARE(agentStatus(port(), agent.agentId, agent.apiKey), 403);
    QCOMPARE(agentStatus(port(), agent.agentId, latest), 101);
}

void tst_Credentials::rotateKeyOfAnotherOrgIsRefused()
{
    QVERIFY(m_server->start());
    const CreatedAgent agent = m_server->createAgent(u"agent-1"_s, u"globex"_s);
    auto console = admin(Role::Operator, u"acme"_s);
    QVERIFY(console);
    const QJsonObject answer =
        request(*console, {{"type"_L1, u"agent.rotate_key"_s}, {"agentId"_L1, agent.agentId}});
    QCOMPARE(answer.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(answer.value("code"_L1).toString(), u"forbidden"_s);
    QCOMPARE(agentStatus(port(), agent.agentId, agent.apiKey), 101);
}

void tst_Credentials::rotateKeyFromCli()
{
    QVERIFY(m_server->start());
    const CreatedAgent agent = m_server->createAgent(u"agent-1"_s, u"acme"_s);

    QProcess cli;
    cli.start(QStringLiteral(SWITCHBOARD_SERVER_BINARY),
              {u"agent"_s, u"rotate-key"_s, u"--id"_s, agent.agentId, u"--grace"_s, u"2s"_s, u"--database"_s,
               m_server->settings().databaseUrl, u"--data-dir"_s, m_server->settings().dataDir});
    QVERIFY(cli.waitForFinished(30000));
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    QCOMPARE(cli.exitCode(), 0);
    const QRegularExpressionMatch key =
        QRegularExpression(u"^([0-9a-f]{64})$"_s, QRegularExpression::MultilineOption).match(out);
    QVERIFY2(key.hasMatch(), qPrintable(out));
    QVERIFY(out.contains(u"previous key keeps working until"_s));

    // The running server reads credentials at every handshake: the new key works at once, the
    // old one until the grace period ends.
    QCOMPARE(agentStatus(port(), agent.agentId, key.captured(1).toLatin1()), 101);
    QCOMPARE(agentStatus(port(), agent.agentId, agent.apiKey), 101);
    QTRY_COMPARE_WITH_TIMEOUT(agentStatus(port(), agent.agentId, agent.apiKey), 403, 20000);

    QProcess unknown;
    unknown.start(QStringLiteral(SWITCHBOARD_SERVER_BINARY),
                  {u"agent"_s, u"rotate-key"_s, u"--id"_s, u"nobody"_s, u"--database"_s,
                   m_server->settings().databaseUrl});
    QVERIFY(unknown.waitForFinished(30000));
    QCOMPARE(unknown.exitCode(), 1);
    QVERIFY(QString::fromUtf8(unknown.readAllStandardError()).contains(u"not found"_s));
}

QTEST_MAIN(tst_Credentials)
#include "tst_credentials.moc"
