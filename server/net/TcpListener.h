// TcpListener: a listening TCP socket that accepts with accept4(), so that every connection
// arrives as a non-blocking, close-on-exec descriptor together with its peer's address: no
// QTcpSocket, and none of the fcntl()/getpeername() calls that taking a bare descriptor from
// QTcpServer costs (see the connect rate in docs/BENCHMARKS.md).
//
// Like QTcpServer: QHostAddress::Any listens on IPv6 and IPv4 at once (a dual-stack socket, or
// IPv4 only where the host has no IPv6), SO_REUSEADDR is set, and a full descriptor table
// (EMFILE/ENFILE) or memory shortage pauses accepting briefly instead of spinning or going deaf.
#pragma once

#include <QHostAddress>
#include <QSocketNotifier>
#include <QString>
#include <QTimer>

#include <functional>
#include <memory>

namespace switchboard {

class TcpListener
{
public:
    // Takes ownership of each accepted descriptor.
    using Accepted = std::function<void(int descriptor, const QHostAddress &peerAddress, quint16 peerPort)>;

    explicit TcpListener(Accepted accepted);
    ~TcpListener();
    TcpListener(const TcpListener &) = delete;
    TcpListener &operator=(const TcpListener &) = delete;

    // Port 0 picks a free port. `backlog` is the kernel's accept queue (capped by somaxconn).
    bool listen(const QHostAddress &address, quint16 port, int backlog);
    bool isListening() const { return m_descriptor >= 0; }
    void close();
    QHostAddress serverAddress() const { return m_address; }
    quint16 serverPort() const { return m_port; }
    QString errorString() const { return m_error; }

    // Most connections taken per readiness report, so that a connection storm cannot starve the
    // connections already open; the rest are taken on the next turn of the event loop.
    static constexpr int kAcceptBatch = 256;
    // How long accepting pauses after the descriptor table or memory ran out.
    static constexpr int kPauseAfterResourceErrorMs = 100;

private:
    void acceptPending();
    bool fail(const QString &what);

    Accepted m_accepted;
    int m_descriptor = -1;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QTimer m_resume;
    QHostAddress m_address;
    quint16 m_port = 0;
    bool m_dualStackAny = false;
    QString m_error;
};

} // namespace switchboard
