// The hostile-client matrix (issue 7, section 2) against a real server: raw TCP sockets speaking
// bad WebSocket (framing the bench's codec writes byte by byte) and bad JSON. For every case the
// server stays up, a well-behaved client on the same server keeps getting its messages, the
// offender gets the documented close code or error frame, and nothing is written to storage.
#include "TestClients.h"
#include "TestServer.h"

#include "shared/WsCodec.h"

#include "storage/Store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTest>

#include <functional>

using namespace Qt::StringLiterals;
using namespace switchboard;
using namespace switchboard::test;
namespace ws = switchboard::ws;

namespace {

// A WebSocket client that writes whatever frames it is told to, valid or not.
class RawClient : public QObject
{
public:
    bool open(quint16 port, const QByteArray &target)
    {
        const std::string key = ws::makeClientKey(QRandomGenerator::global()->generate64());
        connect(&m_socket, &QTcpSocket::readyRead, this, [this, key] { onReadyRead(key); });
        connect(&m_socket, &QTcpSocket::disconnected, this, [this] { m_disconnected = true; });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        if (!m_socket.waitForConnected(10000))
            return false;
        const std::string request =
            ws::upgradeRequest("127.0.0.1", std::string_view(target.constData(), size_t(target.size())), key);
        m_socket.write(request.data(), qint64(request.size()));
        return QTest::qWaitFor([this] { return m_upgraded || m_disconnected; }, 10000) && m_upgraded;
    }

    void write(const std::string &bytes) { m_socket.write(bytes.data(), qint64(bytes.size())); }
    // A frame as a client must send it (masked) unless told otherwise.
    void frame(ws::Opcode opcode, std::string_view payload, bool fin = true, bool masked = true)
    {
        std::string out;
        ws::appendFrame(out, opcode, payload, fin,
                        masked ? std::optional<std::uint32_t>(0x5a17c0de) : std::nullopt);
        write(out);
    }
    void text(const QByteArray &json)
    {
        frame(ws::Opcode::Text, std::string_view(json.constData(), size_t(json.size())));
    }
    void abort()
    {
        m_socket.abort();
        m_disconnected = true;
    }

    bool waitForClose(int timeoutMs = 10000)
    {
        return QTest::qWaitFor([this] { return m_closeCode.has_value() || m_disconnected; }, timeoutMs);
    }
    std::optional<int> closeCode() const { return m_closeCode; }
    bool isOpen() const { return !m_disconnected && !m_closeCode; }
    const QList<QJsonObject> &messages() const { return m_messages; }
    int pongs() const { return m_pongs; }
    QJsonObject waitForMessage(int from, int timeoutMs = 10000)
    {
        if (!QTest::qWaitFor([&] { return m_messages.size() > from; }, timeoutMs))
            return {};
        return m_messages.at(from);
    }
    // The first message of `type` (sessions_update arrives on its own every 0.2 s here).
    QJsonObject waitForType(const QString &type, int timeoutMs = 10000)
    {
        QJsonObject found;
        (void)QTest::qWaitFor(
            [&] {
                for (const QJsonObject &message : std::as_const(m_messages)) {
                    if (message.value("type"_L1).toString() == type) {
                        found = message;
                        return true;
                    }
                }
                return false;
            },
            timeoutMs);
        return found;
    }

private:
    void onReadyRead(const std::string &key)
    {
        m_received += m_socket.readAll();
        if (!m_upgraded) {
            const auto result = ws::parseUpgradeResponse(
                std::string_view(m_received.constData(), size_t(m_received.size())), key);
            if (result.kind != ws::UpgradeResult::Kind::Upgraded)
                return;
            m_upgraded = true;
            m_received.remove(0, qsizetype(result.headBytes));
        }
        m_decoder.feed(m_received.constData(), size_t(m_received.size()));
        m_received.clear();
        for (;;) {
            const ws::Decoder::Event event = m_decoder.next();
            if (event.kind == ws::Decoder::Event::Kind::NeedMore ||
                event.kind == ws::Decoder::Event::Kind::Error)
                return;
            const QByteArray payload(event.payload.data(), qsizetype(event.payload.size()));
            if (event.kind == ws::Decoder::Event::Kind::Message) {
                m_messages.append(QJsonDocument::fromJson(payload).object());
            } else if (event.opcode == ws::Opcode::Close) {
                const auto info = ws::parseClosePayload(event.payload);
                m_closeCode = info ? int(info->code) : 1005;
            } else if (event.opcode == ws::Opcode::Pong) {
                ++m_pongs;
            }
        }
    }

    QTcpSocket m_socket;
    QByteArray m_received;
    ws::Decoder m_decoder{ws::Decoder::Peer::Server};
    bool m_upgraded = false;
    bool m_disconnected = false;
    std::optional<int> m_closeCode;
    QList<QJsonObject> m_messages;
    int m_pongs = 0;
};

struct Counts
{
    int agents = 0;
    int commands = 0;
    int sessions = 0;
    qint64 events = 0;
    bool operator==(const Counts &) const = default;
};

Counts countsOf(Store *store)
{
    Counts counts;
    counts.agents = int(store->listAgents().result().value().size());
    counts.commands = int(store->recentCommands({}, 100000).result().value().size());
    for (const QString &org : {u"acme"_s, u"globex"_s})
        counts.sessions += int(store->sessionsForOrg(org, true).result().value().size());
    const auto cursors = store->eventCursors().result();
    for (qint64 seq : cursors.value().latest)
        counts.events += seq;
    return counts;
}

std::string repeated(char c, int n)
{
    return std::string(size_t(n), c);
}

// What the offender should see.
enum class Expect { Close, ErrorFrame, Pong, Answered };

} // namespace

Q_DECLARE_METATYPE(Expect)
using Attack = std::function<void(RawClient &)>;
Q_DECLARE_METATYPE(Attack)

class tst_Hostile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void framing_data();
    void framing();
    void badMessages_data();
    void badMessages();
    void subscribeFlood();
    void adminSnapshotComesFirst();

private:
    // The bystander receives a session event published now, and answers a ping.
    void checkBystander();
    QByteArray sessionsTarget(const QString &user, const QString &org = u"acme"_s,
                              Role role = Role::Operator) const
    {
        return "/api/v1/ws/sessions?token=" + m_server->token(user, org, role).toLatin1();
    }

    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<JsonSocket> m_bystander;
    QString m_otherOrgSession;
    int m_published = 0;
};

void tst_Hostile::initTestCase()
{
    QLoggingCategory::setFilterRules(u"switchboard.limits.warning=false"_s);
    m_server = std::make_unique<TestServer>();
    m_server->settings().limits.browserMaxFrameBytes = 4096;
    QVERIFY(m_server->start());
    m_server->createAgent(u"agent-acme"_s, u"acme"_s);
    m_server->createAgent(u"agent-globex"_s, u"globex"_s, protocol::ApprovalStatus::Pending);
    // A session of another organisation, for the cross-org cases.
    protocol::SessionInfo session;
    session.sessionId = u"globex-secret-1"_s;
    session.orgId = u"globex"_s;
    session.userId = u"gina"_s;
    session.templateName = u"firefox"_s;
    session.agentId = u"agent-globex"_s;
    protocol::CommandInfo command;
    command.commandId = u"cmd-globex-1"_s;
    command.agentId = u"agent-globex"_s;
    command.action = u"start_session"_s;
    QVERIFY(m_server->server()->store()->createSessionWithCommand(session, command).result().ok());
    m_otherOrgSession = session.sessionId;

    m_bystander = std::make_unique<JsonSocket>();
    QVERIFY(m_bystander->open(
        m_server->wsUrl(u"/api/v1/ws/sessions"_s, m_server->token(u"bob"_s, u"acme"_s, Role::User))));
}

void tst_Hostile::cleanupTestCase()
{
    m_bystander.reset();
    m_server.reset();
}

void tst_Hostile::checkBystander()
{
    QVERIFY(m_bystander->isConnected());
    const int from = int(m_bystander->received().size());
    const QString sessionId = u"bob-s-%1"_s.arg(++m_published);
    const QJsonObject event{
        {"type"_L1, u"session.created"_s}, {"sessionId"_L1, sessionId}, {"userId"_L1, u"bob"_s}};
    const RawHttpResponse response =
        rawHttp(m_server->server()->serverPort(),
                httpRequest("POST", "/api/v1/events", QJsonDocument(event).toJson(QJsonDocument::Compact),
                            {"Authorization: Bearer " +
                             m_server->token(u"backend"_s, u"acme"_s, Role::Service).toLatin1()}),
                10000);
    QCOMPARE(response.status, 202);
    const QJsonObject got = m_bystander->waitFor(
        [&](const QJsonObject &m) { return m.value("sessionId"_L1).toString() == sessionId; }, 10000, from);
    QVERIFY2(!got.isEmpty(), "the bystander did not get its event");
}

void tst_Hostile::framing_data()
{
    QTest::addColumn<Attack>("attack");
    QTest::addColumn<Expect>("expect");
    QTest::addColumn<int>("closeCode"); // for Expect::Close; 0 = any close or a plain disconnect

    QTest::newRow("invalid UTF-8 in a text frame") << Attack([](RawClient &c) {
        c.frame(ws::Opcode::Text, "{\"type\":\"ping\",\"requestId\":\"\xff\xfe\"}");
    }) << Expect::Close << 1007;
    QTest::newRow("truncated frame, then gone") << Attack([](RawClient &c) {
        std::string out;
        ws::appendFrame(out, ws::Opcode::Text, repeated('x', 1000), true, 0x1234u);
        c.write(out.substr(0, 100));
        c.abort();
    }) << Expect::Close << 0;
    QTest::newRow("oversized message (one frame)")
        << Attack([](RawClient &c) { c.frame(ws::Opcode::Text, repeated('x', 8192)); }) << Expect::Close
        << 1009;
    QTest::newRow("oversized message (fragments)") << Attack([](RawClient &c) {
        for (int i = 0; i < 8; ++i)
            c.frame(i == 0 ? ws::Opcode::Text : ws::Opcode::Continuation, repeated('x', 1024), i == 7);
    }) << Expect::Close << 1009;
    QTest::newRow("fragmented valid message") << Attack([](RawClient &c) {
        c.frame(ws::Opcode::Text, "{\"type\":\"ping\",", false);
        c.frame(ws::Opcode::Ping, "in between");
        c.frame(ws::Opcode::Continuation, "\"requestId\":\"ok\"}", true);
    }) << Expect::Answered << 0;
    QTest::newRow("continuation without a start")
        << Attack([](RawClient &c) { c.frame(ws::Opcode::Continuation, "{}", true); }) << Expect::Close
        << 1002;
    QTest::newRow("new message inside a fragmented one") << Attack([](RawClient &c) {
        c.frame(ws::Opcode::Text, "{\"type\":", false);
        c.frame(ws::Opcode::Text, "\"ping\"}", true);
    }) << Expect::Close << 1002;
    // RFC 6455 5.1: a server must close the connection on an unmasked client frame.
    QTest::newRow("unmasked client frame") << Attack([](RawClient &c) {
        c.frame(ws::Opcode::Text, "{\"type\":\"ping\",\"requestId\":\"ok\"}", true, false);
    }) << Expect::Close << 1002;
    QTest::newRow("masked ping message answered") << Attack([](RawClient &c) {
        c.frame(ws::Opcode::Text, "{\"type\":\"ping\",\"requestId\":\"ok\"}", true);
    }) << Expect::Answered << 0;
    QTest::newRow("control frame over 125 bytes")
        << Attack([](RawClient &c) { c.frame(ws::Opcode::Ping, repeated('p', 200)); }) << Expect::Close
        << 1002;
    QTest::newRow("fragmented control frame")
        << Attack([](RawClient &c) { c.frame(ws::Opcode::Ping, "x", false); }) << Expect::Close << 1002;
    QTest::newRow("unknown opcode") << Attack([](RawClient &c) {
        c.frame(static_cast<ws::Opcode>(0x3), "{}");
    }) << Expect::Close << 1002;
    QTest::newRow("flood of pings") << Attack([](RawClient &c) {
        for (int i = 0; i < 2000; ++i)
            c.frame(ws::Opcode::Ping, "are you there");
    }) << Expect::Pong << 0;
    QTest::newRow("binary frame") << Attack([](RawClient &c) { c.frame(ws::Opcode::Binary, "\x01\x02"); })
                                  << Expect::ErrorFrame << 0;
}

void tst_Hostile::framing()
{
    QFETCH(Attack, attack);
    QFETCH(Expect, expect);
    QFETCH(int, closeCode);
    Store *store = m_server->server()->store();
    const Counts before = countsOf(store);

    RawClient offender;
    QVERIFY(offender.open(m_server->server()->serverPort(), sessionsTarget(u"mallory"_s)));
    attack(offender);
    switch (expect) {
    case Expect::Close:
        QVERIFY2(offender.waitForClose(), "the server did not close the connection");
        if (closeCode != 0)
            QCOMPARE(offender.closeCode().value_or(-1), closeCode);
        break;
    case Expect::ErrorFrame: {
        const QJsonObject error = offender.waitForType(u"error"_s);
        QCOMPARE(error.value("code"_L1).toString(), u"binary_frame"_s);
        QVERIFY(offender.isOpen());
        break;
    }
    case Expect::Pong:
        QTRY_VERIFY_WITH_TIMEOUT(offender.pongs() >= 2000, 20000);
        QVERIFY(offender.isOpen());
        break;
    case Expect::Answered: {
        const QJsonObject answer = offender.waitForType(u"pong"_s);
        QCOMPARE(answer.value("requestId"_L1).toString(), u"ok"_s);
        break;
    }
    }
    QCOMPARE(countsOf(store), before);
    checkBystander();
}

void tst_Hostile::badMessages_data()
{
    QTest::addColumn<QString>("stream"); // sessions | admin
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("code");

    const QString sessions = u"sessions"_s;
    const QString admin = u"admin"_s;
    QTest::newRow("deeply nested JSON")
        << sessions << QByteArray(QByteArray(2000, '[') + QByteArray(2000, ']')) << u"invalid_json"_s;
    QTest::newRow("deeply nested field")
        << sessions
        << QByteArray("{\"type\":\"subscribe\",\"requestId\":\"n\",\"userId\":" + QByteArray(1000, '[') +
                      QByteArray(1000, ']') + "}")
        << u"wrong_type"_s;
    // Qt's parser refuses numbers beyond a double's range; those within are merely the wrong type.
    QTest::newRow("number beyond double")
        << sessions << QByteArray("{\"type\":\"ping\",\"requestId\":1e999}") << u"invalid_json"_s;
    QTest::newRow("huge number as requestId")
        << sessions << QByteArray("{\"type\":\"ping\",\"requestId\":1e308}") << u"wrong_type"_s;
    QTest::newRow("huge integer as userId")
        << sessions
        << QByteArray(
               "{\"type\":\"subscribe\",\"requestId\":\"i\",\"userId\":123456789012345678901234567890}")
        << u"wrong_type"_s;
    QTest::newRow("huge resume position")
        << sessions << QByteArray(R"({"type":"resume","requestId":"h","epoch":"e","since":1e308})")
        << u"invalid_value"_s;
    QTest::newRow("huge seq on the admin stream")
        << admin << QByteArray(R"({"type":"resume","requestId":"h","epoch":"e","since":{"acme":1e300}})")
        << u"invalid_value"_s;
    QTest::newRow("duplicate keys") << sessions
                                    << QByteArray(
                                           R"({"type":"ping","type":"subscribe","requestId":"d","userId":5})")
                                    << u"wrong_type"_s;
    QTest::newRow("two messages in one frame")
        << sessions << QByteArray(R"({"type":"ping","requestId":"a"}{"type":"ping","requestId":"b"})")
        << u"invalid_json"_s;
    QTest::newRow("not an object") << sessions << QByteArray("[1,2,3]") << u"invalid_json"_s;
    QTest::newRow("empty frame") << sessions << QByteArray() << u"invalid_json"_s;

    // Every field of every browser request with a wrong type.
    const QList<std::pair<const char *, QByteArray>> browserFields{
        {"type", R"({"type":7,"requestId":"w"})"},
        {"requestId", R"({"type":"ping","requestId":{}})"},
        {"subscribe.userId", R"({"type":"subscribe","requestId":"w","userId":true})"},
        {"subscribe.sessionId", R"({"type":"subscribe","requestId":"w","sessionId":[]})"},
        {"unsubscribe.userId", R"({"type":"unsubscribe","requestId":"w","userId":1})"},
        {"unsubscribe.sessionId", R"({"type":"unsubscribe","requestId":"w","sessionId":null,"userId":{}})"},
        {"resume.epoch", R"({"type":"resume","requestId":"w","epoch":1,"since":0})"},
        {"resume.since", R"({"type":"resume","requestId":"w","epoch":"e","since":"0"})"},
    };
    for (const auto &[field, json] : browserFields)
        QTest::newRow(qPrintable(u"sessions wrong type: "_s + QLatin1StringView(field)))
            << sessions << json << u"wrong_type"_s;
    // And of every admin request.
    const QList<std::pair<const char *, QByteArray>> adminFields{
        {"requestId", R"({"type":"session.stop","requestId":5,"sessionId":"x"})"},
        {"command.send.agentId",
         R"({"type":"command.send","requestId":"w","agentId":1,"action":"stop_session","payload":{}})"},
        {"command.send.action",
         R"({"type":"command.send","requestId":"w","agentId":"a","action":[],"payload":{}})"},
        {"command.send.payload",
         R"({"type":"command.send","requestId":"w","agentId":"a","action":"stop_session","payload":"x"})"},
        {"session.start.orgId",
         R"({"type":"session.start","requestId":"w","orgId":1,"userId":"u","template":"t"})"},
        {"session.start.userId",
         R"({"type":"session.start","requestId":"w","orgId":"o","userId":[],"template":"t"})"},
        {"session.start.template",
         R"({"type":"session.start","requestId":"w","orgId":"o","userId":"u","template":{}})"},
        {"session.start.memory",
         R"({"type":"session.start","requestId":"w","orgId":"o","userId":"u","template":"t","memory":2})"},
        {"session.stop.sessionId", R"({"type":"session.stop","requestId":"w","sessionId":false})"},
        {"session.wake.sessionId", R"({"type":"session.wake","requestId":"w","sessionId":1.5})"},
        {"org.broadcast.orgId", R"({"type":"org.broadcast","requestId":"w","orgId":{},"data":1})"},
        {"agents.broadcast.message", R"({"type":"agents.broadcast","requestId":"w","message":5})"},
        {"agents.broadcast.shutdown",
         R"({"type":"agents.broadcast","requestId":"w","message":"m","shutdown":"yes"})"},
        {"agent.approve.agentId", R"({"type":"agent.approve","requestId":"w","agentId":[]})"},
        {"command.cancel.commandId", R"({"type":"command.cancel","requestId":"w","commandId":7})"},
        {"resume.epoch", R"({"type":"resume","requestId":"w","epoch":[],"since":{}})"},
        {"token.revoke.jti", R"({"type":"token.revoke","requestId":"w","jti":1})"},
        {"token.revoke.expiresAt", R"({"type":"token.revoke","requestId":"w","jti":"j","expiresAt":5})"},
        {"agent.rotate_key.agentId", R"({"type":"agent.rotate_key","requestId":"w","agentId":{}})"},
        {"agent.rotate_key.graceSeconds",
         R"({"type":"agent.rotate_key","requestId":"w","agentId":"a","graceSeconds":[]})"},
    };
    for (const auto &[field, json] : adminFields)
        QTest::newRow(qPrintable(u"admin wrong type: "_s + QLatin1StringView(field)))
            << admin << json << u"wrong_type"_s;

    // Ids of another organisation look like ids that do not exist, or are forbidden.
    QTest::newRow("cross-org subscribe")
        << sessions << QByteArray(R"({"type":"subscribe","requestId":"x","sessionId":"globex-secret-1"})")
        << u"not_found"_s;
    QTest::newRow("cross-org session.stop")
        << admin << QByteArray(R"({"type":"session.stop","requestId":"x","sessionId":"globex-secret-1"})")
        << u"forbidden"_s;
    QTest::newRow("cross-org agent.approve")
        << admin << QByteArray(R"({"type":"agent.approve","requestId":"x","agentId":"agent-globex"})")
        << u"forbidden"_s;
    QTest::newRow("cross-org session.start")
        << admin
        << QByteArray(
               R"({"type":"session.start","requestId":"x","orgId":"globex","userId":"gina","template":"t"})")
        << u"forbidden"_s;
    QTest::newRow("cross-org command.cancel")
        << admin << QByteArray(R"({"type":"command.cancel","requestId":"x","commandId":"cmd-globex-1"})")
        << u"forbidden"_s;
    QTest::newRow("cross-org org.broadcast")
        << admin << QByteArray(R"({"type":"org.broadcast","requestId":"x","orgId":"globex","data":{"x":1}})")
        << u"forbidden"_s;
    QTest::newRow("cross-org agent.rotate_key")
        << admin << QByteArray(R"({"type":"agent.rotate_key","requestId":"x","agentId":"agent-globex"})")
        << u"forbidden"_s;
}

void tst_Hostile::badMessages()
{
    QFETCH(QString, stream);
    QFETCH(QByteArray, json);
    QFETCH(QString, code);
    Store *store = m_server->server()->store();
    const Counts before = countsOf(store);

    RawClient offender;
    // An operator of acme: the most an attacker with a stolen console token of one org has.
    const QByteArray target =
        stream == "admin"_L1
            ? "/api/v1/ws/admin?token=" + m_server->token(u"mallory"_s, u"acme"_s, Role::Operator).toLatin1()
            : sessionsTarget(u"mallory"_s);
    QVERIFY(offender.open(m_server->server()->serverPort(), target));
    int from = 0;
    if (stream == "admin"_L1) {
        QCOMPARE(offender.waitForMessage(0).value("type"_L1).toString(), u"snapshot"_s);
        from = int(offender.messages().size());
    }
    offender.text(json);
    QJsonObject answer;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (int i = from; i < offender.messages().size(); ++i) {
                const QString type = offender.messages().at(i).value("type"_L1).toString();
                if (type == "error"_L1 || type == "reply"_L1 || type == "pong"_L1) {
                    answer = offender.messages().at(i);
                    return true;
                }
            }
            return false;
        }(),
        10000);
    QCOMPARE(answer.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(answer.value("code"_L1).toString(), code);
    QVERIFY(offender.isOpen()); // one bad frame is answered, not punished
    QCOMPARE(countsOf(store), before);
    checkBystander();
}

void tst_Hostile::subscribeFlood()
{
    Store *store = m_server->server()->store();
    const Counts before = countsOf(store);
    RawClient offender;
    QVERIFY(offender.open(m_server->server()->serverPort(), sessionsTarget(u"mallory"_s)));
    std::string burst;
    for (int i = 0; i < 10000; ++i) {
        const std::string json = R"({"type":"subscribe","requestId":"s)" + std::to_string(i) +
                                 R"(","userId":"u)" + std::to_string(i) + R"("})";
        ws::appendFrame(burst, ws::Opcode::Text, json, true, 0xabcdef01u);
    }
    offender.write(burst);
    // The message rate limit (50/s, bursts of 100) ends it long before the subscription limit.
    QVERIFY(offender.waitForClose(20000));
    QCOMPARE(offender.closeCode().value_or(-1), 1008);
    bool rateLimited = false;
    for (const QJsonObject &message : offender.messages())
        rateLimited |= message.value("code"_L1).toString() == "rate_limited"_L1;
    QVERIFY(rateLimited);
    QVERIFY(offender.messages().size() <= 110);
    QCOMPARE(countsOf(store), before);
    checkBystander();
}

// Regression: Hub announced a new admin client's org count (org.updated) before AdminService
// knew the client waited for its snapshot, so every admin stream began with a delta.
void tst_Hostile::adminSnapshotComesFirst()
{
    for (int i = 0; i < 3; ++i) {
        RawClient console;
        QVERIFY(console.open(m_server->server()->serverPort(),
                             "/api/v1/ws/admin?token=" +
                                 m_server->token(u"ops-%1"_s.arg(i), u"acme"_s, Role::Operator).toLatin1()));
        const QJsonObject first = console.waitForMessage(0);
        QCOMPARE(first.value("type"_L1).toString(), u"snapshot"_s);
        // The org count of its own arrival follows the snapshot, not before it.
        const QJsonObject second = console.waitForMessage(1);
        QCOMPARE(second.value("type"_L1).toString(), u"org.updated"_s);
    }
}

QTEST_MAIN(tst_Hostile)
#include "tst_hostile.moc"
