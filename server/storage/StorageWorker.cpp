#include "StorageWorker.h"

#include "Migrator.h"
#include "StorageLogging.h"

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Done;
using protocol::Error;
using protocol::ErrorCode;

StorageWorker::StorageWorker(QObject *parent)
    : QObject(parent)
    , m_orgs(m_connection)
    , m_agents(m_connection, m_orgs)
    , m_commands(m_connection, m_agents)
    , m_sessions(m_connection, m_orgs, m_commands)
    , m_events(m_connection)
    , m_revocations(m_connection)
{}

StorageWorker::~StorageWorker()
{
    close();
}

Decoded<Done> StorageWorker::open(const QString &databaseUrl)
{
    if (m_connection.isOpen())
        return Error{
            ErrorCode::Conflict, u"the store is already open on "_s + m_connection.url().redacted(), {}, {}};
    auto url = DatabaseUrl::parse(databaseUrl);
    if (!url)
        return url.error();
    if (auto opened = m_connection.open(url.value()); !opened)
        return opened;
    auto migrated = Migrator(m_connection).migrate();
    if (!migrated) {
        m_connection.close();
        return migrated.error();
    }
    qCInfo(lcStorage) << "schema version" << migrated.value();
    return Done{};
}

void StorageWorker::close()
{
    m_connection.close();
}

Decoded<Done> StorageWorker::ready(bool wait)
{
    return m_connection.ensureUsable(wait);
}

Decoded<int> StorageWorker::schemaVersion()
{
    return Migrator(m_connection).currentVersion();
}

Decoded<bool> StorageWorker::ping()
{
    auto result = m_connection.execute(u"SELECT 1"_s, {}, u"ping");
    if (!result)
        return Error{ErrorCode::Unavailable, result.error().message, {}, {}};
    SqlResult rows = std::move(result).value();
    return rows.next() && rows.value(0).toInt() == 1;
}

} // namespace switchboard
