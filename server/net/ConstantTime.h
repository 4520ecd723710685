// Comparison of secrets (MACs, key hashes) whose time does not depend on where they differ.
#pragma once

#include <QByteArrayView>

namespace switchboard {

// Lengths are not secret (MACs and key hashes have fixed sizes), so unequal lengths return early.
inline bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

} // namespace switchboard
