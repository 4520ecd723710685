#include "MetricsView.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>

using namespace Qt::StringLiterals;

namespace switchboard::console {

std::optional<double> MessageRate::add(const protocol::admin::Metrics &sample)
{
    const std::optional<protocol::admin::Metrics> previous = std::exchange(m_previous, sample);
    if (!previous || previous->replica != sample.replica || sample.messagesIn < previous->messagesIn ||
        sample.messagesOut < previous->messagesOut)
        return std::nullopt;
    const qint64 elapsedMs = previous->timestamp.msecsTo(sample.timestamp);
    if (elapsedMs <= 0)
        return std::nullopt;
    const quint64 messages =
        (sample.messagesIn - previous->messagesIn) + (sample.messagesOut - previous->messagesOut);
    return double(messages) * 1000.0 / double(elapsedMs);
}

MetricsView::MetricsView(QWidget *parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_view(new QChartView(m_chart, this))
    , m_agents(new QLineSeries(this))
    , m_clients(new QLineSeries(this))
    , m_rate(new QLineSeries(this))
    , m_time(new QDateTimeAxis(this))
    , m_values(new QValueAxis(this))
    , m_rateAxis(new QValueAxis(this))
    , m_now(new QLabel(this))
{
    m_agents->setName(tr("Connected agents"));
    m_clients->setName(tr("Browser clients"));
    m_rate->setName(tr("Messages per second"));
    const QColor colors[] = {QColor(0x2e, 0x9d, 0x4f), QColor(0x2f, 0x6f, 0xca), QColor(0xc9, 0x8a, 0x00)};
    QLineSeries *series[] = {m_agents, m_clients, m_rate};
    for (int i = 0; i < 3; ++i) {
        QPen pen(colors[i]);
        pen.setWidthF(2.0);
        series[i]->setPen(pen);
        m_chart->addSeries(series[i]);
    }
    m_time->setFormat(u"HH:mm:ss"_s);
    m_time->setTickCount(5);
    m_values->setLabelFormat(u"%d"_s);
    m_values->setRange(0, m_max);
    m_values->setTickCount(5);
    // Rates run to thousands while counts stay small: the rate has its own axis, on the right.
    m_rateAxis->setLabelFormat(u"%.0f"_s);
    m_rateAxis->setRange(0, m_rateMax);
    m_rateAxis->setTickCount(5);
    m_rateAxis->setLinePenColor(colors[2]);
    m_chart->addAxis(m_time, Qt::AlignBottom);
    m_chart->addAxis(m_values, Qt::AlignLeft);
    m_chart->addAxis(m_rateAxis, Qt::AlignRight);
    for (QLineSeries *s : {m_agents, m_clients}) {
        s->attachAxis(m_time);
        s->attachAxis(m_values);
    }
    m_rate->attachAxis(m_time);
    m_rate->attachAxis(m_rateAxis);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_chart->setBackgroundRoundness(0);
    const QDateTime now = QDateTime::currentDateTime();
    m_time->setRange(now.addSecs(-60), now);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(180);
    m_now->setWordWrap(true);
    m_now->setText(tr("Waiting for the server's metrics (sent to administrators only)."));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_now);
}

void MetricsView::addSample(const QDateTime &time, int agents, int clients,
                            std::optional<double> messagesPerSecond)
{
    const qreal x = qreal(time.toMSecsSinceEpoch());
    m_agents->append(x, agents);
    m_clients->append(x, clients);
    if (messagesPerSecond)
        m_rate->append(x, *messagesPerSecond);
    const qreal oldest = qreal(time.addSecs(-m_windowSeconds).toMSecsSinceEpoch());
    for (QLineSeries *s : {m_agents, m_clients, m_rate}) {
        int drop = 0;
        while (drop < s->count() && s->at(drop).x() < oldest)
            ++drop;
        if (drop > 0)
            s->removePoints(0, drop);
    }
    // A multiple of 4 keeps the five ticks on whole numbers.
    const int highest = qMax(agents, clients) + 1;
    m_max = qMax(m_max, (highest + 3) / 4 * 4);
    m_values->setRange(0, m_max);
    if (messagesPerSecond) {
        m_rateMax = qMax(m_rateMax, std::ceil(*messagesPerSecond * 1.1 / 4.0) * 4.0);
        m_rateAxis->setRange(0, m_rateMax);
    }
    const QDateTime first = QDateTime::fromMSecsSinceEpoch(qint64(m_agents->at(0).x()));
    m_time->setRange(qMin(first, time.addSecs(-10)), time);
    if (messagesPerSecond) {
        m_now->setText(tr("Now: %1 agents, %2 browser clients, %3 messages per second.")
                           .arg(agents)
                           .arg(clients)
                           .arg(QLocale().toString(*messagesPerSecond, 'f', 1)));
    } else {
        m_now->setText(tr("Now: %1 agents, %2 browser clients; messages per second from the next sample on.")
                           .arg(agents)
                           .arg(clients));
    }
}

int MetricsView::sampleCount() const
{
    return int(m_agents->count());
}

QList<QPointF> MetricsView::ratePoints() const
{
    return m_rate->points();
}

QString MetricsView::summary() const
{
    return m_now->text();
}

} // namespace switchboard::console
