// The WebSocket frame decoder every server connection runs on what clients send, before anything
// else looks at it: fed in arbitrary pieces (the first byte chooses the split), with a small
// message limit so the size checks are reached, and the UTF-8 and close-payload checks applied to
// what it hands out, as WsConnection does.
#include "FuzzSupport.h"
#include "shared/WsCodec.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace switchboard;
    if (size == 0)
        return 0;
    const std::size_t piece = std::max<std::size_t>(1, data[0]);
    ws::Decoder decoder(ws::Decoder::Peer::Client, 4096);
    for (std::size_t offset = 1; offset < size; offset += piece) {
        decoder.feed(reinterpret_cast<const char *>(data) + offset, std::min(piece, size - offset));
        for (;;) {
            const ws::Decoder::Event event = decoder.next();
            if (event.kind == ws::Decoder::Event::Kind::NeedMore)
                break;
            if (event.kind == ws::Decoder::Event::Kind::Error)
                return 0;
            if (event.payload.size() > 4096)
                __builtin_trap(); // the limit must hold after reassembly
            if (event.kind == ws::Decoder::Event::Kind::Message)
                (void)ws::isValidUtf8(event.payload);
            else if (event.opcode == ws::Opcode::Close) {
                if (const auto close = ws::parseClosePayload(event.payload))
                    (void)ws::isValidUtf8(close->reason);
            }
        }
        decoder.releaseIdleMemory();
    }
    return 0;
}
