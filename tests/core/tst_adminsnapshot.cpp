// The admin snapshot's session list over a real socket: every session that has not ended, of the
// orgs in the client's scope only, bounded (sessionsTruncated beyond the limit), read after the
// seqs (the console-side test, tests/console/tst_consoleclient, shows the whole path with a real
// agent).
#include "TestClients.h"
#include "TestServer.h"

#include "core/AdminService.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
using protocol::SessionState;

namespace {

constexpr int kTimeoutMs = 20000;

QStringList idsOf(const QJsonObject &snapshot)
{
    QStringList ids;
    for (const QJsonValue &session : snapshot.value("sessions"_L1).toArray())
        ids.append(session.toObject().value("sessionId"_L1).toString());
    return ids;
}

} // namespace

class AdminSnapshotTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(u"switchboard.*.debug=false"_s); }
    void init();
    void cleanup() { m_server.reset(); }

    void listsSessionsThatHaveNotEnded();
    void scopedToTheOperatorsOrg_data();
    void scopedToTheOperatorsOrg();
    void truncatedBeyondTheLimit();
    void largeSnapshotThenHeldDeltas();

private:
    void createSession(const QString &sessionId, const QString &orgId, const QString &userId,
                       SessionState state, int second);
    QJsonObject snapshotFor(const QString &orgId, Role role);

    std::unique_ptr<TestServer> m_server;
    QList<std::shared_ptr<JsonSocket>> m_clients;
};

void AdminSnapshotTest::init()
{
    m_clients.clear();
    m_server = std::make_unique<TestServer>();
    QVERIFY(m_server->start());
    m_server->createAgent(u"k8s-acme"_s, u"acme"_s);
    m_server->createAgent(u"k8s-beta"_s, u"beta"_s);
    createSession(u"a-running"_s, u"acme"_s, u"alice"_s, SessionState::Running, 1);
    createSession(u"a-terminated"_s, u"acme"_s, u"alice"_s, SessionState::Terminated, 2);
    createSession(u"a-hibernated"_s, u"acme"_s, u"bob"_s, SessionState::Hibernated, 3);
    createSession(u"a-failed"_s, u"acme"_s, u"bob"_s, SessionState::Failed, 4);
    createSession(u"a-pending"_s, u"acme"_s, u"carol"_s, SessionState::Pending, 5);
    createSession(u"a-terminating"_s, u"acme"_s, u"carol"_s, SessionState::Terminating, 6);
    createSession(u"b-running"_s, u"beta"_s, u"bea"_s, SessionState::Running, 7);
}

void AdminSnapshotTest::createSession(const QString &sessionId, const QString &orgId, const QString &userId,
                                      SessionState state, int second)
{
    const QString agentId = orgId == "acme"_L1 ? u"k8s-acme"_s : u"k8s-beta"_s;
    protocol::SessionInfo session;
    session.sessionId = sessionId;
    session.orgId = orgId;
    session.userId = userId;
    session.templateName = u"firefox"_s;
    session.state = state;
    session.agentId = agentId;
    session.createdAt = QDateTime(QDate(2025, 12, 4), QTime(10, 0, second), Qt::UTC);
    QVERIFY(m_server->createSession(session));
}

QJsonObject AdminSnapshotTest::snapshotFor(const QString &orgId, Role role)
{
    auto client = std::make_shared<JsonSocket>();
    m_clients.append(client);
    if (!client->open(m_server->wsUrl(u"/api/v1/ws/admin"_s, m_server->token(u"ops"_s, orgId, role))))
        return {};
    return client->waitForType(u"snapshot"_s, kTimeoutMs);
}

void AdminSnapshotTest::listsSessionsThatHaveNotEnded()
{
    const QJsonObject snapshot = snapshotFor(u"ops"_s, Role::Admin);
    QVERIFY(!snapshot.isEmpty());
    // Oldest first, every org (role admin), without the terminated and failed ones.
    QCOMPARE(idsOf(snapshot), (QStringList{u"a-running"_s, u"a-hibernated"_s, u"a-pending"_s,
                                           u"a-terminating"_s, u"b-running"_s}));
    QVERIFY(!snapshot.contains("sessionsTruncated"_L1));
    const auto session =
        protocol::SessionInfo::fromJson(snapshot.value("sessions"_L1).toArray().at(1).toObject());
    QVERIFY2(session.ok(), session.ok() ? "" : qPrintable(session.error().message));
    QCOMPARE(session.value().orgId, u"acme"_s);
    QCOMPARE(session.value().userId, u"bob"_s);
    QCOMPARE(session.value().state, SessionState::Hibernated);
    QCOMPARE(session.value().agentId, u"k8s-acme"_s);
    QCOMPARE(session.value().templateName, u"firefox"_s);
    QCOMPARE(session.value().createdAt, QDateTime(QDate(2025, 12, 4), QTime(10, 0, 3), Qt::UTC));
}

void AdminSnapshotTest::scopedToTheOperatorsOrg_data()
{
    QTest::addColumn<QString>("orgId");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("acme") << u"acme"_s
                          << QStringList{u"a-running"_s, u"a-hibernated"_s, u"a-pending"_s,
                                         u"a-terminating"_s};
    QTest::newRow("beta") << u"beta"_s << QStringList{u"b-running"_s};
    QTest::newRow("org without sessions") << u"gamma"_s << QStringList{};
}

void AdminSnapshotTest::scopedToTheOperatorsOrg()
{
    QFETCH(QString, orgId);
    QFETCH(QStringList, expected);
    const QJsonObject snapshot = snapshotFor(orgId, Role::Operator);
    QVERIFY(!snapshot.isEmpty());
    QCOMPARE(idsOf(snapshot), expected);
    for (const QJsonValue &session : snapshot.value("sessions"_L1).toArray())
        QCOMPARE(session.toObject().value("orgId"_L1).toString(), orgId);
}

void AdminSnapshotTest::truncatedBeyondTheLimit()
{
    m_server->server()->adminService()->setSnapshotSessionLimit(2);
    const QJsonObject all = snapshotFor(u"ops"_s, Role::Admin);
    QCOMPARE(idsOf(all), (QStringList{u"a-running"_s, u"a-hibernated"_s}));
    QCOMPARE(all.value("sessionsTruncated"_L1), QJsonValue(true));
    // Exactly at the limit is not truncated.
    m_server->server()->adminService()->setSnapshotSessionLimit(1);
    const QJsonObject beta = snapshotFor(u"beta"_s, Role::Operator);
    QCOMPARE(idsOf(beta), QStringList{u"b-running"_s});
    QVERIFY(!beta.contains("sessionsTruncated"_L1));
}

void AdminSnapshotTest::largeSnapshotThenHeldDeltas()
{
    // Over 256 KiB: the server waits for the snapshot to be written before the deltas held
    // meanwhile follow it; they must still come, after it, and the client must stay connected.
    for (int i = 0; i < 120; ++i) {
        protocol::SessionInfo session;
        session.sessionId = u"big-%1"_s.arg(i);
        session.orgId = u"acme"_s;
        session.userId = u"dora"_s;
        session.templateName = u"firefox"_s;
        session.state = SessionState::Running;
        session.agentId = u"k8s-acme"_s;
        session.url = u"/api/v1/sessions/big/vnc?"_s + QString(2000, u'x');
        session.createdAt = QDateTime(QDate(2025, 12, 5), QTime(10, 0), Qt::UTC).addMSecs(i);
        QVERIFY(m_server->createSession(session));
    }
    auto admin = std::make_shared<JsonSocket>();
    m_clients.append(admin);
    QVERIFY(admin->open(
        m_server->wsUrl(u"/api/v1/ws/admin"_s, m_server->token(u"ops"_s, u"acme"_s, Role::Operator))));
    // A browser of the org connects while the snapshot is on its way: its org.updated is held.
    JsonSocket browser;
    QVERIFY(browser.open(
        m_server->wsUrl(u"/api/v1/ws/sessions"_s, m_server->token(u"dora"_s, u"acme"_s, Role::User))));
    const QJsonObject snapshot = admin->waitForType(u"snapshot"_s, kTimeoutMs);
    QCOMPARE(idsOf(snapshot).size(), 124);
    QVERIFY(QJsonDocument(snapshot).toJson(QJsonDocument::Compact).size() > 256 * 1024);
    // (The Hub announces the admin's own arrival before it is registered for its snapshot: an
    // org.updated may precede the snapshot. Only the browser's, held, matters here.)
    const int after = int(admin->received().indexOf(snapshot)) + 1;
    const QJsonObject updated = admin->waitForType(u"org.updated"_s, kTimeoutMs, after);
    QVERIFY(!updated.isEmpty());
    QVERIFY(admin->isConnected());
}

QTEST_MAIN(AdminSnapshotTest)
#include "tst_adminsnapshot.moc"
