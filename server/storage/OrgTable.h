// OrgTable: the SQL of the organisations table.
#pragma once

#include "shared/Records.h"

#include <QDateTime>
#include <QList>

namespace switchboard {

class SqlConnection;

class OrgTable
{
public:
    explicit OrgTable(SqlConnection &connection);

    // Inserts the organisation if it is missing (name defaults to the id) and returns the row.
    protocol::Decoded<protocol::OrgInfo> ensure(const QString &orgId, const QString &name);
    // The insert alone, for callers that already run a transaction.
    protocol::Decoded<protocol::Done> insertIfMissing(const QString &orgId, const QString &name,
                                                      const QDateTime &now);
    protocol::Decoded<QList<protocol::OrgInfo>> list();

private:
    SqlConnection &m_connection;
};

} // namespace switchboard
