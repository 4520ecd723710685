// Loads the console's translation for a locale (German, French; English is built in) and Qt's own.
#pragma once

#include <QLocale>
#include <QObject>

namespace switchboard::console {

// Installs the translators on the application (they are parented to it); returns true when a
// console translation was found for the locale.
bool installTranslations(const QLocale &locale);

} // namespace switchboard::console
