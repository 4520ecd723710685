#include "RedisLog.h"

namespace switchboard {
Q_LOGGING_CATEGORY(lcRedis, "switchboard.redis", QtInfoMsg)
} // namespace switchboard
