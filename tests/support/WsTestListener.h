// A listener for tests that drive a Hub or AgentHub without the Gateway: the server's own front
// door (HttpFront) accepting every WebSocket upgrade, so that tests get the same WsConnection
// the real server hands its hubs. Like QWebSocketServer: listen, then take pending connections.
#pragma once

#include "net/HttpFront.h"
#include "net/WsConnection.h"

#include <QHostAddress>
#include <QList>
#include <QPointer>
#include <QTest>
#include <QUrlQuery>

namespace switchboard::test {

class WsTestListener : private HttpHandler
{
public:
    WsTestListener()
        : m_front(this, HttpLimits{})
    {}
    ~WsTestListener() override
    {
        for (const Pending &pending : std::as_const(m_pending))
            delete pending.connection.data();
    }

    bool listen() { return m_front.listen(QHostAddress::LocalHost, 0); }
    quint16 serverPort() const { return m_front.serverPort(); }
    bool hasPendingConnections() const { return !m_pending.isEmpty(); }

    // The next upgraded connection (waiting up to `timeoutMs`), or nullptr. The caller owns it;
    // `query` receives the query of its upgrade request.
    WsConnection *nextPendingConnection(int timeoutMs = 5000, QUrlQuery *query = nullptr)
    {
        if (!QTest::qWaitFor([this] { return !m_pending.isEmpty(); }, timeoutMs))
            return nullptr;
        const Pending pending = m_pending.takeFirst();
        if (query)
            *query = pending.query;
        return pending.connection;
    }

private:
    struct Pending
    {
        QPointer<WsConnection> connection;
        QUrlQuery query;
    };

    void handleHttpRequest(const HttpRequest &, HttpResponder responder) override
    {
        responder.respond(404, R"({"error":"not found"})");
    }
    void handleUpgradeRequest(const HttpRequest &, UpgradeDecision decision) override { decision.accept(); }
    void handleWebSocket(WsConnection *connection, const HttpRequest &request, const QVariant &) override
    {
        m_pending.append({connection, request.query});
    }

    HttpFront m_front;
    QList<Pending> m_pending;
};

} // namespace switchboard::test
