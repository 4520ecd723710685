// HTTP registration of one agent (POST /api/v1/agents/register): with its own key once, or with
// the bootstrap key, adopting the key the server issues and polling with it until an operator
// approves the agent. Network failures are retried with backoff; a refusal is final.
#pragma once

#include "Backoff.h"
#include "shared/Records.h"

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

namespace switchboard::agentsim {

// The StreamSpace registration body: {"agentId","platform","region","capacity","metadata"}.
struct RegistrationRequest
{
    QString agentId;
    protocol::Platform platform = protocol::Platform::Docker;
    QString region; // omitted when empty
    protocol::Capacity capacity;
    QJsonObject metadata;
    QJsonObject toJson() const;
};

class Registrar : public QObject
{
    Q_OBJECT
public:
    Registrar(QNetworkAccessManager *network, QUrl registerUrl, RegistrationRequest request,
              QObject *parent = nullptr);

    // The agent's own key, if it has one; otherwise the bootstrap key is used.
    void setApiKey(const QString &apiKey) { m_apiKey = apiKey; }
    void setBootstrapKey(const QString &bootstrapKey) { m_bootstrapKey = bootstrapKey; }
    void setApprovalPoll(std::chrono::milliseconds interval) { m_approvalPoll = interval; }
    void setRetryPolicy(const Backoff::Policy &policy) { m_backoff = Backoff(policy); }
    void setRequestTimeout(std::chrono::milliseconds timeout) { m_requestTimeout = timeout; }

    void start();
    void cancel();
    const QString &apiKey() const { return m_apiKey; }
    const QString &agentId() const { return m_request.agentId; }

Q_SIGNALS:
    // The server issued this agent's key (shown once): keep it, it is needed after a restart.
    void keyIssued(const QString &apiKey);
    // Registered but waiting for an operator's approval; polling continues.
    void pending(const QString &message);
    // Approved: connect with this key.
    void approved(const QString &apiKey);
    // Final refusal (403 rejected, or a request the server will never accept).
    void rejected(const QString &message);

private:
    void post();
    void handleReply(QNetworkReply *reply);
    void retryLater(const QString &why, std::optional<std::chrono::milliseconds> serverHint = std::nullopt);
    void adoptIssuedKey(const QString &key);

    QNetworkAccessManager *m_network;
    QUrl m_url;
    RegistrationRequest m_request;
    QString m_apiKey;
    QString m_bootstrapKey;
    std::chrono::milliseconds m_approvalPoll{30000};
    std::chrono::milliseconds m_requestTimeout{15000};
    Backoff m_backoff;
    QTimer m_timer;
    QPointer<QNetworkReply> m_reply;
    bool m_active = false;
};

} // namespace switchboard::agentsim
