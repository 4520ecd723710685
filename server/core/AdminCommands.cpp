#include "core/AdminCommands.h"

#include "net/Authenticator.h"
#include "net/OrgContext.h"
#include "storage/Store.h"

using namespace Qt::StringLiterals;

namespace switchboard {

int AdminCommands::run(const Invocation &invocation)
{
    if (invocation.command == Invocation::Command::TokenIssue)
        return tokenIssue(invocation);

    Store store;
    const auto opened = store.open(invocation.settings.databaseUrl).result();
    if (!opened) {
        m_err << "error: cannot open database " << invocation.settings.databaseUrl << ": "
              << opened.error().message << Qt::endl;
        return 1;
    }
    switch (invocation.command) {
    case Invocation::Command::AgentAdd:
        return agentAdd(invocation, store);
    case Invocation::Command::AgentList:
        return agentList(invocation, store);
    case Invocation::Command::AgentRemove:
        return agentRemove(invocation, store);
    case Invocation::Command::AgentApprove:
        return agentDecide(invocation, store, true);
    case Invocation::Command::AgentReject:
        return agentDecide(invocation, store, false);
    case Invocation::Command::AgentRotateKey:
        return agentRotateKey(invocation, store);
    default:
        m_err << "error: not an admin command" << Qt::endl;
        return 1;
    }
}

int AdminCommands::agentAdd(const Invocation &invocation, Store &store)
{
    protocol::AgentInfo agent;
    agent.agentId = invocation.agentId;
    agent.orgId = invocation.orgId;
    agent.platform = invocation.platform;
    agent.region = invocation.region;
    agent.approvalStatus = protocol::ApprovalStatus::Approved;
    const QByteArray apiKey = Authenticator::generateApiKey();
    const auto created = store.createAgent(agent, Authenticator::hashApiKey(apiKey)).result();
    if (!created) {
        m_err << "error: " << created.error().message << Qt::endl;
        return 1;
    }
    m_out << "Agent " << agent.agentId << " added to org " << agent.orgId << " ("
          << protocol::platformName(agent.platform) << ").\n"
          << "API key (shown once; only its hash is stored):\n"
          << apiKey << "\n";
    m_out.flush();
    return 0;
}

int AdminCommands::agentList(const Invocation &invocation, Store &store)
{
    const auto agents = store.listAgents(invocation.orgId).result();
    if (!agents) {
        m_err << "error: " << agents.error().message << Qt::endl;
        return 1;
    }
    m_out << qSetFieldWidth(24) << Qt::left << "AGENT" << qSetFieldWidth(16) << "ORG"
          << "PLATFORM"
          << "REGION" << qSetFieldWidth(10) << "STATUS" << qSetFieldWidth(0) << "APPROVAL\n";
    for (const protocol::AgentInfo &agent : agents.value()) {
        m_out << qSetFieldWidth(24) << agent.agentId << qSetFieldWidth(16) << agent.orgId
              << protocol::platformName(agent.platform) << (agent.region.isEmpty() ? u"-"_s : agent.region)
              << qSetFieldWidth(10) << protocol::agentStatusName(agent.status) << qSetFieldWidth(0)
              << protocol::approvalStatusName(agent.approvalStatus) << "\n";
    }
    m_out.flush();
    return 0;
}

int AdminCommands::agentRemove(const Invocation &invocation, Store &store)
{
    const auto removed = store.removeAgent(invocation.agentId).result();
    if (!removed) {
        m_err << "error: " << removed.error().message << Qt::endl;
        return 1;
    }
    m_out << "Agent " << invocation.agentId << " removed.\n";
    m_out.flush();
    return 0;
}

int AdminCommands::agentDecide(const Invocation &invocation, Store &store, bool approve)
{
    const auto status = approve ? protocol::ApprovalStatus::Approved : protocol::ApprovalStatus::Rejected;
    const auto decided =
        store.setAgentApproval(invocation.agentId, status, u"cli"_s, QDateTime::currentDateTimeUtc())
            .result();
    if (!decided) {
        m_err << "error: " << decided.error().message << Qt::endl;
        return 1;
    }
    m_out << "Agent " << invocation.agentId << " is now " << protocol::approvalStatusName(status) << ".\n";
    m_out.flush();
    return 0;
}

int AdminCommands::agentRotateKey(const Invocation &invocation, Store &store)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const qint64 grace = qint64(invocation.keyGrace.count());
    const QDateTime graceUntil = grace > 0 ? now.addSecs(grace) : QDateTime();
    const QByteArray apiKey = Authenticator::generateApiKey();
    const auto rotated =
        store.rotateAgentKey(invocation.agentId, Authenticator::hashApiKey(apiKey), graceUntil, now).result();
    if (!rotated) {
        m_err << "error: " << rotated.error().message << Qt::endl;
        return 1;
    }
    m_out << "New API key of agent " << invocation.agentId << " (shown once; only its hash is stored):\n"
          << apiKey << "\n";
    if (graceUntil.isValid())
        m_out << "The previous key keeps working until " << protocol::formatTimestamp(graceUntil) << ".\n";
    else
        m_out << "The previous key no longer works.\n";
    m_out.flush();
    return 0;
}

int AdminCommands::tokenIssue(const Invocation &invocation)
{
    const auto role = roleFromName(invocation.role);
    if (!role) {
        m_err << "error: unknown role " << invocation.role << Qt::endl;
        return 1;
    }
    OrgContext context;
    context.userId = invocation.userId;
    context.username = invocation.username.isEmpty() ? invocation.userId : invocation.username;
    context.orgId = invocation.orgId;
    context.role = *role;
    context.k8sNamespace = invocation.k8sNamespace;
    const Authenticator authenticator(invocation.settings.jwtSecret);
    m_out << authenticator.issueToken(context, invocation.tokenTtl, QDateTime::currentDateTimeUtc()) << "\n";
    m_out.flush();
    return 0;
}

} // namespace switchboard
