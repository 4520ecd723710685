// switchboard-bench: load generator for Switchboard and, with --raw, for a plain broadcast hub.
#include "BenchOptions.h"
#include "BenchRunner.h"

#include <QCoreApplication>
#include <QTextStream>

#include <csignal>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("switchboard-bench"));
    QTextStream out(stdout);
    QTextStream err(stderr);
    QString error;
    QString help;
    const auto options = switchboard::bench::parseBenchOptions(QCoreApplication::arguments(), &error, &help);
    if (!options) {
        if (!help.isEmpty()) {
            out << help << Qt::flush;
            return 0;
        }
        err << "switchboard-bench: " << error << "\nTry 'switchboard-bench --help'." << Qt::endl;
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    switchboard::bench::BenchRunner runner(*options);
    const auto result = runner.run();
    const QString title = switchboard::bench::scenarioName(options->scenario) +
                          (options->raw ? QStringLiteral(" (raw hub)") : QStringLiteral(" (switchboard)"));
    out << switchboard::bench::formatTable(title, result);
    out << switchboard::bench::formatJsonLine(*options, result) << Qt::endl;
    return result.ok ? 0 : 1;
}
