#include "net/TcpListener.h"

#include "net/NetLogging.h"

#include <QNetworkInterface>

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

quint16 portOf(const sockaddr_storage &address)
{
    return address.ss_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6 *>(&address)->sin6_port)
                                         : ntohs(reinterpret_cast<const sockaddr_in *>(&address)->sin_port);
}

} // namespace

TcpListener::TcpListener(Accepted accepted)
    : m_accepted(std::move(accepted))
{
    m_resume.setSingleShot(true);
    m_resume.setInterval(kPauseAfterResourceErrorMs);
    QObject::connect(&m_resume, &QTimer::timeout, &m_resume, [this] {
        if (m_notifier)
            m_notifier->setEnabled(true);
    });
}

TcpListener::~TcpListener()
{
    close();
}

bool TcpListener::fail(const QString &what)
{
    m_error = what + u": "_s + QString::fromLocal8Bit(std::strerror(errno));
    close();
    return false;
}

bool TcpListener::listen(const QHostAddress &address, quint16 port, int backlog)
{
    close();
    m_error.clear();
    sockaddr_storage bound{};
    socklen_t boundLength = 0;
    bool ipv6 = address.protocol() == QAbstractSocket::IPv6Protocol;
    m_dualStackAny = address == QHostAddress(QHostAddress::Any);
    if (m_dualStackAny)
        ipv6 = true;
    m_descriptor = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_descriptor < 0 && m_dualStackAny && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
        ipv6 = false; // a host without IPv6: Any is IPv4's any
        m_dualStackAny = false;
        m_descriptor = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (m_descriptor < 0)
        return fail(u"cannot create a socket"_s);
    const int on = 1;
    ::setsockopt(m_descriptor, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (ipv6) {
        const int v6Only = m_dualStackAny ? 0 : 1;
        ::setsockopt(m_descriptor, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only, sizeof v6Only);
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&bound);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        if (!m_dualStackAny) {
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, &bytes, sizeof bytes);
            if (!address.scopeId().isEmpty())
                in6->sin6_scope_id = uint32_t(QNetworkInterface::interfaceIndexFromName(address.scopeId()));
        }
        boundLength = sizeof(sockaddr_in6);
    } else {
        auto *in4 = reinterpret_cast<sockaddr_in *>(&bound);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        in4->sin_addr.s_addr =
            htonl(address == QHostAddress(QHostAddress::Any) ? INADDR_ANY : address.toIPv4Address());
        boundLength = sizeof(sockaddr_in);
    }
    if (::bind(m_descriptor, reinterpret_cast<sockaddr *>(&bound), boundLength) != 0)
        return fail(u"cannot bind to %1 port %2"_s.arg(address.toString()).arg(port));
    if (::listen(m_descriptor, backlog) != 0)
        return fail(u"cannot listen"_s);
    sockaddr_storage local{};
    socklen_t localLength = sizeof local;
    if (::getsockname(m_descriptor, reinterpret_cast<sockaddr *>(&local), &localLength) != 0)
        return fail(u"cannot read the listening address"_s);
    m_port = portOf(local);
    m_address = m_dualStackAny ? QHostAddress(QHostAddress::Any)
                               : QHostAddress(reinterpret_cast<const sockaddr *>(&local));
    m_notifier = std::make_unique<QSocketNotifier>(m_descriptor, QSocketNotifier::Read);
    QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(),
                     [this] { acceptPending(); });
    return true;
}

void TcpListener::close()
{
    m_resume.stop();
    m_notifier.reset(); // before the descriptor: the dispatcher must forget it first
    if (m_descriptor >= 0)
        ::close(m_descriptor);
    m_descriptor = -1;
    m_port = 0;
    m_address = QHostAddress();
}

void TcpListener::acceptPending()
{
    for (int taken = 0; taken < kAcceptBatch && m_descriptor >= 0; ++taken) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        const int descriptor = ::accept4(m_descriptor, reinterpret_cast<sockaddr *>(&peer), &length,
                                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (descriptor < 0) {
            switch (errno) {
            case EAGAIN:
#if EAGAIN != EWOULDBLOCK
            case EWOULDBLOCK:
#endif
                return;
            case EINTR:
            case ECONNABORTED: // the client gave up while queued
            case EPROTO:
                continue;
            default:
                // EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays queued in the kernel and
                // the socket stays readable; pause instead of spinning on it.
                qCWarning(lcHttp) << "accepting a connection failed:" << std::strerror(errno)
                                  << "- pausing for" << kPauseAfterResourceErrorMs << "ms";
                m_notifier->setEnabled(false);
                m_resume.start();
                return;
            }
        }
        // The callback may close the listener (m_descriptor then is -1 and the loop ends).
        m_accepted(descriptor, QHostAddress(reinterpret_cast<const sockaddr *>(&peer)), portOf(peer));
    }
}

} // namespace switchboard
