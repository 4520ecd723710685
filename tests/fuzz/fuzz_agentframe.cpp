// Agent frames (agent -> server) and server frames (server -> agent, as the simulator reads
// them): any bytes decode to a frame or a typed error, never a crash.
#include "FuzzSupport.h"
#include "shared/AgentProtocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace switchboard;
    fuzz::quiet();
    const QByteArrayView bytes = fuzz::input(data, size);
    const auto frame = protocol::agent::decodeAgentFrame(bytes);
    if (!frame)
        (void)protocol::agent::encodeError(frame.error(), QDateTime());
    (void)protocol::agent::decodeServerFrame(bytes);
    return 0;
}
