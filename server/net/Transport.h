// Transport: one accepted stream connection, from the moment it is accepted until it closes. The
// front door (HttpFront) reads the HTTP head through it and, on an upgrade, hands the same
// transport to the WebSocket connection (WsConnection): nothing is re-created at the upgrade.
//
// Two kinds:
// - fromDescriptor(): plain TCP on a descriptor of our own, with one read notifier (a write
//   notifier only while the kernel refuses bytes). No QTcpSocket: per connection, a QTcpSocket
//   costs a dozen allocations and seven more syscalls (getsockname, getsockopt, ioctl, fcntl…)
//   than accepting needs, which made the connect rate of docs/BENCHMARKS.md.
// - fromSocket(): any connected QTcpSocket; the server uses it for TLS (a QSslSocket, Qt does
//   the encryption).
//
// Readiness goes to a TransportEvents receiver, which the owner may change (setEvents) when the
// connection changes hands. Callbacks come from the event loop only, never from inside a call
// on the transport.
#pragma once

#include <QtGlobal>

#include <memory>

#include <sys/uio.h>

class QTcpSocket;

namespace switchboard {

class TransportEvents
{
public:
    virtual void transportReadable() = 0;
    virtual void transportWritable() = 0;
    // The peer or the network ended the connection (TLS: the socket disconnected).
    virtual void transportClosed() = 0;

protected:
    ~TransportEvents() = default;
};

class Transport
{
public:
    // Takes ownership of `descriptor` (a connected, non-blocking stream socket, as TcpListener
    // accepts them), and sets TCP_NODELAY (our writes are whole messages; Nagle's algorithm would hold a
    // small one until the peer's delayed ACK, 40 ms).
    static std::unique_ptr<Transport> fromDescriptor(int descriptor);
    // Takes ownership of `socket` (connected, or a QSslSocket in its handshake).
    static std::unique_ptr<Transport> fromSocket(QTcpSocket *socket);

    virtual ~Transport() = default;
    Transport(const Transport &) = delete;
    Transport &operator=(const Transport &) = delete;

    // Null: readiness is dropped (nothing is read or written meanwhile).
    void setEvents(TransportEvents *events) { m_events = events; }

    // > 0: bytes read; 0: nothing available now; -1: the peer closed or the connection failed.
    virtual qint64 read(char *data, qint64 maxSize) = 0;
    // Bytes taken from the buffers, in order (0: would block); -1: the connection failed.
    virtual qint64 write(const iovec *buffers, int count) = 0;
    qint64 writeBytes(const char *data, qint64 size);
    // Whether transportReadable() is wanted; off = TCP flow control holds the peer back.
    virtual void setReadInterest(bool wanted) = 0;
    // Whether transportWritable() is wanted (only while bytes wait).
    virtual void setWriteInterest(bool wanted) = 0;
    // Most bytes the transport buffers on its own before the owner reads them (QTcpSocket's read
    // buffer; the kernel's for a descriptor, where this does nothing).
    virtual void setReadBufferLimit(qint64 bytes) = 0;
    // Most bytes one readable activation should take before giving others their turn; what is
    // left is reported again (level-triggered).
    virtual qint64 readBudget() const = 0;
    // Sends a FIN once what the transport holds is out (TLS: close_notify first); reading goes on.
    virtual void shutdownWrite() = 0;
    // Ends the connection: `graceful` sends what the transport holds and a FIN, otherwise drop.
    // No callback follows.
    virtual void close(bool graceful) = 0;
    // The descriptor of a plain connection while open; -1 over a QTcpSocket or once closed.
    virtual int descriptor() const { return -1; }

protected:
    Transport() = default;
    void notifyReadable()
    {
        if (m_events)
            m_events->transportReadable();
    }
    void notifyWritable()
    {
        if (m_events)
            m_events->transportWritable();
    }
    void notifyClosed()
    {
        if (m_events)
            m_events->transportClosed();
    }

private:
    TransportEvents *m_events = nullptr;
};

} // namespace switchboard
