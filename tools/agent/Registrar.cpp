#include "Registrar.h"

#include "AgentOptions.h"
#include "shared/JsonReader.h"

#include <QLoggingCategory>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <algorithm>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcSimRegistrar, "switchboard.agent.registrar")

namespace switchboard::agentsim {

namespace {

constexpr qint64 kMaxResponseBytes = 256 * 1024;

// What the server said, read defensively: any field may be missing or of the wrong type.
struct RegisterResponse
{
    QString apiKey;
    QString approvalStatus;
    QString message; // error/details/message, for the log
    std::optional<std::chrono::milliseconds> retryAfter;
};

RegisterResponse readResponse(QNetworkReply *reply)
{
    RegisterResponse response;
    if (const QByteArray header = reply->rawHeader("Retry-After"); !header.isEmpty()) {
        bool ok = false;
        const int seconds = header.trimmed().toInt(&ok);
        if (ok && seconds >= 0)
            response.retryAfter = std::chrono::seconds(std::clamp(seconds, 1, 3600));
    }
    const QByteArray body = reply->read(kMaxResponseBytes);
    const auto object = protocol::parseObject(body);
    if (!object)
        return response;
    protocol::JsonReader reader(object.value());
    response.apiKey = reader.optionalString(u"apiKey"_s);
    response.approvalStatus = reader.optionalString(u"approvalStatus"_s);
    const QString error = reader.optionalString(u"error"_s, {}, 1024);
    const QString details = reader.optionalString(u"details"_s, {}, 1024);
    const QString message = reader.optionalString(u"message"_s, {}, 1024);
    QStringList parts;
    for (const QString &part : {error, details, message})
        if (!part.isEmpty())
            parts.append(part);
    response.message = parts.join(u": "_s);
    if (!response.retryAfter && reader.has(u"retryAfter"_s)) {
        const qint64 seconds = reader.optionalInt(u"retryAfter"_s, 0, 1, 3600);
        if (seconds > 0)
            response.retryAfter = std::chrono::seconds(seconds);
    }
    return response;
}

} // namespace

QJsonObject RegistrationRequest::toJson() const
{
    QJsonObject object{{u"agentId"_s, agentId},
                       {u"platform"_s, protocol::platformName(platform)},
                       {u"capacity"_s, capacity.toJson()},
                       {u"metadata"_s, metadata}};
    if (!region.isEmpty())
        object.insert(u"region"_s, region);
    return object;
}

Registrar::Registrar(QNetworkAccessManager *network, QUrl registerUrl, RegistrationRequest request,
                     QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_url(std::move(registerUrl))
    , m_request(std::move(request))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Registrar::post);
}

void Registrar::start()
{
    m_active = true;
    m_backoff.reset();
    post();
}

void Registrar::cancel()
{
    m_active = false;
    m_timer.stop();
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->abort();
        reply->deleteLater();
    }
}

void Registrar::post()
{
    if (!m_active)
        return;
    const QString key = m_apiKey.isEmpty() ? m_bootstrapKey : m_apiKey;
    QNetworkRequest request(m_url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
    request.setRawHeader("X-Agent-API-Key", key.toLatin1());
    request.setTransferTimeout(int(m_requestTimeout.count()));
    qCDebug(lcSimRegistrar).noquote() << m_request.agentId << "POST" << m_url.toString() << "with"
                                      << (m_apiKey.isEmpty() ? "the bootstrap key" : "its own key");
    QNetworkReply *reply = m_network->post(request, protocol::toJsonBytes(m_request.toJson()));
    m_reply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (m_reply != reply)
            return; // cancelled
        m_reply = nullptr;
        handleReply(reply);
    });
}

void Registrar::handleReply(QNetworkReply *reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0)
        return retryLater(u"cannot reach %1: %2"_s.arg(m_url.toString(), reply->errorString()));

    const RegisterResponse response = readResponse(reply);
    const QString said =
        response.message.isEmpty() ? QString() : u" (server said: %1)"_s.arg(response.message);
    const bool usingBootstrap = m_apiKey.isEmpty();

    if (status == 200 || status == 201 || status == 202) {
        if (!response.apiKey.isEmpty()) {
            if (!isPlausibleApiKey(response.apiKey)) {
                Q_EMIT rejected(u"the server issued a malformed API key for %1"_s.arg(m_request.agentId));
                m_active = false;
                return;
            }
            if (response.apiKey != m_apiKey)
                adoptIssuedKey(response.apiKey);
        } else if (usingBootstrap) {
            // The key is shown only once and the bootstrap key never authenticates an agent that
            // already has one, so there is nothing left to try from here.
            m_active = false;
            Q_EMIT rejected(u"agent %1 is already registered but the server did not issue its key now (it is "
                            "shown only once); run with --api-key, --api-key-file or the --key-file that "
                            "stored it%2"_s.arg(m_request.agentId, said));
            return;
        }
        m_backoff.reset();
        if (status == 202 || response.approvalStatus == "pending"_L1) {
            qCInfo(lcSimRegistrar).noquote()
                << u"%1 is registered and waits for an operator's approval; asking again in %2 s%3"_s.arg(
                       m_request.agentId, QString::number(double(m_approvalPoll.count()) / 1000.0), said);
            Q_EMIT pending(response.message);
            m_timer.start(m_approvalPoll);
            return;
        }
        qCInfo(lcSimRegistrar).noquote() << m_request.agentId << "is registered and approved";
        m_active = false;
        Q_EMIT approved(m_apiKey);
        return;
    }
    if (status == 403) {
        m_active = false;
        Q_EMIT rejected(
            u"registration of %1 refused (HTTP 403: rejected by an operator or wrong key)%2"_s.arg(
                m_request.agentId, said));
        return;
    }
    if (status == 429)
        return retryLater(u"rate limited (HTTP 429)%1"_s.arg(said), response.retryAfter);
    if (status == 408 || status >= 500)
        return retryLater(u"server error HTTP %1%2"_s.arg(status).arg(said), response.retryAfter);
    // Any other 4xx: the request itself is wrong (bad body, malformed key, wrong URL); repeating
    // it cannot help.
    m_active = false;
    Q_EMIT rejected(
        u"registration of %1 refused with HTTP %2%3"_s.arg(m_request.agentId).arg(status).arg(said));
}

void Registrar::retryLater(const QString &why, std::optional<std::chrono::milliseconds> serverHint)
{
    const std::chrono::milliseconds delay = serverHint.value_or(m_backoff.nextDelay());
    qCWarning(lcSimRegistrar).noquote() << u"%1 registration: %2; retrying in %3 s"_s.arg(
        m_request.agentId, why, QString::number(double(delay.count()) / 1000.0));
    m_timer.start(delay);
}

void Registrar::adoptIssuedKey(const QString &key)
{
    m_apiKey = key;
    qCInfo(lcSimRegistrar).noquote() << m_request.agentId << "received its API key from the server";
    Q_EMIT keyIssued(key);
}

} // namespace switchboard::agentsim
