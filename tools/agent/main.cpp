// switchboard-agent: a simulated agent (or N of them) for trying Switchboard, tests and load.
#include "AgentFleet.h"
#include "AgentOptions.h"
#include "SignalWatcher.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <cstdio>

using namespace Qt::StringLiterals;
using namespace switchboard::agentsim;

namespace {

QString loggingRules(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug:
        return u"*.debug=true\nqt.*.debug=false"_s;
    case LogLevel::Info:
        return u"*.debug=false"_s;
    case LogLevel::Warning:
        return u"*.debug=false\n*.info=false"_s;
    case LogLevel::Error:
        return u"*.debug=false\n*.info=false\n*.warning=false"_s;
    }
    return {};
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"switchboard-agent"_s);
    QCoreApplication::setApplicationVersion(u"0.1.0"_s);

    const ParsedAgentOptions parsed =
        parseAgentOptions(QCoreApplication::arguments(), QProcessEnvironment::systemEnvironment());
    switch (parsed.outcome) {
    case ParsedAgentOptions::Outcome::ShowHelp:
    case ParsedAgentOptions::Outcome::ShowVersion:
        std::fputs(qPrintable(parsed.text + u'\n'), stdout);
        return AgentFleet::kExitOk;
    case ParsedAgentOptions::Outcome::Error:
        std::fprintf(stderr, "switchboard-agent: %s\nTry 'switchboard-agent --help'.\n",
                     qPrintable(parsed.text));
        return AgentFleet::kExitUsage;
    case ParsedAgentOptions::Outcome::Run:
        break;
    }

    qSetMessagePattern(u"%{time yyyy-MM-ddTHH:mm:ss.zzz} %{if-debug}debug%{endif}%{if-info}info%{endif}"
                       "%{if-warning}warning%{endif}%{if-critical}error%{endif}%{if-fatal}fatal%{endif} "
                       "%{category}: %{message}"_s);
    QLoggingCategory::setFilterRules(loggingRules(parsed.options.effectiveLogLevel()));

    SignalWatcher signals;
    AgentFleet fleet(parsed.options);
    bool stopping = false;
    QObject::connect(&signals, &SignalWatcher::signalReceived, &fleet, [&](int signalNumber) {
        if (stopping) {
            // A second Ctrl-C: the operator does not want to wait for the close handshake.
            QCoreApplication::exit(128 + signalNumber);
            return;
        }
        stopping = true;
        fleet.shutdown();
    });
    QObject::connect(&fleet, &AgentFleet::finished, &app, &QCoreApplication::exit);
    if (!fleet.start()) {
        std::fprintf(stderr, "switchboard-agent: %s\n", qPrintable(fleet.errorString()));
        return AgentFleet::kExitUsage;
    }
    return QCoreApplication::exec();
}
