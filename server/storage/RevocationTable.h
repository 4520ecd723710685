// RevocationTable: the SQL of token_revocations, the revoked JWT ids (`jti`), each kept until the
// token it names would have expired.
#pragma once

#include "StorageTypes.h"

#include <QList>

namespace switchboard {

class SqlConnection;

class RevocationTable
{
public:
    explicit RevocationTable(SqlConnection &connection);

    // Inserts or, for a jti revoked before, keeps the later expiry. Returns the stored row.
    protocol::Decoded<TokenRevocation> revoke(const TokenRevocation &revocation);
    // Revocations still in force at `now` (expiresAt after it), by jti.
    protocol::Decoded<QList<TokenRevocation>> active(const QDateTime &now);
    // Deletes the revocations whose token has expired; returns how many.
    protocol::Decoded<int> prune(const QDateTime &now);

private:
    SqlConnection &m_connection;
};

} // namespace switchboard
