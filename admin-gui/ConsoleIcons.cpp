#include "ConsoleIcons.h"

#include <QApplication>
#include <QCoreApplication>
#include <QFile>
#include <QHash>

using namespace Qt::StringLiterals;
using namespace switchboard::protocol;

static void initConsoleQrc()
{
    // Outside any namespace, as Q_INIT_RESOURCE requires; pulls the rcc object out of the
    // static library.
    Q_INIT_RESOURCE(console);
}

namespace switchboard::console {

namespace {
// The translation context of the status words shared by several views.
struct Status
{
    Q_DECLARE_TR_FUNCTIONS(switchboard::console::Status)
};
} // namespace

void initConsoleResources()
{
    static bool done = false; // plain flag: resources are registered once per process
    if (!done) {
        initConsoleQrc();
        done = true;
    }
}

QIcon consoleIcon(const QString &name)
{
    initConsoleResources();
    return QIcon(u":/console/icons/"_s + name + u".svg"_s);
}

void applyConsoleStyle()
{
    initConsoleResources();
    QApplication::setStyle(u"Fusion"_s);
    QFile file(u":/console/console.qss"_s);
    if (file.open(QIODevice::ReadOnly))
        qApp->setStyleSheet(QString::fromUtf8(file.readAll()));
}

AgentDisplayStatus displayStatus(const AgentInfo &agent)
{
    if (agent.approvalStatus == ApprovalStatus::Pending)
        return AgentDisplayStatus::Pending;
    if (agent.approvalStatus == ApprovalStatus::Rejected)
        return AgentDisplayStatus::Rejected;
    switch (agent.status) {
    case AgentStatus::Online:
        return AgentDisplayStatus::Online;
    case AgentStatus::Draining:
        return AgentDisplayStatus::Draining;
    case AgentStatus::Stale:
        return AgentDisplayStatus::Stale;
    case AgentStatus::Offline:
        return AgentDisplayStatus::Offline;
    }
    return AgentDisplayStatus::Offline;
}

QString displayStatusText(AgentDisplayStatus status)
{
    switch (status) {
    case AgentDisplayStatus::Online:
        return Status::tr("Online");
    case AgentDisplayStatus::Draining:
        return Status::tr("Draining");
    case AgentDisplayStatus::Stale:
        return Status::tr("Stale");
    case AgentDisplayStatus::Offline:
        return Status::tr("Offline");
    case AgentDisplayStatus::Pending:
        return Status::tr("Pending approval");
    case AgentDisplayStatus::Rejected:
        return Status::tr("Rejected");
    }
    return {};
}

QIcon displayStatusIcon(AgentDisplayStatus status)
{
    switch (status) {
    case AgentDisplayStatus::Online:
        return consoleIcon(u"status-online"_s);
    case AgentDisplayStatus::Draining:
        return consoleIcon(u"status-draining"_s);
    case AgentDisplayStatus::Stale:
        return consoleIcon(u"status-stale"_s);
    case AgentDisplayStatus::Offline:
        return consoleIcon(u"status-offline"_s);
    case AgentDisplayStatus::Pending:
        return consoleIcon(u"status-pending"_s);
    case AgentDisplayStatus::Rejected:
        return consoleIcon(u"status-rejected"_s);
    }
    return {};
}

QString commandStatusText(CommandStatus status)
{
    switch (status) {
    case CommandStatus::Pending:
        return Status::tr("Pending");
    case CommandStatus::Sent:
        return Status::tr("Sent");
    case CommandStatus::Ack:
        return Status::tr("Acknowledged");
    case CommandStatus::Completed:
        return Status::tr("Completed");
    case CommandStatus::Failed:
        return Status::tr("Failed");
    case CommandStatus::Cancelled:
        return Status::tr("Cancelled");
    }
    return {};
}

QIcon commandStatusIcon(CommandStatus status)
{
    switch (status) {
    case CommandStatus::Pending:
        return consoleIcon(u"status-pending"_s);
    case CommandStatus::Sent:
    case CommandStatus::Ack:
        return consoleIcon(u"status-draining"_s);
    case CommandStatus::Completed:
        return consoleIcon(u"status-online"_s);
    case CommandStatus::Failed:
        return consoleIcon(u"status-rejected"_s);
    case CommandStatus::Cancelled:
        return consoleIcon(u"status-offline"_s);
    }
    return {};
}

QString sessionStateText(SessionState state)
{
    switch (state) {
    case SessionState::Pending:
        return Status::tr("Pending");
    case SessionState::Running:
        return Status::tr("Running");
    case SessionState::Terminating:
        return Status::tr("Terminating");
    case SessionState::Terminated:
        return Status::tr("Terminated");
    case SessionState::Hibernating:
        return Status::tr("Hibernating");
    case SessionState::Hibernated:
        return Status::tr("Hibernated");
    case SessionState::Failed:
        return Status::tr("Failed");
    }
    return {};
}

QColor sessionStateColor(SessionState state)
{
    switch (state) {
    case SessionState::Running:
        return QColor(0x2e, 0x7d, 0x32);
    case SessionState::Pending:
    case SessionState::Terminating:
    case SessionState::Hibernating:
        return QColor(0xb2, 0x6a, 0x00);
    case SessionState::Hibernated:
        return QColor(0x45, 0x5a, 0x9c);
    case SessionState::Terminated:
        return QColor(0x75, 0x75, 0x75);
    case SessionState::Failed:
        return QColor(0xc6, 0x28, 0x28);
    }
    return {};
}

QString relativeTime(const QDateTime &then, const QDateTime &now)
{
    if (!then.isValid())
        return Status::tr("never");
    const qint64 seconds = qMax<qint64>(0, then.secsTo(now));
    if (seconds < 60)
        return Status::tr("%1 s ago").arg(seconds);
    if (seconds < 3600)
        return Status::tr("%1 min ago").arg(seconds / 60);
    if (seconds < 86400)
        return Status::tr("%1 h ago").arg(seconds / 3600);
    return Status::tr("%1 d ago").arg(seconds / 86400);
}

} // namespace switchboard::console
