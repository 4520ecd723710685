#include "core/DatabaseProbe.h"
#include "core/Continuation.h"

#include "storage/Store.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcProbe, "switchboard.readiness")

using namespace Qt::StringLiterals;

namespace switchboard {

DatabaseProbe::DatabaseProbe(Store *store, std::chrono::milliseconds interval, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
    m_timer.setInterval(interval);
    connect(&m_timer, &QTimer::timeout, this, &DatabaseProbe::probeNow);
}

void DatabaseProbe::start()
{
    m_timer.start();
    probeNow();
}

void DatabaseProbe::stop()
{
    m_timer.stop();
}

void DatabaseProbe::probeNow()
{
    if (m_inFlight || !m_store)
        return;
    m_inFlight = true;
    whenFinished(this, m_store->ping(), [this](protocol::Decoded<bool> ping) {
        m_inFlight = false;
        const bool reachable = ping && ping.value();
        m_problem = reachable ? QString() : (ping ? u"unreachable"_s : ping.error().message);
        if (reachable == m_reachable)
            return;
        m_reachable = reachable;
        if (reachable)
            qCInfo(lcProbe) << "database reachable again";
        else
            qCWarning(lcProbe) << "database unreachable:" << m_problem;
        Q_EMIT reachabilityChanged(reachable);
    });
}

} // namespace switchboard
