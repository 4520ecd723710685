#include "net/RevocationList.h"

namespace switchboard {

bool RevocationList::isRevoked(const QString &jti, const QDateTime &now) const
{
    if (jti.isEmpty())
        return false;
    const auto it = m_expiries.constFind(jti);
    return it != m_expiries.cend() && now < *it;
}

bool RevocationList::add(const QString &jti, const QDateTime &expiresAt)
{
    if (jti.isEmpty())
        return false;
    const auto it = m_expiries.find(jti);
    if (it == m_expiries.end()) {
        m_expiries.insert(jti, expiresAt);
        return true;
    }
    if (expiresAt > *it)
        *it = expiresAt;
    return false;
}

int RevocationList::prune(const QDateTime &now)
{
    int removed = 0;
    for (auto it = m_expiries.begin(); it != m_expiries.end();) {
        if (*it <= now) {
            it = m_expiries.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

} // namespace switchboard
