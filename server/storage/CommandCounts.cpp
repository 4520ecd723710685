#include "CommandCounts.h"

#include "StorageWorker.h"

using namespace Qt::StringLiterals;

namespace switchboard {

protocol::Decoded<CommandCountsByStatus> countCommandsByStatus(StorageWorker &worker)
{
    if (auto ready = worker.ready(); !ready)
        return ready.error();
    auto result = worker.connection().execute(
        u"SELECT status, COUNT(*) FROM agent_commands GROUP BY status"_s, {}, u"count commands by status");
    if (!result)
        return result.error();
    SqlResult rows = std::move(result).value();
    CommandCountsByStatus counts;
    while (rows.next())
        counts.insert(rows.value(0).toString(), rows.value(1).toLongLong());
    return counts;
}

} // namespace switchboard
