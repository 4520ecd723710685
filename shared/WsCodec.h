// WebSocket (RFC 6455) framing and the HTTP upgrade, without Qt's per-connection objects. Both
// ends use it: the server's own connection class (server/net/WsConnection) decodes masked client
// frames and writes unmasked ones, the load tool (bench/) does the opposite, and the fuzz target
// feeds it hostile bytes. One small Decoder per connection; frames are written into plain strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::ws {

enum class Opcode : std::uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA
};

inline bool isControl(Opcode opcode)
{
    return (static_cast<std::uint8_t>(opcode) & 0x8) != 0;
}

// Appends one frame to `out`. A client must mask (RFC 6455 5.3), a server must not: pass a key
// for client frames, std::nullopt for server frames.
void appendFrame(std::string &out, Opcode opcode, std::string_view payload, bool fin,
                 std::optional<std::uint32_t> maskKey);
// A close frame's payload: the 2-byte code and the UTF-8 reason.
std::string closePayload(std::uint16_t code, std::string_view reason);
struct CloseInfo
{
    std::uint16_t code = 1005; // "no status received" when the payload is empty
    std::string reason;
};
std::optional<CloseInfo> parseClosePayload(std::string_view payload);

// XORs `data` with the 4-byte key, starting at key byte `offset % 4`.
void applyMask(char *data, std::size_t size, std::uint32_t maskKey, std::size_t offset = 0);

// Incremental frame decoder: feed bytes as they arrive, take events until NeedMore. Fragmented
// data messages are reassembled; control frames may arrive between fragments and are returned
// at once.
class Decoder
{
public:
    enum class Peer { Server, Client }; // who sends the frames: servers must not mask, clients must
    struct Event
    {
        enum class Kind { NeedMore, Message, Control, Error };
        Kind kind = Kind::NeedMore;
        Opcode opcode = Opcode::Text;   // Text/Binary for Message, Close/Ping/Pong for Control
        std::string_view payload;       // valid until the next call to feed() or next()
        std::string error;              // for Error: what was wrong (the connection must be closed)
        std::uint16_t closeCode = 1002; // for Error: 1002 protocol error, 1009 message too big
    };

    explicit Decoder(Peer from, std::size_t maxMessageBytes = 16 * 1024 * 1024);
    void setMaxMessageBytes(std::size_t bytes) { m_maxMessageBytes = bytes; }
    void feed(const char *data, std::size_t size);
    Event next();
    std::size_t bufferedBytes() const { return m_buffer.size() - m_pos; }
    // Gives back the buffers' memory when nothing is pending; a server holding many idle
    // connections calls it after each read so that one big message does not stay allocated.
    void releaseIdleMemory();

private:
    Event fail(std::string message, std::uint16_t closeCode = 1002);

    Peer m_from;
    std::size_t m_maxMessageBytes;
    std::string m_buffer; // undecoded bytes start at m_pos
    std::size_t m_pos = 0;
    std::string m_message; // fragments of a message in progress
    Opcode m_messageOpcode = Opcode::Text;
    bool m_inMessage = false;
    bool m_failed = false;
};

// RFC 3629 UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): a text message
// that is not must be closed with 1007 (RFC 6455 8.1).
bool isValidUtf8(std::string_view text);

// ---- HTTP upgrade ----
std::string makeClientKey(std::uint64_t random); // base64 of 16 bytes
std::string acceptKeyFor(std::string_view clientKey);
// `extraHeaders` are complete lines, each ending in "\r\n".
std::string upgradeRequest(std::string_view host, std::string_view pathAndQuery, std::string_view clientKey,
                           std::string_view extraHeaders = {});

struct UpgradeResult
{
    enum class Kind { NeedMore, Upgraded, Refused };
    Kind kind = Kind::NeedMore;
    int status = 0;
    std::size_t headBytes = 0; // bytes of the response head consumed (frames may follow)
    std::string error;         // for Refused: status line and what was wrong
};
// Parses the server's answer to upgradeRequest(); checks 101, Upgrade and Sec-WebSocket-Accept.
UpgradeResult parseUpgradeResponse(std::string_view received, std::string_view clientKey);

// A plain HTTP/1.1 response with Content-Length (the load tool's only other HTTP need: agent
// registration). NeedMore until the head and the whole body are there.
struct HttpResponse
{
    bool complete = false;
    bool malformed = false;
    int status = 0;
    std::string body;
};
HttpResponse parseHttpResponse(std::string_view received);

} // namespace switchboard::ws
