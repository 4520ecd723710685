#include "StorageTypes.h"

// Header-only and free of network code: the one constant-time comparison of the project.
#include "net/ConstantTime.h"

namespace switchboard {

bool AgentCredentials::acceptsKeyHash(QByteArrayView keyHash, const QDateTime &now) const
{
    if (keyHash.isEmpty())
        return false;
    // Both comparisons always run, so timing does not say which key matched.
    const bool current = !apiKeyHash.isEmpty() && constantTimeEquals(keyHash, apiKeyHash);
    const bool previous = !previousApiKeyHash.isEmpty() && constantTimeEquals(keyHash, previousApiKeyHash);
    return current || (previous && previousKeyExpiresAt.isValid() && now < previousKeyExpiresAt);
}

} // namespace switchboard
