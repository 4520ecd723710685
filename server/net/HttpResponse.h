// Building complete HTTP/1.1 responses. Every response closes the connection: the front door
// serves one request per connection (WebSocket upgrades excepted).
#pragma once

#include "net/HttpRequest.h"

#include <QByteArray>
#include <QJsonValue>
#include <QString>

namespace switchboard {

// The standard reason phrase ("Not Found"); "Unknown" for codes it does not know.
QByteArray httpReasonPhrase(int status);

// Status line, Content-Type (omitted when empty), Content-Length, Connection: close, the extra
// headers (any containing CR or LF are dropped), blank line, body.
QByteArray httpResponse(int status, const QByteArray &body,
                        const QByteArray &contentType = "application/json",
                        const HttpHeaderList &extraHeaders = {});

// {"error": error} plus "details" when details is neither null nor undefined.
QByteArray jsonError(const QString &error, const QJsonValue &details = {});

} // namespace switchboard
