// TokenRevocations: the revoked JWT ids of this replica. Stored first (token_revocations), then
// kept in a RevocationList that the Authenticator asks on every authentication; a revocation also
// closes this replica's open connections that authenticated with the token (4004 "token
// revoked"). Entries go when the token they name has expired. In cluster mode every replica
// reloads the list from storage periodically, so a revocation made on one replica reaches the
// others within that period (and their open connections are closed then).
#pragma once

#include "net/RevocationList.h"
#include "shared/Protocol.h"
#include "storage/StorageTypes.h"

#include <QFuture>
#include <QObject>
#include <QTimer>

#include <chrono>

namespace switchboard {

class Hub;
class Store;

class TokenRevocations : public QObject
{
    Q_OBJECT
public:
    // Close code for connections whose token was revoked.
    static constexpr int kCloseTokenRevoked = 4004;
    // The expiry of a revocation whose token's exp was not given: the longest lifetime `token
    // issue` gives, so that the entry outlives any token this server minted.
    static constexpr std::chrono::seconds kDefaultLifetime{366LL * 24 * 3600};

    TokenRevocations(Store *store, Hub *hub, QObject *parent = nullptr);

    const RevocationList &list() const { return m_list; }

    // Reads the stored revocations (dropping expired ones) and blocks until done: for start-up,
    // before anything listens.
    protocol::Decoded<int> loadNow();
    // Stores the revocation, then refuses the token and closes the connections using it.
    // Unavailable when storage fails (then nothing changed).
    QFuture<protocol::Decoded<TokenRevocation>> revoke(const TokenRevocation &revocation);
    // The revocations in force (read from storage, so other replicas' count too).
    QFuture<protocol::Decoded<QList<TokenRevocation>>> active();
    // Replaces the list with storage's and closes connections of newly revoked tokens; every
    // `interval` from now on (0 = only the in-memory pruning, once an hour).
    void startReloading(std::chrono::milliseconds interval);
    void reload();

Q_SIGNALS:
    void revoked(const QString &jti);
    void reloaded(int count);

private:
    void apply(const QList<TokenRevocation> &revocations, bool replace);
    // Closes every Hub client whose token has this jti; returns how many.
    int closeConnectionsUsing(const QString &jti);

    Store *m_store;
    Hub *m_hub;
    RevocationList m_list;
    QTimer m_timer;
    bool m_reloading = false;
    bool m_pruneOnly = false;
};

} // namespace switchboard
