#include "OrgTable.h"

#include "SqlConnection.h"
#include "SqlValues.h"

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Done;
using protocol::Error;
using protocol::ErrorCode;
using protocol::OrgInfo;

OrgTable::OrgTable(SqlConnection &connection)
    : m_connection(connection)
{}

Decoded<Done> OrgTable::insertIfMissing(const QString &orgId, const QString &name, const QDateTime &now)
{
    if (orgId.isEmpty())
        return Error{ErrorCode::InvalidValue, u"an organisation id must not be empty"_s, u"orgId"_s, {}};
    auto inserted = m_connection.execute(
        u"INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING"_s,
        {orgId, name.isEmpty() ? orgId : name, sqlvalues::time(now)}, u"insert organisation");
    if (!inserted)
        return inserted.error();
    return Done{};
}

Decoded<OrgInfo> OrgTable::ensure(const QString &orgId, const QString &name)
{
    if (auto inserted = insertIfMissing(orgId, name, sqlvalues::now()); !inserted)
        return inserted.error();
    auto found = m_connection.execute(u"SELECT id, name FROM organisations WHERE id = ?"_s, {orgId},
                                      u"read organisation");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next())
        return Error{ErrorCode::Internal, u"organisation "_s + orgId + u" vanished after insert"_s, {}, {}};
    return OrgInfo{rows.value(0).toString(), rows.value(1).toString(), 0};
}

Decoded<QList<OrgInfo>> OrgTable::list()
{
    auto found =
        m_connection.execute(u"SELECT id, name FROM organisations ORDER BY id"_s, {}, u"list organisations");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    QList<OrgInfo> orgs;
    while (rows.next())
        orgs.append(OrgInfo{rows.value(0).toString(), rows.value(1).toString(), 0});
    return orgs;
}

} // namespace switchboard
