// The strict HTTP/1.1 request-head parser and the request accessors.
#include "net/HttpRequest.h"
#include "net/HttpResponse.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;

namespace {

constexpr int kMax = 16 * 1024;

HttpRequest parsed(const QByteArray &head)
{
    auto result = HttpRequest::parseHead(head, kMax);
    if (!result)
        qFatal("does not parse: %s", qPrintable(result.error().message));
    return result.value();
}

} // namespace

class tst_HttpRequest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void headerLookup();
    void cookies_data();
    void cookies();
    void contentLength_data();
    void contentLength();
    void webSocketUpgrade_data();
    void webSocketUpgrade();
    void sizeLimits();
    void responses_data();
    void responses();
    void jsonErrors();
};

void tst_HttpRequest::valid_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("queryKey");
    QTest::addColumn<QString>("queryValue");
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<int>("headerCount");

    QTest::newRow("simple get") << "GET / HTTP/1.1\r\nHost: a\r\n\r\n"_ba
                                << "GET"_ba << u"/"_s << QString() << QString() << "HTTP/1.1"_ba << 1;
    QTest::newRow("no host is fine") << "GET /healthz HTTP/1.1\r\n\r\n"_ba
                                     << "GET"_ba << u"/healthz"_s << QString() << QString() << "HTTP/1.1"_ba
                                     << 0;
    QTest::newRow("without final blank line")
        << "GET /a HTTP/1.0\r\nX: 1\r\n"_ba
        << "GET"_ba << u"/a"_s << QString() << QString() << "HTTP/1.0"_ba << 1;
    QTest::newRow("query") << "GET /api/v1/agents/connect?agent_id=k8s-1&x=2 HTTP/1.1\r\n\r\n"_ba
                           << "GET"_ba << u"/api/v1/agents/connect"_s << u"agent_id"_s << u"k8s-1"_s
                           << "HTTP/1.1"_ba << 0;
    QTest::newRow("percent-decoded path")
        << "GET /a%20b/%C3%A9 HTTP/1.1\r\n\r\n"_ba
        << "GET"_ba << u"/a b/é"_s << QString() << QString() << "HTTP/1.1"_ba << 0;
    QTest::newRow("percent-decoded query")
        << "GET /?token=a%2Eb%3D HTTP/1.1\r\n\r\n"_ba
        << "GET"_ba << u"/"_s << u"token"_s << u"a.b="_s << "HTTP/1.1"_ba << 0;
    QTest::newRow("empty query value") << "GET /?token= HTTP/1.1\r\n\r\n"_ba
                                       << "GET"_ba << u"/"_s << u"token"_s << QString() << "HTTP/1.1"_ba << 0;
    QTest::newRow("post") << "POST /api/v1/agents/register HTTP/1.1\r\nContent-Length: 2\r\n\r\n"_ba
                          << "POST"_ba << u"/api/v1/agents/register"_s << QString() << QString()
                          << "HTTP/1.1"_ba << 1;
    QTest::newRow("absolute form") << "GET http://example.com:8080/p/q?a=1 HTTP/1.1\r\n\r\n"_ba
                                   << "GET"_ba << u"/p/q"_s << u"a"_s << u"1"_s << "HTTP/1.1"_ba << 0;
    QTest::newRow("absolute form no path") << "GET https://example.com?a=2 HTTP/1.1\r\n\r\n"_ba
                                           << "GET"_ba << u"/"_s << u"a"_s << u"2"_s << "HTTP/1.1"_ba << 0;
    QTest::newRow("options star") << "OPTIONS * HTTP/1.1\r\n\r\n"_ba
                                  << "OPTIONS"_ba << u"*"_s << QString() << QString() << "HTTP/1.1"_ba << 0;
    QTest::newRow("blanks around value")
        << "GET / HTTP/1.1\r\nX-A: \t v \t\r\n\r\n"_ba
        << "GET"_ba << u"/"_s << QString() << QString() << "HTTP/1.1"_ba << 1;
    QTest::newRow("empty value") << "GET / HTTP/1.1\r\nX-Empty:\r\n\r\n"_ba
                                 << "GET"_ba << u"/"_s << QString() << QString() << "HTTP/1.1"_ba << 1;
    QTest::newRow("obs-text value") << "GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n"_ba
                                    << "GET"_ba << u"/"_s << QString() << QString() << "HTTP/1.1"_ba << 1;
    QTest::newRow("custom method") << "PATCH /x HTTP/1.1\r\n\r\n"_ba
                                   << "PATCH"_ba << u"/x"_s << QString() << QString() << "HTTP/1.1"_ba << 0;
}

void tst_HttpRequest::valid()
{
    QFETCH(QByteArray, head);
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QString, queryKey);
    QFETCH(QString, queryValue);
    QFETCH(QByteArray, version);
    QFETCH(int, headerCount);

    const auto result = HttpRequest::parseHead(head, kMax);
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
    const HttpRequest &request = result.value();
    QCOMPARE(request.method, method);
    QCOMPARE(request.path, path);
    QCOMPARE(request.version, version);
    QCOMPARE(request.headers.size(), headerCount);
    if (!queryKey.isEmpty()) {
        QVERIFY(request.hasQueryItem(queryKey));
        QCOMPARE(request.queryValue(queryKey), queryValue);
    }
    QVERIFY(!request.hasQueryItem(u"absent"_s));
}

void tst_HttpRequest::invalid_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QString>("error");

    QTest::newRow("empty") << QByteArray() << u"empty"_s;
    QTest::newRow("only CRLF") << "\r\n"_ba << u"request line"_s;
    QTest::newRow("no version") << "GET /\r\n\r\n"_ba << u"request line"_s;
    QTest::newRow("extra space") << "GET  / HTTP/1.1\r\n\r\n"_ba << u"request line"_s;
    QTest::newRow("trailing space") << "GET / HTTP/1.1 \r\n\r\n"_ba << u"request line"_s;
    QTest::newRow("http2") << "GET / HTTP/2.0\r\n\r\n"_ba << u"HTTP version"_s;
    QTest::newRow("lowercase version") << "GET / http/1.1\r\n\r\n"_ba << u"HTTP version"_s;
    QTest::newRow("bad method") << "G(E)T / HTTP/1.1\r\n\r\n"_ba << u"method"_s;
    QTest::newRow("relative target") << "GET index.html HTTP/1.1\r\n\r\n"_ba << u"target"_s;
    QTest::newRow("star with get") << "GET * HTTP/1.1\r\n\r\n"_ba << u"OPTIONS"_s;
    QTest::newRow("fragment") << "GET /a#b HTTP/1.1\r\n\r\n"_ba << u"fragment"_s;
    QTest::newRow("control in target") << "GET /a\x01 HTTP/1.1\r\n\r\n"_ba << u"control"_s;
    QTest::newRow("non-ascii target") << "GET /\xc3\xa9 HTTP/1.1\r\n\r\n"_ba << u"non-ASCII"_s;
    QTest::newRow("bad percent") << "GET /a%zz HTTP/1.1\r\n\r\n"_ba << u"percent"_s;
    QTest::newRow("truncated percent") << "GET /a%4 HTTP/1.1\r\n\r\n"_ba << u"percent"_s;
    QTest::newRow("bad percent in query") << "GET /?token=%G0 HTTP/1.1\r\n\r\n"_ba << u"percent"_s;
    QTest::newRow("nul in path") << "GET /a%00b HTTP/1.1\r\n\r\n"_ba << u"NUL"_s;
    QTest::newRow("empty authority") << "GET http:///x HTTP/1.1\r\n\r\n"_ba << u"authority"_s;
    QTest::newRow("ftp") << "GET ftp://h/x HTTP/1.1\r\n\r\n"_ba << u"target"_s;
    QTest::newRow("no colon") << "GET / HTTP/1.1\r\nHost a\r\n\r\n"_ba << u"without a colon"_s;
    QTest::newRow("space before colon") << "GET / HTTP/1.1\r\nHost : a\r\n\r\n"_ba << u"header name"_s;
    QTest::newRow("empty name") << "GET / HTTP/1.1\r\n: a\r\n\r\n"_ba << u"header name"_s;
    QTest::newRow("obs-fold space") << "GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n"_ba << u"obs-fold"_s;
    QTest::newRow("obs-fold tab") << "GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n"_ba << u"obs-fold"_s;
    QTest::newRow("control in value") << "GET / HTTP/1.1\r\nX-A: a\x01b\r\n\r\n"_ba << u"control"_s;
    QTest::newRow("del in value") << "GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n"_ba << u"control"_s;
    QTest::newRow("bare LF") << "GET / HTTP/1.1\nHost: a\n\n"_ba << u"CRLF"_s;
    QTest::newRow("bare LF inside") << "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"_ba << u"bare CR or LF"_s;
    QTest::newRow("bare CR") << "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"_ba << u"bare CR or LF"_s;
    QTest::newRow("unterminated") << "GET / HTTP/1.1\r\nHost: a"_ba << u"CRLF"_s;
    QTest::newRow("data after head") << "GET / HTTP/1.1\r\n\r\nbody"_ba << u"after the end"_s;
    QTest::newRow("bad content-length")
        << "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"_ba << u"Content-Length"_s;
    QTest::newRow("negative content-length")
        << "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"_ba << u"Content-Length"_s;
    QTest::newRow("empty content-length")
        << "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"_ba << u"Content-Length"_s;
    QTest::newRow("huge content-length")
        << "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"_ba << u"Content-Length"_s;
    QTest::newRow("conflicting content-length")
        << "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"_ba << u"conflicting"_s;
    QTest::newRow("conflicting list")
        << "POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n"_ba << u"conflicting"_s;
    QTest::newRow("length and chunked")
        << "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"_ba
        << u"Transfer-Encoding"_s;
}

void tst_HttpRequest::invalid()
{
    QFETCH(QByteArray, head);
    QFETCH(QString, error);
    const auto result = HttpRequest::parseHead(head, kMax);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, protocol::ErrorCode::InvalidValue);
    QVERIFY2(result.error().message.contains(error, Qt::CaseInsensitive), qPrintable(result.error().message));
}

void tst_HttpRequest::headerLookup()
{
    const HttpRequest request = parsed("GET / HTTP/1.1\r\nHost: h\r\nX-Agent-API-Key: k1\r\nAccept: a\r\n"
                                       "x-agent-api-key: k2\r\nACCEPT: b, c\r\n\r\n");
    QCOMPARE(request.header("x-agent-api-key"), "k1"_ba);
    QCOMPARE(request.header("X-AGENT-API-KEY"), "k1"_ba);
    QCOMPARE(request.headerValues("Accept"), (QList<QByteArray>{"a", "b, c"}));
    QVERIFY(request.hasHeader("HOST"));
    QVERIFY(!request.hasHeader("Authorization"));
    QCOMPARE(request.header("Authorization"), QByteArray());
    QCOMPARE(request.headers.first().first, "Host"_ba); // names kept as sent
}

void tst_HttpRequest::cookies_data()
{
    QTest::addColumn<QList<QByteArray>>("cookieHeaders");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    using Lines = QList<QByteArray>;

    QTest::newRow("single") << Lines{"a=1"} << "a"_ba
                            << "1"_ba;
    QTest::newRow("among others") << Lines{"a=1; b=2; c=3"} << "b"_ba
                                  << "2"_ba;
    QTest::newRow("no spaces") << Lines{"a=1;b=2"} << "b"_ba
                               << "2"_ba;
    QTest::newRow("quoted") << Lines{"a=\"x y\""} << "a"_ba
                            << "x y"_ba;
    QTest::newRow("value with equals") << Lines{"t=abc=="} << "t"_ba
                                       << "abc=="_ba;
    QTest::newRow("second header") << Lines{"a=1", "b=2"} << "b"_ba
                                   << "2"_ba;
    QTest::newRow("first wins") << Lines{"a=1; a=2"} << "a"_ba
                                << "1"_ba;
    QTest::newRow("case-sensitive name") << Lines{"A=1"} << "a"_ba << QByteArray();
    QTest::newRow("prefix is not a match") << Lines{"ab=1"} << "a"_ba << QByteArray();
    QTest::newRow("absent") << Lines{"a=1"} << "z"_ba << QByteArray();
    QTest::newRow("garbage") << Lines{";;=;x"} << "x"_ba << QByteArray();
}

void tst_HttpRequest::cookies()
{
    QFETCH(QList<QByteArray>, cookieHeaders);
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, value);
    QByteArray head = "GET / HTTP/1.1\r\n";
    for (const QByteArray &line : cookieHeaders)
        head += "Cookie: " + line + "\r\n";
    QCOMPARE(parsed(head + "\r\n").cookie(name), value);
}

void tst_HttpRequest::contentLength_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<qint64>("length");
    QTest::newRow("absent") << QByteArray() << qint64(0);
    QTest::newRow("zero") << "Content-Length: 0\r\n"_ba << qint64(0);
    QTest::newRow("value") << "Content-Length: 1048576\r\n"_ba << qint64(1048576);
    QTest::newRow("repeated equal") << "Content-Length: 5\r\ncontent-length: 5\r\n"_ba << qint64(5);
    QTest::newRow("list equal") << "Content-Length: 7, 7\r\n"_ba << qint64(7);
    QTest::newRow("large") << "Content-Length: 10000000000\r\n"_ba << qint64(10000000000);
}

void tst_HttpRequest::contentLength()
{
    QFETCH(QByteArray, headers);
    QFETCH(qint64, length);
    QCOMPARE(parsed("POST / HTTP/1.1\r\n" + headers + "\r\n").contentLength(), length);
}

void tst_HttpRequest::webSocketUpgrade_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<bool>("upgrade");
    QTest::newRow("upgrade") << "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"_ba
                             << true;
    QTest::newRow("case") << "GET /ws HTTP/1.1\r\nupgrade: WebSocket\r\n\r\n"_ba << true;
    QTest::newRow("list") << "GET /ws HTTP/1.1\r\nUpgrade: h2c, websocket\r\n\r\n"_ba << true;
    QTest::newRow("h2c") << "GET /ws HTTP/1.1\r\nUpgrade: h2c\r\n\r\n"_ba << false;
    QTest::newRow("post") << "POST /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"_ba << false;
    QTest::newRow("none") << "GET /ws HTTP/1.1\r\n\r\n"_ba << false;
}

void tst_HttpRequest::webSocketUpgrade()
{
    QFETCH(QByteArray, head);
    QFETCH(bool, upgrade);
    QCOMPARE(parsed(head).isWebSocketUpgrade(), upgrade);
}

void tst_HttpRequest::sizeLimits()
{
    const QByteArray head = "GET / HTTP/1.1\r\nX-Pad: " + QByteArray(1000, 'p') + "\r\n\r\n";
    QVERIFY(HttpRequest::parseHead(head, int(head.size())).ok());
    const auto tooLarge = HttpRequest::parseHead(head, int(head.size()) - 1);
    QVERIFY(!tooLarge.ok());
    QCOMPARE(tooLarge.error().code, protocol::ErrorCode::FrameTooLarge);
    QVERIFY(tooLarge.error().message.contains(QString::number(head.size() - 1)));

    QByteArray many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < kMaxHttpHeaderCount; ++i)
        many += "X-" + QByteArray::number(i) + ": v\r\n";
    QVERIFY(HttpRequest::parseHead(QByteArray(many + "\r\n"), kMax).ok());
    const auto tooMany = HttpRequest::parseHead(QByteArray(many + "X-last: v\r\n\r\n"), kMax);
    QVERIFY(!tooMany.ok());
    QCOMPARE(tooMany.error().code, protocol::ErrorCode::FrameTooLarge);
}

void tst_HttpRequest::responses_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("statusLine");
    QTest::newRow("200") << 200 << "HTTP/1.1 200 OK\r\n"_ba;
    QTest::newRow("202") << 202 << "HTTP/1.1 202 Accepted\r\n"_ba;
    QTest::newRow("400") << 400 << "HTTP/1.1 400 Bad Request\r\n"_ba;
    QTest::newRow("401") << 401 << "HTTP/1.1 401 Unauthorized\r\n"_ba;
    QTest::newRow("403") << 403 << "HTTP/1.1 403 Forbidden\r\n"_ba;
    QTest::newRow("404") << 404 << "HTTP/1.1 404 Not Found\r\n"_ba;
    QTest::newRow("408") << 408 << "HTTP/1.1 408 Request Timeout\r\n"_ba;
    QTest::newRow("413") << 413 << "HTTP/1.1 413 Content Too Large\r\n"_ba;
    QTest::newRow("429") << 429 << "HTTP/1.1 429 Too Many Requests\r\n"_ba;
    QTest::newRow("431") << 431 << "HTTP/1.1 431 Request Header Fields Too Large\r\n"_ba;
    QTest::newRow("503") << 503 << "HTTP/1.1 503 Service Unavailable\r\n"_ba;
    QTest::newRow("599") << 599 << "HTTP/1.1 599 Unknown\r\n"_ba;
}

void tst_HttpRequest::responses()
{
    QFETCH(int, status);
    QFETCH(QByteArray, statusLine);
    const QByteArray response = httpResponse(status, "{\"a\":1}", "application/json",
                                             {{"Retry-After", "60"}, {"X-Bad", "a\r\nInjected: 1"}});
    QVERIFY(response.startsWith(statusLine));
    QVERIFY(response.contains("\r\nContent-Type: application/json\r\n"));
    QVERIFY(response.contains("\r\nContent-Length: 7\r\n"));
    QVERIFY(response.contains("\r\nConnection: close\r\n"));
    QVERIFY(response.contains("\r\nRetry-After: 60\r\n"));
    QVERIFY(!response.contains("Injected"));
    QVERIFY(response.endsWith("\r\n\r\n{\"a\":1}"));

    const QByteArray empty = httpResponse(status, QByteArray(), QByteArray());
    QVERIFY(!empty.contains("Content-Type"));
    QVERIFY(empty.endsWith("Content-Length: 0\r\nConnection: close\r\n\r\n"));
}

void tst_HttpRequest::jsonErrors()
{
    QCOMPARE(jsonError(u"Missing agent_id"_s), R"({"error":"Missing agent_id"})"_ba);
    const QJsonObject withDetails =
        QJsonDocument::fromJson(jsonError(u"Agent not found"_s, u"no agent k8s-1"_s)).object();
    QCOMPARE(withDetails.value("error"_L1).toString(), u"Agent not found"_s);
    QCOMPARE(withDetails.value("details"_L1).toString(), u"no agent k8s-1"_s);
    const QJsonObject structured =
        QJsonDocument::fromJson(jsonError(u"Invalid"_s, QJsonObject{{u"field"_s, u"x"_s}})).object();
    QCOMPARE(structured.value("details"_L1).toObject().value("field"_L1).toString(), u"x"_s);
    QVERIFY(!QJsonDocument::fromJson(jsonError(u"e"_s, QJsonValue::Null)).object().contains("details"_L1));
}

QTEST_GUILESS_MAIN(tst_HttpRequest)
#include "tst_httprequest.moc"
