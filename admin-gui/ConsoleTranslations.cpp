#include "ConsoleTranslations.h"

#include "ConsoleIcons.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QTranslator>

using namespace Qt::StringLiterals;

namespace switchboard::console {

bool installTranslations(const QLocale &locale)
{
    initConsoleResources();
    auto *qtTranslator = new QTranslator(QCoreApplication::instance());
    if (qtTranslator->load(locale, u"qtbase"_s, u"_"_s, QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qtTranslator);
    else
        delete qtTranslator;
    auto *translator = new QTranslator(QCoreApplication::instance());
    if (translator->load(locale, u"switchboard"_s, u"_"_s, u":/i18n"_s)) {
        QCoreApplication::installTranslator(translator);
        return true;
    }
    delete translator;
    return false;
}

} // namespace switchboard::console
