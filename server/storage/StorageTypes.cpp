#include "StorageTypes.h"

namespace switchboard {

namespace {

// Key hashes have a fixed length, so only the bytes' values must not leak through timing.
bool sameHash(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

} // namespace

bool AgentCredentials::acceptsKeyHash(QByteArrayView keyHash, const QDateTime &now) const
{
    if (keyHash.isEmpty())
        return false;
    // Both comparisons always run, so timing does not say which key matched.
    const bool current = !apiKeyHash.isEmpty() && sameHash(keyHash, apiKeyHash);
    const bool previous = !previousApiKeyHash.isEmpty() && sameHash(keyHash, previousApiKeyHash);
    return current || (previous && previousKeyExpiresAt.isValid() && now < previousKeyExpiresAt);
}

} // namespace switchboard
