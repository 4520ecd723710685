// Requests on /api/v1/ws/admin, and the resume positions a console may pass in its URL.
#include "FuzzSupport.h"
#include "shared/AdminProtocol.h"
#include "shared/BrowserProtocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace switchboard;
    fuzz::quiet();
    const QByteArrayView bytes = fuzz::input(data, size);
    const auto request = protocol::admin::decodeRequest(bytes);
    if (!request)
        (void)protocol::browser::encodeError(request.error());
    (void)protocol::admin::parseResumePositions(QString::fromUtf8(bytes));
    return 0;
}
