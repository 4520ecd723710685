#include "net/RateLimit.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

constexpr qint64 kPruneIntervalMs = 10 * 1000;

} // namespace

TokenBucket::TokenBucket(double ratePerSecond, double burst)
    : m_rate(ratePerSecond)
    , m_burst(std::max(burst, 1.0))
    , m_tokens(m_burst)
{}

TokenBucket TokenBucket::perSecond(int rate)
{
    if (rate <= 0)
        return {};
    return TokenBucket(rate, 2.0 * rate);
}

void TokenBucket::refill(qint64 nowMs)
{
    if (m_lastMs >= 0 && nowMs > m_lastMs)
        m_tokens = std::min(m_burst, m_tokens + double(nowMs - m_lastMs) * m_rate / 1000.0);
    if (m_lastMs < 0 || nowMs > m_lastMs)
        m_lastMs = nowMs;
}

bool TokenBucket::take(qint64 nowMs)
{
    if (isUnlimited())
        return true;
    refill(nowMs);
    if (m_tokens < 1.0)
        return false;
    m_tokens -= 1.0;
    return true;
}

bool TokenBucket::isFull(qint64 nowMs) const
{
    if (isUnlimited() || m_lastMs < 0)
        return true;
    return m_tokens + double(std::max<qint64>(0, nowMs - m_lastMs)) * m_rate / 1000.0 >= m_burst;
}

std::optional<Subnet> parseSubnetOrAddress(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return std::nullopt;
    QString subnet = trimmed;
    if (!subnet.contains(u'/'))
        subnet += subnet.contains(u':') ? "/128"_L1 : "/32"_L1;
    const Subnet parsed = QHostAddress::parseSubnet(subnet);
    if (parsed.second < 0 || parsed.first.isNull())
        return std::nullopt;
    return parsed;
}

AddressLimiter::AddressLimiter(const Limits &limits)
    : m_limits(limits)
{}

QHostAddress AddressLimiter::sourceOf(const QHostAddress &peer)
{
    bool isIpv4 = false;
    const quint32 ipv4 = peer.toIPv4Address(&isIpv4);
    if (isIpv4)
        return QHostAddress(ipv4);
    if (peer.protocol() != QAbstractSocket::IPv6Protocol)
        return peer;
    Q_IPV6ADDR bytes = peer.toIPv6Address();
    std::fill(std::begin(bytes.c) + 8, std::end(bytes.c), quint8(0));
    return QHostAddress(bytes);
}

bool AddressLimiter::isExempt(const QHostAddress &peer) const
{
    bool isIpv4 = false;
    const quint32 ipv4 = peer.toIPv4Address(&isIpv4);
    const QHostAddress address = isIpv4 ? QHostAddress(ipv4) : peer;
    return std::any_of(m_limits.exempt.cbegin(), m_limits.exempt.cend(),
                       [&](const Subnet &subnet) { return address.isInSubnet(subnet); });
}

bool AddressLimiter::openConnection(const QHostAddress &peer)
{
    const QHostAddress source = sourceOf(peer);
    int &count = m_connections[source];
    if (m_limits.maxConnections > 0 && count >= m_limits.maxConnections && !isExempt(peer)) {
        if (count == 0)
            m_connections.remove(source);
        return false;
    }
    ++count;
    return true;
}

void AddressLimiter::closeConnection(const QHostAddress &peer)
{
    const auto it = m_connections.find(sourceOf(peer));
    if (it == m_connections.end())
        return;
    if (--*it <= 0)
        m_connections.erase(it);
}

int AddressLimiter::connections(const QHostAddress &peer) const
{
    return m_connections.value(sourceOf(peer));
}

bool AddressLimiter::allowHandshake(const QHostAddress &peer, qint64 nowMs)
{
    if (m_limits.handshakesPerSecond <= 0 || isExempt(peer))
        return true;
    prune(nowMs);
    const QHostAddress source = sourceOf(peer);
    auto it = m_handshakes.find(source);
    if (it == m_handshakes.end())
        it = m_handshakes.insert(source, TokenBucket::perSecond(m_limits.handshakesPerSecond));
    return it->take(nowMs);
}

void AddressLimiter::prune(qint64 nowMs)
{
    if (nowMs - m_lastPruneMs < kPruneIntervalMs)
        return;
    m_lastPruneMs = nowMs;
    // A full bucket is the same as no bucket: forgetting it bounds memory by the addresses seen
    // within the last few seconds.
    m_handshakes.removeIf([nowMs](const auto &entry) { return entry.value().isFull(nowMs); });
}

bool LimitLog::hit(const QString &limit, const QString &offender, qint64 nowMs)
{
    ++m_hits[limit];
    if (nowMs - m_lastPruneMs >= kQuietMs) {
        m_lastPruneMs = nowMs;
        m_lastLoggedMs.removeIf([nowMs](const auto &entry) { return nowMs - entry.value() >= kQuietMs; });
    }
    const QString key = limit + u'|' + offender;
    const auto it = m_lastLoggedMs.constFind(key);
    if (it != m_lastLoggedMs.cend() && nowMs - it.value() < kQuietMs)
        return false;
    m_lastLoggedMs.insert(key, nowMs);
    return true;
}

} // namespace switchboard
