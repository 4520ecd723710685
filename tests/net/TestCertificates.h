// Throwaway certificates for TLS tests, made with the openssl command line at test time: a CA,
// a server certificate for 127.0.0.1/localhost, client certificates issued by the CA for given
// common names, and a self-signed "rogue" client certificate no CA vouches for.
#pragma once

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <optional>

namespace switchboard::test {

class TestCertificates
{
public:
    struct Pair
    {
        QString certFile;
        QString keyFile;
    };

    // False (with `error()`) when openssl is missing or fails.
    bool create(const QStringList &clientNames)
    {
        if (!m_dir.isValid())
            return fail(QStringLiteral("no temporary directory"));
        if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty())
            return fail(QStringLiteral("openssl is not installed"));
        if (!writeFile(QStringLiteral("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                                     "extendedKeyUsage=serverAuth\n") ||
            !writeFile(QStringLiteral("client.ext"), "extendedKeyUsage=clientAuth\n"))
            return fail(QStringLiteral("cannot write extension files"));
        if (!openssl({QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                      QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                      QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                      QStringLiteral("-keyout"), path(QStringLiteral("ca.key")), QStringLiteral("-out"),
                      path(QStringLiteral("ca.pem")), QStringLiteral("-days"), QStringLiteral("2"),
                      QStringLiteral("-subj"), QStringLiteral("/CN=Switchboard Test CA")}))
            return false;
        if (!issue(QStringLiteral("server"), QStringLiteral("localhost"), QStringLiteral("server.ext")))
            return false;
        for (const QString &name : clientNames) {
            if (!issue(QStringLiteral("client-") + name, name, QStringLiteral("client.ext")))
                return false;
        }
        // Same common name as a real agent, but signed by nobody we trust.
        return openssl({QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                        QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                        QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                        QStringLiteral("-keyout"), path(QStringLiteral("rogue.key")), QStringLiteral("-out"),
                        path(QStringLiteral("rogue.pem")), QStringLiteral("-days"), QStringLiteral("2"),
                        QStringLiteral("-subj"), QStringLiteral("/CN=") + clientNames.value(0)});
    }

    QString error() const { return m_error; }
    QString caFile() const { return path(QStringLiteral("ca.pem")); }
    Pair server() const { return {path(QStringLiteral("server.pem")), path(QStringLiteral("server.key"))}; }
    Pair client(const QString &name) const
    {
        return {path(QStringLiteral("client-") + name + QStringLiteral(".pem")),
                path(QStringLiteral("client-") + name + QStringLiteral(".key"))};
    }
    Pair rogue() const { return {path(QStringLiteral("rogue.pem")), path(QStringLiteral("rogue.key"))}; }
    QString path(const QString &name) const { return m_dir.filePath(name); }

    static QSslCertificate certificate(const QString &file)
    {
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly))
            return QSslCertificate();
        return QSslCertificate(f.readAll(), QSsl::Pem);
    }
    static QSslKey key(const QString &file)
    {
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly))
            return QSslKey();
        return QSslKey(f.readAll(), QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
    }

    // A client configuration trusting only the test CA, optionally presenting a certificate.
    QSslConfiguration clientConfiguration(const std::optional<Pair> &identity = std::nullopt) const
    {
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setCaCertificates(QSslCertificate::fromPath(caFile()));
        configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
        if (identity) {
            configuration.setLocalCertificate(certificate(identity->certFile));
            configuration.setPrivateKey(key(identity->keyFile));
        }
        return configuration;
    }

private:
    bool fail(const QString &message)
    {
        m_error = message;
        return false;
    }

    bool writeFile(const QString &name, const QByteArray &contents)
    {
        QFile file(path(name));
        return file.open(QIODevice::WriteOnly) && file.write(contents) == contents.size();
    }

    bool issue(const QString &base, const QString &commonName, const QString &extensions)
    {
        return openssl({QStringLiteral("req"), QStringLiteral("-new"), QStringLiteral("-newkey"),
                        QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                        QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                        QStringLiteral("-keyout"), path(base + QStringLiteral(".key")),
                        QStringLiteral("-out"), path(base + QStringLiteral(".csr")), QStringLiteral("-subj"),
                        QStringLiteral("/CN=") + commonName}) &&
               openssl({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"),
                        path(base + QStringLiteral(".csr")), QStringLiteral("-CA"), caFile(),
                        QStringLiteral("-CAkey"), path(QStringLiteral("ca.key")),
                        QStringLiteral("-set_serial"), QString::number(++m_serial), QStringLiteral("-days"),
                        QStringLiteral("2"), QStringLiteral("-extfile"), path(extensions),
                        QStringLiteral("-out"), path(base + QStringLiteral(".pem"))});
    }

    bool openssl(const QStringList &arguments)
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(QStringLiteral("openssl"), arguments);
        if (!process.waitForFinished(30000) || process.exitStatus() != QProcess::NormalExit ||
            process.exitCode() != 0)
            return fail(QStringLiteral("openssl %1 failed: %2")
                            .arg(arguments.join(u' '), QString::fromLocal8Bit(process.readAll())));
        return true;
    }

    QTemporaryDir m_dir;
    QString m_error;
    int m_serial = 1;
};

} // namespace switchboard::test
