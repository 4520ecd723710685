// Messages browsers send on /api/v1/ws/sessions: a message or a typed error, whose error frame
// encodes.
#include "FuzzSupport.h"
#include "shared/BrowserProtocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace switchboard;
    fuzz::quiet();
    const auto message = protocol::browser::decodeClientMessage(fuzz::input(data, size));
    if (!message)
        (void)protocol::browser::encodeError(message.error());
    return 0;
}
