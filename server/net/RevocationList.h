// RevocationList: the revoked JWT ids (`jti`) in memory, each with the time after which the token
// it names has expired anyway. Checked on every authentication, so a lookup is one hash probe.
#pragma once

#include <QDateTime>
#include <QHash>
#include <QString>

namespace switchboard {

class RevocationList
{
public:
    // Whether a token with this jti is refused at `now`. An empty jti is never revoked (a token
    // without one cannot be named, so it cannot be revoked; it lives until its exp).
    bool isRevoked(const QString &jti, const QDateTime &now) const;
    // Adds or extends (the later expiry wins) one entry; returns true if it is new.
    bool add(const QString &jti, const QDateTime &expiresAt);
    // Drops the entries whose token has expired; returns how many.
    int prune(const QDateTime &now);
    int size() const { return int(m_expiries.size()); }
    bool contains(const QString &jti) const { return m_expiries.contains(jti); }

private:
    QHash<QString, QDateTime> m_expiries;
};

} // namespace switchboard
