// Logging category of the Redis client (switchboard.redis). Debug output is off by default: it
// carries the per-retry detail that the once-per-outage warnings leave out.
#pragma once

#include <QLoggingCategory>

namespace switchboard {
Q_DECLARE_LOGGING_CATEGORY(lcRedis)
} // namespace switchboard
