// Agent API keys kept in a file of "agentId apiKey" lines: read for --api-key-file/--key-file, and
// appended to (mode 0600) when the server issues a key at bootstrap registration.
#pragma once

#include "shared/Protocol.h"

#include <QHash>
#include <QString>

namespace switchboard::agentsim {

class KeyStore
{
public:
    using Keys = QHash<QString, QString>; // agentId -> apiKey

    // Blank lines and lines starting with '#' are ignored; a later line for an id wins.
    static protocol::Decoded<Keys> parse(QByteArrayView content);
    // A missing file is an empty set of keys when missingIsEmpty, an error otherwise.
    static protocol::Decoded<Keys> load(const QString &path, bool missingIsEmpty = false);
    // Appends one line; creates the file with mode 0600 and tightens an existing file to 0600.
    static protocol::Decoded<protocol::Done> append(const QString &path, const QString &agentId,
                                                    const QString &apiKey);
};

} // namespace switchboard::agentsim
