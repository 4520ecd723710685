#include "config/Identifiers.h"

namespace switchboard {

namespace {

bool isIdCharacter(char16_t c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'.' ||
           c == u'_' || c == u'-';
}

bool isVisibleAscii(char16_t c)
{
    return c > 0x20 && c < 0x7f;
}

template<class Predicate>
bool all(QStringView text, qsizetype minLength, qsizetype maxLength, Predicate predicate)
{
    if (text.size() < minLength || text.size() > maxLength)
        return false;
    for (const QChar c : text) {
        if (!predicate(c.unicode()))
            return false;
    }
    return true;
}

} // namespace

bool isValidAgentId(QStringView id)
{
    return all(id, 3, 100, isIdCharacter);
}

bool isValidOrgId(QStringView id)
{
    return all(id, 1, 100, isIdCharacter);
}

bool isValidUserId(QStringView id)
{
    return all(id, 1, 256, isVisibleAscii);
}

bool isValidUsername(QStringView name)
{
    return all(name, 1, 256, [](char16_t c) { return c >= 0x20 && !(c >= 0x7f && c <= 0x9f); });
}

bool isValidRegion(QStringView region)
{
    return all(region, 2, 50, isVisibleAscii);
}

bool isValidNamespace(QStringView name)
{
    const auto isLowerAlnum = [](char16_t c) { return (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9'); };
    return all(name, 1, 63, [&](char16_t c) { return isLowerAlnum(c) || c == u'-'; }) &&
           isLowerAlnum(name.front().unicode()) && isLowerAlnum(name.back().unicode());
}

bool isValidReplicaName(QStringView name)
{
    return all(name, 1, 200, isVisibleAscii);
}

} // namespace switchboard
