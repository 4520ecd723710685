// The building blocks of the server's limits: a token bucket (messages per connection, handshakes
// per address), the per-address accounting of the front door, and a log that names each offender
// once a minute instead of once per refused frame. Time comes from the caller (milliseconds of a
// monotonic clock), so that tests need no sleeps.
#pragma once

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace switchboard {

// `rate` tokens per second up to `burst`; starts full. A default-constructed bucket never runs out.
class TokenBucket
{
public:
    TokenBucket() = default;
    TokenBucket(double ratePerSecond, double burst);
    // Bursts of twice the rate, at least one token: what every limit of the server uses.
    static TokenBucket perSecond(int rate);

    bool isUnlimited() const { return m_rate <= 0; }
    // Takes one token if there is one.
    bool take(qint64 nowMs);
    // True when the bucket has refilled completely by `nowMs` (it may be forgotten).
    bool isFull(qint64 nowMs) const;

private:
    void refill(qint64 nowMs);

    double m_rate = 0;
    double m_burst = 0;
    double m_tokens = 0;
    qint64 m_lastMs = -1;
};

using Subnet = QPair<QHostAddress, int>;

// "10.0.0.0/8", "::1/128", or a bare address (a single-address subnet); nullopt when invalid.
std::optional<Subnet> parseSubnetOrAddress(const QString &text);

// Open connections and the handshake rate per source address. IPv4-mapped IPv6 addresses count
// as their IPv4 address, and IPv6 addresses per /64 (what one subscriber usually holds).
class AddressLimiter
{
public:
    struct Limits
    {
        int maxConnections = 0;      // 0 = unlimited
        int handshakesPerSecond = 0; // 0 = unlimited; bursts of twice as many
        QList<Subnet> exempt;
    };

    AddressLimiter() = default;
    explicit AddressLimiter(const Limits &limits);

    // The key an address is counted under (see above); shown in logs.
    static QHostAddress sourceOf(const QHostAddress &peer);
    bool isExempt(const QHostAddress &peer) const;

    // Counts a new connection; false (nothing counted) when the source has maxConnections already.
    bool openConnection(const QHostAddress &peer);
    void closeConnection(const QHostAddress &peer);
    int connections(const QHostAddress &peer) const;

    // One request head or WebSocket handshake; false when over the rate.
    bool allowHandshake(const QHostAddress &peer, qint64 nowMs);

private:
    void prune(qint64 nowMs);

    Limits m_limits;
    QHash<QHostAddress, int> m_connections;
    QHash<QHostAddress, TokenBucket> m_handshakes;
    qint64 m_lastPruneMs = 0;
};

// Counts every hit of every limit and says when to log one: the first hit of an offender, then
// at most once a minute for the same offender and limit.
class LimitLog
{
public:
    static constexpr qint64 kQuietMs = 60 * 1000;

    // Counts the hit; true when the caller should log it.
    bool hit(const QString &limit, const QString &offender, qint64 nowMs);
    quint64 hits(const QString &limit) const { return m_hits.value(limit); }
    QHash<QString, quint64> allHits() const { return m_hits; }

private:
    QHash<QString, quint64> m_hits;
    QHash<QString, qint64> m_lastLoggedMs; // limit + '|' + offender
    qint64 m_lastPruneMs = 0;
};

} // namespace switchboard
