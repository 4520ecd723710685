#include "config/JwtSecretFile.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryFile>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

constexpr qsizetype kMaxSecretFileBytes = 4096;

protocol::Error fileError(const QString &message)
{
    return protocol::Error{protocol::ErrorCode::Internal, message, u"jwt-secret"_s, {}};
}

protocol::Decoded<QByteArray> readSecret(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fileError(u"cannot read JWT secret file %1: %2"_s.arg(path, file.errorString()));
    const QByteArray secret = file.read(kMaxSecretFileBytes + 1).trimmed();
    if (secret.size() > kMaxSecretFileBytes)
        return fileError(u"JWT secret file %1 is larger than %2 bytes"_s.arg(path).arg(kMaxSecretFileBytes));
    if (secret.isEmpty())
        return fileError(u"JWT secret file %1 is empty"_s.arg(path));
    return secret;
}

QByteArray randomHexSecret()
{
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()),
                                          bytes.size() / qsizetype(sizeof(quint32)));
    return bytes.toHex();
}

} // namespace

QString jwtSecretFilePath(const QString &dataDir)
{
    return QDir(dataDir).filePath(u"jwt-secret"_s);
}

protocol::Decoded<QByteArray> loadOrCreateJwtSecret(const QString &dataDir)
{
    const QString path = jwtSecretFilePath(dataDir);
    if (QFile::exists(path))
        return readSecret(path);

    if (!QDir().mkpath(dataDir))
        return fileError(u"cannot create data directory %1 for the JWT secret"_s.arg(dataDir));

    // Written to a private temporary file first and renamed without replacing, so a reader never
    // sees a half-written secret and two concurrent creators end up with the same one.
    QTemporaryFile temporary(QDir(dataDir).filePath(u".jwt-secret-XXXXXX"_s));
    if (!temporary.open())
        return fileError(u"cannot create JWT secret file in %1: %2"_s.arg(dataDir, temporary.errorString()));
    if (!temporary.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return fileError(u"cannot restrict permissions of %1"_s.arg(temporary.fileName()));
    const QByteArray secret = randomHexSecret();
    if (temporary.write(secret + '\n') != secret.size() + 1 || !temporary.flush())
        return fileError(u"cannot write JWT secret file %1: %2"_s.arg(path, temporary.errorString()));
    // QTemporaryFile::rename never replaces an existing file (renameat2 RENAME_NOREPLACE / link).
    temporary.setAutoRemove(false);
    if (temporary.rename(path))
        return secret;
    const QString error = temporary.errorString();
    temporary.remove();
    if (QFile::exists(path))
        return readSecret(path);
    return fileError(u"cannot create JWT secret file %1: %2"_s.arg(path, error));
}

} // namespace switchboard
