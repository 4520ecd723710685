#include "shared/WsCodec.h"

#include <QByteArray>
#include <QCryptographicHash>

#include <algorithm>
#include <cstring>

namespace switchboard::ws {

namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool containsToken(std::string_view value, std::string_view token)
{
    std::size_t start = 0;
    while (start <= value.size()) {
        const std::size_t comma = std::min(value.find(',', start), value.size());
        std::string_view part = value.substr(start, comma - start);
        while (!part.empty() && (part.front() == ' ' || part.front() == '\t'))
            part.remove_prefix(1);
        while (!part.empty() && (part.back() == ' ' || part.back() == '\t'))
            part.remove_suffix(1);
        if (equalsIgnoringCase(part, token))
            return true;
        start = comma + 1;
    }
    return false;
}

struct Head
{
    int status = 0;
    std::string statusLine;
    std::string upgrade;
    std::string connection;
    std::string accept;
    std::optional<std::size_t> contentLength;
    std::size_t headBytes = 0;
    bool malformed = false;
};

// Parses a response head that is known to be complete (ends with an empty line).
Head parseHead(std::string_view received, std::size_t headEnd)
{
    Head head;
    head.headBytes = headEnd + 4;
    const std::string_view text = received.substr(0, headEnd);
    std::size_t lineEnd = text.find("\r\n");
    const std::string_view statusLine = text.substr(0, lineEnd);
    head.statusLine = std::string(statusLine);
    if (statusLine.size() < 12 || statusLine.substr(0, 5) != "HTTP/") {
        head.malformed = true;
        return head;
    }
    const std::size_t space = statusLine.find(' ');
    if (space == std::string_view::npos || space + 4 > statusLine.size()) {
        head.malformed = true;
        return head;
    }
    int status = 0;
    for (std::size_t i = space + 1; i < space + 4; ++i) {
        if (statusLine[i] < '0' || statusLine[i] > '9') {
            head.malformed = true;
            return head;
        }
        status = status * 10 + (statusLine[i] - '0');
    }
    head.status = status;
    while (lineEnd != std::string_view::npos) {
        const std::size_t start = lineEnd + 2;
        lineEnd = text.find("\r\n", start);
        const std::string_view line =
            text.substr(start, lineEnd == std::string_view::npos ? text.npos : lineEnd - start);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        const std::string_view name = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
            value.remove_suffix(1);
        if (equalsIgnoringCase(name, "upgrade"))
            head.upgrade = std::string(value);
        else if (equalsIgnoringCase(name, "connection"))
            head.connection = std::string(value);
        else if (equalsIgnoringCase(name, "sec-websocket-accept"))
            head.accept = std::string(value);
        else if (equalsIgnoringCase(name, "content-length")) {
            std::size_t length = 0;
            if (value.empty() || value.size() > 12) {
                head.malformed = true;
                continue;
            }
            for (const char c : value) {
                if (c < '0' || c > '9') {
                    head.malformed = true;
                    break;
                }
                length = length * 10 + static_cast<std::size_t>(c - '0');
            }
            head.contentLength = length;
        }
    }
    return head;
}

} // namespace

void applyMask(char *data, std::size_t size, std::uint32_t maskKey, std::size_t offset)
{
    unsigned char key[4];
    std::memcpy(key, &maskKey, 4);
    std::size_t i = 0;
    // Word-at-a-time once aligned with the key: masking runs for every byte a client sends.
    if (offset % 4 == 0 && size >= 8) {
        std::uint64_t wide = 0;
        std::memcpy(&wide, key, 4);
        std::memcpy(reinterpret_cast<char *>(&wide) + 4, key, 4);
        for (; i + 8 <= size; i += 8) {
            std::uint64_t chunk;
            std::memcpy(&chunk, data + i, 8);
            chunk ^= wide;
            std::memcpy(data + i, &chunk, 8);
        }
    }
    for (; i < size; ++i)
        data[i] = static_cast<char>(static_cast<unsigned char>(data[i]) ^ key[(offset + i) % 4]);
}

void appendFrame(std::string &out, Opcode opcode, std::string_view payload, bool fin,
                 std::optional<std::uint32_t> maskKey)
{
    const std::size_t size = payload.size();
    out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode)));
    const char maskBit = maskKey ? '\x80' : '\x00';
    if (size <= 125) {
        out.push_back(static_cast<char>(maskBit | static_cast<char>(size)));
    } else if (size <= 0xFFFF) {
        out.push_back(static_cast<char>(maskBit | 126));
        out.push_back(static_cast<char>((size >> 8) & 0xFF));
        out.push_back(static_cast<char>(size & 0xFF));
    } else {
        out.push_back(static_cast<char>(maskBit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF));
    }
    if (maskKey)
        out.append(reinterpret_cast<const char *>(&*maskKey), 4);
    const std::size_t start = out.size();
    out.append(payload);
    if (maskKey)
        applyMask(out.data() + start, size, *maskKey);
}

std::string closePayload(std::uint16_t code, std::string_view reason)
{
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(reason.substr(0, 123));
    return payload;
}

std::optional<CloseInfo> parseClosePayload(std::string_view payload)
{
    if (payload.empty())
        return CloseInfo{};
    if (payload.size() == 1)
        return std::nullopt;
    CloseInfo info;
    info.code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                           static_cast<unsigned char>(payload[1]));
    info.reason = std::string(payload.substr(2));
    return info;
}

Decoder::Decoder(Peer from, std::size_t maxMessageBytes)
    : m_from(from)
    , m_maxMessageBytes(maxMessageBytes)
{}

void Decoder::feed(const char *data, std::size_t size)
{
    if (m_pos > 0 && m_pos == m_buffer.size()) {
        m_buffer.clear();
        m_pos = 0;
    } else if (m_pos > 4096 && m_pos * 2 > m_buffer.size()) {
        m_buffer.erase(0, m_pos);
        m_pos = 0;
    }
    m_buffer.append(data, size);
}

Decoder::Event Decoder::fail(std::string message, std::uint16_t closeCode)
{
    m_failed = true;
    Event event;
    event.kind = Event::Kind::Error;
    event.error = std::move(message);
    event.closeCode = closeCode;
    return event;
}

void Decoder::releaseIdleMemory()
{
    constexpr std::size_t kKeep = 1024; // small buffers stay: most messages are heartbeats
    if (m_pos == m_buffer.size() && m_buffer.capacity() > kKeep) {
        std::string().swap(m_buffer);
        m_pos = 0;
    }
    if (!m_inMessage && m_message.capacity() > kKeep)
        std::string().swap(m_message);
}

bool isValidUtf8(std::string_view text)
{
    const auto *bytes = reinterpret_cast<const unsigned char *>(text.data());
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        // ASCII runs, eight bytes at a time: JSON is nearly all ASCII.
        while (i + 8 <= size) {
            std::uint64_t chunk;
            std::memcpy(&chunk, bytes + i, 8);
            if ((chunk & 0x8080808080808080ULL) != 0)
                break;
            i += 8;
        }
        if (i >= size)
            break;
        const unsigned char lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0)
                low = 0xA0; // overlong
            else if (lead == 0xED)
                high = 0x9F; // surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0)
                low = 0x90; // overlong
            else if (lead == 0xF4)
                high = 0x8F; // above U+10FFFF
        } else {
            return false;
        }
        if (i + length > size)
            return false;
        if (bytes[i + 1] < low || bytes[i + 1] > high)
            return false;
        for (std::size_t k = 2; k < length; ++k) {
            if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF)
                return false;
        }
        i += length;
    }
    return true;
}

Decoder::Event Decoder::next()
{
    if (m_failed)
        return fail("decoder already failed");
    for (;;) {
        const std::size_t available = m_buffer.size() - m_pos;
        if (available < 2)
            return {};
        const auto *bytes = reinterpret_cast<const unsigned char *>(m_buffer.data() + m_pos);
        const bool fin = (bytes[0] & 0x80) != 0;
        if ((bytes[0] & 0x70) != 0)
            return fail("reserved bits set (no extension was negotiated)");
        const auto opcode = static_cast<Opcode>(bytes[0] & 0x0F);
        const bool masked = (bytes[1] & 0x80) != 0;
        std::uint64_t length = bytes[1] & 0x7F;
        std::size_t headerSize = 2;
        if (length == 126) {
            if (available < 4)
                return {};
            length = (std::uint64_t{bytes[2]} << 8) | bytes[3];
            headerSize = 4;
        } else if (length == 127) {
            if (available < 10)
                return {};
            length = 0;
            for (int i = 2; i < 10; ++i)
                length = (length << 8) | bytes[i];
            if (length >> 63)
                return fail("64-bit length with the top bit set");
            headerSize = 10;
        }
        if (masked != (m_from == Peer::Client))
            return fail(masked ? "a server must not mask frames" : "a client must mask frames");
        if (masked)
            headerSize += 4;
        switch (opcode) {
        case Opcode::Continuation:
        case Opcode::Text:
        case Opcode::Binary:
            break;
        case Opcode::Close:
        case Opcode::Ping:
        case Opcode::Pong:
            if (!fin)
                return fail("fragmented control frame");
            if (length > 125)
                return fail("control frame longer than 125 bytes");
            break;
        default:
            return fail("unknown opcode " + std::to_string(static_cast<int>(opcode)));
        }
        if (opcode == Opcode::Continuation && !m_inMessage)
            return fail("continuation frame without a message in progress");
        if ((opcode == Opcode::Text || opcode == Opcode::Binary) && m_inMessage)
            return fail("new data frame while a fragmented message is in progress");
        if (length > m_maxMessageBytes || m_message.size() + length > m_maxMessageBytes)
            return fail("message longer than " + std::to_string(m_maxMessageBytes) + " bytes", 1009);
        if (available < headerSize + length)
            return {};

        char *payload = m_buffer.data() + m_pos + headerSize;
        const auto size = static_cast<std::size_t>(length);
        if (masked) {
            std::uint32_t key;
            std::memcpy(&key, payload - 4, 4);
            applyMask(payload, size, key);
        }
        m_pos += headerSize + size;
        const std::string_view view(payload, size);

        if (isControl(opcode)) {
            Event event;
            event.kind = Event::Kind::Control;
            event.opcode = opcode;
            event.payload = view;
            return event;
        }
        if (opcode != Opcode::Continuation && fin) {
            // The common case: an unfragmented message, handed out without a copy.
            Event event;
            event.kind = Event::Kind::Message;
            event.opcode = opcode;
            event.payload = view;
            return event;
        }
        if (opcode != Opcode::Continuation) {
            m_inMessage = true;
            m_messageOpcode = opcode;
            m_message.assign(view);
            continue;
        }
        m_message.append(view);
        if (!fin)
            continue;
        m_inMessage = false;
        Event event;
        event.kind = Event::Kind::Message;
        event.opcode = m_messageOpcode;
        // m_message stays untouched until the next fragmented message begins.
        event.payload = m_message;
        return event;
    }
}

std::string makeClientKey(std::uint64_t random)
{
    QByteArray bytes(16, '\0');
    std::memcpy(bytes.data(), &random, 8);
    const std::uint64_t mixed = random * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    std::memcpy(bytes.data() + 8, &mixed, 8);
    return bytes.toBase64().toStdString();
}

std::string acceptKeyFor(std::string_view clientKey)
{
    QByteArray input(clientKey.data(), static_cast<qsizetype>(clientKey.size()));
    input.append(kWebSocketGuid.data(), static_cast<qsizetype>(kWebSocketGuid.size()));
    return QCryptographicHash::hash(input, QCryptographicHash::Sha1).toBase64().toStdString();
}

std::string upgradeRequest(std::string_view host, std::string_view pathAndQuery, std::string_view clientKey,
                           std::string_view extraHeaders)
{
    std::string request;
    request.reserve(256 + pathAndQuery.size() + extraHeaders.size());
    request.append("GET ").append(pathAndQuery).append(" HTTP/1.1\r\nHost: ").append(host);
    request.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Key: ");
    request.append(clientKey).append("\r\n").append(extraHeaders).append("\r\n");
    return request;
}

UpgradeResult parseUpgradeResponse(std::string_view received, std::string_view clientKey)
{
    UpgradeResult result;
    const std::size_t headEnd = received.find("\r\n\r\n");
    if (headEnd == std::string_view::npos) {
        if (received.size() > 64 * 1024) {
            result.kind = UpgradeResult::Kind::Refused;
            result.error = "response head larger than 64 KiB";
        }
        return result;
    }
    const Head head = parseHead(received, headEnd);
    result.status = head.status;
    result.headBytes = head.headBytes;
    result.kind = UpgradeResult::Kind::Refused;
    if (head.malformed)
        result.error = "malformed response: " + head.statusLine;
    else if (head.status != 101)
        result.error = head.statusLine;
    else if (!equalsIgnoringCase(head.upgrade, "websocket"))
        result.error = "101 without Upgrade: websocket";
    else if (!containsToken(head.connection, "upgrade"))
        result.error = "101 without Connection: Upgrade";
    else if (head.accept != acceptKeyFor(clientKey))
        result.error = "wrong Sec-WebSocket-Accept";
    else
        result.kind = UpgradeResult::Kind::Upgraded;
    return result;
}

HttpResponse parseHttpResponse(std::string_view received)
{
    HttpResponse response;
    const std::size_t headEnd = received.find("\r\n\r\n");
    if (headEnd == std::string_view::npos)
        return response;
    const Head head = parseHead(received, headEnd);
    response.status = head.status;
    if (head.malformed || !head.contentLength) {
        response.malformed = head.malformed;
        // Without a length the body ends when the server closes; the caller decides then.
        response.body = std::string(received.substr(head.headBytes));
        return response;
    }
    if (received.size() - head.headBytes < *head.contentLength)
        return response;
    response.complete = true;
    response.body = std::string(received.substr(head.headBytes, *head.contentLength));
    return response;
}

} // namespace switchboard::ws
