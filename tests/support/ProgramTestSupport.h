// Helpers for tests that run the real programs (switchboard-server, switchboard-agent) as child
// processes: a port to give them, and where the agent binary is.
#pragma once

#include <QHostAddress>
#include <QString>
#include <QTcpServer>

namespace switchboard::test {

// A loopback port nobody listens on right now (bound to port 0, read back, released for the
// child process; another process could take it in between, which tests accept).
inline quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// The switchboard-agent binary of this build (CMake passes SWITCHBOARD_AGENT_BINARY to tests of
// tests/core, tools and console), or empty when the build has none: callers QSKIP then.
inline QString agentBinary()
{
#ifdef SWITCHBOARD_AGENT_BINARY
    return QStringLiteral(SWITCHBOARD_AGENT_BINARY);
#else
    return {};
#endif
}

} // namespace switchboard::test
