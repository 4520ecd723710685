#include "metrics/PrometheusText.h"

#include <QStringBuilder>

#include <algorithm>
#include <charconv>
#include <cmath>

using namespace Qt::StringLiterals;

namespace switchboard::metrics {

namespace {

QString typeName(MetricType type)
{
    switch (type) {
    case MetricType::Counter:
        return u"counter"_s;
    case MetricType::Gauge:
        return u"gauge"_s;
    case MetricType::Histogram:
        return u"histogram"_s;
    }
    return u"untyped"_s;
}

// {a="1",b="2"} plus an optional extra label (le of a bucket); empty when there are no labels.
QString labelText(const QStringList &names, const QStringList &values, const QString &extraName = {},
                  const QString &extraValue = {})
{
    QString text;
    for (qsizetype i = 0; i < names.size(); ++i) {
        if (!text.isEmpty())
            text += u',';
        text += names.at(i) % u"=\""_s % escapeLabelValue(values.value(i)) % u'"';
    }
    if (!extraName.isEmpty()) {
        if (!text.isEmpty())
            text += u',';
        text += extraName % u"=\""_s % escapeLabelValue(extraValue) % u'"';
    }
    return text.isEmpty() ? text : u'{' % text % u'}';
}

void appendSample(QString &out, const QString &name, const QString &labels, const QString &value)
{
    out += name % labels % u' ' % value % u'\n';
}

} // namespace

QString escapeLabelValue(const QString &value)
{
    QString escaped;
    escaped.reserve(value.size());
    for (const QChar c : value) {
        if (c == u'\\')
            escaped += "\\\\"_L1;
        else if (c == u'"')
            escaped += "\\\""_L1;
        else if (c == u'\n')
            escaped += "\\n"_L1;
        else
            escaped += c;
    }
    return escaped;
}

QString escapeHelp(const QString &help)
{
    QString escaped;
    escaped.reserve(help.size());
    for (const QChar c : help) {
        if (c == u'\\')
            escaped += "\\\\"_L1;
        else if (c == u'\n')
            escaped += "\\n"_L1;
        else
            escaped += c;
    }
    return escaped;
}

QString formatValue(double value)
{
    if (std::isnan(value))
        return u"NaN"_s;
    if (std::isinf(value))
        return value > 0 ? u"+Inf"_s : u"-Inf"_s;
    if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) // 2^53: exact integers
        return QString::number(qint64(value));
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return QString::fromLatin1(buffer, result.ptr - buffer);
}

QByteArray renderPrometheusText(const MetricsRegistry &registry)
{
    QString out;
    for (const auto &family : registry.families()) {
        const QString &name = family->name();
        out += u"# HELP "_s % name % u' ' % escapeHelp(family->help()) % u'\n';
        out += u"# TYPE "_s % name % u' ' % typeName(family->type()) % u'\n';
        std::vector<const Family::Child *> children;
        for (const auto &child : family->children())
            children.push_back(child.get());
        std::sort(children.begin(), children.end(), [](const Family::Child *a, const Family::Child *b) {
            return a->labelValues < b->labelValues;
        });
        const QStringList &labelNames = family->labelNames();
        for (const Family::Child *child : children) {
            const QStringList &values = child->labelValues;
            switch (family->type()) {
            case MetricType::Counter:
                appendSample(out, name, labelText(labelNames, values),
                             QString::number(child->counter->value()));
                break;
            case MetricType::Gauge:
                appendSample(out, name, labelText(labelNames, values), formatValue(child->gauge->value()));
                break;
            case MetricType::Histogram: {
                const Histogram &histogram = *child->histogram;
                // _count is the +Inf bucket, so that the two always agree even while another
                // thread observes during the scrape.
                quint64 cumulative = 0;
                const std::size_t bounds = histogram.bounds().size();
                for (std::size_t i = 0; i <= bounds; ++i) {
                    cumulative += histogram.bucketCount(i);
                    const QString le = i < bounds ? formatValue(histogram.bounds()[i]) : u"+Inf"_s;
                    appendSample(out, name + "_bucket"_L1, labelText(labelNames, values, u"le"_s, le),
                                 QString::number(cumulative));
                }
                appendSample(out, name + "_sum"_L1, labelText(labelNames, values),
                             formatValue(histogram.sum()));
                appendSample(out, name + "_count"_L1, labelText(labelNames, values),
                             QString::number(cumulative));
                break;
            }
            }
        }
    }
    return out.toUtf8();
}

} // namespace switchboard::metrics
