// Syntax of the identifiers an operator types or an agent sends: one definition for the admin
// subcommands and the server's own validation, so both accept exactly the same ids.
#pragma once

#include <QStringView>

namespace switchboard {

bool isValidAgentId(QStringView id);       // 3-100 characters of [A-Za-z0-9._-]
bool isValidOrgId(QStringView id);         // 1-100 characters of [A-Za-z0-9._-]
bool isValidUserId(QStringView id);        // 1-256 printable ASCII characters, no spaces
bool isValidUsername(QStringView name);    // 1-256 characters, no control characters
bool isValidRegion(QStringView region);    // 2-50 printable ASCII characters, no spaces
bool isValidNamespace(QStringView name);   // a Kubernetes DNS label: 1-63 of [a-z0-9-], alnum at both ends
bool isValidReplicaName(QStringView name); // 1-200 printable ASCII characters, no spaces

} // namespace switchboard
