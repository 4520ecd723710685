// switchboard-console: the operator's console. Options: --lang de|fr|en (default: the system
// locale), --server URL, --no-style.
#include "ConnectDialog.h"
#include "ConsoleClient.h"
#include "ConsoleIcons.h"
#include "ConsoleSettings.h"
#include "ConsoleTranslations.h"
#include "MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace switchboard::console;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(u"Switchboard"_s);
    QApplication::setApplicationName(u"Console"_s);
    QApplication::setApplicationDisplayName(u"Switchboard Console"_s);
    QApplication::setApplicationVersion(u"0.1.0"_s);

    // --lang is needed before the parser exists so that --help is translated too.
    QLocale locale = QLocale::system();
    const QStringList arguments = QCoreApplication::arguments();
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        if (arguments.at(i) == "--lang"_L1 && i + 1 < arguments.size())
            locale = QLocale(arguments.at(i + 1));
        else if (arguments.at(i).startsWith("--lang="_L1))
            locale = QLocale(arguments.at(i).mid(7));
    }
    QLocale::setDefault(locale);
    installTranslations(locale);

    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption lang(
        u"lang"_s, QApplication::translate("main", "Language (de, fr, en); default: the system's."),
        u"LANG"_s);
    const QCommandLineOption server(
        u"server"_s, QApplication::translate("main", "Server URL to connect to (asks for a token)."),
        u"URL"_s);
    const QCommandLineOption noStyle(u"no-style"_s,
                                     QApplication::translate("main", "Use the system style only."));
    parser.addOptions({lang, server, noStyle});
    parser.process(app);

    if (!parser.isSet(noStyle))
        applyConsoleStyle();

    ConsoleSettings settings;
    ConsoleClient client;
    MainWindow window(&client, &settings);
    window.show();

    // Connect straight away when the token was remembered; otherwise ask.
    const QUrl url = parser.isSet(server) ? QUrl::fromUserInput(parser.value(server)) : settings.serverUrl();
    if (!settings.token().isEmpty() && !parser.isSet(server))
        client.connectToServer(url, settings.token());
    else
        QTimer::singleShot(0, &window, [&window] { window.showConnectDialog(); });
    return QApplication::exec();
}
