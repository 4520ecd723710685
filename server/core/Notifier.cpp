#include "core/Notifier.h"

#include "core/Hub.h"

#include <QLoggingCategory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcNotifier, "switchboard.notifier")

namespace switchboard {

namespace {

template<class Index, class Key>
void addTo(Index &index, const Key &key, quint64 clientId)
{
    index[key].insert(clientId);
}

template<class Index, class Key>
void removeFrom(Index &index, const Key &key, quint64 clientId)
{
    const auto it = index.find(key);
    if (it == index.end())
        return;
    it->remove(clientId);
    if (it->isEmpty())
        index.erase(it);
}

} // namespace

Notifier::Notifier(Hub *hub, QObject *parent)
    : QObject(parent)
    , m_hub(hub)
{
    // The original removed subscriptions at once and kept them for dead clients; here they live
    // exactly as long as the client.
    connect(m_hub, &Hub::clientRemoved, this, [this](quint64 clientId, const BrowserClient &) {
        unsubscribeClient(clientId);
        m_held.remove(clientId);
        m_overflowed.remove(clientId);
    });
}

void Notifier::subscribeUser(quint64 clientId, const QString &orgId, const QString &userId)
{
    const Key key{orgId, userId};
    addTo(m_byUser, key, clientId);
    QList<Key> &users = m_byClient[clientId].users;
    if (!users.contains(key))
        users.append(key);
}

void Notifier::subscribeSession(quint64 clientId, const QString &orgId, const QString &sessionId)
{
    const Key key{orgId, sessionId};
    addTo(m_bySession, key, clientId);
    QList<Key> &sessions = m_byClient[clientId].sessions;
    if (!sessions.contains(key))
        sessions.append(key);
}

bool Notifier::unsubscribeUser(quint64 clientId, const QString &orgId, const QString &userId)
{
    const auto client = m_byClient.find(clientId);
    if (client == m_byClient.end() || !client->users.removeOne(Key{orgId, userId}))
        return false;
    removeFrom(m_byUser, Key{orgId, userId}, clientId);
    if (client->users.isEmpty() && client->sessions.isEmpty())
        m_byClient.erase(client);
    return true;
}

bool Notifier::unsubscribeSession(quint64 clientId, const QString &orgId, const QString &sessionId)
{
    const auto client = m_byClient.find(clientId);
    if (client == m_byClient.end() || !client->sessions.removeOne(Key{orgId, sessionId}))
        return false;
    removeFrom(m_bySession, Key{orgId, sessionId}, clientId);
    if (client->users.isEmpty() && client->sessions.isEmpty())
        m_byClient.erase(client);
    return true;
}

void Notifier::unsubscribeClient(quint64 clientId)
{
    const auto client = m_byClient.find(clientId);
    if (client == m_byClient.end())
        return;
    for (const Key &key : std::as_const(client->users))
        removeFrom(m_byUser, key, clientId);
    for (const Key &key : std::as_const(client->sessions))
        removeFrom(m_bySession, key, clientId);
    m_byClient.erase(client);
}

int Notifier::subscriptionCount(quint64 clientId) const
{
    const auto client = m_byClient.constFind(clientId);
    if (client == m_byClient.cend())
        return 0;
    return int(client->users.size() + client->sessions.size());
}

QSet<quint64> Notifier::subscribersOf(const protocol::browser::SessionEvent &event) const
{
    // An event without an org can't be matched against any key safely: it reaches nobody.
    if (event.orgId.isEmpty())
        return {};
    QSet<quint64> clients = m_byUser.value(Key{event.orgId, event.userId});
    clients.unite(m_bySession.value(Key{event.orgId, event.sessionId}));
    return clients;
}

int Notifier::notifySessionEvent(const protocol::browser::SessionEvent &event)
{
    if (event.orgId.isEmpty()) {
        qCWarning(lcNotifier) << "dropping" << protocol::browser::eventTypeName(event.type) << "for session"
                              << event.sessionId << "without an org";
        return 0;
    }
    const QSet<quint64> clients = subscribersOf(event);
    if (clients.isEmpty())
        return 0;
    const OutgoingMessage message = OutgoingMessage::fromUtf8(protocol::browser::encodeSessionEvent(event));
    int delivered = 0;
    for (quint64 clientId : clients) {
        // The keys already carry the org; checking the client's verified org as well means a
        // wrong subscription can never turn into a leak.
        const BrowserClient *client = m_hub->client(clientId);
        if (!client || client->context.orgId != event.orgId)
            continue;
        if (const auto held = m_held.find(clientId); held != m_held.end()) {
            if (m_overflowed.contains(clientId))
                continue;
            held->append({event.seq, message});
            if (held->size() > kMaxHeldEvents) {
                qCWarning(lcNotifier) << "client" << clientId << "fell" << held->size()
                                      << "events behind during a resume; dropping it";
                // It stays held, with nothing more to give, until it is gone: no gap is ever sent.
                held->clear();
                m_overflowed.insert(clientId);
                // Not from inside this loop: closing removes the client from the indexes.
                QMetaObject::invokeMethod(
                    this,
                    [this, clientId] {
                        m_hub->closeClient(clientId, QWebSocketProtocol::CloseCodePolicyViolated,
                                           u"slow client"_s);
                    },
                    Qt::QueuedConnection);
            }
            ++delivered;
            continue;
        }
        if (m_hub->send(clientId, message))
            ++delivered;
    }
    qCDebug(lcNotifier) << protocol::browser::eventTypeName(event.type) << "for session" << event.sessionId
                        << "of org" << event.orgId << "reached" << delivered << "clients";
    return delivered;
}

bool Notifier::isEntitled(quint64 clientId, const protocol::browser::SessionEvent &event) const
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client || event.orgId.isEmpty() || client->context.orgId != event.orgId)
        return false;
    if (client->context.role == Role::User && event.userId != client->context.userId)
        return false;
    const auto subscriptions = m_byClient.constFind(clientId);
    if (subscriptions == m_byClient.cend())
        return false;
    return subscriptions->users.contains(Key{event.orgId, event.userId}) ||
           subscriptions->sessions.contains(Key{event.orgId, event.sessionId});
}

void Notifier::hold(quint64 clientId)
{
    if (!m_held.contains(clientId))
        m_held.insert(clientId, {});
}

QList<OutgoingMessage> Notifier::takeHeld(quint64 clientId, qint64 afterSeq)
{
    const auto held = m_held.find(clientId);
    if (held == m_held.end())
        return {};
    QList<OutgoingMessage> messages;
    for (const HeldEvent &event : std::as_const(*held)) {
        if (event.seq > afterSeq)
            messages.append(event.message);
    }
    held->clear();
    return messages;
}

void Notifier::endHold(quint64 clientId)
{
    if (!m_overflowed.contains(clientId))
        m_held.remove(clientId);
}

} // namespace switchboard
