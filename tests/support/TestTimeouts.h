// Waits for real processes scale with how slow the build under test is: the sanitizer build
// (tests/CMakeLists.txt) sets SWITCHBOARD_TEST_TIMEOUT_SCALE, so that a server process that starts
// in 2 s normally and in 10 s under ASan is not a failure; what the tests check stays the same.
#pragma once

#include <QtGlobal>

namespace switchboard::test {

inline int scaledTimeout(int milliseconds)
{
    const int scale = qEnvironmentVariableIntValue("SWITCHBOARD_TEST_TIMEOUT_SCALE");
    return scale > 1 ? milliseconds * scale : milliseconds;
}

} // namespace switchboard::test
