// A session's live log in a dock: lines as they arrive, the end of the stream, Stop to close it.
#pragma once

#include <QDockWidget>
#include <QPointer>

class QLabel;
class QPlainTextEdit;
class QToolButton;

namespace switchboard::console {

class LogStream;

class LogDock : public QDockWidget
{
    Q_OBJECT
public:
    LogDock(LogStream *stream, QWidget *parent = nullptr); // takes ownership of the stream
    QString sessionId() const { return m_sessionId; }
    QPlainTextEdit *text() const { return m_text; }
    QString statusText() const;

private:
    void setStatus(const QString &text);
    QPointer<LogStream> m_stream;
    QString m_sessionId;
    QPlainTextEdit *m_text;
    QLabel *m_status;
    QToolButton *m_stop;
    bool m_failed = false;
};

} // namespace switchboard::console
