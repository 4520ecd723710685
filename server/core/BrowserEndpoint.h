// BrowserEndpoint: what /api/v1/ws/sessions clients may ask. Applies the subscription rules from
// the caller's verified OrgContext: everything inside the caller's org; a `user` only their own
// user and their own sessions. Refusals name the reason. Also sets up the default subscriptions
// of a new client (its own user, plus ?user_id= / ?session_id= from the URL), and resumes a client
// that reconnects (?since=&epoch= or a resume frame): the events it missed and is entitled to, in
// seq order, then its live events, or resync_required and a fresh sessions_update.
#pragma once

#include "core/Hub.h"
#include "shared/BrowserProtocol.h"

#include <QObject>
#include <QSet>
#include <QUrlQuery>

namespace switchboard {

class EventJournal;
class Hub;
class Manager;
class Notifier;
class Store;

class BrowserEndpoint : public QObject
{
    Q_OBJECT
public:
    // Without a journal (or manager), resume requests are answered `unavailable`.
    BrowserEndpoint(Store *store, Hub *hub, Notifier *notifier, EventJournal *journal = nullptr,
                    Manager *manager = nullptr, QObject *parent = nullptr);

    // A sessions client joined (already added to the Hub): default + URL subscriptions, then the
    // resume of ?since=&epoch= if given.
    void clientJoined(quint64 clientId, const QUrlQuery &query);
    // One frame from a sessions or cluster client.
    void handleMessage(quint64 clientId, const QByteArray &utf8);

    // Bounds what one connection can make the server remember (the default of
    // [limits] max_subscriptions_per_client; setMaxSubscriptions changes it).
    static constexpr int kMaxSubscriptionsPerClient = 256;
    void setMaxSubscriptions(int max) { m_maxSubscriptions = max; }
    int maxSubscriptions() const { return m_maxSubscriptions; }

private:
    // Where a subscription request came from: a frame is answered with a reply or counted as a bad
    // frame; a URL parameter only gets an error frame when it is refused.
    enum class Origin { Frame, Url };

    void subscribe(quint64 clientId, const QString &requestId, const protocol::browser::Subscribe &request,
                   Origin origin);
    void unsubscribe(quint64 clientId, const QString &requestId,
                     const protocol::browser::Unsubscribe &request);
    void resume(quint64 clientId, const QString &requestId, const protocol::browser::Resume &request,
                Origin origin);
    // Sends `first`, then the live events held meanwhile that are newer than afterSeq, then lets
    // live events through again.
    void finishResume(quint64 clientId, qint64 afterSeq, QList<OutgoingMessage> first);
    void accept(quint64 clientId, Origin origin, const QString &requestId, const QJsonObject &result);
    void refuse(quint64 clientId, Origin origin, const protocol::Error &error);
    // True (and the request refused with limit_exceeded) when the client has no room for another
    // subscription.
    bool subscriptionsFull(quint64 clientId, Origin origin, const QString &field, const QString &requestId);

    Store *m_store;
    Hub *m_hub;
    Notifier *m_notifier;
    EventJournal *m_journal;
    Manager *m_manager;
    QSet<quint64> m_resuming;
    int m_maxSubscriptions = kMaxSubscriptionsPerClient;
};

} // namespace switchboard
