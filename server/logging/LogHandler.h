// Installs the process's Qt message handler: every qDebug/qCInfo/... line goes through
// formatLogLine() to a sink (stderr by default). Qt keeps one handler per process and calls it
// through a plain function pointer, so the installed LogHandler is remembered in one static
// pointer: the only one in the server, and restored on destruction.
#pragma once

#include "logging/LogFormatter.h"

#include <QByteArrayView>
#include <QMutex>

#include <functional>

namespace switchboard::logging {

class LogHandler
{
public:
    using Sink = std::function<void(QByteArrayView line)>;

    // `sink` empty = write to stderr (unbuffered, one write per line).
    explicit LogHandler(LogFormat format, Sink sink = {});
    ~LogHandler(); // uninstalls if installed, restoring the previous handler
    LogHandler(const LogHandler &) = delete;
    LogHandler &operator=(const LogHandler &) = delete;

    void install();
    LogFormat format() const { return m_format; }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message);

    LogFormat m_format;
    Sink m_sink;
    QMutex m_mutex; // lines from the storage thread and the socket thread never interleave
    QtMessageHandler m_previous = nullptr;
    bool m_installed = false;
};

} // namespace switchboard::logging
