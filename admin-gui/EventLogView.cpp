#include "EventLogView.h"

#include "ConsoleIcons.h"
#include "OrgTreeModel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSaveFile>
#include <QScrollBar>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace switchboard::console {

EventLogView::EventLogView(EventLogModel *model, OrgTreeModel *orgs, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_orgs(orgs)
    , m_proxy(new EventFilterProxy(this))
    , m_filter(new QLineEdit(this))
    , m_category(new QComboBox(this))
    , m_org(new QComboBox(this))
    , m_pause(new QToolButton(this))
    , m_table(new QTableView(this))
    , m_counts(new QLabel(this))
    , m_capIndicator(new QLabel(this))
    , m_pausedIndicator(new QLabel(tr("Paused"), this))
{
    m_proxy->setSourceModel(model);

    m_filter->setPlaceholderText(tr("Filter events (type, organisation, text)…"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &EventFilterProxy::setText);

    m_category->addItem(tr("All types"), -1);
    for (auto category :
         {EventEntry::Category::Session, EventEntry::Category::Agent, EventEntry::Category::Command,
          EventEntry::Category::Org, EventEntry::Category::Connection})
        m_category->addItem(EventLogModel::categoryName(category), int(category));
    connect(m_category, &QComboBox::currentIndexChanged, this, [this](int) {
        const int value = m_category->currentData().toInt();
        m_proxy->setCategory(value < 0 ? std::nullopt : std::optional(EventEntry::Category(value)));
    });

    m_org->addItem(tr("All organisations"), QString());
    connect(m_org, &QComboBox::currentIndexChanged, this,
            [this](int) { m_proxy->setOrg(m_org->currentData().toString()); });
    connect(orgs, &QAbstractItemModel::rowsInserted, this, &EventLogView::refreshOrgs);
    connect(orgs, &QAbstractItemModel::rowsRemoved, this, &EventLogView::refreshOrgs);
    connect(orgs, &QAbstractItemModel::modelReset, this, &EventLogView::refreshOrgs);
    refreshOrgs();

    m_pause->setCheckable(true);
    m_pause->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_pause->setIcon(consoleIcon(u"pause"_s));
    m_pause->setText(tr("Pause"));
    m_pause->setToolTip(tr("Pause the log; new events wait and appear on resume (Ctrl+Shift+P)"));
    connect(m_pause, &QToolButton::toggled, this, &EventLogView::setPaused);
    auto *exportButton = new QToolButton(this);
    exportButton->setIcon(consoleIcon(u"export"_s));
    exportButton->setText(tr("Export…"));
    exportButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    exportButton->setToolTip(tr("Save the events shown as JSON lines"));
    connect(exportButton, &QToolButton::clicked, this, &EventLogView::exportWithDialog);
    auto *clearButton = new QToolButton(this);
    clearButton->setIcon(consoleIcon(u"clear"_s));
    clearButton->setText(tr("Clear"));
    clearButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    connect(clearButton, &QToolButton::clicked, model, &EventLogModel::clear);

    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(24);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(EventLogModel::Time, 110);
    m_table->setColumnWidth(EventLogModel::Type, 210);
    m_table->setColumnWidth(EventLogModel::Org, 110);
    // Follow new events unless the operator scrolled up to read.
    connect(m_table->verticalScrollBar(), &QScrollBar::valueChanged, this,
            [this](int value) { m_followTail = value >= m_table->verticalScrollBar()->maximum() - 2; });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_followTail)
            m_table->scrollToBottom();
        refreshCounters();
    });
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &EventLogView::refreshCounters);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &EventLogView::refreshCounters);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &EventLogView::refreshCounters);
    connect(model, &EventLogModel::countersChanged, this, &EventLogView::refreshCounters);

    m_capIndicator->setObjectName(u"capIndicator"_s);
    m_pausedIndicator->setObjectName(u"pausedIndicator"_s);
    m_pausedIndicator->hide();

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_category);
    bar->addWidget(m_org);
    bar->addWidget(m_pause);
    bar->addWidget(exportButton);
    bar->addWidget(clearButton);
    auto *footer = new QHBoxLayout;
    footer->addWidget(m_counts);
    footer->addWidget(m_pausedIndicator);
    footer->addStretch(1);
    footer->addWidget(m_capIndicator);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addLayout(bar);
    layout->addWidget(m_table, 1);
    layout->addLayout(footer);
    refreshCounters();
}

void EventLogView::refreshOrgs()
{
    const QString current = m_org->currentData().toString();
    const QStringList ids = m_orgs->orgIds();
    for (const QString &id : ids) {
        if (m_org->findData(id) < 0)
            m_org->addItem(consoleIcon(u"org"_s), id, id);
    }
    m_org->setCurrentIndex(qMax(0, m_org->findData(current)));
}

void EventLogView::refreshCounters()
{
    m_counts->setText(tr("Showing %1 of %2 events").arg(m_proxy->rowCount()).arg(m_model->rowCount()));
    if (m_model->droppedCount() > 0) {
        m_capIndicator->setText(tr("%1 older events dropped (keeping the last %2)")
                                    .arg(m_model->droppedCount())
                                    .arg(m_model->capacity()));
        m_capIndicator->show();
    } else {
        m_capIndicator->hide();
    }
    m_pausedIndicator->setVisible(m_model->isPaused());
    m_pausedIndicator->setText(tr("Paused — %n event(s) waiting", nullptr, m_model->heldCount()));
}

void EventLogView::setPaused(bool paused)
{
    if (m_pause->isChecked() != paused)
        m_pause->setChecked(paused); // re-enters through toggled
    m_model->setPaused(paused);
    m_pause->setIcon(consoleIcon(paused ? u"resume"_s : u"pause"_s));
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    refreshCounters();
}

bool EventLogView::exportTo(const QString &path, QString *error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(m_proxy->exportJsonLines()) < 0 || !file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

void EventLogView::exportWithDialog()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export events"), u"events.jsonl"_s,
                                                      tr("JSON lines (*.jsonl);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (exportTo(path, &error))
        Q_EMIT statusMessage(tr("Exported %1 events to %2.").arg(m_proxy->rowCount()).arg(path));
    else
        Q_EMIT statusMessage(tr("Could not export the events: %1").arg(error));
}

} // namespace switchboard::console
