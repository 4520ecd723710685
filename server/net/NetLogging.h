// Logging category of the HTTP front door and authentication. Never logs tokens, API keys or
// request targets (their query strings may carry ?token=).
#pragma once

#include <QLoggingCategory>

namespace switchboard {
Q_DECLARE_LOGGING_CATEGORY(lcHttp)
} // namespace switchboard
