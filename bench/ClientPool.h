// Many client connections on one EventLoop: TCP connect, HTTP upgrade, WebSocket frames (pings
// answered, closes completed) or one plain HTTP request. Connections are plain structs in a
// vector, addressed by an index; the owner gets callbacks with that index.
#pragma once

#include "EventLoop.h"
#include "LatencyStats.h"
#include "shared/WsCodec.h"

#include <netinet/in.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::bench {

class ClientPool
{
public:
    struct Callbacks
    {
        std::function<void(int id)> opened;                         // upgrade done
        std::function<void(int id, std::string_view text)> text;    // a text message
        std::function<void(int id, const std::string &why)> failed; // never opened
        // An open connection ended: close code (1006 when the socket just went away) and reason.
        std::function<void(int id, int code, const std::string &reason)> closed;
        std::function<void(int id, int status, const std::string &body)> httpDone; // plain HTTP
    };
    struct Counters
    {
        std::uint64_t bytesIn = 0;
        std::uint64_t bytesOut = 0;
        std::uint64_t messagesIn = 0;
        std::uint64_t pingsAnswered = 0;
        std::uint64_t opened = 0;
        std::uint64_t failed = 0;
        std::uint64_t closed = 0;
    };

    ClientPool(EventLoop &loop, const std::string &host, std::uint16_t port, Callbacks callbacks);
    ~ClientPool();
    ClientPool(const ClientPool &) = delete;
    ClientPool &operator=(const ClientPool &) = delete;

    // Starts a WebSocket connection; `headers` are complete lines ending in "\r\n".
    int connectWebSocket(const std::string &pathAndQuery, const std::string &headers = {});
    // Sends one HTTP request (complete, with "Connection: close") and reads one response.
    int sendHttp(const std::string &request);

    void sendText(int id, std::string_view text);
    void sendFrame(int id, ws::Opcode opcode, std::string_view payload, bool fin = true);
    void close(int id, std::uint16_t code = 1000, std::string_view reason = {});
    void closeAll(std::uint16_t code = 1000);

    bool isOpen(int id) const;
    int size() const { return static_cast<int>(m_connections.size()); }
    int openCount() const { return m_open; }
    int inProgressCount() const { return m_inProgress; } // connecting or handshaking
    const Counters &counters() const { return m_counters; }
    const LatencyStats &connectTimes() const { return m_connectTimes; } // TCP connect to 101
    std::size_t bufferedOutBytes() const { return m_bufferedOut; }

private:
    enum class State { Connecting, Handshaking, Open, Closing, Done };
    struct Connection
    {
        int fd = -1;
        State state = State::Connecting;
        bool http = false;
        bool wantWrite = false;
        std::int64_t startedAt = 0;
        std::string key;
        std::string inHead; // handshake or HTTP response bytes
        std::string out;
        std::size_t outPos = 0;
        std::unique_ptr<ws::Decoder> decoder;
    };

    int startConnection(std::string request, bool http);
    void onEvents(std::uint64_t tag, std::uint32_t events);
    void onReadable(int id);
    void onWritable(int id);
    void processFrames(int id);
    void queue(int id, std::string_view bytes);
    void flush(int id);
    void updateInterest(int id);
    void finish(int id, bool opened, int code, const std::string &reason);
    std::uint32_t nextMask();

    EventLoop &m_loop;
    sockaddr_in m_address{};
    std::string m_hostHeader;
    Callbacks m_callbacks;
    std::deque<Connection> m_connections; // a deque: references stay valid while callbacks add more
    Counters m_counters;
    LatencyStats m_connectTimes;
    int m_open = 0;
    int m_inProgress = 0;
    std::size_t m_bufferedOut = 0;
    std::uint64_t m_random = 0x853c49e6748fea9bULL;
    std::vector<char> m_readBuffer;
};

} // namespace switchboard::bench
