#include "net/AccessPolicy.h"

#include <QUrl>

using namespace Qt::StringLiterals;

namespace switchboard {

AccessPolicy::AccessPolicy(const QStringList &allowedOrigins, bool requireAgentCertificates)
    : m_requireAgentCertificates(requireAgentCertificates)
{
    for (const QString &origin : allowedOrigins) {
        if (const auto normalized = normalizeOrigin(origin))
            m_allowedOrigins.append(*normalized);
    }
}

std::optional<QString> AccessPolicy::normalizeOrigin(QStringView origin)
{
    const QUrl url(origin.trimmed().toString(), QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != "http"_L1 && scheme != "https"_L1) || url.host().isEmpty() ||
        !url.userInfo().isEmpty() || !url.path().isEmpty() || url.hasQuery() || url.hasFragment())
        return std::nullopt;
    const int defaultPort = scheme == "https"_L1 ? 443 : 80;
    QString normalized = scheme + "://"_L1;
    const QString host = url.host(QUrl::FullyEncoded).toLower();
    normalized += host.contains(u':') ? u'[' + host + u']' : host;
    if (url.port() >= 0 && url.port() != defaultPort)
        normalized += u':' + QString::number(url.port());
    return normalized;
}

std::optional<QString> AccessPolicy::originProblem(const HttpRequest &request, Role role) const
{
    if (!checksOrigin())
        return std::nullopt;
    const QList<QByteArray> values = request.headerValues("Origin");
    if (values.size() > 1)
        return u"more than one Origin header"_s;
    if (values.isEmpty() || values.first().isEmpty()) {
        if (role == Role::User)
            return u"a browser token needs an Origin header from an allowed origin"_s;
        return std::nullopt;
    }
    const auto origin = normalizeOrigin(QString::fromLatin1(values.first()));
    if (!origin || !m_allowedOrigins.contains(*origin))
        return u"origin is not allowed"_s;
    return std::nullopt;
}

std::optional<QString> AccessPolicy::agentCertificateProblem(const HttpRequest &request,
                                                             const QString &agentId) const
{
    if (!m_requireAgentCertificates)
        return std::nullopt;
    if (!request.clientCertificate || request.clientCertificate->isNull())
        return u"a client certificate issued by the configured client CA is required"_s;
    const QStringList names = request.clientCertificate->subjectInfo(QSslCertificate::CommonName);
    if (names.size() != 1 || names.first() != agentId)
        return u"the client certificate's common name is not the agent id"_s;
    return std::nullopt;
}

} // namespace switchboard
