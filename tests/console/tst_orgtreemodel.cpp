// OrgTreeModel: orgs -> users -> sessions built from the snapshot (orgs and its session list),
// org.updated and session events.
#include "ConsoleTestKit.h"
#include "OrgTreeModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::console;
using namespace switchboard::console::test;
using namespace switchboard::protocol;
using browser::EventType;

namespace {
OrgInfo org(const QString &id, int clients)
{
    OrgInfo info;
    info.orgId = id;
    info.name = id;
    info.clients = clients;
    return info;
}

// Steps: "org:acme:3" upsert org with 3 clients; "snap:acme,globex" snapshot of these orgs (0
// clients); "new:acme:alice:s1" session.created; "state:s1:running"; "conn:s1"; "disc:s1"; "del:s1";
// "list:acme:acme/alice/s1/running,acme/bob/s2/pending:7" a snapshot of the orgs with that session
// list, every org at seq 7 of epoch e1 ("part" instead of "list": the list is truncated; "old":
// a snapshot without a list); "state@5:s1:running" the event with seq 5 of epoch e1.
void apply(OrgTreeModel &model, const QString &step)
{
    const QStringList p = step.split(u':');
    QString op = p.at(0);
    qint64 seq = 0;
    if (const qsizetype at = op.indexOf(u'@'); at > 0) {
        seq = op.mid(at + 1).toLongLong();
        op.truncate(at);
    }
    const auto withSeq = [seq](browser::SessionEvent event) {
        if (seq > 0) {
            event.seq = seq;
            event.epoch = u"e1"_s;
        }
        return event;
    };
    if (op == "org"_L1) {
        model.upsertOrg(org(p.at(1), p.at(2).toInt()));
    } else if (op == "snap"_L1) {
        QList<OrgInfo> orgs;
        for (const QString &id : p.at(1).split(u',', Qt::SkipEmptyParts))
            orgs.append(org(id, 0));
        model.setOrgs(orgs);
    } else if (op == "list"_L1 || op == "part"_L1 || op == "old"_L1) {
        Snapshot snapshot;
        for (const QString &id : p.at(1).split(u',', Qt::SkipEmptyParts)) {
            snapshot.orgs.append(org(id, 0));
            snapshot.seqs.insert(id, p.value(3).toLongLong());
        }
        snapshot.epoch = u"e1"_s;
        snapshot.sessionsListed = op != "old"_L1;
        snapshot.sessionsTruncated = op == "part"_L1;
        for (const QString &item : p.value(2).split(u',', Qt::SkipEmptyParts)) {
            const QStringList f = item.split(u'/');
            SessionInfo session;
            session.orgId = f.at(0);
            session.userId = f.at(1);
            session.sessionId = f.at(2);
            session.state = sessionStateFromName(f.at(3)).value_or(SessionState::Pending);
            session.templateName = u"firefox"_s;
            session.agentId = u"k8s-1"_s;
            snapshot.sessions.append(session);
        }
        model.applySnapshot(snapshot);
    } else if (op == "new"_L1) {
        SessionInfo session;
        session.sessionId = p.at(3);
        session.orgId = p.at(1);
        session.userId = p.at(2);
        session.templateName = u"firefox"_s;
        session.agentId = u"k8s-1"_s;
        model.applySessionEvent(
            withSeq(sampleEvent(EventType::Created, p.at(3), p.at(1), p.at(2), session.toJson())));
    } else {
        const QString sessionId = p.at(1);
        const QModelIndex index = model.sessionIndex(sessionId);
        const QString orgId = index.isValid() ? index.data(OrgTreeModel::OrgIdRole).toString() : u"acme"_s;
        const QString userId =
            index.isValid() ? index.parent().data(OrgTreeModel::IdRole).toString() : u"alice"_s;
        if (op == "state"_L1)
            model.applySessionEvent(
                withSeq(sampleEvent(EventType::StateChanged, sessionId, orgId, userId,
                                    {{"oldState"_L1, u"pending"_s}, {"newState"_L1, p.at(2)}})));
        else if (op == "conn"_L1)
            model.applySessionEvent(
                sampleEvent(EventType::Connected, sessionId, orgId, userId, {{"connectionId"_L1, u"c1"_s}}));
        else if (op == "disc"_L1)
            model.applySessionEvent(sampleEvent(EventType::Disconnected, sessionId, orgId, userId,
                                                {{"connectionId"_L1, u"c1"_s}}));
        else if (op == "del"_L1)
            model.applySessionEvent(sampleEvent(EventType::Deleted, sessionId, orgId, userId));
    }
}

// "acme(3)[alice[s1=running/1]]" — a compact dump of the whole tree.
QString dump(const OrgTreeModel &model, const QModelIndex &parent = {})
{
    QStringList parts;
    for (int row = 0; row < model.rowCount(parent); ++row) {
        const QModelIndex index = model.index(row, 0, parent);
        const auto kind = OrgTreeModel::Kind(index.data(OrgTreeModel::KindRole).toInt());
        QString text = index.data(OrgTreeModel::IdRole).toString();
        if (kind == OrgTreeModel::Kind::Org)
            text += u'(' + model.index(row, OrgTreeModel::Clients, parent).data().toString() + u')';
        if (kind == OrgTreeModel::Kind::Session)
            text += u'=' + model.index(row, OrgTreeModel::State, parent).data().toString().toLower() + u'/' +
                    model.index(row, OrgTreeModel::Clients, parent).data().toString();
        if (model.rowCount(index) > 0)
            text += u'[' + dump(model, index) + u']';
        parts.append(text);
    }
    return parts.join(u' ');
}
} // namespace

class TestOrgTreeModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sequences_data()
    {
        QTest::addColumn<QStringList>("steps");
        QTest::addColumn<QString>("expected");
        QTest::newRow("orgs") << QStringList{u"org:acme:3"_s, u"org:globex:0"_s} << u"acme(3) globex(0)"_s;
        QTest::newRow("client count updated in place")
            << QStringList{u"org:acme:3"_s, u"org:acme:5"_s} << u"acme(5)"_s;
        QTest::newRow("session created under its user")
            << QStringList{u"org:acme:1"_s, u"new:acme:alice:s1"_s} << u"acme(1)[alice[s1=pending/0]]"_s;
        QTest::newRow("state changes") << QStringList{u"new:acme:alice:s1"_s, u"state:s1:running"_s}
                                       << u"acme(0)[alice[s1=running/0]]"_s;
        QTest::newRow("unknown session appears on its first event")
            << QStringList{u"state:s7:hibernated"_s} << u"acme(0)[alice[s7=hibernated/0]]"_s;
        QTest::newRow("connections counted")
            << QStringList{u"new:acme:alice:s1"_s, u"conn:s1"_s, u"conn:s1"_s, u"disc:s1"_s}
            << u"acme(0)[alice[s1=pending/1]]"_s;
        QTest::newRow("disconnect never below zero")
            << QStringList{u"new:acme:alice:s1"_s, u"disc:s1"_s} << u"acme(0)[alice[s1=pending/0]]"_s;
        QTest::newRow("deleted session and empty user go")
            << QStringList{u"new:acme:alice:s1"_s, u"new:acme:bob:s2"_s, u"del:s1"_s}
            << u"acme(0)[bob[s2=pending/0]]"_s;
        QTest::newRow("reset on reconnect: unlisted org without sessions goes")
            << QStringList{u"org:acme:2"_s, u"org:globex:4"_s, u"snap:acme"_s} << u"acme(0)"_s;
        QTest::newRow("reset on reconnect: unlisted org with sessions stays, clients zero")
            << QStringList{u"org:globex:4"_s, u"new:globex:gina:g1"_s, u"snap:acme"_s}
            << u"globex(0)[gina[g1=pending/0]] acme(0)"_s;
        // The snapshot's session list (docs/PROTOCOL.md, admin stream).
        QTest::newRow("snapshot lists sessions that existed before the console")
            << QStringList{u"list:acme,globex:acme/alice/s1/running,acme/bob/s2/hibernated,globex/gina/g1/pending:3"_s}
            << u"acme(0)[alice[s1=running/0] bob[s2=hibernated/0]] globex(0)[gina[g1=pending/0]]"_s;
        QTest::newRow("empty list on a fresh console") << QStringList{u"list:acme::0"_s} << u"acme(0)"_s;
        QTest::newRow("reconnect: a session that ended meanwhile goes, its user too")
            << QStringList{u"new:acme:alice:s1"_s, u"new:acme:bob:s2"_s, u"list:acme:acme/bob/s2/running:9"_s}
            << u"acme(0)[bob[s2=running/0]]"_s;
        QTest::newRow("reconnect: a terminated session seen live goes too")
            << QStringList{u"new:acme:alice:s1"_s, u"state:s1:terminated"_s, u"list:acme::9"_s}
            << u"acme(0)"_s;
        QTest::newRow("reconnect: unlisted org whose sessions all ended goes")
            << QStringList{u"new:globex:gina:g1"_s, u"list:acme::4"_s} << u"acme(0)"_s;
        QTest::newRow("reconnect: state and owner taken from the list")
            << QStringList{u"new:acme:alice:s1"_s, u"conn:s1"_s, u"list:acme:acme/alice/s1/hibernating:4"_s}
            << u"acme(0)[alice[s1=hibernating/0]]"_s;
        QTest::newRow("truncated list merges and removes nothing")
            << QStringList{u"new:acme:alice:s1"_s, u"part:acme:acme/bob/s2/running:4"_s}
            << u"acme(0)[alice[s1=pending/0] bob[s2=running/0]]"_s;
        QTest::newRow("older server without a list keeps sessions")
            << QStringList{u"new:acme:alice:s1"_s, u"old:acme::4"_s} << u"acme(0)[alice[s1=pending/0]]"_s;
        QTest::newRow("replayed events up to the snapshot's seq are in it already")
            << QStringList{u"list:acme:acme/bob/s2/running:9"_s, u"new@3:acme:alice:s1"_s,
                           u"state@7:s2:terminated"_s, u"state@9:s2:pending"_s}
            << u"acme(0)[bob[s2=running/0]]"_s;
        QTest::newRow("events after the snapshot's seq apply on top")
            << QStringList{u"list:acme:acme/bob/s2/running:9"_s, u"new@10:acme:alice:s1"_s,
                           u"state@11:s2:terminated"_s}
            << u"acme(0)[bob[s2=terminated/0] alice[s1=pending/0]]"_s;
        QTest::newRow("events without seq always apply")
            << QStringList{u"list:acme:acme/bob/s2/running:9"_s, u"state:s2:hibernated"_s}
            << u"acme(0)[bob[s2=hibernated/0]]"_s;
    }

    void sequences()
    {
        QFETCH(QStringList, steps);
        QFETCH(QString, expected);
        OrgTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        for (const QString &step : steps)
            apply(model, step);
        QCOMPARE(dump(model), expected);
        QCOMPARE(reset.count(), 0);
    }

    void totals()
    {
        OrgTreeModel model;
        for (const QString &step : {u"org:acme:3"_s, u"org:globex:2"_s, u"new:acme:alice:s1"_s,
                                    u"state:s1:running"_s, u"new:acme:alice:s2"_s, u"state:s2:terminated"_s})
            apply(model, step);
        QCOMPARE(model.totalClients(), 5);
        QCOMPARE(model.sessionCount(), 2);
        QCOMPARE(model.sessionCount(SessionState::Running), 1);
        QCOMPARE(model.orgIds(), (QStringList{u"acme"_s, u"globex"_s}));
        // The org row counts live (non-terminal) sessions.
        QCOMPARE(model.index(0, OrgTreeModel::State).data().toString(), u"1 live session(s)"_s);
    }

    void eventWithoutOrgIsIgnored()
    {
        OrgTreeModel model;
        model.applySessionEvent(sampleEvent(EventType::Created, u"s1"_s, QString()));
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_MAIN(TestOrgTreeModel)
#include "tst_orgtreemodel.moc"
