#include "net/NetLogging.h"

namespace switchboard {
Q_LOGGING_CATEGORY(lcHttp, "switchboard.http")
Q_LOGGING_CATEGORY(lcLimits, "switchboard.limits")
} // namespace switchboard
