#include "core/MetricsEndpoint.h"
#include "core/Continuation.h"

#include "metrics/PrometheusText.h"
#include "metrics/ServerMetrics.h"
#include "net/ConstantTime.h"
#include "net/HttpResponse.h"
#include "storage/CommandCounts.h"
#include "storage/Store.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcMetrics, "switchboard.metrics")

using namespace Qt::StringLiterals;

namespace switchboard {

MetricsEndpoint::MetricsEndpoint(metrics::ServerMetrics *metrics, Store *store, const MetricsAccess &access,
                                 std::chrono::milliseconds commandCountsMaxAge, std::function<void()> sample,
                                 QObject *parent)
    : QObject(parent)
    , m_metrics(metrics)
    , m_store(store)
    , m_access(access)
    , m_maxAge(commandCountsMaxAge)
    , m_sample(std::move(sample))
{
    for (const QString &text : access.allowedSubnets) {
        if (const auto subnet = parseSubnetOrAddress(text))
            m_allowed.append(*subnet);
    }
}

int MetricsEndpoint::refusal(const HttpRequest &request) const
{
    const QByteArray authorization = request.header("Authorization");
    if (!m_access.token.isEmpty() && authorization.startsWith("Bearer ")) {
        const QByteArray presented = authorization.mid(7).trimmed();
        // A wrong token is refused even from an allowed address: the caller meant to use it.
        return constantTimeEquals(presented, m_access.token.toUtf8()) ? 0 : 401;
    }
    // IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d.
    const QHostAddress peer = AddressLimiter::sourceOf(request.peerAddress);
    bool mapped = false;
    const quint32 v4 = request.peerAddress.toIPv4Address(&mapped);
    for (const Subnet &subnet : m_allowed) {
        if (request.peerAddress.isInSubnet(subnet) || peer.isInSubnet(subnet) ||
            (mapped && QHostAddress(v4).isInSubnet(subnet)))
            return 0;
    }
    return m_access.token.isEmpty() ? 403 : 401;
}

void MetricsEndpoint::handle(const HttpRequest &request, HttpResponder responder)
{
    if (!m_access.enabled)
        return responder.respond(404, jsonError(u"Not found"_s, u"/metrics is disabled"_s));
    if (request.method != "GET")
        return responder.respond(405, jsonError(u"Method not allowed"_s));
    if (const int status = refusal(request)) {
        m_metrics->authFailure(u"metrics"_s);
        qCDebug(lcMetrics) << "refused /metrics to" << request.peerAddress.toString() << "with" << status;
        if (status == 401)
            return responder.respond(401, jsonError(u"Unauthorized"_s, u"a bearer token is required"_s),
                                     "application/json", {{"WWW-Authenticate", "Bearer realm=\"metrics\""}});
        return responder.respond(403, jsonError(u"Forbidden"_s, u"this address may not read /metrics"_s));
    }
    refreshCommandCounts();
    if (m_sample)
        m_sample();
    responder.respond(200, metrics::renderPrometheusText(m_metrics->registry()),
                      metrics::kPrometheusContentType);
}

void MetricsEndpoint::refreshCommandCounts()
{
    if (m_countInFlight || !m_store)
        return;
    if (m_sinceCount.isValid() && m_sinceCount.elapsed() < m_maxAge.count())
        return;
    m_sinceCount.start();
    m_countInFlight = true;
    whenFinished(this, m_store->submit<CommandCountsByStatus>(&countCommandsByStatus),
                 [this](protocol::Decoded<CommandCountsByStatus> counts) {
                     m_countInFlight = false;
                     if (!counts) {
                         qCDebug(lcMetrics) << "could not count commands:" << counts.error().message;
                         return;
                     }
                     // Every status, so that one that drops to zero shows 0 instead of its last count.
                     for (const QString &status :
                          {u"pending"_s, u"sent"_s, u"ack"_s, u"completed"_s, u"failed"_s, u"cancelled"_s})
                         m_metrics->setCommandCount(status, counts.value().value(status));
                 });
}

} // namespace switchboard
