// BrowserEndpoint: what /api/v1/ws/sessions clients may ask. Applies the subscription rules from
// the caller's verified OrgContext: everything inside the caller's org; a `user` only their own
// user and their own sessions. Refusals name the reason. Also sets up the default subscriptions
// of a new client (its own user, plus ?user_id= / ?session_id= from the URL).
#pragma once

#include "shared/BrowserProtocol.h"

#include <QObject>
#include <QUrlQuery>

namespace switchboard {

class Hub;
class Notifier;
class Store;

class BrowserEndpoint : public QObject
{
    Q_OBJECT
public:
    BrowserEndpoint(Store *store, Hub *hub, Notifier *notifier, QObject *parent = nullptr);

    // A sessions client joined (already added to the Hub): default + URL subscriptions.
    void clientJoined(quint64 clientId, const QUrlQuery &query);
    // One frame from a sessions or cluster client.
    void handleMessage(quint64 clientId, const QByteArray &utf8);

    // Bounds what one connection can make the server remember.
    static constexpr int kMaxSubscriptionsPerClient = 256;

private:
    // Where a subscription request came from: a frame is answered with a reply or counted as a bad
    // frame; a URL parameter only gets an error frame when it is refused.
    enum class Origin { Frame, Url };

    void subscribe(quint64 clientId, const QString &requestId, const protocol::browser::Subscribe &request,
                   Origin origin);
    void unsubscribe(quint64 clientId, const QString &requestId,
                     const protocol::browser::Unsubscribe &request);
    void accept(quint64 clientId, Origin origin, const QString &requestId, const QJsonObject &result);
    void refuse(quint64 clientId, Origin origin, const protocol::Error &error);

    Store *m_store;
    Hub *m_hub;
    Notifier *m_notifier;
};

} // namespace switchboard
