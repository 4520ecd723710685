// switchboard-server: parse the invocation, then either run one admin command or serve.
#include "config/Invocation.h"
#include "core/AdminCommands.h"
#include "core/Server.h"
#include "core/UnixSignalWatcher.h"
#include "logging/LogHandler.h"
#include "net/EpollEventDispatcher.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QProcessEnvironment>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace {

void applyLogLevel(switchboard::LogLevel level)
{
    QString rules;
    switch (level) {
    case switchboard::LogLevel::Debug:
        rules = u"switchboard.*.debug=true"_s;
        break;
    case switchboard::LogLevel::Info:
        rules = u"*.debug=false\nswitchboard.*.info=true"_s;
        break;
    case switchboard::LogLevel::Warning:
        rules = u"*.debug=false\n*.info=false"_s;
        break;
    case switchboard::LogLevel::Error:
        rules = u"*.debug=false\n*.info=false\n*.warning=false"_s;
        break;
    }
    // QT_LOGGING_CONF and QT_LOGGING_RULES still override these (resources/qtlogging.ini).
    QLoggingCategory::setFilterRules(rules);
}

} // namespace

int main(int argc, char *argv[])
{
    // Before the application object: Qt creates the main thread's dispatcher with it. Epoll by
    // default; Qt's poll() and glib dispatchers cost O(connections) per loop turn or per notifier
    // change (docs/BENCHMARKS.md, finding 1; docs/CONFIGURATION.md).
    const QString dispatcherWarning =
        switchboard::installEventDispatcher(qEnvironmentVariable("SWITCHBOARD_EVENT_DISPATCHER"));
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"switchboard-server"_s);
    QCoreApplication::setApplicationVersion(u"0.1.0"_s);
    QTextStream out(stdout);
    QTextStream err(stderr);

    const auto parsed =
        switchboard::parseInvocation(QCoreApplication::arguments(), QProcessEnvironment::systemEnvironment());
    if (!parsed) {
        err << "switchboard-server: " << parsed.error().message << "\n"
            << "Try 'switchboard-server --help'." << Qt::endl;
        return 2;
    }
    const switchboard::Invocation &invocation = parsed.value();
    // Every line from here on, in the configured format (text or one JSON object per line).
    switchboard::logging::LogHandler logHandler(invocation.settings.logFormat);
    logHandler.install();
    for (const QString &warning : invocation.warnings)
        err << "warning: " << warning << "\n";
    if (!dispatcherWarning.isEmpty())
        err << "warning: " << dispatcherWarning << "\n";
    err.flush();

    using Command = switchboard::Invocation::Command;
    switch (invocation.command) {
    case Command::ShowHelp:
        out << switchboard::usageText() << Qt::flush;
        return 0;
    case Command::ShowVersion:
        out << "switchboard-server " << QCoreApplication::applicationVersion() << Qt::endl;
        return 0;
    case Command::Serve:
        break;
    default:
        // An admin command prints its result; storage's progress lines are noise there.
        applyLogLevel(invocation.settings.logLevel == switchboard::LogLevel::Debug
                          ? switchboard::LogLevel::Debug
                          : switchboard::LogLevel::Warning);
        return switchboard::AdminCommands(out, err).run(invocation);
    }

    applyLogLevel(invocation.settings.logLevel);
    switchboard::Server server(invocation.settings);
    const auto started = server.start();
    if (!started) {
        err << "switchboard-server: " << started.error().message << Qt::endl;
        return 1;
    }
    const auto &settings = invocation.settings;
    // The admin subcommands must find the same secret and database as this server.
    QString sameStore;
    if (settings.dataDir != switchboard::Settings::defaultDataDir())
        sameStore += u" --data-dir "_s + settings.dataDir;
    if (settings.databaseUrl != switchboard::Settings::defaultDatabaseUrl(settings.dataDir))
        sameStore += u" --database "_s + settings.databaseUrl;
    if (!invocation.configFile.isEmpty())
        sameStore += u" --config "_s + invocation.configFile;
    out << "Switchboard listening on http://" << server.serverAddress().toString() << ":"
        << server.serverPort() << "\n"
        << "  database:  " << settings.databaseUrl << "\n"
        << "  data dir:  " << settings.dataDir << "\n"
        << "  replica:   " << settings.replicaName << "\n"
        << "An admin token for the console or /api/v1/ws/admin:\n"
        << "  switchboard-server token issue --user admin --org <org> --role admin" << sameStore << "\n"
        << "An agent and its key:\n"
        << "  switchboard-server agent add --id <agent-id> --org <org> --platform docker" << sameStore
        << Qt::endl;

    switchboard::UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &switchboard::UnixSignalWatcher::terminationRequested, &server,
                     [&server](int) { server.shutdown(); });
    QObject::connect(&server, &switchboard::Server::stopped, &app, &QCoreApplication::quit);
    return QCoreApplication::exec();
}
