#include "LogDock.h"

#include "ConsoleClient.h"
#include "ConsoleIcons.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace switchboard::console {

LogDock::LogDock(LogStream *stream, QWidget *parent)
    : QDockWidget(parent)
    , m_stream(stream)
    , m_sessionId(stream->sessionId())
    , m_text(new QPlainTextEdit(this))
    , m_status(new QLabel(this))
    , m_stop(new QToolButton(this))
{
    stream->setParent(this);
    setObjectName(u"log-"_s + m_sessionId);
    setWindowTitle(tr("Log: %1").arg(m_sessionId));
    setAttribute(Qt::WA_DeleteOnClose);
    m_text->setObjectName(u"logText"_s);
    m_text->setReadOnly(true);
    m_text->setMaximumBlockCount(5000);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_stop->setText(tr("Stop"));
    m_stop->setIcon(consoleIcon(u"pause"_s));
    m_stop->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    connect(m_stop, &QToolButton::clicked, this, [this] {
        if (m_stream)
            m_stream->close();
    });
    setStatus(tr("Connecting…"));
    connect(stream, &LogStream::opened, this, [this] { setStatus(tr("Streaming")); });
    connect(stream, &LogStream::linesReceived, this, [this](const QStringList &lines) {
        for (const QString &line : lines)
            m_text->appendPlainText(line);
    });
    connect(stream, &LogStream::ended, this, [this](const QString &reason) {
        if (!m_failed) // the error says more than the "connection closed" that follows it
            setStatus(tr("Ended: %1").arg(reason));
        m_stop->setEnabled(false);
    });
    connect(stream, &LogStream::failed, this, [this](const QString &message) {
        m_failed = true;
        setStatus(tr("Error: %1").arg(message));
    });

    auto *content = new QWidget(this);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_status, 1);
    bar->addWidget(m_stop);
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_text, 1);
    setWidget(content);
}

QString LogDock::statusText() const
{
    return m_status->text();
}

void LogDock::setStatus(const QString &text)
{
    m_status->setText(text);
}

} // namespace switchboard::console
