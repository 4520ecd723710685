// The server's JWT signing secret kept in <dataDir>/jwt-secret, so that `token issue` and the
// server agree without any configuration. Created once (32 random bytes as hex, mode 0600).
#pragma once

#include "shared/Protocol.h"

#include <QByteArray>
#include <QString>

namespace switchboard {

QString jwtSecretFilePath(const QString &dataDir);

// Reads <dataDir>/jwt-secret; when it does not exist, creates the directory and the file
// (owner read/write only). Safe against a concurrent creator: the first file written wins and
// both callers return its contents. Errors name the file.
protocol::Decoded<QByteArray> loadOrCreateJwtSecret(const QString &dataDir);

} // namespace switchboard
