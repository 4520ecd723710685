// org.updated on the admin stream: a burst of browser connects of one org costs at most one message
// per 100 ms carrying the latest count, a single connect or disconnect still arrives, and nothing is
// encoded for an org no admin client has in scope.
#include "TestClients.h"
#include "TestServer.h"

#include "core/AdminService.h"
#include "core/Hub.h"

#include <QElapsedTimer>
#include <QTest>
#include <QWebSocket>

#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;

namespace {

constexpr int kTimeoutMs = 20000;

bool isOrgUpdate(const QJsonObject &message, const QString &orgId)
{
    return message.value("type"_L1).toString() == "org.updated"_L1 &&
           message["org"_L1]["orgId"_L1].toString() == orgId;
}

int lastCount(const JsonSocket &admin, const QString &orgId)
{
    const QList<QJsonObject> &all = admin.received();
    for (qsizetype i = all.size() - 1; i >= 0; --i) {
        if (isOrgUpdate(all.at(i), orgId))
            return all.at(i)["org"_L1]["clients"_L1].toInt(-1);
    }
    return -1;
}

int countOf(const JsonSocket &admin, const QString &orgId)
{
    const QList<QJsonObject> &all = admin.received();
    return int(std::count_if(all.cbegin(), all.cend(),
                             [&orgId](const QJsonObject &m) { return isOrgUpdate(m, orgId); }));
}

} // namespace

class TestOrgUpdates : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        // No periodic traffic in the way.
        m_server->settings().metricsIntervalSeconds = 3600;
        m_server->settings().sessionsIntervalSeconds = 3600;
        QVERIFY(m_server->start());
    }

    void cleanup()
    {
        for (const auto &socket : m_browsers)
            socket->abort();
        m_browsers.clear();
        m_server.reset();
    }

    // Many connects at once: far fewer org.updated than connects, never more than one per
    // 100 ms, and the last one has the final count. Then one more connect and one disconnect
    // each still reach the admin.
    void burstIsCoalesced()
    {
        JsonSocket admin;
        QVERIFY(admin.open(
            m_server->wsUrl(u"/api/v1/ws/admin"_s, m_server->token(u"root"_s, u"ops"_s, Role::Admin))));
        QVERIFY(!admin.waitForType(u"snapshot"_s, kTimeoutMs).isEmpty());

        constexpr int kBrowsers = 60;
        QElapsedTimer clock;
        clock.start();
        qint64 lastArrival = 0;
        connect(&admin, &JsonSocket::messageReceived, this, [&](const QJsonObject &message) {
            if (isOrgUpdate(message, u"acme"_s))
                lastArrival = clock.elapsed();
        });
        const QString token = m_server->token(u"dora"_s, u"acme"_s, Role::User);
        for (int i = 0; i < kBrowsers; ++i)
            openBrowser(token);
        QTRY_COMPARE_WITH_TIMEOUT(lastCount(admin, u"acme"_s), kBrowsers, kTimeoutMs);

        const int updates = countOf(admin, u"acme"_s);
        // Each org.updated left the server between clock.start() and its arrival, at least
        // 100 ms after the one before.
        const qint64 bound = lastArrival / AdminService::kOrgUpdateInterval.count() + 1;
        QVERIFY2(updates <= bound, qPrintable(u"%1 org.updated in %2 ms"_s.arg(updates).arg(lastArrival)));
        // One per connect would be kBrowsers.
        QVERIFY2(updates < kBrowsers, qPrintable(QString::number(updates)));

        openBrowser(token);
        QTRY_COMPARE_WITH_TIMEOUT(lastCount(admin, u"acme"_s), kBrowsers + 1, kTimeoutMs);
        m_browsers.back()->close();
        QTRY_COMPARE_WITH_TIMEOUT(lastCount(admin, u"acme"_s), kBrowsers, kTimeoutMs);
    }

    // An operator of another org is the only admin client: acme's changes are never encoded.
    void nothingEncodedOutOfScope()
    {
        AdminService *service = m_server->server()->adminService();
        QCOMPARE(service->deltasEncoded(), quint64(0));
        JsonSocket operatorOfOther;
        QVERIFY(operatorOfOther.open(
            m_server->wsUrl(u"/api/v1/ws/admin"_s, m_server->token(u"olga"_s, u"other"_s, Role::Operator))));
        QVERIFY(!operatorOfOther.waitForType(u"snapshot"_s, kTimeoutMs).isEmpty());
        // Its own arrival in org "other": encoded once.
        QTRY_COMPARE_WITH_TIMEOUT(lastCount(operatorOfOther, u"other"_s), 1, kTimeoutMs);
        QCOMPARE(service->deltasEncoded(), quint64(1));

        const QString acme = m_server->token(u"dora"_s, u"acme"_s, Role::User);
        for (int i = 0; i < 5; ++i)
            openBrowser(acme);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->server()->hub()->clientCount(u"acme"_s), 5, kTimeoutMs);
        // A browser of "other" now: acme was marked before it, so by the time the operator gets
        // other's count, acme's turn has passed too.
        openBrowser(m_server->token(u"oscar"_s, u"other"_s, Role::User));
        QTRY_COMPARE_WITH_TIMEOUT(lastCount(operatorOfOther, u"other"_s), 2, kTimeoutMs);
        QCOMPARE(countOf(operatorOfOther, u"acme"_s), 0);
        QCOMPARE(service->deltasEncoded(), quint64(2));
    }

private:
    void openBrowser(const QString &token)
    {
        auto socket = std::make_unique<QWebSocket>();
        socket->open(m_server->wsUrl(u"/api/v1/ws/sessions"_s, token));
        m_browsers.push_back(std::move(socket));
    }

    std::unique_ptr<TestServer> m_server;
    std::vector<std::unique_ptr<QWebSocket>> m_browsers;
};

QTEST_MAIN(TestOrgUpdates)
#include "tst_orgupdates.moc"
