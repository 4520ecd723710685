#include "net/TlsSetup.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

protocol::Error invalidFile(const QString &field, const QString &message)
{
    return protocol::Error{protocol::ErrorCode::InvalidValue, message, field, {}};
}

protocol::Decoded<QByteArray> readFile(const QString &path, const QString &field)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return invalidFile(field, u"cannot read %1 (--%2): %3"_s.arg(path, field, file.errorString()));
    return file.readAll();
}

std::optional<QSslKey> parseKey(const QByteArray &pem)
{
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    return std::nullopt;
}

} // namespace

protocol::Decoded<QSslConfiguration> loadServerTls(const TlsFiles &files)
{
    if (!QSslSocket::supportsSsl())
        return protocol::Error{protocol::ErrorCode::Unavailable,
                               u"TLS is configured but no TLS backend is available (is OpenSSL installed?)"_s,
                               u"tls-cert"_s,
                               {}};
    const auto certPem = readFile(files.certFile, u"tls-cert"_s);
    if (!certPem)
        return certPem.error();
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem.value(), QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull())
        return invalidFile(u"tls-cert"_s, u"%1 (--tls-cert) holds no PEM certificate"_s.arg(files.certFile));

    const auto keyPem = readFile(files.keyFile, u"tls-key"_s);
    if (!keyPem)
        return keyPem.error();
    const auto key = parseKey(keyPem.value());
    if (!key)
        return invalidFile(u"tls-key"_s,
                           u"%1 (--tls-key) holds no unencrypted PEM private key"_s.arg(files.keyFile));

    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(*key);
    if (files.clientCaFile.isEmpty()) {
        configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
        configuration.setCaCertificates({});
    } else {
        const auto caPem = readFile(files.clientCaFile, u"tls-client-ca"_s);
        if (!caPem)
            return caPem.error();
        const QList<QSslCertificate> authorities = QSslCertificate::fromData(caPem.value(), QSsl::Pem);
        if (authorities.isEmpty())
            return invalidFile(u"tls-client-ca"_s,
                               u"%1 (--tls-client-ca) holds no PEM certificate"_s.arg(files.clientCaFile));
        // Only these CAs vouch for clients, never the system's.
        configuration.setCaCertificates(authorities);
        configuration.setPeerVerifyMode(QSslSocket::QueryPeer);
    }
    return configuration;
}

} // namespace switchboard
