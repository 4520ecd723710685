// The request head the front door parses from unauthenticated peers, and everything read from
// it afterwards: headers, cookies, query, Content-Length, the upgrade test, the token sources
// and the Origin rule.
#include "FuzzSupport.h"
#include "net/AccessPolicy.h"
#include "net/Authenticator.h"
#include "net/HttpRequest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace switchboard;
    fuzz::quiet();
    const auto parsed = HttpRequest::parseHead(fuzz::input(data, size), 16 * 1024);
    if (!parsed)
        return 0;
    const HttpRequest &request = parsed.value();
    (void)request.header("Host");
    (void)request.headerValues("Connection");
    (void)request.cookie("streamspace_proxy_token");
    (void)request.queryValue(QStringLiteral("agent_id"));
    (void)request.contentLength();
    (void)request.isWebSocketUpgrade();
    (void)Authenticator::tokenFrom(request);
    const AccessPolicy policy({QStringLiteral("https://console.example.com")}, true);
    for (const Role role : {Role::User, Role::Admin})
        (void)policy.originProblem(request, role);
    (void)policy.agentCertificateProblem(request, request.queryValue(QStringLiteral("agent_id")));
    return 0;
}
