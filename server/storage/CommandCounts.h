// Commands in the database by status, for the switchboard_commands gauge of /metrics. Run through
// Store::submit() (never on the socket thread); one GROUP BY over agent_commands, so the caller
// rate-limits it (MetricsEndpoint asks at most once per probe interval).
#pragma once

#include "shared/Protocol.h"

#include <QHash>
#include <QString>

namespace switchboard {

class StorageWorker;

using CommandCountsByStatus = QHash<QString, qint64>; // status name -> commands

protocol::Decoded<CommandCountsByStatus> countCommandsByStatus(StorageWorker &worker);

} // namespace switchboard
