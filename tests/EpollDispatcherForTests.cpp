// Compiled into the in-process server tests (tests/core, tests/tools) so that they run on the
// event dispatcher the server runs on: SWITCHBOARD_EVENT_DISPATCHER as in main (epoll when unset,
// "poll" or "glib" to compare). QTest's generated main creates the application object, so the
// dispatcher has to be installed before main; this static initializer is the only hook there is.
#include "net/EpollEventDispatcher.h"

#include <cstdio>

namespace {

const bool dispatcherInstalled = [] {
    const QString warning =
        switchboard::installEventDispatcher(qEnvironmentVariable("SWITCHBOARD_EVENT_DISPATCHER"));
    if (!warning.isEmpty())
        std::fprintf(stderr, "warning: %s\n", qPrintable(warning));
    return true;
}();

} // namespace
