#include "ClusterLog.h"

namespace switchboard {
Q_LOGGING_CATEGORY(lcCluster, "switchboard.cluster", QtInfoMsg)
} // namespace switchboard
