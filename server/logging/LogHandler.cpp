#include "logging/LogHandler.h"

#include <QDateTime>

#include <atomic>
#include <cstdio>
#include <unistd.h>

namespace switchboard::logging {

namespace {
std::atomic<LogHandler *> s_installed{nullptr};

void writeToStderr(QByteArrayView line)
{
    const char *data = line.data();
    qsizetype left = line.size();
    while (left > 0) {
        const ssize_t written = ::write(STDERR_FILENO, data, size_t(left));
        if (written <= 0)
            return; // nowhere to report it
        data += written;
        left -= written;
    }
}
} // namespace

LogHandler::LogHandler(LogFormat format, Sink sink)
    : m_format(format)
    , m_sink(sink ? std::move(sink) : Sink(writeToStderr))
{}

LogHandler::~LogHandler()
{
    if (m_installed) {
        s_installed.store(nullptr);
        qInstallMessageHandler(m_previous);
    }
}

void LogHandler::install()
{
    if (m_installed)
        return;
    s_installed.store(this);
    m_previous = qInstallMessageHandler(&LogHandler::handle);
    m_installed = true;
}

void LogHandler::handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    LogHandler *self = s_installed.load();
    if (!self)
        return;
    const QByteArray line =
        formatLogLine(self->m_format, type, context.category, message, QDateTime::currentDateTimeUtc());
    const QMutexLocker lock(&self->m_mutex);
    self->m_sink(line);
}

} // namespace switchboard::logging
