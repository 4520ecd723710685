// AgentRegistrar: POST /api/v1/agents/register. An agent with its own key refreshes its
// registration (200 approved, 202 pending, 403 rejected). The bootstrap key only ever creates a
// new, pending agent and hands out that agent's own key once; it never authenticates an agent
// that already exists.
#pragma once

#include "shared/Records.h"

#include <QObject>
#include <functional>

namespace switchboard {

class Store;
class HttpRequest;

struct HttpReply
{
    int status = 200;
    QJsonObject body;
};

class AgentRegistrar : public QObject
{
    Q_OBJECT
public:
    // An empty bootstrapKey disables bootstrap registration.
    AgentRegistrar(Store *store, QString bootstrapKey, QString defaultOrg, QObject *parent = nullptr);

    using Done = std::function<void(const HttpReply &)>;
    // `done` runs on this object's thread, now (bad input) or when storage answered.
    void registerAgent(const QByteArray &apiKey, const QByteArray &body, Done done);

Q_SIGNALS:
    // A new pending agent appeared, or an existing one refreshed its registration.
    void agentRegistered(const protocol::AgentInfo &agent);

private:
    void registerWithBootstrapKey(const protocol::AgentInfo &agent, Done done);
    void registerWithOwnKey(const QByteArray &apiKey, const protocol::AgentInfo &agent, Done done);

    Store *m_store;
    QString m_bootstrapKey;
    QString m_defaultOrg;
};

} // namespace switchboard
