#include "core/BrowserEndpoint.h"

#include "core/Continuation.h"
#include "core/EventJournal.h"
#include "core/Hub.h"
#include "core/Manager.h"
#include "core/Notifier.h"
#include "core/ReplayStream.h"
#include "storage/Store.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcBrowser, "switchboard.browser")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;
namespace browser = protocol::browser;

namespace {

// The longest id a subscribe frame may carry (see decodeClientMessage); URL values get the same.
constexpr qsizetype kMaxUrlIdLength = 256;

Error makeError(ErrorCode code, const QString &message, const QString &field, const QString &requestId)
{
    return Error{code, message, field, requestId};
}

// The same words for a session that does not exist and for one of another org, so that a client
// cannot learn which session ids exist elsewhere.
Error sessionNotFound(const QString &sessionId, const QString &requestId)
{
    return makeError(ErrorCode::NotFound, u"session %1 not found"_s.arg(sessionId), u"sessionId"_s,
                     requestId);
}

} // namespace

BrowserEndpoint::BrowserEndpoint(Store *store, Hub *hub, Notifier *notifier, EventJournal *journal,
                                 Manager *manager, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_hub(hub)
    , m_notifier(notifier)
    , m_journal(journal)
    , m_manager(manager)
{
    connect(m_hub, &Hub::clientRemoved, this,
            [this](quint64 clientId, const BrowserClient &) { m_resuming.remove(clientId); });
}

void BrowserEndpoint::clientJoined(quint64 clientId, const QUrlQuery &query)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client || client->kind != ClientKind::Sessions)
        return;
    const OrgContext caller = client->context; // a copy: an error sent below may drop the client
    if (!caller.userId.isEmpty())
        m_notifier->subscribeUser(clientId, caller.orgId, caller.userId);

    // The original's ?user_id= / ?session_id=, under the same rules as subscribe messages. They
    // are not frames: a refusal is reported to the client but not counted against it.
    const auto fromUrl = [&](const QString &key, const QString &field) -> std::optional<QString> {
        const QString value = query.queryItemValue(key, QUrl::FullyDecoded);
        if (value.isEmpty())
            return std::nullopt;
        if (value.size() > kMaxUrlIdLength) {
            refuse(clientId, Origin::Url,
                   makeError(ErrorCode::InvalidValue,
                             u"%1: must be at most %2 characters"_s.arg(key).arg(kMaxUrlIdLength), field,
                             {}));
            return std::nullopt;
        }
        return value;
    };
    const std::optional<QString> userId = fromUrl(u"user_id"_s, u"userId"_s);
    if (userId && *userId != caller.userId)
        subscribe(clientId, {}, browser::Subscribe{*userId, {}}, Origin::Url);
    const std::optional<QString> sessionId = fromUrl(u"session_id"_s, u"sessionId"_s);
    if (sessionId)
        subscribe(clientId, {}, browser::Subscribe{{}, *sessionId}, Origin::Url);

    // After the subscriptions: a session lookup queued above answers before the history does, so
    // the replay is filtered by every subscription the URL asked for.
    if (!m_hub->client(clientId) || !query.hasQueryItem(u"since"_s))
        return;
    const QString since = query.queryItemValue(u"since"_s, QUrl::FullyDecoded);
    const std::optional<qint64> seq = browser::parseSeq(since);
    if (!seq) {
        refuse(clientId, Origin::Url,
               makeError(ErrorCode::InvalidValue,
                         u"since: expected a sequence number 0..%1"_s.arg(browser::kMaxSeq), u"since"_s, {}));
        return;
    }
    // A missing or overlong epoch is simply not this history's: the client resyncs.
    const QString epoch =
        query.queryItemValue(u"epoch"_s, QUrl::FullyDecoded).left(browser::kMaxEpochLength + 1);
    resume(clientId, {}, browser::Resume{*seq, epoch}, Origin::Url);
}

void BrowserEndpoint::handleMessage(quint64 clientId, const QByteArray &utf8)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return;
    Decoded<browser::ClientMessage> decoded = browser::decodeClientMessage(utf8);
    if (!decoded) {
        m_hub->reportBadFrame(clientId, decoded.error());
        return;
    }
    const browser::ClientMessage &message = decoded.value();

    if (std::holds_alternative<browser::ClientPing>(message.request)) {
        m_hub->reportGoodFrame(clientId);
        m_hub->send(clientId, browser::encodePong(message.requestId));
        return;
    }
    if (client->kind != ClientKind::Sessions) {
        m_hub->reportBadFrame(clientId,
                              makeError(ErrorCode::Forbidden,
                                        u"this stream only answers ping; subscribe on /api/v1/ws/sessions"_s,
                                        u"type"_s, message.requestId));
        return;
    }
    if (const auto *wanted = std::get_if<browser::Subscribe>(&message.request))
        subscribe(clientId, message.requestId, *wanted, Origin::Frame);
    else if (const auto *unwanted = std::get_if<browser::Unsubscribe>(&message.request))
        unsubscribe(clientId, message.requestId, *unwanted);
    else if (const auto *resumed = std::get_if<browser::Resume>(&message.request))
        resume(clientId, message.requestId, *resumed, Origin::Frame);
}

void BrowserEndpoint::resume(quint64 clientId, const QString &requestId, const browser::Resume &request,
                             Origin origin)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return;
    if (!m_journal || !m_manager) {
        refuse(clientId, origin,
               makeError(ErrorCode::Unavailable, u"this server keeps no event history"_s, u"since"_s,
                         requestId));
        return;
    }
    if (m_resuming.contains(clientId)) {
        refuse(clientId, origin,
               makeError(ErrorCode::Conflict, u"a resume is already running on this connection"_s, u"since"_s,
                         requestId));
        return;
    }
    if (origin == Origin::Frame)
        m_hub->reportGoodFrame(clientId);
    m_resuming.insert(clientId);
    // From here until the replay is out, live events for this client wait; the history read below
    // queues behind every event already being stored, so together they leave no gap.
    m_notifier->hold(clientId);
    const QString orgId = client->context.orgId;
    whenFinished(
        this, m_journal->history(orgId, request.since),
        [this, clientId, requestId, request, orgId](const Decoded<EventHistory> &found) {
            if (!m_hub->client(clientId))
                return;
            if (!found) {
                qCWarning(lcBrowser) << "event history of org" << orgId << "for client" << clientId
                                     << "unavailable:" << found.error().message;
                m_hub->send(clientId,
                            browser::encodeError(makeError(
                                ErrorCode::Unavailable, u"could not read the event history; resume again"_s,
                                u"since"_s, requestId)));
                finishResume(clientId, 0, {});
                return;
            }
            const EventHistory &history = found.value();
            if (request.epoch != history.epoch || !history.reachesBack(request.since) || history.truncated) {
                qCInfo(lcBrowser) << "client" << clientId << "of org" << orgId << "resumed from"
                                  << request.since << "but the history holds" << history.oldestSeq << "to"
                                  << history.latestSeq
                                  << (request.epoch == history.epoch ? "" : "(another epoch)") << "; resync";
                m_hub->send(clientId, browser::encodeResyncRequired(history.epoch, history.latestSeq));
                const qint64 latest = history.latestSeq;
                // Held events up to `latest` are in the fresh state; newer ones follow it.
                m_manager->sendSessionsTo(clientId, [this, clientId, requestId, latest] {
                    QList<OutgoingMessage> first;
                    if (!requestId.isEmpty())
                        first.append(OutgoingMessage::fromUtf8(
                            browser::encodeReply(requestId, QJsonObject{{u"resync"_s, true}})));
                    finishResume(clientId, latest, first);
                });
                return;
            }
            QList<OutgoingMessage> frames;
            for (const browser::SessionEvent &event : history.events) {
                if (m_notifier->isEntitled(clientId, event))
                    frames.append(OutgoingMessage::fromUtf8(browser::encodeSessionEvent(event)));
            }
            const qsizetype replayed = frames.size();
            qCDebug(lcBrowser) << "client" << clientId << "of org" << orgId << "replayed" << replayed << "of"
                               << history.events.size() << "events after" << request.since;
            if (!requestId.isEmpty())
                frames.append(OutgoingMessage::fromUtf8(
                    browser::encodeReply(requestId, QJsonObject{{u"replayed"_s, qint64(replayed)}})));
            finishResume(clientId, history.latestSeq, frames);
        });
}

void BrowserEndpoint::finishResume(quint64 clientId, qint64 afterSeq, QList<OutgoingMessage> first)
{
    ReplayStream::start(
        m_hub, clientId, std::move(first),
        [this, clientId, afterSeq] { return m_notifier->takeHeld(clientId, afterSeq); },
        [this, clientId](bool) {
            m_notifier->endHold(clientId);
            m_resuming.remove(clientId);
        },
        this);
}

void BrowserEndpoint::subscribe(quint64 clientId, const QString &requestId, const browser::Subscribe &request,
                                Origin origin)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return;
    const OrgContext caller = client->context;

    if (subscriptionsFull(clientId, origin, request.userId.isEmpty() ? u"sessionId"_s : u"userId"_s,
                          requestId))
        return;

    if (!request.userId.isEmpty()) {
        if (caller.role == Role::User && request.userId != caller.userId) {
            refuse(clientId, origin,
                   makeError(ErrorCode::Forbidden,
                             u"role user may only subscribe to their own user, not %1"_s.arg(request.userId),
                             u"userId"_s, requestId));
            return;
        }
        // Any other role: any user, but only inside the caller's own org (the key carries it).
        m_notifier->subscribeUser(clientId, caller.orgId, request.userId);
        accept(clientId, origin, requestId,
               QJsonObject{{u"subscribed"_s, QJsonObject{{u"userId"_s, request.userId}}}});
        return;
    }

    const QString sessionId = request.sessionId;
    whenFinished(
        this, m_store->getSession(sessionId),
        [this, clientId, requestId, sessionId, caller, origin](const Decoded<protocol::SessionInfo> &found) {
            if (!m_hub->client(clientId))
                return; // left while we looked
            if (!found) {
                if (found.error().code == ErrorCode::NotFound) {
                    refuse(clientId, origin, sessionNotFound(sessionId, requestId));
                } else {
                    qCWarning(lcBrowser)
                        << "session lookup for client" << clientId << "failed:" << found.error().message;
                    refuse(clientId, origin,
                           makeError(ErrorCode::Unavailable,
                                     u"could not look up session %1; try again"_s.arg(sessionId),
                                     u"sessionId"_s, requestId));
                }
                return;
            }
            const protocol::SessionInfo &session = found.value();
            if (session.orgId != caller.orgId) {
                qCInfo(lcBrowser) << "client" << clientId << "of org" << caller.orgId
                                  << "asked for a session of another org";
                refuse(clientId, origin, sessionNotFound(sessionId, requestId));
                return;
            }
            if (caller.role == Role::User && session.userId != caller.userId) {
                refuse(
                    clientId, origin,
                    makeError(
                        ErrorCode::Forbidden,
                        u"session %1 belongs to another user; role user may only subscribe to their own sessions"_s
                            .arg(sessionId),
                        u"sessionId"_s, requestId));
                return;
            }
            // Checked again: many lookups may have been in flight when the first check passed.
            if (subscriptionsFull(clientId, origin, u"sessionId"_s, requestId))
                return;
            m_notifier->subscribeSession(clientId, caller.orgId, sessionId);
            accept(clientId, origin, requestId,
                   QJsonObject{{u"subscribed"_s, QJsonObject{{u"sessionId"_s, sessionId}}}});
        });
}

void BrowserEndpoint::unsubscribe(quint64 clientId, const QString &requestId,
                                  const browser::Unsubscribe &request)
{
    const BrowserClient *client = m_hub->client(clientId);
    if (!client)
        return;
    const QString orgId = client->context.orgId;
    const bool byUser = !request.userId.isEmpty();
    const bool removed = byUser ? m_notifier->unsubscribeUser(clientId, orgId, request.userId)
                                : m_notifier->unsubscribeSession(clientId, orgId, request.sessionId);
    const QString field = byUser ? u"userId"_s : u"sessionId"_s;
    const QString target = byUser ? request.userId : request.sessionId;
    if (!removed) {
        refuse(clientId, Origin::Frame,
               makeError(ErrorCode::NotFound,
                         u"not subscribed to %1 %2"_s.arg(byUser ? u"user"_s : u"session"_s, target), field,
                         requestId));
        return;
    }
    accept(clientId, Origin::Frame, requestId,
           QJsonObject{{u"unsubscribed"_s, QJsonObject{{field, target}}}});
}

void BrowserEndpoint::accept(quint64 clientId, Origin origin, const QString &requestId,
                             const QJsonObject &result)
{
    // Subscriptions from the URL are confirmed by the events that follow; frames get a reply.
    if (origin == Origin::Url)
        return;
    m_hub->reportGoodFrame(clientId);
    m_hub->send(clientId, browser::encodeReply(requestId, result));
}

bool BrowserEndpoint::subscriptionsFull(quint64 clientId, Origin origin, const QString &field,
                                        const QString &requestId)
{
    if (m_notifier->subscriptionCount(clientId) < m_maxSubscriptions)
        return false;
    m_hub->reportLimitHit(clientId, u"subscriptions"_s,
                          u"asked for more than %1 subscriptions"_s.arg(m_maxSubscriptions));
    refuse(clientId, origin,
           makeError(
               ErrorCode::LimitExceeded,
               u"subscription limit reached (%1 per connection); unsubscribe first"_s.arg(m_maxSubscriptions),
               field, requestId));
    return true;
}

void BrowserEndpoint::refuse(quint64 clientId, Origin origin, const Error &error)
{
    if (origin == Origin::Url)
        m_hub->send(clientId, browser::encodeError(error));
    else
        m_hub->reportBadFrame(clientId, error);
}

} // namespace switchboard
