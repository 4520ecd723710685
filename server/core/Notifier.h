// Notifier: which client wants which session event. Subscriptions are keyed by (org, user) and
// (org, session), so an event can never reach a client of another org; each subscribed client
// gets an event exactly once even when subscribed both ways. Subscriptions die with the client.
#pragma once

#include "shared/BrowserProtocol.h"

#include <QHash>
#include <QObject>
#include <QSet>

namespace switchboard {

class Hub;

class Notifier : public QObject
{
    Q_OBJECT
public:
    explicit Notifier(Hub *hub, QObject *parent = nullptr);

    void subscribeUser(quint64 clientId, const QString &orgId, const QString &userId);
    void subscribeSession(quint64 clientId, const QString &orgId, const QString &sessionId);
    bool unsubscribeUser(quint64 clientId, const QString &orgId, const QString &userId);
    bool unsubscribeSession(quint64 clientId, const QString &orgId, const QString &sessionId);
    void unsubscribeClient(quint64 clientId);
    int subscriptionCount(quint64 clientId) const;

    // The clients an event is for (org-checked, deduplicated).
    QSet<quint64> subscribersOf(const protocol::browser::SessionEvent &event) const;
    // Encodes the event once and sends it to each subscriber once; returns how many got it.
    int notifySessionEvent(const protocol::browser::SessionEvent &event);

private:
    using Key = std::pair<QString, QString>; // (orgId, userId | sessionId)
    struct Subscriptions
    {
        QSet<Key> users;
        QSet<Key> sessions;
    };

    Hub *m_hub;
    QHash<Key, QSet<quint64>> m_byUser;
    QHash<Key, QSet<quint64>> m_bySession;
    QHash<quint64, Subscriptions> m_byClient;
};

} // namespace switchboard
