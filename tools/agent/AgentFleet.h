// The agents one process runs (--count N): finds each one's key, registers it, connects it once
// approved, stores keys issued at bootstrap, and shuts them all down together.
#pragma once

#include "AgentOptions.h"
#include "Backoff.h"
#include "SimulatedAgent.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QTimer>

namespace switchboard::agentsim {

class Registrar;

class AgentFleet : public QObject
{
    Q_OBJECT
public:
    // Process exit codes (documented in docs/AGENT.md).
    static constexpr int kExitOk = 0;
    static constexpr int kExitUsage = 2;
    static constexpr int kExitRefused = 3;

    explicit AgentFleet(AgentOptions options, QObject *parent = nullptr);

    // For tests and demos that want faster retries than the operator defaults.
    void setReconnectPolicy(const Backoff::Policy &policy) { m_reconnect = policy; }
    void setRegistrationRetryPolicy(const Backoff::Policy &policy) { m_registrationRetry = policy; }

    // Reads the key files and starts registering every agent. False (with errorString()) when the
    // options cannot work, e.g. an agent without a key and no bootstrap key.
    bool start();
    // Drains and closes every agent, then emits finished(0); forced after shutdownTimeout.
    void shutdown(std::chrono::milliseconds shutdownTimeout = std::chrono::milliseconds(1800));

    const QString &errorString() const { return m_error; }
    QList<SimulatedAgent *> agents() const;
    SimulatedAgent *agent(const QString &agentId) const;

Q_SIGNALS:
    void finished(int exitCode);
    // An agent's key as the server issued it at bootstrap (also appended to --key-file).
    void keyIssued(const QString &agentId, const QString &apiKey);

private:
    struct Member
    {
        Registrar *registrar = nullptr;
        SimulatedAgent *agent = nullptr;
        bool ended = false; // refused at registration, or stopped
    };

    void memberEnded(Member &member);
    void finish(int exitCode);

    AgentOptions m_options;
    Backoff::Policy m_reconnect;
    Backoff::Policy m_registrationRetry;
    QNetworkAccessManager *m_network;
    QList<Member> m_members;
    QTimer m_shutdownTimer;
    QString m_error;
    bool m_shuttingDown = false;
    bool m_finished = false;
    int m_refused = 0;
};

} // namespace switchboard::agentsim
