// Who is calling, as established by a verified token: the only source of a caller's organisation
// and role. Claim names are StreamSpace's (user_id, org_id, username, role, k8s_namespace).
#pragma once

#include "shared/Protocol.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace switchboard {

enum class Role { User, Operator, Admin, Service };
QString roleName(Role role); // user, operator, admin, service
std::optional<Role> roleFromName(QStringView name);

struct OrgContext
{
    QString orgId;
    QString userId;
    QString username;     // may be empty
    QString k8sNamespace; // may be empty
    Role role = Role::User;
    QString jti; // token id, may be empty

    // From verified claims only: org_id, user_id and role are required strings (1-256
    // characters, no control characters), role one of the names above; username and
    // k8s_namespace optional strings. Anything else is an Unauthorized error.
    static protocol::Decoded<OrgContext> fromClaims(const QJsonObject &claims);
    // user_id, org_id, role, and username / k8s_namespace / jti when not empty.
    QJsonObject toClaims() const;

    bool operator==(const OrgContext &) const = default;
};

} // namespace switchboard
