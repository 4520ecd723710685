// Who may open which stream from where, beyond the token: the Origin allowlist of browser
// streams and the client certificate of agents. Pure checks on a parsed request; the Gateway
// asks them before accepting an upgrade and answers 403 with the reason.
//
// Origin: browsers always send it on WebSocket handshakes and a page cannot forge it, which is
// what stops another site from opening a stream with the victim's cookie. With an allowlist, a
// present Origin must be on it; a missing one is only accepted from non-browser tokens (admin,
// operator, service: consoles, scripts), since a `user` token belongs to a browser, which would
// have sent one. Agent endpoints do not look at Origin (agents are not browsers).
#pragma once

#include "net/HttpRequest.h"
#include "net/OrgContext.h"

#include <QStringList>

#include <optional>

namespace switchboard {

class AccessPolicy
{
public:
    AccessPolicy() = default;
    // `allowedOrigins` as configured (scheme://host[:port]); empty = any origin.
    AccessPolicy(const QStringList &allowedOrigins, bool requireAgentCertificates);

    // "scheme://host[:port]" in lower case without a default port; nullopt when `origin` is not a
    // http(s) origin (e.g. "null", a path, garbage).
    static std::optional<QString> normalizeOrigin(QStringView origin);

    bool checksOrigin() const { return !m_allowedOrigins.isEmpty(); }
    bool requiresAgentCertificates() const { return m_requireAgentCertificates; }

    // Why a browser-stream upgrade from this caller is refused; nullopt when it is allowed.
    std::optional<QString> originProblem(const HttpRequest &request, Role role) const;
    // Why an agent upgrade for `agentId` is refused; nullopt when it is allowed (always when no
    // client CA is configured). The certificate must have verified against the client CA and
    // have exactly one common name, equal to `agentId`.
    std::optional<QString> agentCertificateProblem(const HttpRequest &request, const QString &agentId) const;

private:
    QStringList m_allowedOrigins; // normalized
    bool m_requireAgentCertificates = false;
};

} // namespace switchboard
