// Logging category of the cluster components (switchboard.cluster): outages once, hostile or
// unreadable messages from Redis at debug level (a flood must not flood the log).
#pragma once

#include <QLoggingCategory>

namespace switchboard {
Q_DECLARE_LOGGING_CATEGORY(lcCluster)
} // namespace switchboard
