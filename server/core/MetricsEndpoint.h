// MetricsEndpoint: answers GET /metrics. Checks the caller against the configured access (allowed
// subnets or a bearer token), refreshes the sampled values (connections, limit hits, and at most
// once per interval the command counts through the storage thread, answered from the last sample),
// and renders the registry in the Prometheus text format. It never waits for storage.
#pragma once

#include "config/Settings.h"
#include "net/HttpFront.h"
#include "net/RateLimit.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

#include <chrono>
#include <functional>

namespace switchboard {

namespace metrics {
class ServerMetrics;
}
class Store;

class MetricsEndpoint : public QObject
{
    Q_OBJECT
public:
    // `sample` sets the values read from the components (connections, orgs, limit hits) just
    // before rendering. `commandCountsMaxAge`: how stale the command counts may be.
    MetricsEndpoint(metrics::ServerMetrics *metrics, Store *store, const MetricsAccess &access,
                    std::chrono::milliseconds commandCountsMaxAge, std::function<void()> sample,
                    QObject *parent = nullptr);

    bool isEnabled() const { return m_access.enabled; }
    void handle(const HttpRequest &request, HttpResponder responder);

    // 0 = let in, else the HTTP status (401 needs a token, 403 address not allowed).
    int refusal(const HttpRequest &request) const;

private:
    void refreshCommandCounts();

    metrics::ServerMetrics *m_metrics;
    QPointer<Store> m_store;
    MetricsAccess m_access;
    QList<Subnet> m_allowed;
    std::chrono::milliseconds m_maxAge;
    std::function<void()> m_sample;
    QElapsedTimer m_sinceCount; // invalid until the first count was asked for
    bool m_countInFlight = false;
};

} // namespace switchboard
