// The Prometheus text exposition format, version 0.0.4: what GET /metrics answers. Pure functions
// of a registry's current values, so that tests compare exact text.
#pragma once

#include "metrics/Metrics.h"

#include <QByteArray>
#include <QString>

namespace switchboard::metrics {

inline constexpr auto kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Label values: backslash, double quote and line feed escaped (\\, \", \n).
QString escapeLabelValue(const QString &value);
// HELP text: backslash and line feed escaped.
QString escapeHelp(const QString &help);
// Whole numbers without a fraction, others in the shortest form that reads back exactly;
// +Inf, -Inf, NaN as Prometheus spells them.
QString formatValue(double value);

// Every family in registration order: # HELP, # TYPE, then its samples with children sorted by
// their label values; histograms as cumulative _bucket{le=...} (ending with +Inf), _sum, _count.
QByteArray renderPrometheusText(const MetricsRegistry &registry);

} // namespace switchboard::metrics
