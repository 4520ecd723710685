#include "net/OrgContext.h"

#include <algorithm>
#include <array>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

constexpr std::array kRoles{
    std::pair{Role::User, "user"_L1},
    std::pair{Role::Operator, "operator"_L1},
    std::pair{Role::Admin, "admin"_L1},
    std::pair{Role::Service, "service"_L1},
};

constexpr qsizetype kMaxClaimLength = 256;

protocol::Error unauthorized(const QString &claim, const QString &message)
{
    return protocol::Error{protocol::ErrorCode::Unauthorized, message, claim, {}};
}

bool isAcceptableText(const QString &text)
{
    if (text.size() > kMaxClaimLength)
        return false;
    return std::none_of(text.begin(), text.end(), [](QChar c) {
        return c.unicode() < 0x20 || (c.unicode() >= 0x7f && c.unicode() <= 0x9f);
    });
}

// Reads a string claim; nullopt (with `error` set) when it is present but unacceptable, or
// missing while required.
std::optional<QString> stringClaim(const QJsonObject &claims, QLatin1StringView name, bool required,
                                   std::optional<protocol::Error> &error)
{
    const QJsonValue value = claims.value(name);
    if (value.isUndefined() || value.isNull()) {
        if (required)
            error = unauthorized(QString(name), u"token has no %1 claim"_s.arg(name));
        return required ? std::nullopt : std::optional<QString>(QString());
    }
    if (!value.isString()) {
        error = unauthorized(QString(name), u"token claim %1 is not a string"_s.arg(name));
        return std::nullopt;
    }
    const QString text = value.toString();
    if ((required && text.isEmpty()) || !isAcceptableText(text)) {
        error = unauthorized(QString(name),
                             u"token claim %1 is empty, too long or has control characters"_s.arg(name));
        return std::nullopt;
    }
    return text;
}

} // namespace

QString roleName(Role role)
{
    for (const auto &[candidate, name] : kRoles) {
        if (candidate == role)
            return QString(name);
    }
    return {};
}

std::optional<Role> roleFromName(QStringView name)
{
    for (const auto &[role, candidate] : kRoles) {
        if (name == candidate)
            return role;
    }
    return std::nullopt;
}

protocol::Decoded<OrgContext> OrgContext::fromClaims(const QJsonObject &claims)
{
    std::optional<protocol::Error> error;
    OrgContext context;
    const auto orgId = stringClaim(claims, "org_id"_L1, true, error);
    const auto userId = orgId ? stringClaim(claims, "user_id"_L1, true, error) : std::nullopt;
    const auto role = userId ? stringClaim(claims, "role"_L1, true, error) : std::nullopt;
    const auto username = role ? stringClaim(claims, "username"_L1, false, error) : std::nullopt;
    const auto k8sNamespace = username ? stringClaim(claims, "k8s_namespace"_L1, false, error) : std::nullopt;
    const auto jti = k8sNamespace ? stringClaim(claims, "jti"_L1, false, error) : std::nullopt;
    if (!jti)
        return *error;
    const auto parsedRole = roleFromName(*role);
    if (!parsedRole)
        return unauthorized(u"role"_s, u"token role is not one of user, operator, admin, service"_s);
    context.orgId = *orgId;
    context.userId = *userId;
    context.role = *parsedRole;
    context.username = *username;
    context.k8sNamespace = *k8sNamespace;
    context.jti = *jti;
    return context;
}

QJsonObject OrgContext::toClaims() const
{
    QJsonObject claims{
        {u"org_id"_s, orgId},
        {u"user_id"_s, userId},
        {u"role"_s, roleName(role)},
    };
    if (!username.isEmpty())
        claims.insert(u"username"_s, username);
    if (!k8sNamespace.isEmpty())
        claims.insert(u"k8s_namespace"_s, k8sNamespace);
    if (!jti.isEmpty())
        claims.insert(u"jti"_s, jti);
    return claims;
}

} // namespace switchboard
