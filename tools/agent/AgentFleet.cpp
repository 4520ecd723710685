#include "AgentFleet.h"

#include "KeyStore.h"
#include "Registrar.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <algorithm>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcSimFleet, "switchboard.agent.fleet")

namespace switchboard::agentsim {

AgentFleet::AgentFleet(AgentOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_network(new QNetworkAccessManager(this))
{
    m_shutdownTimer.setSingleShot(true);
    connect(&m_shutdownTimer, &QTimer::timeout, this, [this] {
        qCWarning(lcSimFleet) << "agents did not close in time; exiting anyway";
        finish(kExitOk);
    });
}

bool AgentFleet::start()
{
    if (!m_members.isEmpty()) {
        m_error = u"the fleet is already started"_s;
        return false;
    }
    KeyStore::Keys keys;
    // Precedence: --api-key, then --api-key-file, then keys this tool stored in --key-file.
    if (!m_options.keyFile.isEmpty()) {
        auto stored = KeyStore::load(m_options.keyFile, true);
        if (!stored) {
            m_error = stored.error().message;
            return false;
        }
        keys = stored.value();
    }
    if (!m_options.apiKeyFile.isEmpty()) {
        auto listed = KeyStore::load(m_options.apiKeyFile);
        if (!listed) {
            m_error = listed.error().message;
            return false;
        }
        keys.insert(listed.value());
    }
    if (m_options.count == 1 && !m_options.apiKey.isEmpty())
        keys.insert(m_options.agentId, m_options.apiKey);

    const QStringList ids = m_options.agentIds();
    for (const QString &id : ids) {
        if (!keys.contains(id) && m_options.bootstrapKey.isEmpty()) {
            m_error = u"no API key for agent %1 (give --api-key, list it in --api-key-file, or use "
                      "--bootstrap-key)"_s.arg(id);
            return false;
        }
    }

    protocol::Capacity capacity;
    capacity.maxSessions = m_options.maxSessions;
    capacity.cpu = m_options.cpu;
    capacity.memory = m_options.memory;

    SimulationSettings simulation;
    simulation.startDelay = m_options.startDelay;
    simulation.stopDelay = m_options.stopDelay;
    simulation.hibernateDelay = m_options.hibernateDelay;
    simulation.wakeDelay = m_options.wakeDelay;
    simulation.failureRate = m_options.failureRate;
    simulation.maxSessions = m_options.maxSessions;
    simulation.logLineInterval = m_options.logInterval;

    QJsonObject metadata{{u"simulator"_s, u"switchboard-agent"_s},
                         {u"version"_s, QCoreApplication::applicationVersion()}};
    if (!m_options.org.isEmpty())
        metadata.insert(u"org"_s, m_options.org);

    m_members.reserve(ids.size());
    for (const QString &id : ids) {
        AgentConfig config;
        config.agentId = id;
        config.apiKey = keys.value(id);
        config.connectUrl = m_options.connectUrl();
        config.capacity = capacity;
        config.heartbeatInterval = m_options.heartbeatInterval;
        config.simulation = simulation;
        config.reconnect = m_reconnect;

        RegistrationRequest request{id, m_options.platform, m_options.region, capacity, metadata};
        Member member;
        member.agent = new SimulatedAgent(config, {}, this);
        member.registrar = new Registrar(m_network, m_options.registerUrl(), request, this);
        member.registrar->setApiKey(config.apiKey);
        member.registrar->setBootstrapKey(m_options.bootstrapKey);
        member.registrar->setApprovalPoll(m_options.approvalPoll);
        member.registrar->setRetryPolicy(m_registrationRetry);
        m_members.append(member);
    }

    for (qsizetype i = 0; i < m_members.size(); ++i) {
        SimulatedAgent *agent = m_members[i].agent;
        Registrar *registrar = m_members[i].registrar;
        connect(registrar, &Registrar::keyIssued, this, [this, agent](const QString &apiKey) {
            if (m_options.keyFile.isEmpty()) {
                qCWarning(lcSimFleet).noquote()
                    << u"the key issued for %1 is kept only in memory (no --key-file): after a restart this "
                       "agent can no longer authenticate"_s.arg(agent->agentId());
            } else if (auto stored = KeyStore::append(m_options.keyFile, agent->agentId(), apiKey); !stored) {
                qCCritical(lcSimFleet).noquote() << u"cannot store the key issued for %1: %2"_s.arg(
                    agent->agentId(), stored.error().message);
            } else {
                qCInfo(lcSimFleet).noquote()
                    << "stored the key issued for" << agent->agentId() << "in" << m_options.keyFile;
            }
            Q_EMIT keyIssued(agent->agentId(), apiKey);
        });
        connect(registrar, &Registrar::approved, this, [this, agent](const QString &apiKey) {
            if (m_shuttingDown)
                return;
            agent->setApiKey(apiKey);
            agent->start();
        });
        connect(registrar, &Registrar::rejected, this, [this, i](const QString &message) {
            qCCritical(lcSimFleet).noquote() << message;
            ++m_refused;
            memberEnded(m_members[i]);
        });
        connect(agent, &SimulatedAgent::stopped, this, [this, i] { memberEnded(m_members[i]); });
    }

    qCInfo(lcSimFleet).noquote() << "starting" << ids.size() << (ids.size() == 1 ? "agent" : "agents")
                                 << "against"
                                 << m_options.registerUrl().adjusted(QUrl::RemovePath).toString();
    for (const Member &member : std::as_const(m_members))
        member.registrar->start();
    return true;
}

void AgentFleet::shutdown(std::chrono::milliseconds shutdownTimeout)
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    qCInfo(lcSimFleet) << "shutting down";
    m_shutdownTimer.start(shutdownTimeout);
    for (Member &member : m_members) {
        member.registrar->cancel();
        if (!member.ended)
            member.agent->shutdown(); // emits stopped(), possibly at once
    }
    if (std::all_of(m_members.cbegin(), m_members.cend(), [](const Member &m) { return m.ended; }))
        finish(kExitOk);
}

void AgentFleet::memberEnded(Member &member)
{
    if (member.ended)
        return;
    member.ended = true;
    if (!std::all_of(m_members.cbegin(), m_members.cend(), [](const Member &m) { return m.ended; }))
        return;
    // Everyone is done: either we were asked to stop, or every agent was refused.
    finish(m_shuttingDown ? kExitOk : kExitRefused);
}

void AgentFleet::finish(int exitCode)
{
    if (m_finished)
        return;
    m_finished = true;
    m_shutdownTimer.stop();
    Q_EMIT finished(exitCode);
}

QList<SimulatedAgent *> AgentFleet::agents() const
{
    QList<SimulatedAgent *> result;
    result.reserve(m_members.size());
    for (const Member &member : m_members)
        result.append(member.agent);
    return result;
}

SimulatedAgent *AgentFleet::agent(const QString &agentId) const
{
    for (const Member &member : m_members)
        if (member.agent->agentId() == agentId)
            return member.agent;
    return nullptr;
}

} // namespace switchboard::agentsim
