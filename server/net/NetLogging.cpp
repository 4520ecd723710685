#include "net/NetLogging.h"

namespace switchboard {
Q_LOGGING_CATEGORY(lcHttp, "switchboard.http")
} // namespace switchboard
