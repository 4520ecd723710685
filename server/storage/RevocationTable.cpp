#include "RevocationTable.h"

#include "SqlConnection.h"
#include "SqlValues.h"

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;

namespace {

TokenRevocation readRevocation(const SqlResult &row)
{
    return TokenRevocation{row.value(0).toString(), sqlvalues::toTime(row.value(1)),
                           sqlvalues::toTime(row.value(2)), sqlvalues::toText(row.value(3))};
}

} // namespace

RevocationTable::RevocationTable(SqlConnection &connection)
    : m_connection(connection)
{}

Decoded<TokenRevocation> RevocationTable::revoke(const TokenRevocation &revocation)
{
    if (revocation.jti.isEmpty() || !revocation.expiresAt.isValid())
        return Error{ErrorCode::InvalidValue, u"a revocation needs a jti and an expiry"_s, u"jti"_s, {}};
    const QDateTime at = sqlvalues::orNow(revocation.revokedAt);
    // Revoking twice must never shorten a revocation: the later expiry wins.
    auto stored = m_connection.execute(
        u"INSERT INTO token_revocations (jti, expires_at, revoked_at, revoked_by) VALUES (?, ?, ?, ?) "
        u"ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at, revoked_at = "
        u"excluded.revoked_at, "
        u"revoked_by = excluded.revoked_by WHERE excluded.expires_at > token_revocations.expires_at"_s,
        {revocation.jti, sqlvalues::time(revocation.expiresAt), sqlvalues::time(at), revocation.revokedBy},
        u"revoke token");
    if (!stored)
        return stored.error();
    auto found = m_connection.execute(
        u"SELECT jti, expires_at, revoked_at, revoked_by FROM token_revocations WHERE jti = ?"_s,
        {revocation.jti}, u"read token revocation");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    if (!rows.next())
        return Error{ErrorCode::Internal, u"revocation of "_s + revocation.jti + u" vanished"_s, {}, {}};
    return readRevocation(rows);
}

Decoded<QList<TokenRevocation>> RevocationTable::active(const QDateTime &now)
{
    auto found =
        m_connection.execute(u"SELECT jti, expires_at, revoked_at, revoked_by FROM token_revocations "
                             u"WHERE expires_at > ? ORDER BY jti"_s,
                             {sqlvalues::time(sqlvalues::orNow(now))}, u"list token revocations");
    if (!found)
        return found.error();
    SqlResult rows = std::move(found).value();
    QList<TokenRevocation> revocations;
    while (rows.next())
        revocations.append(readRevocation(rows));
    return revocations;
}

Decoded<int> RevocationTable::prune(const QDateTime &now)
{
    auto deleted = m_connection.execute(u"DELETE FROM token_revocations WHERE expires_at <= ?"_s,
                                        {sqlvalues::time(sqlvalues::orNow(now))}, u"prune token revocations");
    if (!deleted)
        return deleted.error();
    return int(deleted.value().rowsAffected());
}

} // namespace switchboard
