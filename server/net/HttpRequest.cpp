#include "net/HttpRequest.h"

#include <QUrl>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace switchboard {

namespace {

constexpr qsizetype kMaxMethodLength = 20;

protocol::Error badRequest(const QString &message, const QString &field = {})
{
    return protocol::Error{protocol::ErrorCode::InvalidValue, message, field, {}};
}

protocol::Error tooLarge(const QString &message)
{
    return protocol::Error{protocol::ErrorCode::FrameTooLarge, message, {}, {}};
}

// RFC 9110 token characters (method and header names).
bool isTokenCharacter(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(QByteArrayView text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), isTokenCharacter);
}

bool isBlank(char c)
{
    return c == ' ' || c == '\t';
}

QByteArrayView trimBlanks(QByteArrayView text)
{
    while (!text.isEmpty() && isBlank(text.front()))
        text = text.sliced(1);
    while (!text.isEmpty() && isBlank(text.back()))
        text.chop(1);
    return text;
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool hasValidPercentEncoding(QByteArrayView text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] != '%')
            continue;
        if (i + 2 >= text.size() || !isHexDigit(text[i + 1]) || !isHexDigit(text[i + 2]))
            return false;
        i += 2;
    }
    return true;
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

// Splits the request-target into its path and query parts.
protocol::Decoded<std::pair<QByteArray, QByteArray>> splitTarget(const QByteArray &method,
                                                                 QByteArrayView target)
{
    for (const char c : target) {
        if (c <= 0x20 || c >= 0x7f)
            return badRequest(u"request target has a control, space or non-ASCII character"_s, u"target"_s);
    }
    if (target.contains('#'))
        return badRequest(u"request target has a fragment"_s, u"target"_s);
    if (target == "*") {
        if (method != "OPTIONS")
            return badRequest(u"request target * is only valid with OPTIONS"_s, u"target"_s);
        return std::pair{QByteArray("*"), QByteArray()};
    }
    QByteArray originForm = target.toByteArray();
    if (!target.startsWith('/')) {
        // absolute-form (RFC 9112 3.2.2): keep only its path and query.
        const bool http = target.size() > 7 && equalsIgnoringCase(target.first(7), "http://");
        const bool https = target.size() > 8 && equalsIgnoringCase(target.first(8), "https://");
        if (!http && !https)
            return badRequest(u"request target must start with / or be an absolute http(s) URL"_s,
                              u"target"_s);
        const QByteArrayView rest = target.sliced(http ? 7 : 8);
        qsizetype authorityEnd = 0;
        while (authorityEnd < rest.size() && rest[authorityEnd] != '/' && rest[authorityEnd] != '?')
            ++authorityEnd;
        if (authorityEnd == 0)
            return badRequest(u"request target has an empty authority"_s, u"target"_s);
        const QByteArrayView after = rest.sliced(authorityEnd);
        originForm = after.startsWith('/') ? after.toByteArray() : '/' + after.toByteArray();
    }
    const qsizetype question = originForm.indexOf('?');
    if (question < 0)
        return std::pair{originForm, QByteArray()};
    return std::pair{originForm.first(question), originForm.sliced(question + 1)};
}

protocol::Decoded<protocol::Done> parseRequestLine(QByteArrayView line, HttpRequest &request)
{
    const qsizetype firstSpace = line.indexOf(' ');
    const qsizetype secondSpace = firstSpace < 0 ? -1 : line.indexOf(' ', firstSpace + 1);
    if (firstSpace < 0 || secondSpace < 0 || line.indexOf(' ', secondSpace + 1) >= 0)
        return badRequest(u"request line is not METHOD TARGET VERSION"_s, u"request-line"_s);
    const QByteArrayView method = line.first(firstSpace);
    const QByteArrayView target = line.sliced(firstSpace + 1, secondSpace - firstSpace - 1);
    const QByteArrayView version = line.sliced(secondSpace + 1);
    if (!isToken(method) || method.size() > kMaxMethodLength)
        return badRequest(u"request method is not a valid token"_s, u"method"_s);
    if (target.isEmpty())
        return badRequest(u"request target is empty"_s, u"target"_s);
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return badRequest(u"unsupported HTTP version (HTTP/1.1 or HTTP/1.0 expected)"_s, u"version"_s);
    request.method = method.toByteArray();
    request.target = target.toByteArray();
    request.version = version.toByteArray();

    const auto parts = splitTarget(request.method, target);
    if (!parts)
        return parts.error();
    const auto &[rawPath, rawQuery] = parts.value();
    if (!hasValidPercentEncoding(rawPath) || !hasValidPercentEncoding(rawQuery))
        return badRequest(u"request target has an invalid percent-encoding"_s, u"target"_s);
    request.path = QUrl::fromPercentEncoding(rawPath);
    if (request.path.contains(QChar(0)))
        return badRequest(u"request path contains NUL"_s, u"target"_s);
    request.query = QUrlQuery(QString::fromLatin1(rawQuery));
    return protocol::Done{};
}

protocol::Decoded<protocol::Done> parseHeaderLine(QByteArrayView line, HttpRequest &request)
{
    if (isBlank(line.front()))
        return badRequest(u"folded header lines (obs-fold) are not accepted"_s, u"headers"_s);
    const qsizetype colon = line.indexOf(':');
    if (colon < 0)
        return badRequest(u"header line without a colon"_s, u"headers"_s);
    const QByteArrayView name = line.first(colon);
    if (!isToken(name))
        return badRequest(u"header name is empty or has invalid characters (no space before the colon)"_s,
                          u"headers"_s);
    const QByteArrayView value = trimBlanks(line.sliced(colon + 1));
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7f)
            return badRequest(u"header %1 has a control character"_s.arg(QLatin1StringView(name)),
                              u"headers"_s);
    }
    request.headers.append({name.toByteArray(), value.toByteArray()});
    return protocol::Done{};
}

// Every Content-Length value (possibly a list "5, 5") must be the same decimal number.
protocol::Decoded<protocol::Done> checkContentLength(const HttpRequest &request)
{
    std::optional<QByteArray> agreed;
    for (const QByteArray &value : request.headerValues("Content-Length")) {
        for (const QByteArray &item : value.split(',')) {
            const QByteArray number = trimBlanks(item).toByteArray();
            if (number.isEmpty() || number.size() > 15 ||
                !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return badRequest(u"invalid Content-Length"_s, u"Content-Length"_s);
            if (agreed && *agreed != number)
                return badRequest(u"conflicting Content-Length values"_s, u"Content-Length"_s);
            agreed = number;
        }
    }
    if (agreed && request.hasHeader("Transfer-Encoding"))
        return badRequest(u"both Content-Length and Transfer-Encoding are present"_s, u"Content-Length"_s);
    return protocol::Done{};
}

} // namespace

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (equalsIgnoringCase(key, name))
            return value;
    }
    return {};
}

QList<QByteArray> HttpRequest::headerValues(QByteArrayView name) const
{
    QList<QByteArray> values;
    for (const auto &[key, value] : headers) {
        if (equalsIgnoringCase(key, name))
            values.append(value);
    }
    return values;
}

bool HttpRequest::hasHeader(QByteArrayView name) const
{
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto &header) { return equalsIgnoringCase(header.first, name); });
}

QByteArray HttpRequest::cookie(QByteArrayView name) const
{
    for (const QByteArray &line : headerValues("Cookie")) {
        for (const QByteArray &pair : line.split(';')) {
            const QByteArrayView trimmed = trimBlanks(pair);
            const qsizetype equals = trimmed.indexOf('=');
            if (equals <= 0 || trimBlanks(trimmed.first(equals)) != name)
                continue;
            QByteArrayView value = trimBlanks(trimmed.sliced(equals + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.sliced(1, value.size() - 2);
            return value.toByteArray();
        }
    }
    return {};
}

QString HttpRequest::queryValue(const QString &key) const
{
    return query.queryItemValue(key, QUrl::FullyDecoded);
}

bool HttpRequest::hasQueryItem(const QString &key) const
{
    return query.hasQueryItem(key);
}

qint64 HttpRequest::contentLength() const
{
    const QByteArray value = header("Content-Length");
    if (value.isEmpty())
        return 0;
    return trimBlanks(value.split(',').first()).toLongLong();
}

bool HttpRequest::isWebSocketUpgrade() const
{
    if (method != "GET")
        return false;
    for (const QByteArray &value : headerValues("Upgrade")) {
        for (const QByteArray &protocol : value.split(',')) {
            if (equalsIgnoringCase(trimBlanks(protocol), "websocket"))
                return true;
        }
    }
    return false;
}

protocol::Decoded<HttpRequest> HttpRequest::parseHead(QByteArrayView head, int maxHeaderBytes)
{
    if (head.size() > maxHeaderBytes)
        return tooLarge(u"request head is larger than %1 bytes"_s.arg(maxHeaderBytes));

    HttpRequest request;
    qsizetype position = 0;
    bool requestLineSeen = false;
    bool ended = false;
    while (position < head.size()) {
        const qsizetype end = head.indexOf("\r\n", position);
        if (end < 0)
            return badRequest(u"request head line is not terminated by CRLF"_s, u"head"_s);
        const QByteArrayView line = head.sliced(position, end - position);
        position = end + 2;
        if (line.contains('\r') || line.contains('\n'))
            return badRequest(u"request head has a bare CR or LF"_s, u"head"_s);
        if (!requestLineSeen) {
            if (const auto parsed = parseRequestLine(line, request); !parsed)
                return parsed.error();
            requestLineSeen = true;
            continue;
        }
        if (line.isEmpty()) {
            ended = true;
            break;
        }
        if (request.headers.size() >= kMaxHttpHeaderCount)
            return tooLarge(u"request has more than %1 header lines"_s.arg(kMaxHttpHeaderCount));
        if (const auto parsed = parseHeaderLine(line, request); !parsed)
            return parsed.error();
    }
    if (!requestLineSeen)
        return badRequest(u"request head is empty"_s, u"head"_s);
    if (ended && position != head.size())
        return badRequest(u"data after the end of the request head"_s, u"head"_s);
    if (const auto checked = checkContentLength(request); !checked)
        return checked.error();
    return request;
}

} // namespace switchboard
