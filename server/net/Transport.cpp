#include "net/Transport.h"

#include <QObject>
#include <QSocketNotifier>
#include <QTcpSocket>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace switchboard {

namespace {

class DescriptorTransport final : public Transport
{
public:
    explicit DescriptorTransport(int descriptor)
        : m_descriptor(descriptor)
        , m_readNotifier(descriptor, QSocketNotifier::Read)
    {
        const int on = 1;
        ::setsockopt(descriptor, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        // The notifier is the context: its connection dies with it.
        QObject::connect(&m_readNotifier, &QSocketNotifier::activated, &m_readNotifier,
                         [this] { notifyReadable(); });
    }

    ~DescriptorTransport() override { close(false); }

    qint64 read(char *data, qint64 maxSize) override
    {
        if (m_descriptor < 0)
            return -1;
        for (;;) {
            const ssize_t n = ::recv(m_descriptor, data, size_t(maxSize), 0);
            if (n > 0)
                return qint64(n);
            if (n == 0)
                return -1;
            if (errno == EINTR)
                continue;
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        }
    }

    qint64 write(const iovec *buffers, int count) override
    {
        if (m_descriptor < 0)
            return -1;
        msghdr message{};
        message.msg_iov = const_cast<iovec *>(buffers);
        message.msg_iovlen = size_t(count);
        for (;;) {
            // sendmsg, not writev: MSG_NOSIGNAL (a peer gone must not raise SIGPIPE).
            const ssize_t n = ::sendmsg(m_descriptor, &message, MSG_NOSIGNAL);
            if (n >= 0)
                return qint64(n);
            if (errno == EINTR)
                continue;
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        }
    }

    void setReadInterest(bool wanted) override
    {
        if (m_descriptor >= 0)
            m_readNotifier.setEnabled(wanted);
    }

    void setWriteInterest(bool wanted) override
    {
        if (m_descriptor < 0)
            return;
        // Made on first need: most connections never meet a full kernel buffer.
        if (!m_writeNotifier) {
            if (!wanted)
                return;
            m_writeNotifier = std::make_unique<QSocketNotifier>(m_descriptor, QSocketNotifier::Write);
            QObject::connect(m_writeNotifier.get(), &QSocketNotifier::activated, m_writeNotifier.get(),
                             [this] { notifyWritable(); });
        }
        m_writeNotifier->setEnabled(wanted);
    }

    void setReadBufferLimit(qint64) override {}
    qint64 readBudget() const override { return 256 * 1024; }
    int descriptor() const override { return m_descriptor; }

    void shutdownWrite() override
    {
        if (m_descriptor >= 0)
            ::shutdown(m_descriptor, SHUT_WR);
    }

    void close(bool graceful) override
    {
        if (m_descriptor < 0)
            return;
        // Notifiers go first: the dispatcher must forget the descriptor before it is closed.
        m_readNotifier.setEnabled(false);
        m_writeNotifier.reset();
        if (graceful)
            ::shutdown(m_descriptor, SHUT_WR);
        ::close(m_descriptor);
        m_descriptor = -1;
    }

private:
    int m_descriptor;
    QSocketNotifier m_readNotifier;
    std::unique_ptr<QSocketNotifier> m_writeNotifier;
};

class SocketTransport final : public Transport
{
public:
    // What we hand the QTcpSocket beyond what the kernel took: bounded, so that the owner's own
    // queue (and the slow-client accounting on it) sees the backlog.
    static constexpr qint64 kMaxBufferedInSocket = 64 * 1024;

    explicit SocketTransport(QTcpSocket *socket)
        : m_socket(socket)
    {
        socket->setParent(nullptr);
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1); // see fromDescriptor()
        // m_context, not the socket, is the context: once the transport is gone, nothing of
        // ours runs, also not a readable check already queued.
        QObject::connect(socket, &QTcpSocket::readyRead, &m_context, [this] {
            if (m_readInterest)
                notifyReadable();
        });
        QObject::connect(socket, &QTcpSocket::bytesWritten, &m_context, [this] { notifyWritable(); });
        QObject::connect(socket, &QTcpSocket::disconnected, &m_context, [this] { notifyClosed(); });
    }

    ~SocketTransport() override { close(false); }

    qint64 read(char *data, qint64 maxSize) override
    {
        if (!m_socket)
            return -1;
        if (m_socket->bytesAvailable() <= 0)
            return m_socket->state() == QAbstractSocket::ConnectedState ? 0 : -1;
        return m_socket->read(data, maxSize);
    }

    qint64 write(const iovec *buffers, int count) override
    {
        if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
            return -1;
        qint64 total = 0;
        for (int i = 0; i < count; ++i) {
            const qint64 room = kMaxBufferedInSocket - m_socket->bytesToWrite();
            if (room <= 0)
                break;
            const qint64 size = qint64(buffers[i].iov_len);
            const qint64 written =
                m_socket->write(static_cast<const char *>(buffers[i].iov_base), std::min(size, room));
            if (written < 0)
                return total > 0 ? total : -1;
            total += written;
            if (written < size)
                break;
        }
        return total;
    }

    void setReadInterest(bool wanted) override
    {
        const bool resumed = wanted && !m_readInterest;
        m_readInterest = wanted;
        // readyRead is not repeated for bytes the socket holds already.
        if (resumed && m_socket && m_socket->bytesAvailable() > 0)
            QMetaObject::invokeMethod(
                &m_context,
                [this] {
                    if (m_readInterest)
                        notifyReadable();
                },
                Qt::QueuedConnection);
    }

    void setWriteInterest(bool) override {} // bytesWritten comes anyway

    void setReadBufferLimit(qint64 bytes) override
    {
        if (m_socket)
            m_socket->setReadBufferSize(bytes);
    }

    // readyRead is not repeated for bytes left in the buffer: take them all.
    qint64 readBudget() const override { return std::numeric_limits<qint64>::max(); }

    void shutdownWrite() override
    {
        // QSslSocket flushes what it has not encrypted yet and sends close_notify first; a
        // shutdown() of the descriptor would cut both off. `disconnected` follows.
        if (m_socket)
            m_socket->disconnectFromHost();
    }

    void close(bool graceful) override
    {
        QTcpSocket *socket = m_socket;
        m_socket = nullptr;
        if (!socket)
            return;
        socket->disconnect(&m_context);
        // Deleted once it is done: close() may run inside one of the socket's own signals.
        QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        if (graceful)
            socket->disconnectFromHost();
        else
            socket->abort();
        if (socket->state() == QAbstractSocket::UnconnectedState)
            socket->deleteLater();
    }

private:
    QObject m_context;
    QTcpSocket *m_socket;
    bool m_readInterest = true;
};

} // namespace

qint64 Transport::writeBytes(const char *data, qint64 size)
{
    iovec buffer{const_cast<char *>(data), size_t(size)};
    return write(&buffer, 1);
}

std::unique_ptr<Transport> Transport::fromDescriptor(int descriptor)
{
    return std::make_unique<DescriptorTransport>(descriptor);
}

std::unique_ptr<Transport> Transport::fromSocket(QTcpSocket *socket)
{
    return std::make_unique<SocketTransport>(socket);
}

} // namespace switchboard
