// A small live chart of what the server publishes about load: connected agents, connected browser
// clients (the orgs' counts on the admin stream) and running sessions, over the last minutes.
#pragma once

#include <QDateTime>
#include <QWidget>

class QLabel;

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace switchboard::console {

class MetricsView : public QWidget
{
    Q_OBJECT
public:
    explicit MetricsView(QWidget *parent = nullptr);
    void addSample(const QDateTime &time, int agents, int clients, int runningSessions);
    int sampleCount() const;
    void setWindowSeconds(int seconds) { m_windowSeconds = seconds; }

private:
    QChart *m_chart;
    QChartView *m_view;
    QLineSeries *m_agents;
    QLineSeries *m_clients;
    QLineSeries *m_sessions;
    QDateTimeAxis *m_time;
    QValueAxis *m_values;
    QLabel *m_now;
    int m_windowSeconds = 600;
    int m_max = 4;
};

} // namespace switchboard::console
