#include "ClientPool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace switchboard::bench {

namespace {
constexpr std::size_t kReadBufferBytes = 256 * 1024;
constexpr std::uint32_t kBaseEvents = EPOLLIN | EPOLLRDHUP;
} // namespace

ClientPool::ClientPool(EventLoop &loop, const std::string &host, std::uint16_t port, Callbacks callbacks)
    : m_loop(loop)
    , m_hostHeader(host + ":" + std::to_string(port))
    , m_callbacks(std::move(callbacks))
    , m_readBuffer(kReadBufferBytes)
{
    m_address.sin_family = AF_INET;
    m_address.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &m_address.sin_addr) != 1)
        m_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m_loop.setFdCallback([this](std::uint64_t tag, std::uint32_t events) { onEvents(tag, events); });
}

ClientPool::~ClientPool()
{
    for (Connection &connection : m_connections) {
        if (connection.fd >= 0) {
            m_loop.unwatch(connection.fd);
            ::close(connection.fd);
        }
    }
}

std::uint32_t ClientPool::nextMask()
{
    // xorshift64*: masks only need to be unpredictable to intermediaries, not cryptographic here.
    m_random ^= m_random >> 12;
    m_random ^= m_random << 25;
    m_random ^= m_random >> 27;
    return static_cast<std::uint32_t>((m_random * 0x2545F4914F6CDD1DULL) >> 32);
}

int ClientPool::connectWebSocket(const std::string &pathAndQuery, const std::string &headers)
{
    const std::string key = ws::makeClientKey((static_cast<std::uint64_t>(nextMask()) << 32) | nextMask());
    const int id = startConnection(ws::upgradeRequest(m_hostHeader, pathAndQuery, key, headers), false);
    m_connections[static_cast<std::size_t>(id)].key = key;
    return id;
}

int ClientPool::sendHttp(const std::string &request)
{
    return startConnection(request, true);
}

int ClientPool::startConnection(std::string request, bool http)
{
    const int id = static_cast<int>(m_connections.size());
    m_connections.emplace_back();
    Connection &connection = m_connections.back();
    connection.http = http;
    connection.startedAt = EventLoop::nowMicros();
    connection.out = std::move(request);
    ++m_inProgress;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        finish(id, false, 0, std::string("socket: ") + std::strerror(errno));
        return id;
    }
    connection.fd = fd;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int result = ::connect(fd, reinterpret_cast<const sockaddr *>(&m_address), sizeof m_address);
    if (result < 0 && errno != EINPROGRESS) {
        finish(id, false, 0, std::string("connect: ") + std::strerror(errno));
        return id;
    }
    connection.wantWrite = true;
    if (!m_loop.watch(fd, kBaseEvents | EPOLLOUT, static_cast<std::uint64_t>(id)))
        finish(id, false, 0, std::string("epoll: ") + std::strerror(errno));
    return id;
}

bool ClientPool::isOpen(int id) const
{
    return id >= 0 && id < size() && m_connections[static_cast<std::size_t>(id)].state == State::Open;
}

void ClientPool::sendText(int id, std::string_view text)
{
    sendFrame(id, ws::Opcode::Text, text, true);
}

void ClientPool::sendFrame(int id, ws::Opcode opcode, std::string_view payload, bool fin)
{
    if (!isOpen(id))
        return;
    Connection &connection = m_connections[static_cast<std::size_t>(id)];
    const std::size_t before = connection.out.size();
    ws::appendFrame(connection.out, opcode, payload, fin, nextMask());
    m_bufferedOut += connection.out.size() - before;
    flush(id);
}

void ClientPool::close(int id, std::uint16_t code, std::string_view reason)
{
    if (id < 0 || id >= size())
        return;
    Connection &connection = m_connections[static_cast<std::size_t>(id)];
    if (connection.state == State::Open) {
        const std::size_t before = connection.out.size();
        ws::appendFrame(connection.out, ws::Opcode::Close, ws::closePayload(code, reason), true, nextMask());
        m_bufferedOut += connection.out.size() - before;
        connection.state = State::Closing;
        --m_open;
        flush(id);
    } else if (connection.state == State::Connecting || connection.state == State::Handshaking) {
        finish(id, false, 0, "cancelled");
    }
}

void ClientPool::closeAll(std::uint16_t code)
{
    for (int id = 0; id < size(); ++id)
        close(id, code);
}

void ClientPool::onEvents(std::uint64_t tag, std::uint32_t events)
{
    const int id = static_cast<int>(tag);
    if (id < 0 || id >= size() || m_connections[static_cast<std::size_t>(id)].state == State::Done)
        return;
    if (events & EPOLLOUT)
        onWritable(id);
    if (m_connections[static_cast<std::size_t>(id)].state == State::Done)
        return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        onReadable(id);
}

void ClientPool::onWritable(int id)
{
    Connection &connection = m_connections[static_cast<std::size_t>(id)];
    if (connection.state == State::Connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
            finish(id, false, 0, std::string("connect: ") + std::strerror(error));
            return;
        }
        connection.state = State::Handshaking;
        m_bufferedOut += connection.out.size();
    }
    flush(id);
}

void ClientPool::flush(int id)
{
    Connection &connection = m_connections[static_cast<std::size_t>(id)];
    if (connection.state == State::Connecting || connection.fd < 0)
        return;
    while (connection.outPos < connection.out.size()) {
        const ssize_t written = ::send(connection.fd, connection.out.data() + connection.outPos,
                                       connection.out.size() - connection.outPos, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            const bool wasOpen = connection.state == State::Open || connection.state == State::Closing;
            finish(id, wasOpen, 1006, std::string("send: ") + std::strerror(errno));
            return;
        }
        connection.outPos += static_cast<std::size_t>(written);
        m_bufferedOut -= static_cast<std::size_t>(written);
        m_counters.bytesOut += static_cast<std::uint64_t>(written);
    }
    if (connection.outPos == connection.out.size()) {
        connection.out.clear();
        connection.out.shrink_to_fit();
        connection.outPos = 0;
    } else if (connection.outPos > 64 * 1024) {
        connection.out.erase(0, connection.outPos);
        connection.outPos = 0;
    }
    updateInterest(id);
}

void ClientPool::updateInterest(int id)
{
    Connection &connection = m_connections[static_cast<std::size_t>(id)];
    const bool want = connection.outPos < connection.out.size();
    if (want != connection.wantWrite && connection.fd >= 0) {
        connection.wantWrite = want;
        m_loop.modify(connection.fd, kBaseEvents | (want ? EPOLLOUT : 0U), static_cast<std::uint64_t>(id));
    }
}

void ClientPool::onReadable(int id)
{
    for (int round = 0; round < 8; ++round) {
        Connection &connection = m_connections[static_cast<std::size_t>(id)];
        if (connection.state == State::Done)
            return;
        const ssize_t received = ::recv(connection.fd, m_readBuffer.data(), m_readBuffer.size(), 0);
        if (received < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
        }
        if (received <= 0) {
            const std::string why = received == 0 ? "connection closed by the server"
                                                  : std::string("recv: ") + std::strerror(errno);
            if (connection.http && received == 0) {
                const ws::HttpResponse response = ws::parseHttpResponse(connection.inHead);
                const int status = response.status;
                const std::string body = response.body;
                finish(id, false, 0, {});
                if (status > 0 && m_callbacks.httpDone)
                    m_callbacks.httpDone(id, status, body);
                else if (m_callbacks.failed)
                    m_callbacks.failed(id, why);
                return;
            }
            const bool wasOpen = connection.state == State::Open || connection.state == State::Closing;
            finish(id, wasOpen, 1006, why);
            return;
        }
        m_counters.bytesIn += static_cast<std::uint64_t>(received);
        const char *data = m_readBuffer.data();
        const auto size = static_cast<std::size_t>(received);
        if (connection.http) {
            connection.inHead.append(data, size);
            const ws::HttpResponse response = ws::parseHttpResponse(connection.inHead);
            if (response.complete || response.malformed) {
                finish(id, false, 0, {});
                if (m_callbacks.httpDone)
                    m_callbacks.httpDone(id, response.status, response.body);
                return;
            }
            continue;
        }
        if (connection.state == State::Handshaking) {
            connection.inHead.append(data, size);
            const ws::UpgradeResult result = ws::parseUpgradeResponse(connection.inHead, connection.key);
            if (result.kind == ws::UpgradeResult::Kind::NeedMore)
                continue;
            if (result.kind == ws::UpgradeResult::Kind::Refused) {
                finish(id, false, 0, result.error);
                return;
            }
            connection.decoder = std::make_unique<ws::Decoder>(ws::Decoder::Peer::Server);
            connection.decoder->feed(connection.inHead.data() + result.headBytes,
                                     connection.inHead.size() - result.headBytes);
            connection.inHead.clear();
            connection.inHead.shrink_to_fit();
            connection.key.clear();
            connection.key.shrink_to_fit();
            connection.state = State::Open;
            --m_inProgress;
            ++m_open;
            ++m_counters.opened;
            m_connectTimes.add(EventLoop::nowMicros() - connection.startedAt);
            if (m_callbacks.opened)
                m_callbacks.opened(id);
            processFrames(id);
            continue;
        }
        connection.decoder->feed(data, size);
        processFrames(id);
    }
}

void ClientPool::processFrames(int id)
{
    for (;;) {
        Connection &connection = m_connections[static_cast<std::size_t>(id)];
        if (connection.state != State::Open && connection.state != State::Closing)
            return;
        ws::Decoder::Event event = connection.decoder->next();
        switch (event.kind) {
        case ws::Decoder::Event::Kind::NeedMore:
            return;
        case ws::Decoder::Event::Kind::Error:
            finish(id, true, 1002, "protocol error: " + event.error);
            return;
        case ws::Decoder::Event::Kind::Message:
            ++m_counters.messagesIn;
            if (event.opcode == ws::Opcode::Text && connection.state == State::Open && m_callbacks.text)
                m_callbacks.text(id, event.payload);
            break;
        case ws::Decoder::Event::Kind::Control:
            if (event.opcode == ws::Opcode::Ping) {
                ++m_counters.pingsAnswered;
                sendFrame(id, ws::Opcode::Pong, event.payload, true);
            } else if (event.opcode == ws::Opcode::Close) {
                const auto info = ws::parseClosePayload(event.payload);
                const int code = info ? info->code : 1002;
                const std::string reason = info ? info->reason : "malformed close frame";
                if (connection.state == State::Open) {
                    // Echo the close, then let the server end the TCP connection (RFC 6455 7.1.1);
                    // the callback runs now so that counts do not wait for the FIN.
                    sendFrame(id, ws::Opcode::Close,
                              event.payload.substr(0, std::min<std::size_t>(2, event.payload.size())), true);
                }
                finish(id, true, code, reason);
                return;
            }
            break;
        }
    }
}

void ClientPool::finish(int id, bool opened, int code, const std::string &reason)
{
    Connection &connection = m_connections[static_cast<std::size_t>(id)];
    if (connection.state == State::Done)
        return;
    const State previous = connection.state;
    if (connection.fd >= 0) {
        m_loop.unwatch(connection.fd);
        ::close(connection.fd);
        connection.fd = -1;
    }
    if (previous != State::Connecting)
        m_bufferedOut -= std::min(m_bufferedOut, connection.out.size() - connection.outPos);
    connection.state = State::Done;
    connection.decoder.reset();
    connection.out = std::string();
    connection.outPos = 0;
    connection.inHead = std::string();
    connection.key = std::string();
    if (previous == State::Connecting || previous == State::Handshaking)
        --m_inProgress;
    if (previous == State::Open)
        --m_open;
    if (connection.http) {
        if (!reason.empty() && m_callbacks.failed)
            m_callbacks.failed(id, reason);
        return;
    }
    if (opened) {
        ++m_counters.closed;
        if (m_callbacks.closed)
            m_callbacks.closed(id, code, reason);
    } else {
        ++m_counters.failed;
        if (m_callbacks.failed)
            m_callbacks.failed(id, reason);
    }
}

} // namespace switchboard::bench
