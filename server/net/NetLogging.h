// Logging categories of the HTTP front door, authentication and limits. Never logs tokens, API
// keys or request targets (their query strings may carry ?token=).
#pragma once

#include <QLoggingCategory>

namespace switchboard {
Q_DECLARE_LOGGING_CATEGORY(lcHttp)
Q_DECLARE_LOGGING_CATEGORY(lcLimits)
} // namespace switchboard
