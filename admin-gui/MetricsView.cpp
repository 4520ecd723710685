#include "MetricsView.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QLabel>
#include <QLineSeries>
#include <QVBoxLayout>
#include <QValueAxis>

using namespace Qt::StringLiterals;

namespace switchboard::console {

MetricsView::MetricsView(QWidget *parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_view(new QChartView(m_chart, this))
    , m_agents(new QLineSeries(this))
    , m_clients(new QLineSeries(this))
    , m_sessions(new QLineSeries(this))
    , m_time(new QDateTimeAxis(this))
    , m_values(new QValueAxis(this))
    , m_now(new QLabel(this))
{
    m_agents->setName(tr("Connected agents"));
    m_clients->setName(tr("Browser clients"));
    m_sessions->setName(tr("Running sessions"));
    const QColor colors[] = {QColor(0x2e, 0x9d, 0x4f), QColor(0x2f, 0x6f, 0xca), QColor(0xc9, 0x8a, 0x00)};
    QLineSeries *series[] = {m_agents, m_clients, m_sessions};
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
    m_chart->addAxis(m_time, Qt::AlignBottom);
    m_chart->addAxis(m_values, Qt::AlignLeft);
    for (QLineSeries *s : series) {
        s->attachAxis(m_time);
        s->attachAxis(m_values);
    }
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_chart->setBackgroundRoundness(0);
    const QDateTime now = QDateTime::currentDateTime();
    m_time->setRange(now.addSecs(-60), now);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(180);
    m_now->setWordWrap(true);
    m_now->setText(tr("Messages per second are not published by the server yet."));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_now);
}

void MetricsView::addSample(const QDateTime &time, int agents, int clients, int runningSessions)
{
    const qreal x = qreal(time.toMSecsSinceEpoch());
    m_agents->append(x, agents);
    m_clients->append(x, clients);
    m_sessions->append(x, runningSessions);
    const qreal oldest = qreal(time.addSecs(-m_windowSeconds).toMSecsSinceEpoch());
    for (QLineSeries *s : {m_agents, m_clients, m_sessions}) {
        int drop = 0;
        while (drop < s->count() && s->at(drop).x() < oldest)
            ++drop;
        if (drop > 0)
            s->removePoints(0, drop);
    }
    // A multiple of 4 keeps the five ticks on whole numbers.
    const int highest = qMax(agents, qMax(clients, runningSessions)) + 1;
    m_max = qMax(m_max, (highest + 3) / 4 * 4);
    m_values->setRange(0, m_max);
    const QDateTime first = QDateTime::fromMSecsSinceEpoch(qint64(m_agents->at(0).x()));
    m_time->setRange(qMin(first, time.addSecs(-10)), time);
    m_now->setText(tr("Now: %1 agents, %2 clients, %3 running sessions. Messages per second are not "
                      "published by the server yet.")
                       .arg(agents)
                       .arg(clients)
                       .arg(runningSessions));
}

int MetricsView::sampleCount() const
{
    return int(m_agents->count());
}

} // namespace switchboard::console
