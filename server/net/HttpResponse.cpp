#include "net/HttpResponse.h"

#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace switchboard {

QByteArray httpReasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

QByteArray httpResponse(int status, const QByteArray &body, const QByteArray &contentType,
                        const HttpHeaderList &extraHeaders)
{
    const auto clean = [](const QByteArray &text) { return !text.contains('\r') && !text.contains('\n'); };
    QByteArray response;
    response.reserve(160 + body.size());
    response += "HTTP/1.1 " + QByteArray::number(status) + ' ' + httpReasonPhrase(status) + "\r\n";
    if (!contentType.isEmpty() && clean(contentType))
        response += "Content-Type: " + contentType + "\r\n";
    response += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    response += "Connection: close\r\n";
    for (const auto &[name, value] : extraHeaders) {
        if (!name.isEmpty() && clean(name) && clean(value) && !name.contains(':'))
            response += name + ": " + value + "\r\n";
    }
    response += "\r\n";
    response += body;
    return response;
}

QByteArray jsonError(const QString &error, const QJsonValue &details)
{
    QJsonObject object{{u"error"_s, error}};
    if (!details.isNull() && !details.isUndefined())
        object.insert(u"details"_s, details);
    return protocol::toJsonBytes(object);
}

} // namespace switchboard
