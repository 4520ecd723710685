// Notifier: which client wants which session event. Subscriptions are keyed by (org, user) and
// (org, session), so an event can never reach a client of another org; each subscribed client
// gets an event exactly once even when subscribed both ways. Subscriptions die with the client.
// While a client is being replayed to (resume), its live events are held back, in order, for
// whoever replays to take them afterwards.
#pragma once

#include "core/Hub.h"
#include "shared/BrowserProtocol.h"

#include <QHash>
#include <QObject>
#include <QSet>

namespace switchboard {

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
    // Encodes the event once and sends it to each subscriber once (or holds it for a held one);
    // returns how many got it.
    int notifySessionEvent(const protocol::browser::SessionEvent &event);
    // Whether the client would be sent this event now: same org as its verified context, subscribed
    // to the event's user or session, and for role user only its own user's events. For replays.
    bool isEntitled(quint64 clientId, const protocol::browser::SessionEvent &event) const;

    // Live events for the client wait from now on until endHold().
    void hold(quint64 clientId);
    bool isHeld(quint64 clientId) const { return m_held.contains(clientId); }
    // The events held so far with seq > afterSeq (older ones are covered by the replay), in order;
    // the client stays held.
    QList<OutgoingMessage> takeHeld(quint64 clientId, qint64 afterSeq);
    void endHold(quint64 clientId);
    // A held client that falls this far behind is dropped (like a slow client): it resumes again.
    static constexpr int kMaxHeldEvents = 10000;

private:
    using Key = std::pair<QString, QString>; // (orgId, userId | sessionId)
    // A client holds a handful of keys (usually its one user): lists, because Qt 6 gives a QSet a
    // 128-slot span on its first insert, 2.3 KB per connection (docs/BENCHMARKS.md, memory).
    struct Subscriptions
    {
        QList<Key> users;
        QList<Key> sessions;
    };

    struct HeldEvent
    {
        qint64 seq = 0;
        OutgoingMessage message;
    };

    Hub *m_hub;
    QHash<quint64, QList<HeldEvent>> m_held;
    QSet<quint64> m_overflowed; // held clients being dropped
    QHash<Key, QSet<quint64>> m_byUser;
    QHash<Key, QSet<quint64>> m_bySession;
    QHash<quint64, Subscriptions> m_byClient;
};

} // namespace switchboard
