#include "core/TokenRevocations.h"

#include "core/Continuation.h"
#include "core/Hub.h"
#include "storage/Store.h"

#include <QLoggingCategory>
#include <QPromise>

#include <memory>

Q_LOGGING_CATEGORY(lcRevocations, "switchboard.revocations")

using namespace Qt::StringLiterals;

namespace switchboard {

using protocol::Decoded;

TokenRevocations::TokenRevocations(Store *store, Hub *hub, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_hub(hub)
{
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (m_pruneOnly)
            m_list.prune(QDateTime::currentDateTimeUtc());
        else
            reload();
    });
}

Decoded<int> TokenRevocations::loadNow()
{
    const auto loaded = m_store->activeTokenRevocations(QDateTime::currentDateTimeUtc()).result();
    if (!loaded)
        return loaded.error();
    apply(loaded.value(), true);
    return int(loaded.value().size());
}

QFuture<Decoded<TokenRevocation>> TokenRevocations::revoke(const TokenRevocation &revocation)
{
    auto promise = std::make_shared<QPromise<Decoded<TokenRevocation>>>();
    promise->start();
    QFuture<Decoded<TokenRevocation>> future = promise->future();
    whenFinished(this, m_store->revokeToken(revocation), [this, promise](Decoded<TokenRevocation> stored) {
        if (stored) {
            apply({stored.value()}, false);
            qCInfo(lcRevocations).noquote()
                << "token" << stored.value().jti << "revoked by" << stored.value().revokedBy << "until"
                << protocol::formatTimestamp(stored.value().expiresAt);
            Q_EMIT revoked(stored.value().jti);
        }
        promise->addResult(std::move(stored));
        promise->finish();
    });
    return future;
}

QFuture<Decoded<QList<TokenRevocation>>> TokenRevocations::active()
{
    return m_store->activeTokenRevocations(QDateTime::currentDateTimeUtc());
}

void TokenRevocations::startReloading(std::chrono::milliseconds interval)
{
    // Single node (no interval): the list only changes here, so reloading would find nothing new;
    // pruning keeps it from growing with revocations of long-expired tokens.
    m_pruneOnly = interval.count() <= 0;
    m_timer.start(m_pruneOnly ? std::chrono::milliseconds(std::chrono::hours(1)) : interval);
}

void TokenRevocations::reload()
{
    if (m_reloading)
        return;
    m_reloading = true;
    whenFinished(this, active(), [this](Decoded<QList<TokenRevocation>> loaded) {
        m_reloading = false;
        if (!loaded) {
            qCWarning(lcRevocations) << "could not reload token revocations:" << loaded.error().message;
            return;
        }
        apply(loaded.value(), true);
        Q_EMIT reloaded(int(loaded.value().size()));
    });
}

void TokenRevocations::apply(const QList<TokenRevocation> &revocations, bool replace)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    RevocationList next = replace ? RevocationList() : m_list;
    QStringList added;
    for (const TokenRevocation &revocation : revocations) {
        next.add(revocation.jti, revocation.expiresAt);
        if (!m_list.isRevoked(revocation.jti, now))
            added.append(revocation.jti);
    }
    next.prune(now);
    m_list = std::move(next);
    for (const QString &jti : std::as_const(added)) {
        if (const int closed = closeConnectionsUsing(jti))
            qCInfo(lcRevocations).noquote() << "closed" << closed << "connections of revoked token" << jti;
    }
}

int TokenRevocations::closeConnectionsUsing(const QString &jti)
{
    if (!m_hub || jti.isEmpty())
        return 0;
    QList<quint64> victims;
    for (ClientKind kind : {ClientKind::Sessions, ClientKind::Cluster, ClientKind::Admin, ClientKind::Logs}) {
        for (quint64 clientId : m_hub->clientsOfKind(kind)) {
            const BrowserClient *client = m_hub->client(clientId);
            if (client && client->context.jti == jti)
                victims.append(clientId);
        }
    }
    for (quint64 clientId : std::as_const(victims))
        m_hub->closeClient(clientId, static_cast<QWebSocketProtocol::CloseCode>(kCloseTokenRevoked),
                           u"token revoked"_s);
    return int(victims.size());
}

} // namespace switchboard
