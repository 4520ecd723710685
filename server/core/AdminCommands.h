// AdminCommands: the admin subcommands of switchboard-server (agent
// add|list|remove|approve|reject|rotate-key, token issue). They work on the same database and secret as the
// server, synchronously: nothing else runs in the process.
#pragma once

#include "config/Invocation.h"

#include <QTextStream>

namespace switchboard {

class AdminCommands
{
public:
    AdminCommands(QTextStream &out, QTextStream &err)
        : m_out(out)
        , m_err(err)
    {}

    // Returns the process exit code: 0 done, 1 failed (reason on err).
    int run(const Invocation &invocation);

private:
    int agentAdd(const Invocation &invocation, class Store &store);
    int agentList(const Invocation &invocation, Store &store);
    int agentRemove(const Invocation &invocation, Store &store);
    int agentDecide(const Invocation &invocation, Store &store, bool approve);
    int agentRotateKey(const Invocation &invocation, Store &store);
    int tokenIssue(const Invocation &invocation);

    QTextStream &m_out;
    QTextStream &m_err;
};

} // namespace switchboard
