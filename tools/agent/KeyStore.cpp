#include "KeyStore.h"

#include "AgentOptions.h"

#include <QFile>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace switchboard::agentsim {

using protocol::Decoded;
using protocol::Error;
using protocol::ErrorCode;

namespace {

constexpr qint64 kMaxKeyFileBytes = 64 * 1024 * 1024;

Error fileError(const QString &message)
{
    return Error{ErrorCode::InvalidValue, message, {}, {}};
}

} // namespace

Decoded<KeyStore::Keys> KeyStore::parse(QByteArrayView content)
{
    Keys keys;
    int lineNumber = 0;
    for (QByteArrayView rawLine : QByteArrayView(content).toByteArray().split('\n')) {
        ++lineNumber;
        const QString line = QString::fromUtf8(rawLine).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        static const QRegularExpression whitespace(u"\\s+"_s);
        const QStringList words = line.split(whitespace, Qt::SkipEmptyParts);
        if (words.size() != 2 || !isValidAgentId(words.at(0)) || !isPlausibleApiKey(words.at(1)))
            return fileError(u"line %1: expected \"agentId apiKey\""_s.arg(lineNumber));
        keys.insert(words.at(0), words.at(1));
    }
    return keys;
}

Decoded<KeyStore::Keys> KeyStore::load(const QString &path, bool missingIsEmpty)
{
    QFile file(path);
    if (!file.exists() && missingIsEmpty)
        return Keys{};
    if (!file.open(QIODevice::ReadOnly))
        return fileError(u"cannot read %1: %2"_s.arg(path, file.errorString()));
    if (file.size() > kMaxKeyFileBytes)
        return fileError(u"%1 is larger than %2 bytes"_s.arg(path).arg(kMaxKeyFileBytes));
    auto parsed = parse(file.readAll());
    if (!parsed)
        return fileError(path + u": "_s + parsed.error().message);
    return parsed;
}

Decoded<protocol::Done> KeyStore::append(const QString &path, const QString &agentId, const QString &apiKey)
{
    if (!isValidAgentId(agentId) || !isPlausibleApiKey(apiKey))
        return fileError(u"refusing to store a malformed agent id or key"_s);
    constexpr auto ownerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    QFile file(path);
    // open() with permissions creates a new file with them atomically; an existing one keeps its
    // mode, so tighten it before writing a secret into it.
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text, ownerOnly))
        return fileError(u"cannot write %1: %2"_s.arg(path, file.errorString()));
    if (!file.setPermissions(ownerOnly))
        return fileError(u"cannot restrict %1 to mode 0600: %2"_s.arg(path, file.errorString()));
    const QByteArray line = agentId.toUtf8() + ' ' + apiKey.toUtf8() + '\n';
    if (file.write(line) != line.size() || !file.flush())
        return fileError(u"cannot write %1: %2"_s.arg(path, file.errorString()));
    return protocol::Done{};
}

} // namespace switchboard::agentsim
