#pragma once

#include <QLoggingCategory>

namespace switchboard {
Q_DECLARE_LOGGING_CATEGORY(lcStorage)
}
