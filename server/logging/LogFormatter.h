// One log line in the text or JSON format, as a pure function (LogHandler calls it for every
// message Qt delivers). Secrets that slip into a message (a ?token= query, a Bearer header, a
// JWT) are replaced by [redacted] in both formats.
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace switchboard::logging {

enum class LogFormat { Text, Json };
QString logFormatName(LogFormat format);
std::optional<LogFormat> logFormatFromName(QStringView name);

// text: "2026-11-27T10:52:41.123Z INFO  switchboard.agenthub: agent connected agentId=a1 orgId=acme"
// json: {"time":"2026-11-27T10:52:41.123Z","level":"info","category":"switchboard.agenthub",
//        "message":"agent connected","agentId":"a1","orgId":"acme"}
// Both end with a line feed; a message never spans lines in JSON (escaped) and control
// characters in text are shown as \xNN, so nobody can forge a line. `time` is shown in UTC.
QByteArray formatLogLine(LogFormat format, QtMsgType type, const char *category, const QString &message,
                         const QDateTime &time);

// Replaces token values, Bearer credentials and JWTs in `text` by [redacted].
QString redactSecrets(const QString &text);

} // namespace switchboard::logging
