// One HTTP/1.1 request as the front door received it. parseHead() is strict: anything it cannot
// read unambiguously is an error, since every byte of it comes from an unauthenticated peer.
#pragma once

#include "shared/Protocol.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QSslCertificate>
#include <QString>
#include <QUrlQuery>

#include <optional>
#include <utility>

namespace switchboard {

using HttpHeaderList = QList<std::pair<QByteArray, QByteArray>>;

inline constexpr int kMaxHttpHeaderCount = 100;

struct HttpRequest
{
    QByteArray method;      // e.g. GET (case-sensitive, as sent)
    QByteArray target;      // the request-target as sent; its query may carry a token: never log it
    QString path;           // percent-decoded path of the target
    QUrlQuery query;        // the target's query; read values with queryValue()
    QByteArray version;     // HTTP/1.1 or HTTP/1.0
    HttpHeaderList headers; // in order received; names as sent, values without surrounding blanks
    QByteArray body;
    QHostAddress peerAddress;
    quint16 peerPort = 0;
    bool secure = false; // arrived over TLS
    // The client's certificate, set only when it verified against the configured client CA. Optional
    // rather than a null QSslCertificate: constructing one initialises Qt's TLS backend, a cost every
    // plain-HTTP request would pay.
    std::optional<QSslCertificate> clientCertificate;

    // First value of a header (names compare case-insensitively); empty when absent.
    QByteArray header(QByteArrayView name) const;
    QList<QByteArray> headerValues(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    // A cookie from the Cookie header(s) ("a=b; c=d"), surrounding quotes removed; empty if absent.
    QByteArray cookie(QByteArrayView name) const;
    // The first fully decoded value of a query parameter; empty when absent.
    QString queryValue(const QString &key) const;
    bool hasQueryItem(const QString &key) const;
    // Content-Length, validated by parseHead(); 0 when absent.
    qint64 contentLength() const;
    // GET with an Upgrade header naming websocket.
    bool isWebSocketUpgrade() const;

    // Parses a request head: request line and header lines, each ending in CRLF, optionally
    // followed by the empty line that ends the head. Errors (code InvalidValue, or FrameTooLarge
    // when the head exceeds maxHeaderBytes or has more than kMaxHttpHeaderCount headers) say
    // what is wrong; header lines folded onto several lines (obs-fold) are rejected.
    static protocol::Decoded<HttpRequest> parseHead(QByteArrayView head, int maxHeaderBytes);
};

} // namespace switchboard
