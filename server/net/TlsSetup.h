// The server side of TLS: certificate, key and (optionally) the CAs of agent client certificates,
// read from PEM files into one QSslConfiguration with TLS 1.2 or later only.
#pragma once

#include "shared/Protocol.h"

#include <QSslConfiguration>
#include <QString>

namespace switchboard {

struct TlsFiles
{
    QString certFile;     // the server certificate first, then its intermediates
    QString keyFile;      // RSA or EC key, not encrypted
    QString clientCaFile; // empty = no client certificates are asked for
};

// An error (InvalidValue, naming the file) when a file is unreadable, holds no certificate or the
// key does not parse (a key that does not match the certificate fails every handshake). With a client CA the
// server asks for a client certificate without requiring one (browsers have none); whether a presented one
// verified is in HttpRequest::clientCertificate (unset when none did).
protocol::Decoded<QSslConfiguration> loadServerTls(const TlsFiles &files);

} // namespace switchboard
