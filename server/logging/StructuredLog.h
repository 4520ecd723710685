// Log lines with fields (agent id, org, request id, ...) that stay fields in the JSON log format.
// logWithFields() goes through Qt's logging like every other line, so categories, levels and
// QT_LOGGING_CONF apply; it appends the fields to the message behind a marker that LogFormatter
// takes apart again (see formatLogLine()). Components call it at the few places an operator
// searches by id: agent connect/disconnect, command status changes, authentication failures and
// limit hits. Never pass a token or key as a field value.
#pragma once

#include <QList>
#include <QLoggingCategory>
#include <QString>

#include <utility>

namespace switchboard::logging {

using LogFields = QList<std::pair<QString, QString>>;

// Separates a message from its JSON-encoded fields: two ASCII control characters that no
// message of ours contains and that the formatter escapes wherever else they appear.
inline constexpr QStringView kFieldMarker = u"\x1f\x1e";

// The message with its fields appended behind kFieldMarker (the message alone when there are none).
QString encodeWithFields(const QString &message, const LogFields &fields);

// Logs `message` at `type` in `category` when that category and level are enabled.
void logWithFields(const QLoggingCategory &category, QtMsgType type, const QString &message,
                   const LogFields &fields);

} // namespace switchboard::logging
