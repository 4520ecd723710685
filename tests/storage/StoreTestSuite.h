// The behaviour every Store backend must have, as one Qt Test class. tst_store runs it on SQLite,
// tst_store_postgres on a throw-away PostgreSQL server. Subclasses say where fresh databases are.
#pragma once

#include "storage/DatabaseUrl.h"
#include "storage/Migrator.h"
#include "storage/StorageWorker.h"
#include "storage/Store.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSemaphore>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QThread>
#include <QUuid>

#include <memory>

namespace switchboard::testing {

using namespace Qt::StringLiterals;
using protocol::AgentInfo;
using protocol::AgentStatus;
using protocol::ApprovalStatus;
using protocol::CommandInfo;
using protocol::CommandStatus;
using protocol::Decoded;
using protocol::ErrorCode;
using protocol::SessionInfo;
using protocol::SessionState;

// Waits for a store future while the event loop keeps running.
template<class T>
Decoded<T> await(const QFuture<Decoded<T>> &future, int timeoutMs = 30000)
{
    if (!QTest::qWaitFor([&] { return future.isFinished(); }, timeoutMs))
        return protocol::Error{ErrorCode::Internal, u"timed out waiting for the store"_s, {}, {}};
    return future.result();
}

inline QByteArray describe(const protocol::Error &error)
{
    return (protocol::errorCodeName(error.code) + u": "_s + error.message).toUtf8();
}

#define SB_AWAIT_OK(name, expression)                                                                        \
    auto name = ::switchboard::testing::await(expression);                                                   \
    QVERIFY2(name.ok(), name.ok() ? "" : ::switchboard::testing::describe(name.error()).constData())

#define SB_AWAIT_ERROR(expression, expectedCode)                                                             \
    do {                                                                                                     \
        auto failed_ = ::switchboard::testing::await(expression);                                            \
        QVERIFY2(!failed_.ok(), "expected an error");                                                        \
        QCOMPARE(protocol::errorCodeName(failed_.error().code), protocol::errorCodeName(expectedCode));      \
    } while (false)

inline QDateTime at(int second, int ms = 0)
{
    return QDateTime(QDate(2025, 12, 4), QTime(10, 0, second, ms), Qt::UTC);
}

inline AgentInfo makeAgent(const QString &agentId, const QString &orgId = u"acme"_s)
{
    AgentInfo agent;
    agent.agentId = agentId;
    agent.orgId = orgId;
    agent.platform = protocol::Platform::Kubernetes;
    agent.region = u"us-east-1"_s;
    agent.capacity = protocol::Capacity{100, u"64 cores"_s, u"256Gi"_s, {}};
    agent.metadata = QJsonObject{{u"namespace"_s, u"streamspace"_s}, {u"kubernetes"_s, true}};
    agent.createdAt = at(0, 123);
    return agent;
}

inline CommandInfo makeCommand(const QString &commandId, const QString &agentId,
                               const QString &sessionId = {})
{
    CommandInfo command;
    command.commandId = commandId;
    command.agentId = agentId;
    command.sessionId = sessionId;
    command.action = u"start_session"_s;
    command.payload = QJsonObject{{u"sessionId"_s, sessionId}, {u"memory"_s, u"2Gi"_s}};
    return command;
}

inline SessionInfo makeSession(const QString &sessionId, const QString &agentId,
                               const QString &orgId = u"acme"_s)
{
    SessionInfo session;
    session.sessionId = sessionId;
    session.orgId = orgId;
    session.userId = u"alice"_s;
    session.templateName = u"firefox"_s;
    session.agentId = agentId;
    session.platform = u"kubernetes"_s;
    session.namespaceName = u"streamspace"_s;
    session.memory = u"2Gi"_s;
    session.cpu = u"1000m"_s;
    session.idleTimeoutSeconds = 1800;
    session.lastActivity = at(5);
    session.tags = QStringList{u"dev"_s, u"gpu"_s};
    session.createdAt = at(1);
    return session;
}

class StoreTestSuite : public QObject
{
    Q_OBJECT
protected:
    // A URL of a new, empty database. `persistent`: it must survive closing the store.
    virtual QString freshDatabaseUrl(bool persistent) = 0;

    std::unique_ptr<Store> m_store;
    QString m_url;

    // One value read with a connection of the test thread (schema details the API does not show);
    // needs a persistent database. Fails the test when the query does not give a row.
    QVariant scalar(const QString &sql, const QVariantList &values = {})
    {
        const auto url = DatabaseUrl::parse(m_url);
        if (!url)
            return {};
        const QString name = u"inspect-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces);
        QVariant value;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(url.value().qtDriver(), name);
            if (url.value().driver == DatabaseUrl::Driver::Sqlite) {
                db.setDatabaseName(url.value().path);
            } else {
                db.setHostName(url.value().host);
                db.setPort(url.value().port);
                db.setUserName(url.value().user);
                db.setPassword(url.value().password);
                db.setDatabaseName(url.value().database);
            }
            if (db.open()) {
                QSqlQuery query(db);
                query.prepare(sql);
                for (int i = 0; i < values.size(); ++i)
                    query.bindValue(i, values.at(i));
                if (query.exec() && query.next())
                    value = query.value(0);
                else
                    qWarning() << "inspection failed:" << query.lastError().text();
            } else {
                qWarning() << "inspection failed:" << db.lastError().text();
            }
        }
        QSqlDatabase::removeDatabase(name);
        return value;
    }

    // COUNT(*) of "table WHERE ...", -1 when the inspection failed.
    int countRows(const QString &from)
    {
        const QVariant count = scalar(u"SELECT COUNT(*) FROM "_s + from);
        return count.isValid() ? count.toInt() : -1;
    }

    // True when every fresh database outlives its store (a server database, not SQLite memory).
    virtual bool alwaysPersistent() const { return false; }

    bool openStore(bool persistent)
    {
        if (persistent && m_store && alwaysPersistent())
            return true; // the database init() opened will do
        m_url = freshDatabaseUrl(persistent);
        m_store = std::make_unique<Store>();
        auto opened = await(m_store->open(m_url));
        if (!opened)
            qWarning() << describe(opened.error());
        return opened.ok();
    }

private Q_SLOTS:
    void init() { QVERIFY(openStore(false)); }
    void cleanup() { m_store.reset(); }

    void schemaVersionAndPing()
    {
        SB_AWAIT_OK(version, m_store->schemaVersion());
        QVERIFY(version.value() >= 1);
        SB_AWAIT_OK(ping, m_store->ping());
        QVERIFY(ping.value());
    }

    void openTwiceIsConflict() { SB_AWAIT_ERROR(m_store->open(m_url), ErrorCode::Conflict); }

    void closedStoreIsUnavailable()
    {
        m_store->close();
        m_store->close(); // idempotent
        QCOMPARE(m_store->storageThread(), nullptr);
        SB_AWAIT_ERROR(m_store->ping(), ErrorCode::Unavailable);
        SB_AWAIT_ERROR(m_store->getAgent(u"a"_s), ErrorCode::Unavailable);
    }

    void notOpenedStoreIsUnavailable()
    {
        Store store;
        SB_AWAIT_ERROR(store.ping(), ErrorCode::Unavailable);
        SB_AWAIT_ERROR(store.open(u"mysql://nowhere/db"_s), ErrorCode::InvalidValue);
        // A failed open leaves the thread running and the store usable for another open().
        SB_AWAIT_ERROR(store.listAgents(), ErrorCode::Unavailable);
        SB_AWAIT_OK(opened, store.open(u"sqlite::memory:"_s));
        SB_AWAIT_OK(ping, store.ping());
    }

    void organisations()
    {
        SB_AWAIT_OK(beta, m_store->ensureOrg(u"beta"_s));
        QCOMPARE(beta.value().orgId, u"beta"_s);
        QCOMPARE(beta.value().name, u"beta"_s); // defaults to the id
        SB_AWAIT_OK(acme, m_store->ensureOrg(u"acme"_s, u"Acme Corp"_s));
        QCOMPARE(acme.value().name, u"Acme Corp"_s);
        SB_AWAIT_OK(again, m_store->ensureOrg(u"acme"_s, u"Other name"_s));
        QCOMPARE(again.value().name, u"Acme Corp"_s); // insert if missing, never rename
        SB_AWAIT_ERROR(m_store->ensureOrg(QString()), ErrorCode::InvalidValue);
        SB_AWAIT_OK(orgs, m_store->listOrgs());
        QCOMPARE(orgs.value().size(), 2);
        QCOMPARE(orgs.value().at(0).orgId, u"acme"_s);
        QCOMPARE(orgs.value().at(1).orgId, u"beta"_s);
    }

    void createAndGetAgent()
    {
        AgentInfo agent = makeAgent(u"k8s-prod-1"_s);
        agent.approvalStatus = ApprovalStatus::Pending;
        agent.capacity.storage = u"1Ti"_s;
        SB_AWAIT_OK(created, m_store->createAgent(agent, "hash"_ba));
        SB_AWAIT_OK(read, m_store->getAgent(u"k8s-prod-1"_s));
        for (const AgentInfo &stored : {created.value(), read.value()}) {
            QCOMPARE(stored.agentId, agent.agentId);
            QCOMPARE(stored.orgId, u"acme"_s);
            QCOMPARE(stored.platform, protocol::Platform::Kubernetes);
            QCOMPARE(stored.region, u"us-east-1"_s);
            QCOMPARE(stored.status, AgentStatus::Offline);
            QCOMPARE(stored.approvalStatus, ApprovalStatus::Pending);
            QCOMPARE(stored.capacity, agent.capacity);
            QCOMPARE(stored.metadata, agent.metadata);
            QCOMPARE(stored.createdAt, at(0, 123));
            QVERIFY(!stored.lastHeartbeat.isValid());
            QVERIFY(stored.replica.isEmpty());
        }
        SB_AWAIT_ERROR(m_store->createAgent(agent, "other"_ba), ErrorCode::Conflict);
        SB_AWAIT_ERROR(m_store->getAgent(u"nobody"_s), ErrorCode::NotFound);
        SB_AWAIT_OK(orgs, m_store->listOrgs()); // the organisation row came with the agent
        QCOMPARE(orgs.value().size(), 1);
        QCOMPARE(orgs.value().at(0).orgId, u"acme"_s);

        AgentInfo bare = makeAgent(u"docker-1"_s);
        bare.region.clear();
        bare.metadata = {};
        bare.createdAt = {};
        bare.platform = protocol::Platform::Docker;
        SB_AWAIT_OK(bareCreated, m_store->createAgent(bare, {}));
        QVERIFY(bareCreated.value().region.isEmpty());
        QVERIFY(bareCreated.value().createdAt.isValid());
        QCOMPARE(bareCreated.value().platform, protocol::Platform::Docker);
        SB_AWAIT_ERROR(m_store->createAgent(makeAgent(QString()), {}), ErrorCode::InvalidValue);
    }

    void listAgentsByOrg()
    {
        for (const auto &[id, org] : {std::pair{u"c-agent"_s, u"acme"_s}, std::pair{u"a-agent"_s, u"acme"_s},
                                      std::pair{u"b-agent"_s, u"beta"_s}}) {
            SB_AWAIT_OK(created, m_store->createAgent(makeAgent(id, org), {}));
        }
        SB_AWAIT_OK(all, m_store->listAgents());
        QCOMPARE(all.value().size(), 3);
        QCOMPARE(all.value().at(0).agentId, u"a-agent"_s);
        QCOMPARE(all.value().at(1).agentId, u"b-agent"_s);
        QCOMPARE(all.value().at(2).agentId, u"c-agent"_s);
        SB_AWAIT_OK(acme, m_store->listAgents(u"acme"_s));
        QCOMPARE(acme.value().size(), 2);
        QCOMPARE(acme.value().at(0).agentId, u"a-agent"_s);
        SB_AWAIT_OK(none, m_store->listAgents(u"gamma"_s));
        QVERIFY(none.value().isEmpty());
    }

    void removeAgentCascadesCommands()
    {
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(command, m_store->createCommand(makeCommand(u"cmd-1"_s, u"k8s-1"_s)));
        SB_AWAIT_OK(removed, m_store->removeAgent(u"k8s-1"_s));
        SB_AWAIT_ERROR(m_store->getAgent(u"k8s-1"_s), ErrorCode::NotFound);
        SB_AWAIT_ERROR(m_store->getCommand(u"cmd-1"_s), ErrorCode::NotFound);
        SB_AWAIT_ERROR(m_store->removeAgent(u"k8s-1"_s), ErrorCode::NotFound);
    }

    void agentCredentials()
    {
        QVERIFY(openStore(true));                             // inspected with a second connection
        const QByteArray hash("\x00\x01\xfe\xff sha256", 12); // any bytes, NULs included
        SB_AWAIT_OK(created, m_store->createAgent(makeAgent(u"k8s-1"_s), hash));
        SB_AWAIT_OK(credentials, m_store->agentCredentials(u"k8s-1"_s));
        QCOMPARE(credentials.value().apiKeyHash, hash);
        QCOMPARE(credentials.value().agent.agentId, u"k8s-1"_s);
        QCOMPARE(credentials.value().agent.capacity, makeAgent(u"x"_s).capacity);
        SB_AWAIT_OK(keyless, m_store->createAgent(makeAgent(u"k8s-2"_s), {}));
        SB_AWAIT_OK(none, m_store->agentCredentials(u"k8s-2"_s));
        QVERIFY(none.value().apiKeyHash.isEmpty());
        SB_AWAIT_ERROR(m_store->agentCredentials(u"nobody"_s), ErrorCode::NotFound);
        QCOMPARE(countRows(u"agents WHERE agent_id = 'k8s-1' AND api_key_created_at IS NOT NULL"_s), 1);
        QCOMPARE(countRows(u"agents WHERE agent_id = 'k8s-1' AND api_key_last_used_at IS NULL"_s), 1);
    }

    void rotateAgentKey()
    {
        SB_AWAIT_OK(created, m_store->createAgent(makeAgent(u"k8s-1"_s), "old-hash"));
        SB_AWAIT_OK(rotated, m_store->rotateAgentKey(u"k8s-1"_s, "new-hash", at(40), at(10)));
        SB_AWAIT_OK(graced, m_store->agentCredentials(u"k8s-1"_s));
        QCOMPARE(graced.value().apiKeyHash, QByteArray("new-hash"));
        QCOMPARE(graced.value().previousApiKeyHash, QByteArray("old-hash"));
        QCOMPARE(graced.value().previousKeyExpiresAt, at(40));
        QVERIFY(graced.value().acceptsKeyHash("old-hash", at(39)));
        QVERIFY(!graced.value().acceptsKeyHash("old-hash", at(40)));
        QVERIFY(graced.value().acceptsKeyHash("new-hash", at(50)));
        QVERIFY(!graced.value().acceptsKeyHash("other", at(20)));
        // Without grace the previous key goes at once; a second rotation drops the first key.
        SB_AWAIT_OK(again, m_store->rotateAgentKey(u"k8s-1"_s, "newest-hash", {}, at(20)));
        SB_AWAIT_OK(plain, m_store->agentCredentials(u"k8s-1"_s));
        QCOMPARE(plain.value().apiKeyHash, QByteArray("newest-hash"));
        QVERIFY(plain.value().previousApiKeyHash.isEmpty());
        QVERIFY(!plain.value().acceptsKeyHash("new-hash", at(21)));
        SB_AWAIT_ERROR(m_store->rotateAgentKey(u"nobody"_s, "x", {}, at(20)), ErrorCode::NotFound);
    }

    void tokenRevocations()
    {
        SB_AWAIT_OK(first, m_store->revokeToken({u"jti-a"_s, at(50), at(10), u"root@acme"_s}));
        QCOMPARE(first.value().expiresAt, at(50));
        QCOMPARE(first.value().revokedBy, u"root@acme"_s);
        // A later expiry wins; an earlier one never shortens the revocation.
        SB_AWAIT_OK(longer, m_store->revokeToken({u"jti-a"_s, at(55), at(11), u"root@acme"_s}));
        QCOMPARE(longer.value().expiresAt, at(55));
        SB_AWAIT_OK(shorter, m_store->revokeToken({u"jti-a"_s, at(20), at(12), u"root@acme"_s}));
        QCOMPARE(shorter.value().expiresAt, at(55));
        SB_AWAIT_OK(second, m_store->revokeToken({u"jti-b"_s, at(30), at(12), u"cli"_s}));
        SB_AWAIT_OK(both, m_store->activeTokenRevocations(at(20)));
        QCOMPARE(both.value().size(), 2);
        QCOMPARE(both.value().at(0).jti, u"jti-a"_s);
        // Expired entries are pruned.
        SB_AWAIT_OK(one, m_store->activeTokenRevocations(at(30)));
        QCOMPARE(one.value().size(), 1);
        QCOMPARE(one.value().at(0).jti, u"jti-a"_s);
        SB_AWAIT_OK(still, m_store->activeTokenRevocations(at(20)));
        QCOMPARE(still.value().size(), 1); // jti-b was deleted, not just hidden
        SB_AWAIT_ERROR(m_store->revokeToken({QString(), at(50), at(10), {}}), ErrorCode::InvalidValue);
    }

    void updateAgentRegistration()
    {
        QVERIFY(openStore(true)); // inspected with a second connection
        SB_AWAIT_OK(created, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        const protocol::Capacity capacity{8, u"8 cores"_s, u"32Gi"_s, u"100Gi"_s};
        const QJsonObject metadata{{u"zone"_s, u"b"_s}};
        SB_AWAIT_OK(updated, m_store->updateAgentRegistration(u"k8s-1"_s, protocol::Platform::Vm,
                                                              u"eu-west-1"_s, capacity, metadata, at(30)));
        QCOMPARE(updated.value().platform, protocol::Platform::Vm);
        QCOMPARE(updated.value().region, u"eu-west-1"_s);
        QCOMPARE(updated.value().capacity, capacity);
        QCOMPARE(updated.value().metadata, metadata);
        QCOMPARE(updated.value().createdAt, at(0, 123));
        QCOMPARE(countRows(u"agents WHERE agent_id = 'k8s-1' AND api_key_last_used_at IS NOT NULL"_s), 1);
        SB_AWAIT_ERROR(
            m_store->updateAgentRegistration(u"nobody"_s, protocol::Platform::Vm, {}, capacity, {}, {}),
            ErrorCode::NotFound);
    }

    void setAgentApproval()
    {
        QVERIFY(openStore(true)); // inspected with a second connection
        AgentInfo agent = makeAgent(u"k8s-1"_s);
        agent.approvalStatus = ApprovalStatus::Pending;
        SB_AWAIT_OK(created, m_store->createAgent(agent, {}));
        SB_AWAIT_OK(approved,
                    m_store->setAgentApproval(u"k8s-1"_s, ApprovalStatus::Approved, u"admin"_s, at(9)));
        QCOMPARE(approved.value().approvalStatus, ApprovalStatus::Approved);
        QCOMPARE(scalar(u"SELECT approved_by FROM agents WHERE agent_id = 'k8s-1'"_s).toString(), u"admin"_s);
        SB_AWAIT_OK(rejected,
                    m_store->setAgentApproval(u"k8s-1"_s, ApprovalStatus::Rejected, u"root"_s, at(10)));
        QCOMPARE(rejected.value().approvalStatus, ApprovalStatus::Rejected);
        SB_AWAIT_ERROR(m_store->setAgentApproval(u"nobody"_s, ApprovalStatus::Approved, {}, {}),
                       ErrorCode::NotFound);
    }

    void markAgentConnected()
    {
        SB_AWAIT_OK(created, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(connected, m_store->markAgentConnected(u"k8s-1"_s, u"replica-a"_s, at(20, 5)));
        QCOMPARE(connected.value().status, AgentStatus::Online);
        QCOMPARE(connected.value().replica, u"replica-a"_s);
        QCOMPARE(connected.value().lastHeartbeat, at(20, 5));
        SB_AWAIT_ERROR(m_store->markAgentConnected(u"nobody"_s, u"replica-a"_s, at(20)), ErrorCode::NotFound);
    }

    void heartbeatBatchOfThousandAgents()
    {
        constexpr int count = 1000;
        QList<QFuture<Decoded<AgentInfo>>> creations;
        for (int i = 0; i < count; ++i)
            creations.append(m_store->createAgent(makeAgent(u"agent-%1"_s.arg(i, 4, 10, QChar(u'0'))), {}));
        for (const auto &creation : creations)
            QVERIFY(await(creation).ok());

        QList<HeartbeatRecord> beats;
        for (int i = 0; i < count; ++i)
            beats.append(HeartbeatRecord{
                u"agent-%1"_s.arg(i, 4, 10, QChar(u'0')), i % 2 ? AgentStatus::Draining : AgentStatus::Online,
                i % 50, protocol::Capacity{i, u"%1 cores"_s.arg(i), u"1Gi"_s, {}}, at(40, i % 1000)});
        beats.append(HeartbeatRecord{u"unknown-agent"_s, AgentStatus::Online, 0, {}, at(40)});
        QElapsedTimer timer;
        timer.start();
        SB_AWAIT_OK(updated, m_store->recordHeartbeats(beats));
        qInfo() << "1000 heartbeats written in" << timer.elapsed() << "ms";
        QCOMPARE(updated.value(), count);

        SB_AWAIT_OK(agent, m_store->getAgent(u"agent-0777"_s));
        QCOMPARE(agent.value().status, AgentStatus::Draining);
        QCOMPARE(agent.value().activeSessions, 777 % 50);
        QCOMPARE(agent.value().capacity.maxSessions, 777);
        QCOMPARE(agent.value().capacity.cpu, u"777 cores"_s);
        QCOMPARE(agent.value().lastHeartbeat, at(40, 777));
        SB_AWAIT_OK(none, m_store->recordHeartbeats({}));
        QCOMPARE(none.value(), 0);
    }

    void batchesKeepTheLatestBeatAndOddIds()
    {
        const QString odd = u"we\"ird\\id,{x} 'q'"_s; // quotes, backslash, array syntax
        SB_AWAIT_OK(created, m_store->createAgent(makeAgent(odd), {}));
        SB_AWAIT_OK(plain, m_store->createAgent(makeAgent(u"plain"_s), {}));
        SB_AWAIT_OK(
            beats,
            m_store->recordHeartbeats(
                {HeartbeatRecord{odd, AgentStatus::Online, 1, {}, at(1)},
                 HeartbeatRecord{u"plain"_s, AgentStatus::Online, 5, {}, at(1)},
                 HeartbeatRecord{odd, AgentStatus::Draining, 2, {3, u"\"quoted\""_s, {}, {}}, at(2)}}));
        QCOMPARE(beats.value(), 2); // agents updated, the later beat of the same agent wins
        SB_AWAIT_OK(stored, m_store->getAgent(odd));
        QCOMPARE(stored.value().status, AgentStatus::Draining);
        QCOMPARE(stored.value().activeSessions, 2);
        QCOMPARE(stored.value().capacity.cpu, u"\"quoted\""_s);
        QCOMPARE(stored.value().lastHeartbeat, at(2));
        SB_AWAIT_OK(connected, m_store->markAgentConnected(odd, u"replica-a"_s, at(3)));
        SB_AWAIT_OK(offline,
                    m_store->markAgentsOffline({odd, u"plain"_s, u"missing"_s}, u"replica-a"_s, at(4)));
        QCOMPARE(offline.value(), 1);
        SB_AWAIT_OK(gone, m_store->getAgent(odd));
        QCOMPARE(gone.value().status, AgentStatus::Offline);
        // Single node (no replica names): rows without a replica.
        SB_AWAIT_OK(single, m_store->markAgentsOffline({u"plain"_s}, QString(), at(5)));
        QCOMPARE(single.value(), 1);
        SB_AWAIT_OK(plainGone, m_store->getAgent(u"plain"_s));
        QCOMPARE(plainGone.value().status, AgentStatus::Offline);
    }

    void markAgentsOfflineOnlyOnTheirReplica()
    {
        QVERIFY(openStore(true)); // inspected with a second connection
        SB_AWAIT_OK(a, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(b, m_store->createAgent(makeAgent(u"k8s-2"_s), {}));
        SB_AWAIT_OK(firstConnection, m_store->markAgentConnected(u"k8s-1"_s, u"replica-a"_s, at(1)));
        // The agent reconnected to replica-b before replica-a noticed the old connection closing.
        SB_AWAIT_OK(secondConnection, m_store->markAgentConnected(u"k8s-1"_s, u"replica-b"_s, at(2)));
        SB_AWAIT_OK(other, m_store->markAgentConnected(u"k8s-2"_s, u"replica-a"_s, at(2)));

        SB_AWAIT_OK(late, m_store->markAgentsOffline({u"k8s-1"_s, u"k8s-2"_s}, u"replica-a"_s, at(3)));
        QCOMPARE(late.value(), 1); // only k8s-2
        SB_AWAIT_OK(stillOnline, m_store->getAgent(u"k8s-1"_s));
        QCOMPARE(stillOnline.value().status, AgentStatus::Online);
        QCOMPARE(stillOnline.value().replica, u"replica-b"_s);
        SB_AWAIT_OK(offline, m_store->getAgent(u"k8s-2"_s));
        QCOMPARE(offline.value().status, AgentStatus::Offline);
        QVERIFY(offline.value().replica.isEmpty());

        SB_AWAIT_OK(owner, m_store->markAgentsOffline({u"k8s-1"_s}, u"replica-b"_s, at(4)));
        QCOMPARE(owner.value(), 1);
        SB_AWAIT_OK(gone, m_store->getAgent(u"k8s-1"_s));
        QCOMPARE(gone.value().status, AgentStatus::Offline);
        QVERIFY(gone.value().replica.isEmpty());
        QCOMPARE(countRows(u"agents WHERE agent_id = 'k8s-1' AND replica IS NULL"_s), 1);
    }

    void markReplicaAgentsOffline()
    {
        const QStringList ids{u"a1"_s, u"a2"_s, u"a3"_s, u"b1"_s};
        for (const QString &id : ids) {
            SB_AWAIT_OK(created, m_store->createAgent(makeAgent(id), {}));
            SB_AWAIT_OK(connected, m_store->markAgentConnected(
                                       id, id.startsWith(u'a') ? u"replica-a"_s : u"replica-b"_s, at(1)));
        }
        SB_AWAIT_OK(beats,
                    m_store->recordHeartbeats({HeartbeatRecord{u"a2"_s, AgentStatus::Draining, 0, {}, at(2)},
                                               HeartbeatRecord{u"a3"_s, AgentStatus::Stale, 0, {}, at(2)}}));
        SB_AWAIT_OK(marked, m_store->markReplicaAgentsOffline(u"replica-a"_s, at(3)));
        QCOMPARE(marked.value(), 3);
        SB_AWAIT_OK(agents, m_store->listAgents());
        for (const AgentInfo &agent : agents.value()) {
            const bool onB = agent.agentId == u"b1"_s;
            QCOMPARE(agent.status, onB ? AgentStatus::Online : AgentStatus::Offline);
            QCOMPARE(agent.replica, onB ? u"replica-b"_s : QString());
        }
        SB_AWAIT_OK(again, m_store->markReplicaAgentsOffline(u"replica-a"_s, at(4)));
        QCOMPARE(again.value(), 0);
    }

    void createAndGetCommand()
    {
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s, u"acme"_s), {}));
        CommandInfo command = makeCommand(u"cmd-1"_s, u"k8s-1"_s, u"alice-firefox-1"_s);
        SB_AWAIT_OK(created, m_store->createCommand(command));
        SB_AWAIT_OK(read, m_store->getCommand(u"cmd-1"_s));
        for (const CommandInfo &stored : {created.value(), read.value()}) {
            QCOMPARE(stored.commandId, u"cmd-1"_s);
            QCOMPARE(stored.agentId, u"k8s-1"_s);
            QCOMPARE(stored.orgId, u"acme"_s); // taken from the agent
            QCOMPARE(stored.sessionId, u"alice-firefox-1"_s);
            QCOMPARE(stored.action, u"start_session"_s);
            QCOMPARE(stored.payload, command.payload);
            QCOMPARE(stored.status, CommandStatus::Pending);
            QCOMPARE(stored.attempts, 0);
            QVERIFY(stored.createdAt.isValid());
            QVERIFY(stored.updatedAt.isValid());
            QVERIFY(!stored.sentAt.isValid());
            QVERIFY(stored.result.isEmpty());
            QVERIFY(stored.error.isEmpty());
        }
        SB_AWAIT_ERROR(m_store->createCommand(command), ErrorCode::Conflict);
        SB_AWAIT_ERROR(m_store->createCommand(makeCommand(u"cmd-2"_s, u"nobody"_s)), ErrorCode::NotFound);
        SB_AWAIT_ERROR(m_store->getCommand(u"cmd-2"_s), ErrorCode::NotFound);
        SB_AWAIT_ERROR(m_store->createCommand(makeCommand(QString(), u"k8s-1"_s)), ErrorCode::InvalidValue);
    }

    void advanceCommand_data()
    {
        // Each step is a target status; the last step's outcome and the final status are checked.
        QTest::addColumn<QList<int>>("steps");
        QTest::addColumn<int>("finalStatus");
        QTest::addColumn<bool>("lastChanged");
        QTest::addColumn<int>("lastError"); // -1: none
        const auto s = [](CommandStatus status) { return static_cast<int>(status); };
        const int none = -1;
        const int conflict = static_cast<int>(ErrorCode::Conflict);
        QTest::newRow("pending->sent")
            << QList<int>{s(CommandStatus::Sent)} << s(CommandStatus::Sent) << true << none;
        QTest::newRow("sent->ack") << QList<int>{s(CommandStatus::Sent), s(CommandStatus::Ack)}
                                   << s(CommandStatus::Ack) << true << none;
        QTest::newRow("pending->ack->sent stays ack")
            << QList<int>{s(CommandStatus::Ack), s(CommandStatus::Sent)} << s(CommandStatus::Ack) << false
            << none;
        QTest::newRow("sent->ack->sent stays ack")
            << QList<int>{s(CommandStatus::Sent), s(CommandStatus::Ack), s(CommandStatus::Sent)}
            << s(CommandStatus::Ack) << false << none;
        QTest::newRow("complete then ack stays completed")
            << QList<int>{s(CommandStatus::Sent), s(CommandStatus::Completed), s(CommandStatus::Ack)}
            << s(CommandStatus::Completed) << false << none;
        QTest::newRow("failed after completed stays completed")
            << QList<int>{s(CommandStatus::Completed), s(CommandStatus::Failed)}
            << s(CommandStatus::Completed) << false << none;
        QTest::newRow("completed after failed stays failed")
            << QList<int>{s(CommandStatus::Ack), s(CommandStatus::Failed), s(CommandStatus::Completed)}
            << s(CommandStatus::Failed) << false << none;
        QTest::newRow("pending->completed")
            << QList<int>{s(CommandStatus::Completed)} << s(CommandStatus::Completed) << true << none;
        QTest::newRow("same status twice") << QList<int>{s(CommandStatus::Sent), s(CommandStatus::Sent)}
                                           << s(CommandStatus::Sent) << false << none;
        QTest::newRow("cancel from pending")
            << QList<int>{s(CommandStatus::Cancelled)} << s(CommandStatus::Cancelled) << true << none;
        QTest::newRow("cancel twice is a no-op")
            << QList<int>{s(CommandStatus::Cancelled), s(CommandStatus::Cancelled)}
            << s(CommandStatus::Cancelled) << false << none;
        QTest::newRow("sent after cancel stays cancelled")
            << QList<int>{s(CommandStatus::Cancelled), s(CommandStatus::Sent)} << s(CommandStatus::Cancelled)
            << false << none;
        QTest::newRow("cancel from sent is a conflict")
            << QList<int>{s(CommandStatus::Sent), s(CommandStatus::Cancelled)} << s(CommandStatus::Sent)
            << false << conflict;
        QTest::newRow("cancel from ack is a conflict")
            << QList<int>{s(CommandStatus::Ack), s(CommandStatus::Cancelled)} << s(CommandStatus::Ack)
            << false << conflict;
        QTest::newRow("cancel from completed is a conflict")
            << QList<int>{s(CommandStatus::Completed), s(CommandStatus::Cancelled)}
            << s(CommandStatus::Completed) << false << conflict;
    }

    void advanceCommand()
    {
        QFETCH(QList<int>, steps);
        QFETCH(int, finalStatus);
        QFETCH(bool, lastChanged);
        QFETCH(int, lastError);
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(command, m_store->createCommand(makeCommand(u"cmd-1"_s, u"k8s-1"_s)));
        CommandStatus current = CommandStatus::Pending;
        for (int i = 0; i < steps.size(); ++i) {
            const auto to = static_cast<CommandStatus>(steps.at(i));
            CommandTransitionRequest request;
            request.commandId = u"cmd-1"_s;
            request.agentId = u"k8s-1"_s;
            request.to = to;
            request.at = at(10 + i);
            if (to == CommandStatus::Failed)
                request.error = u"image pull failed"_s;
            if (to == CommandStatus::Completed)
                request.result = QJsonObject{{u"podName"_s, u"pod-1"_s}};
            const auto transition = await(m_store->advanceCommand(request));
            const bool last = i == steps.size() - 1;
            if (last && lastError >= 0) {
                QVERIFY(!transition.ok());
                QCOMPARE(protocol::errorCodeName(transition.error().code),
                         protocol::errorCodeName(static_cast<ErrorCode>(lastError)));
                break;
            }
            QVERIFY2(transition.ok(), transition.ok() ? "" : describe(transition.error()).constData());
            QCOMPARE(transition.value().previous, current);
            if (last)
                QCOMPARE(transition.value().changed, lastChanged);
            current = transition.value().command.status;
        }
        SB_AWAIT_OK(stored, m_store->getCommand(u"cmd-1"_s));
        const CommandInfo &c = stored.value();
        QCOMPARE(static_cast<int>(c.status), finalStatus);
        // Each timestamp is set exactly when its status was reached.
        const auto reached = [&](CommandStatus status) { return steps.contains(static_cast<int>(status)); };
        QCOMPARE(c.sentAt.isValid(), reached(CommandStatus::Sent) && c.sentAt.isValid());
        if (c.status == CommandStatus::Sent)
            QVERIFY(c.sentAt.isValid());
        if (c.status == CommandStatus::Ack)
            QVERIFY(c.acknowledgedAt.isValid());
        QCOMPARE(c.completedAt.isValid(), protocol::isFinalCommandStatus(c.status));
        QCOMPARE(c.error.isEmpty(), c.status != CommandStatus::Failed);
        QCOMPARE(c.result.isEmpty(), c.status != CommandStatus::Completed);
        if (c.status == CommandStatus::Completed)
            QCOMPARE(c.result.value(u"podName"_s).toString(), u"pod-1"_s);
    }

    void advanceCommandChecksOwnerAndExistence()
    {
        SB_AWAIT_OK(agent1, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(agent2, m_store->createAgent(makeAgent(u"k8s-2"_s), {}));
        SB_AWAIT_OK(command, m_store->createCommand(makeCommand(u"cmd-1"_s, u"k8s-1"_s)));
        CommandTransitionRequest request{u"cmd-1"_s, u"k8s-2"_s, CommandStatus::Ack, {}, {}, at(1),
                                         false,      {}};
        const auto wrongAgent = await(m_store->advanceCommand(request));
        QVERIFY(!wrongAgent.ok());
        QCOMPARE(wrongAgent.error().code, ErrorCode::NotFound);
        QCOMPARE(wrongAgent.error().message, u"command cmd-1 is not assigned to agent k8s-2"_s);
        SB_AWAIT_OK(unchanged, m_store->getCommand(u"cmd-1"_s));
        QCOMPARE(unchanged.value().status, CommandStatus::Pending);

        request.commandId = u"cmd-404"_s;
        request.agentId.clear();
        SB_AWAIT_ERROR(m_store->advanceCommand(request), ErrorCode::NotFound);

        request.commandId = u"cmd-1"_s; // no agent given: any agent's command
        SB_AWAIT_OK(acked, m_store->advanceCommand(request));
        QVERIFY(acked.value().changed);
        QCOMPARE(acked.value().command.acknowledgedAt, at(1));
    }

    void advanceCommandCountsAttempts()
    {
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(command, m_store->createCommand(makeCommand(u"cmd-1"_s, u"k8s-1"_s)));
        CommandTransitionRequest send{u"cmd-1"_s, u"k8s-1"_s, CommandStatus::Sent, {}, {}, at(1), true, {}};
        SB_AWAIT_OK(first, m_store->advanceCommand(send));
        QVERIFY(first.value().changed);
        QCOMPARE(first.value().command.attempts, 1);
        QCOMPARE(first.value().command.sentAt, at(1));
        send.at = at(20);
        SB_AWAIT_OK(resent, m_store->advanceCommand(send)); // redelivery: status unchanged, attempt counted
        QVERIFY(!resent.value().changed);
        QCOMPARE(resent.value().previous, CommandStatus::Sent);
        QCOMPARE(resent.value().command.status, CommandStatus::Sent);
        QCOMPARE(resent.value().command.attempts, 2);
        QCOMPARE(resent.value().command.sentAt, at(20));
        CommandTransitionRequest ack{u"cmd-1"_s, u"k8s-1"_s, CommandStatus::Ack, {}, {}, at(21), false, {}};
        SB_AWAIT_OK(acked, m_store->advanceCommand(ack));
        QCOMPARE(acked.value().command.attempts, 2);
        send.at = at(30);
        SB_AWAIT_OK(late, m_store->advanceCommand(send)); // acked: no more attempts
        QVERIFY(!late.value().changed);
        QCOMPARE(late.value().command.attempts, 2);
        QCOMPARE(late.value().command.status, CommandStatus::Ack);
    }

    void advanceCommandOnlyFromAGivenStatus()
    {
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(command, m_store->createCommand(makeCommand(u"cmd-1"_s, u"k8s-1"_s)));
        CommandTransitionRequest send{u"cmd-1"_s, u"k8s-1"_s, CommandStatus::Sent, {}, {}, at(1), true, {}};
        SB_AWAIT_OK(sent, m_store->advanceCommand(send));
        CommandTransitionRequest ack{u"cmd-1"_s, u"k8s-1"_s, CommandStatus::Ack, {}, {}, at(2), false, {}};
        SB_AWAIT_OK(acked, m_store->advanceCommand(ack));
        // A deadline decided while the command was still sent must not fail the acknowledged command.
        CommandTransitionRequest expire;
        expire.commandId = u"cmd-1"_s;
        expire.to = CommandStatus::Failed;
        expire.error = u"ack_timeout"_s;
        expire.at = at(3);
        expire.onlyFrom = CommandStatus::Sent;
        SB_AWAIT_OK(refused, m_store->advanceCommand(expire));
        QVERIFY(!refused.value().changed);
        QCOMPARE(refused.value().command.status, CommandStatus::Ack);
        QVERIFY(refused.value().command.error.isEmpty());
        expire.onlyFrom = CommandStatus::Ack;
        SB_AWAIT_OK(expired, m_store->advanceCommand(expire));
        QVERIFY(expired.value().changed);
        QCOMPARE(expired.value().command.status, CommandStatus::Failed);
        QCOMPARE(expired.value().command.error, u"ack_timeout"_s);
        // Cancel only from pending: a sent command stays sent.
        SB_AWAIT_OK(other, m_store->createCommand(makeCommand(u"cmd-2"_s, u"k8s-1"_s)));
        send.commandId = u"cmd-2"_s;
        SB_AWAIT_OK(sent2, m_store->advanceCommand(send));
        CommandTransitionRequest cancel{u"cmd-2"_s, {}, CommandStatus::Cancelled, {}, {}, at(4), false, {}};
        cancel.onlyFrom = CommandStatus::Pending;
        SB_AWAIT_OK(notCancelled, m_store->advanceCommand(cancel));
        QVERIFY(!notCancelled.value().changed);
        QCOMPARE(notCancelled.value().command.status, CommandStatus::Sent);
    }

    void overdueCommands()
    {
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        // cmd-a: sent at 1 and again at 30 (ack deadline from 30, complete deadline from 1)
        // cmd-b: sent at 1, acknowledged; cmd-c: pending; cmd-d: completed; cmd-e: a stop sent at 5.
        for (const QString &id : {u"cmd-a"_s, u"cmd-b"_s, u"cmd-c"_s, u"cmd-d"_s, u"cmd-e"_s}) {
            CommandInfo command = makeCommand(id, u"k8s-1"_s);
            if (id == u"cmd-e"_s)
                command.action = u"stop_session"_s;
            SB_AWAIT_OK(created, m_store->createCommand(command));
        }
        const auto advance = [this](const QString &id, CommandStatus to, int second, bool attempt) {
            CommandTransitionRequest request{id, {}, to, {}, {}, at(second), attempt, {}};
            return await(m_store->advanceCommand(request)).ok();
        };
        QVERIFY(advance(u"cmd-a"_s, CommandStatus::Sent, 1, true));
        QVERIFY(advance(u"cmd-a"_s, CommandStatus::Sent, 30, true));
        QVERIFY(advance(u"cmd-b"_s, CommandStatus::Sent, 1, true));
        QVERIFY(advance(u"cmd-b"_s, CommandStatus::Ack, 2, false));
        QVERIFY(advance(u"cmd-d"_s, CommandStatus::Sent, 1, true));
        QVERIFY(advance(u"cmd-d"_s, CommandStatus::Completed, 2, false));
        QVERIFY(advance(u"cmd-e"_s, CommandStatus::Sent, 5, true));

        const auto ids = [](const QList<OverdueCommand> &list) {
            QStringList found;
            for (const OverdueCommand &overdue : list)
                found.append(overdue.command.commandId);
            return found;
        };
        CommandDeadlines deadlines;
        deadlines.ackBefore = at(20); // cmd-a was re-sent at 30: not overdue for its ack
        deadlines.completeBefore.insert(u"start_session"_s, at(0));
        deadlines.completeBefore.insert(u"stop_session"_s, at(10)); // cmd-e first sent at 5
        SB_AWAIT_OK(first, m_store->overdueCommands(deadlines));
        QCOMPARE(ids(first.value()), QStringList{u"cmd-e"_s});
        QCOMPARE(first.value().at(0).firstSentAt, at(5));

        deadlines.ackBefore = at(40);
        deadlines.completeBefore.insert(u"stop_session"_s, at(0));
        SB_AWAIT_OK(ack, m_store->overdueCommands(deadlines));
        QCOMPARE(ids(ack.value()), (QStringList{u"cmd-a"_s, u"cmd-e"_s}));
        QCOMPARE(ack.value().at(0).firstSentAt, at(1)); // the first send, not the latest
        QCOMPARE(ack.value().at(0).command.sentAt, at(30));
        QCOMPARE(ack.value().at(0).command.attempts, 2);

        deadlines.ackBefore = at(0);
        deadlines.completeBefore.insert(u"start_session"_s, at(1)); // acknowledged ones count too
        SB_AWAIT_OK(complete, m_store->overdueCommands(deadlines));
        QCOMPARE(ids(complete.value()), (QStringList{u"cmd-a"_s, u"cmd-b"_s}));

        CommandDeadlines fallback; // an action without its own deadline takes the default
        fallback.completeBefore.insert(u"stop_session"_s, at(0));
        fallback.defaultCompleteBefore = at(1);
        SB_AWAIT_OK(other, m_store->overdueCommands(fallback));
        QCOMPARE(ids(other.value()), (QStringList{u"cmd-a"_s, u"cmd-b"_s}));
        SB_AWAIT_OK(none, m_store->overdueCommands(CommandDeadlines{}));
        QVERIFY(none.value().isEmpty());
    }

    void failAbandonedSessions()
    {
        // k8s-gone: offline since 10; k8s-back: online; k8s-recent: offline since 50; k8s-deleted: removed.
        for (const QString &id : {u"k8s-gone"_s, u"k8s-back"_s, u"k8s-recent"_s, u"k8s-deleted"_s}) {
            SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(id), {}));
            SB_AWAIT_OK(created, m_store->createSessionWithCommand(makeSession(u"s-"_s + id, id),
                                                                   makeCommand(u"cmd-"_s + id, id)));
            SB_AWAIT_OK(connected, m_store->markAgentConnected(id, u"r1"_s, at(1)));
        }
        SB_AWAIT_OK(ended, m_store->createSessionWithCommand(makeSession(u"s-ended"_s, u"k8s-gone"_s),
                                                             makeCommand(u"cmd-ended"_s, u"k8s-gone"_s)));
        SessionUpdate terminate;
        terminate.sessionId = u"s-ended"_s;
        terminate.state = protocol::SessionState::Terminated;
        SB_AWAIT_OK(terminated, m_store->updateSession(terminate));
        SessionUpdate run;
        run.sessionId = u"s-k8s-gone"_s;
        run.state = protocol::SessionState::Running;
        SB_AWAIT_OK(running, m_store->updateSession(run));
        SB_AWAIT_OK(gone, m_store->markAgentsOffline({u"k8s-gone"_s}, u"r1"_s, at(10)));
        SB_AWAIT_OK(recent, m_store->markAgentsOffline({u"k8s-recent"_s}, u"r1"_s, at(50)));
        SB_AWAIT_OK(removed, m_store->removeAgent(u"k8s-deleted"_s));

        SB_AWAIT_OK(failed, m_store->failAbandonedSessions(at(30), u"agent_unavailable"_s, at(40)));
        QStringList ids;
        for (const SessionTransition &transition : failed.value()) {
            ids.append(transition.session.sessionId);
            QVERIFY(transition.stateChanged);
            QCOMPARE(transition.session.state, protocol::SessionState::Failed);
            QCOMPARE(transition.session.terminationReason, u"agent_unavailable"_s);
        }
        ids.sort();
        QCOMPARE(ids, (QStringList{u"s-k8s-deleted"_s, u"s-k8s-gone"_s}));
        for (const SessionTransition &transition : failed.value()) {
            if (transition.session.sessionId == u"s-k8s-gone"_s)
                QCOMPARE(transition.previous, protocol::SessionState::Running);
        }
        SB_AWAIT_OK(stored, m_store->getSession(u"s-k8s-gone"_s));
        QCOMPARE(stored.value().state, protocol::SessionState::Failed);
        QCOMPARE(stored.value().terminationReason, u"agent_unavailable"_s);
        SB_AWAIT_OK(back, m_store->getSession(u"s-k8s-back"_s));
        QCOMPARE(back.value().state, protocol::SessionState::Pending);
        SB_AWAIT_OK(recentSession, m_store->getSession(u"s-k8s-recent"_s));
        QCOMPARE(recentSession.value().state, protocol::SessionState::Pending);
        SB_AWAIT_OK(endedSession, m_store->getSession(u"s-ended"_s));
        QCOMPARE(endedSession.value().state, protocol::SessionState::Terminated);

        SB_AWAIT_OK(again, m_store->failAbandonedSessions(at(30), u"agent_unavailable"_s, at(41)));
        QVERIFY(again.value().isEmpty()); // once
    }

    void commandsForAgentInCreationOrder()
    {
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(other, m_store->createAgent(makeAgent(u"k8s-2"_s), {}));
        // Queued back to back without waiting: jobs run in call order. Ids do not sort by name.
        QList<QFuture<Decoded<CommandInfo>>> created;
        QStringList ids;
        for (int i = 0; i < 50; ++i) {
            ids.append(u"cmd-%1"_s.arg((i * 37) % 101));
            created.append(m_store->createCommand(makeCommand(ids.last(), u"k8s-1"_s)));
        }
        created.append(m_store->createCommand(makeCommand(u"cmd-other"_s, u"k8s-2"_s)));
        CommandTransitionRequest send{ids.at(3), {}, CommandStatus::Sent, {}, {}, at(1), false, {}};
        auto sent = m_store->advanceCommand(send);
        send.commandId = ids.at(4);
        send.to = CommandStatus::Completed;
        auto completed = m_store->advanceCommand(send);
        auto pendingAndSent =
            m_store->commandsForAgent(u"k8s-1"_s, {CommandStatus::Pending, CommandStatus::Sent});
        for (const auto &future : created)
            QVERIFY(await(future).ok());
        QVERIFY(await(sent).ok());
        QVERIFY(await(completed).ok());
        SB_AWAIT_OK(open, pendingAndSent);
        QStringList expected = ids;
        expected.removeAt(4);
        QStringList actual;
        for (const CommandInfo &command : open.value())
            actual.append(command.commandId);
        QCOMPARE(actual, expected);
        SB_AWAIT_OK(all, m_store->commandsForAgent(u"k8s-1"_s, {}));
        QCOMPARE(all.value().size(), 50);
        SB_AWAIT_OK(onlySent, m_store->commandsForAgent(u"k8s-1"_s, {CommandStatus::Sent}));
        QCOMPARE(onlySent.value().size(), 1);
        QCOMPARE(onlySent.value().at(0).commandId, ids.at(3));
    }

    void recentCommandsNewestFirst()
    {
        SB_AWAIT_OK(a, m_store->createAgent(makeAgent(u"k8s-a"_s, u"acme"_s), {}));
        SB_AWAIT_OK(b, m_store->createAgent(makeAgent(u"k8s-b"_s, u"beta"_s), {}));
        for (int i = 0; i < 6; ++i) {
            SB_AWAIT_OK(created, m_store->createCommand(
                                     makeCommand(u"cmd-%1"_s.arg(i), i % 2 ? u"k8s-b"_s : u"k8s-a"_s)));
        }
        SB_AWAIT_OK(all, m_store->recentCommands({}, 4));
        QCOMPARE(all.value().size(), 4);
        QCOMPARE(all.value().at(0).commandId, u"cmd-5"_s);
        QCOMPARE(all.value().at(3).commandId, u"cmd-2"_s);
        SB_AWAIT_OK(acme, m_store->recentCommands(u"acme"_s, 10));
        QCOMPARE(acme.value().size(), 3);
        QCOMPARE(acme.value().at(0).commandId, u"cmd-4"_s);
        QCOMPARE(acme.value().at(0).orgId, u"acme"_s);
        SB_AWAIT_OK(none, m_store->recentCommands({}, 0));
        QVERIFY(none.value().isEmpty());
    }

    void createSessionWithCommand()
    {
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        const SessionInfo session = makeSession(u"alice-firefox-1"_s, u"k8s-1"_s, u"newco"_s);
        CommandInfo command =
            makeCommand(u"cmd-1"_s, u"k8s-1"_s); // sessionId and orgId come from the session
        SB_AWAIT_OK(created, m_store->createSessionWithCommand(session, command));
        SB_AWAIT_OK(read, m_store->getSession(u"alice-firefox-1"_s));
        for (const SessionInfo &stored : {created.value().first, read.value()}) {
            QCOMPARE(stored.sessionId, session.sessionId);
            QCOMPARE(stored.orgId, u"newco"_s);
            QCOMPARE(stored.userId, u"alice"_s);
            QCOMPARE(stored.templateName, u"firefox"_s);
            QCOMPARE(stored.state, SessionState::Pending);
            QCOMPARE(stored.agentId, u"k8s-1"_s);
            QCOMPARE(stored.platform, u"kubernetes"_s);
            QCOMPARE(stored.namespaceName, u"streamspace"_s);
            QCOMPARE(stored.memory, u"2Gi"_s);
            QCOMPARE(stored.cpu, u"1000m"_s);
            QCOMPARE(stored.idleTimeoutSeconds, 1800);
            QCOMPARE(stored.lastActivity, at(5));
            QCOMPARE(stored.tags, session.tags);
            QCOMPARE(stored.createdAt, at(1));
            QVERIFY(stored.podName.isEmpty());
            QVERIFY(stored.url.isEmpty());
        }
        QCOMPARE(created.value().second.commandId, u"cmd-1"_s);
        QCOMPARE(created.value().second.sessionId, u"alice-firefox-1"_s);
        QCOMPARE(created.value().second.orgId, u"newco"_s);
        SB_AWAIT_OK(orgs, m_store->listOrgs());
        QCOMPARE(orgs.value().size(), 2); // acme (agent) and newco (session)
    }

    void createSessionWithCommandIsAtomic()
    {
        QVERIFY(openStore(true)); // inspected with a second connection
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(first, m_store->createSessionWithCommand(makeSession(u"s-1"_s, u"k8s-1"_s),
                                                             makeCommand(u"cmd-1"_s, u"k8s-1"_s)));
        // Duplicate session: the new command must not be written either.
        SB_AWAIT_ERROR(m_store->createSessionWithCommand(makeSession(u"s-1"_s, u"k8s-1"_s),
                                                         makeCommand(u"cmd-2"_s, u"k8s-1"_s)),
                       ErrorCode::Conflict);
        SB_AWAIT_ERROR(m_store->getCommand(u"cmd-2"_s), ErrorCode::NotFound);
        // Duplicate command: the new session must not be written.
        SB_AWAIT_ERROR(m_store->createSessionWithCommand(makeSession(u"s-2"_s, u"k8s-1"_s),
                                                         makeCommand(u"cmd-1"_s, u"k8s-1"_s)),
                       ErrorCode::Conflict);
        SB_AWAIT_ERROR(m_store->getSession(u"s-2"_s), ErrorCode::NotFound);
        // Unknown agent: neither, and not even the new organisation.
        SB_AWAIT_ERROR(m_store->createSessionWithCommand(makeSession(u"s-3"_s, u"ghost"_s, u"other-org"_s),
                                                         makeCommand(u"cmd-3"_s, u"ghost"_s)),
                       ErrorCode::NotFound);
        SB_AWAIT_ERROR(m_store->getSession(u"s-3"_s), ErrorCode::NotFound);
        SB_AWAIT_OK(orgs, m_store->listOrgs());
        QCOMPARE(orgs.value().size(), 1);
        QCOMPARE(countRows(u"agent_commands"_s), 1);
        QCOMPARE(countRows(u"sessions"_s), 1);
    }

    void updateSession()
    {
        QVERIFY(openStore(true)); // inspected with a second connection
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(created, m_store->createSessionWithCommand(makeSession(u"s-1"_s, u"k8s-1"_s),
                                                               makeCommand(u"cmd-1"_s, u"k8s-1"_s)));
        SessionUpdate running;
        running.sessionId = u"s-1"_s;
        running.agentId = u"k8s-1"_s;
        running.state = SessionState::Running;
        running.podName = u"pod-1"_s;
        running.url = u"/api/v1/sessions/s-1/vnc"_s;
        running.at = at(30);
        SB_AWAIT_OK(started, m_store->updateSession(running));
        QVERIFY(started.value().stateChanged);
        QCOMPARE(started.value().previous, SessionState::Pending);
        QCOMPARE(started.value().session.state, SessionState::Running);
        QCOMPARE(started.value().session.podName, u"pod-1"_s);
        QCOMPARE(started.value().session.url, u"/api/v1/sessions/s-1/vnc"_s);
        QCOMPARE(started.value().session.updatedAt, at(30));

        SessionUpdate same{u"s-1"_s,     {},    SessionState::Running, std::nullopt, std::nullopt,
                           std::nullopt, at(31)};
        SB_AWAIT_OK(unchanged, m_store->updateSession(same));
        QVERIFY(!unchanged.value().stateChanged);
        QCOMPARE(unchanged.value().session.podName, u"pod-1"_s); // untouched fields stay

        SessionUpdate intruder{u"s-1"_s, u"k8s-2"_s, SessionState::Terminated, {}, {}, {}, at(32)};
        const auto forbidden = await(m_store->updateSession(intruder));
        QVERIFY(!forbidden.ok());
        QCOMPARE(forbidden.error().code, ErrorCode::Forbidden);
        QCOMPARE(forbidden.error().message, u"session s-1 is not assigned to agent k8s-2"_s);

        QCOMPARE(countRows(u"sessions WHERE id = 's-1' AND terminated_at IS NULL"_s), 1);
        SessionUpdate stop{u"s-1"_s,     u"k8s-1"_s,   SessionState::Terminated,
                           std::nullopt, std::nullopt, u"user request"_s,
                           at(33)};
        SB_AWAIT_OK(stopped, m_store->updateSession(stop));
        QVERIFY(stopped.value().stateChanged);
        QCOMPARE(stopped.value().previous, SessionState::Running);
        QCOMPARE(stopped.value().session.terminationReason, u"user request"_s);
        QCOMPARE(countRows(u"sessions WHERE id = 's-1' AND terminated_at IS NOT NULL"_s), 1);

        // A late status report does not bring an ended session back.
        SB_AWAIT_OK(late, m_store->updateSession(running));
        QVERIFY(!late.value().stateChanged);
        QCOMPARE(late.value().session.state, SessionState::Terminated);

        SessionUpdate missing{u"s-404"_s, {}, SessionState::Running, {}, {}, {}, {}};
        SB_AWAIT_ERROR(m_store->updateSession(missing), ErrorCode::NotFound);
    }

    void sessionLists()
    {
        SB_AWAIT_OK(a1, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        SB_AWAIT_OK(a2, m_store->createAgent(makeAgent(u"k8s-2"_s), {}));
        const struct
        {
            const char16_t *id;
            const char16_t *agent;
            const char16_t *org;
            int second;
            SessionState state;
        } rows[] = {
            {u"s-c", u"k8s-1", u"acme", 3, SessionState::Running},
            {u"s-a", u"k8s-1", u"acme", 1, SessionState::Terminated},
            {u"s-b", u"k8s-2", u"acme", 2, SessionState::Hibernated},
            {u"s-d", u"k8s-1", u"beta", 4, SessionState::Failed},
            {u"s-e", u"k8s-2", u"beta", 5, SessionState::Pending},
        };
        int n = 0;
        for (const auto &row : rows) {
            SessionInfo session = makeSession(QString::fromUtf16(row.id), QString::fromUtf16(row.agent),
                                              QString::fromUtf16(row.org));
            session.createdAt = at(row.second);
            session.state = row.state;
            SB_AWAIT_OK(created,
                        m_store->createSessionWithCommand(
                            session, makeCommand(u"cmd-%1"_s.arg(n++), QString::fromUtf16(row.agent))));
        }
        const auto ids = [](const QList<SessionInfo> &sessions) {
            QStringList list;
            for (const SessionInfo &session : sessions)
                list.append(session.sessionId);
            return list;
        };
        SB_AWAIT_OK(acmeActive, m_store->sessionsForOrg(u"acme"_s));
        QCOMPARE(ids(acmeActive.value()), (QStringList{u"s-b"_s, u"s-c"_s}));
        SB_AWAIT_OK(acmeAll, m_store->sessionsForOrg(u"acme"_s, true));
        QCOMPARE(ids(acmeAll.value()), (QStringList{u"s-a"_s, u"s-b"_s, u"s-c"_s}));
        SB_AWAIT_OK(k8s1Active, m_store->sessionsForAgent(u"k8s-1"_s));
        QCOMPARE(ids(k8s1Active.value()), (QStringList{u"s-c"_s}));
        SB_AWAIT_OK(k8s1All, m_store->sessionsForAgent(u"k8s-1"_s, false));
        QCOMPARE(ids(k8s1All.value()), (QStringList{u"s-a"_s, u"s-c"_s, u"s-d"_s}));
        SB_AWAIT_OK(nobody, m_store->sessionsForOrg(u"gamma"_s, true));
        QVERIFY(nobody.value().isEmpty());
        // The admin snapshot's list: every org's live sessions, oldest first, bounded.
        SB_AWAIT_OK(everyActive, m_store->activeSessions({}, 10));
        QCOMPARE(ids(everyActive.value()), (QStringList{u"s-b"_s, u"s-c"_s, u"s-e"_s}));
        SB_AWAIT_OK(firstTwo, m_store->activeSessions({}, 2));
        QCOMPARE(ids(firstTwo.value()), (QStringList{u"s-b"_s, u"s-c"_s}));
        SB_AWAIT_OK(betaActive, m_store->activeSessions(u"beta"_s, 10));
        QCOMPARE(ids(betaActive.value()), (QStringList{u"s-e"_s}));
        SB_AWAIT_OK(none, m_store->activeSessions(u"acme"_s, 0));
        QVERIFY(none.value().isEmpty());
    }

    void concurrentWritersNeverMoveBackwards()
    {
        // Two stores on one database stand for two replicas racing on the same commands.
        QVERIFY(openStore(true));
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        constexpr int count = 40;
        for (int i = 0; i < count; ++i) {
            SB_AWAIT_OK(created, m_store->createCommand(makeCommand(u"cmd-%1"_s.arg(i), u"k8s-1"_s)));
        }
        Store other;
        SB_AWAIT_OK(opened, other.open(m_url));
        QList<QFuture<Decoded<CommandTransition>>> results;
        for (int i = 0; i < count; ++i) {
            const QString id = u"cmd-%1"_s.arg(i);
            results.append(m_store->advanceCommand(
                {id, u"k8s-1"_s, CommandStatus::Completed, {}, {}, at(2), false, {}}));
            results.append(
                other.advanceCommand({id, u"k8s-1"_s, CommandStatus::Ack, {}, {}, at(1), false, {}}));
            results.append(
                other.advanceCommand({id, u"k8s-1"_s, CommandStatus::Sent, {}, {}, at(0), true, {}}));
        }
        int changes = 0;
        for (const auto &result : results) {
            SB_AWAIT_OK(transition, result);
            changes += transition.value().changed ? 1 : 0;
        }
        SB_AWAIT_OK(all, m_store->commandsForAgent(u"k8s-1"_s, {}));
        QCOMPARE(all.value().size(), count);
        for (const CommandInfo &command : all.value())
            QCOMPARE(command.status, CommandStatus::Completed);
        QVERIFY(changes >= count);
        QVERIFY(changes <= 3 * count);
    }

    void closeFlushesQueuedWrites()
    {
        QVERIFY(openStore(true));
        SB_AWAIT_OK(agent, m_store->createAgent(makeAgent(u"k8s-1"_s), {}));
        QList<QFuture<Decoded<CommandInfo>>> queued;
        for (int i = 0; i < 200; ++i)
            queued.append(m_store->createCommand(makeCommand(u"cmd-%1"_s.arg(i), u"k8s-1"_s)));
        auto beat =
            m_store->recordHeartbeats({HeartbeatRecord{u"k8s-1"_s, AgentStatus::Draining, 7, {}, at(50)}});
        m_store->close(); // no waiting before: close() itself must run them
        for (const auto &future : queued) {
            QVERIFY(future.isFinished());
            QVERIFY(future.result().ok());
        }
        QVERIFY(beat.isFinished());
        QCOMPARE(beat.result().value(), 1);

        Store reopened;
        SB_AWAIT_OK(opened, reopened.open(m_url));
        SB_AWAIT_OK(commands, reopened.commandsForAgent(u"k8s-1"_s, {}));
        QCOMPARE(commands.value().size(), 200);
        QCOMPARE(commands.value().last().commandId, u"cmd-199"_s);
        SB_AWAIT_OK(stored, reopened.getAgent(u"k8s-1"_s));
        QCOMPARE(stored.value().activeSessions, 7);
        QCOMPARE(stored.value().status, AgentStatus::Draining);
        // The same store object can open again after close().
        SB_AWAIT_OK(again, m_store->open(m_url));
        SB_AWAIT_OK(count, m_store->listAgents());
        QCOMPARE(count.value().size(), 1);
    }

    void jobsRunOnTheStorageThread()
    {
        QThread *storageThread = m_store->storageThread();
        QVERIFY(storageThread);
        QVERIFY(storageThread != QThread::currentThread());
        SB_AWAIT_OK(ran, m_store->submit<QThread *>(
                             [](StorageWorker &) -> Decoded<QThread *> { return QThread::currentThread(); }));
        QCOMPARE(ran.value(), storageThread);
    }

    void continuationsArriveOnTheCallerThread()
    {
        QObject context;
        QThread *seen = nullptr;
        bool ok = false;
        m_store->ping().then(&context, [&](const Decoded<bool> &result) {
            seen = QThread::currentThread();
            ok = result.ok() && result.value();
        });
        QTRY_VERIFY(seen != nullptr);
        QCOMPARE(seen, QThread::currentThread());
        QVERIFY(ok);
    }

    void eventSeqsPerOrgAndEpoch()
    {
        const auto event = [](const QString &orgId, int n) {
            protocol::browser::SessionEvent made;
            made.type = protocol::browser::EventType::Heartbeat;
            made.orgId = orgId;
            made.userId = u"alice"_s;
            made.sessionId = u"s-1"_s;
            made.timestamp = at(n);
            made.data = QJsonObject{{u"n"_s, n}};
            return made;
        };
        SB_AWAIT_OK(first, m_store->appendEvents(
                               {event(u"acme"_s, 0), event(u"beta"_s, 1), event(u"acme"_s, 2)}, at(10)));
        QCOMPARE(first.value().size(), 3);
        QCOMPARE(first.value().at(0).seq, 1);
        QCOMPARE(first.value().at(1).seq, 1);
        QCOMPARE(first.value().at(2).seq, 2);
        const QString epoch = first.value().at(0).epoch;
        QVERIFY(epoch.size() >= 16);
        SB_AWAIT_OK(second, m_store->appendEvents({event(u"acme"_s, 3)}, at(11)));
        QCOMPARE(second.value().at(0).seq, 3);
        QCOMPARE(second.value().at(0).epoch, epoch);
        SB_AWAIT_ERROR(m_store->appendEvents({event(QString(), 4)}, at(12)), ErrorCode::InvalidValue);

        SB_AWAIT_OK(history, m_store->eventsSince(u"acme"_s, 1, 100));
        QCOMPARE(history.value().epoch, epoch);
        QCOMPARE(history.value().latestSeq, 3);
        QCOMPARE(history.value().oldestSeq, 1);
        QCOMPARE(history.value().events.size(), 2);
        QCOMPARE(history.value().events.at(0).seq, 2);
        QCOMPARE(history.value().events.at(0).data.value("n"_L1).toInt(), 2);
        QCOMPARE(history.value().events.at(0).timestamp, at(2));
        QCOMPARE(history.value().events.at(0).orgId, u"acme"_s);
        QCOMPARE(history.value().events.at(1).seq, 3);
        SB_AWAIT_OK(limited, m_store->eventsSince(u"acme"_s, 0, 2));
        QVERIFY(limited.value().truncated);
        QVERIFY(limited.value().events.isEmpty());
        SB_AWAIT_OK(none, m_store->eventsSince(u"gamma"_s, 0, 100));
        QCOMPARE(none.value().latestSeq, 0);
        QVERIFY(none.value().reachesBack(0));
        QVERIFY(!none.value().reachesBack(1)); // a seq from the future is no position here

        SB_AWAIT_OK(cursors, m_store->eventCursors());
        QCOMPARE(cursors.value().epoch, epoch);
        QCOMPARE(cursors.value().latest, (QMap<QString, qint64>{{u"acme"_s, 3}, {u"beta"_s, 1}}));

        // Count and age pruning keep each org's history one contiguous range of seqs.
        SB_AWAIT_OK(more, m_store->appendEvents({event(u"acme"_s, 5), event(u"acme"_s, 6)}, at(40)));
        SB_AWAIT_OK(pruned, m_store->pruneEvents({4, at(11), 100}));
        // acme 1 (count) and 2 (age; 3 is at(11), not before), beta 1 (age).
        QCOMPARE(pruned.value().removed, 3);
        QVERIFY(!pruned.value().more);
        SB_AWAIT_OK(kept, m_store->eventsSince(u"acme"_s, 2, 100));
        QCOMPARE(kept.value().oldestSeq, 3);
        QCOMPARE(kept.value().events.size(), 3);
        SB_AWAIT_OK(batched, m_store->pruneEvents({1, {}, 1}));
        QCOMPARE(batched.value().removed, 1);
        QVERIFY(batched.value().more);
        SB_AWAIT_OK(rest, m_store->pruneEvents({1, {}, 100}));
        QCOMPARE(rest.value().removed, 1);
        SB_AWAIT_OK(last, m_store->eventsSince(u"acme"_s, 4, 100));
        QCOMPARE(last.value().oldestSeq, 5);
        QCOMPARE(last.value().latestSeq, 5);
        SB_AWAIT_OK(next, m_store->appendEvents({event(u"acme"_s, 7)}, at(41)));
        QCOMPARE(next.value().at(0).seq, 6); // pruning never gives a seq out again
    }

    void eventSeqsOfConcurrentReplicas()
    {
        // Two stores on one database stand for two replicas appending to the same org.
        QVERIFY(openStore(true));
        Store other;
        SB_AWAIT_OK(opened, other.open(m_url));
        protocol::browser::SessionEvent made;
        made.type = protocol::browser::EventType::Heartbeat;
        made.orgId = u"acme"_s;
        made.userId = u"alice"_s;
        made.sessionId = u"s-1"_s;
        QList<QFuture<Decoded<QList<protocol::browser::SessionEvent>>>> results;
        for (int i = 0; i < 50; ++i) {
            results.append(m_store->appendEvents({made, made}, at(1)));
            results.append(other.appendEvents({made}, at(1)));
        }
        QSet<qint64> seqs;
        for (const auto &result : results) {
            SB_AWAIT_OK(stored, result);
            for (const auto &event : stored.value()) {
                QVERIFY2(!seqs.contains(event.seq), "a seq handed out twice");
                seqs.insert(event.seq);
            }
        }
        QCOMPARE(seqs.size(), 150);
        QCOMPARE(*std::max_element(seqs.begin(), seqs.end()), 150);
    }

    void callerNeverWaitsForStorage()
    {
        // Park the storage thread; calls must still return at once and complete in order later.
        QSemaphore parked;
        QSemaphore release;
        auto blocker = m_store->submit<int>([&](StorageWorker &) -> Decoded<int> {
            parked.release();
            release.acquire();
            return 1;
        });
        QVERIFY(parked.tryAcquire(1, 10000));
        QElapsedTimer timer;
        timer.start();
        auto created = m_store->createAgent(makeAgent(u"k8s-1"_s), {});
        auto listed = m_store->listAgents();
        QVERIFY(timer.elapsed() < 1000);
        QTest::qWait(50); // the event loop runs; nothing completes while storage is parked
        QVERIFY(!created.isFinished());
        QVERIFY(!listed.isFinished());
        release.release();
        SB_AWAIT_OK(done, listed);
        QCOMPARE(done.value().size(), 1); // ran after the create queued before it
        QVERIFY(created.isFinished());
        QVERIFY(blocker.isFinished());
    }
};

} // namespace switchboard::testing
