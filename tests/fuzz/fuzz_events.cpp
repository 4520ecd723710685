// Bodies of POST /api/v1/events, decoded as the Gateway does: a JSON object, then a session
// event.
#include "FuzzSupport.h"
#include "shared/BrowserProtocol.h"
#include "shared/JsonReader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace switchboard;
    fuzz::quiet();
    const auto object = protocol::parseObject(fuzz::input(data, size));
    if (!object)
        return 0;
    const QDateTime now = QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC);
    (void)protocol::browser::decodeSessionEvent(object.value(), now);
    return 0;
}
