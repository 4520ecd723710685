// The console's icons and status colours, all from the embedded resources (resources/console).
#pragma once

#include "shared/Records.h"

#include <QColor>
#include <QIcon>

namespace switchboard::console {

// Makes the embedded resources (icons, stylesheet, translations) available; idempotent.
void initConsoleResources();

QIcon consoleIcon(const QString &name);
// The Fusion style, a calm palette and the default stylesheet (:/console/console.qss).
void applyConsoleStyle(); // e.g. "connect" -> :/console/icons/connect.svg

// What the agents table shows as the status: approval first (pending/rejected), then liveness.
enum class AgentDisplayStatus { Online, Draining, Stale, Offline, Pending, Rejected };
AgentDisplayStatus displayStatus(const protocol::AgentInfo &agent);
QString displayStatusText(AgentDisplayStatus status); // translated
QIcon displayStatusIcon(AgentDisplayStatus status);

QString commandStatusText(protocol::CommandStatus status); // translated
QIcon commandStatusIcon(protocol::CommandStatus status);
QString sessionStateText(protocol::SessionState state); // translated
QColor sessionStateColor(protocol::SessionState state);

// "12 s ago", "3 min ago", "2 h ago", "never" (translated)
QString relativeTime(const QDateTime &then, const QDateTime &now);

} // namespace switchboard::console
