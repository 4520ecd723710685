// A small live chart of the server's load as the admin stream's `metrics` message reports it:
// connected agents, browser clients and messages per second, over the last minutes.
#pragma once

#include "shared/AdminProtocol.h"

#include <QDateTime>
#include <QList>
#include <QPointF>
#include <QWidget>

#include <optional>

class QLabel;

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace switchboard::console {

// Messages per second (received plus sent) between two consecutive samples of the server's totals.
class MessageRate
{
public:
    // No rate for the first sample, nor when the totals restarted (another replica, or a total
    // smaller than before: the server restarted), nor without time between the two samples.
    std::optional<double> add(const protocol::admin::Metrics &sample);

private:
    std::optional<protocol::admin::Metrics> m_previous;
};

class MetricsView : public QWidget
{
    Q_OBJECT
public:
    explicit MetricsView(QWidget *parent = nullptr);
    // messagesPerSecond empty: the chart leaves a gap in that line (first sample, restart).
    void addSample(const QDateTime &time, int agents, int clients, std::optional<double> messagesPerSecond);
    int sampleCount() const;
    QList<QPointF> ratePoints() const; // (ms since epoch, messages/s)
    QString summary() const;
    void setWindowSeconds(int seconds) { m_windowSeconds = seconds; }

private:
    QChart *m_chart;
    QChartView *m_view;
    QLineSeries *m_agents;
    QLineSeries *m_clients;
    QLineSeries *m_rate;
    QDateTimeAxis *m_time;
    QValueAxis *m_values;
    QValueAxis *m_rateAxis;
    QLabel *m_now;
    int m_windowSeconds = 600;
    int m_max = 4;
    double m_rateMax = 10;
};

} // namespace switchboard::console
