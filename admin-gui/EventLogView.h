// The live event log: filter by category, organisation and text; pause and resume without losing
// events; export what is shown as JSON lines; shows how many events the cap dropped.
#pragma once

#include "EventLogModel.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;
class QToolButton;

namespace switchboard::console {

class OrgTreeModel;

class EventLogView : public QWidget
{
    Q_OBJECT
public:
    EventLogView(EventLogModel *model, OrgTreeModel *orgs, QWidget *parent = nullptr);

    EventFilterProxy *proxy() const { return m_proxy; }
    QLineEdit *filterEdit() const { return m_filter; }
    QComboBox *categoryFilter() const { return m_category; }
    QComboBox *orgFilter() const { return m_org; }
    QToolButton *pauseButton() const { return m_pause; }
    QTableView *table() const { return m_table; }
    QLabel *capIndicator() const { return m_capIndicator; }

    void setPaused(bool paused);
    bool exportTo(const QString &path, QString *error = nullptr) const;
    void exportWithDialog();

Q_SIGNALS:
    void statusMessage(const QString &message);

private:
    void refreshOrgs();
    void refreshCounters();

    EventLogModel *m_model;
    OrgTreeModel *m_orgs;
    EventFilterProxy *m_proxy;
    QLineEdit *m_filter;
    QComboBox *m_category;
    QComboBox *m_org;
    QToolButton *m_pause;
    QTableView *m_table;
    QLabel *m_counts;
    QLabel *m_capIndicator;
    QLabel *m_pausedIndicator;
    bool m_followTail = true;
};

} // namespace switchboard::console
