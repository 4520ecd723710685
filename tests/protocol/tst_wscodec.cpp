// The load tool's own WebSocket framing: what it sends must be valid RFC 6455 client frames, and
// what it reads must be decoded exactly (lengths, fragments, control frames, closes, handshake).
#include "shared/WsCodec.h"

#include <QTest>

using namespace switchboard::ws;

namespace {

std::string bytes(std::initializer_list<int> values)
{
    std::string out;
    for (const int v : values)
        out.push_back(static_cast<char>(v));
    return out;
}

std::uint32_t keyFromBytes(unsigned char a, unsigned char b, unsigned char c, unsigned char d)
{
    const unsigned char raw[4] = {a, b, c, d};
    std::uint32_t key = 0;
    std::memcpy(&key, raw, 4);
    return key;
}

QByteArray toQ(std::string_view view)
{
    return QByteArray(view.data(), static_cast<qsizetype>(view.size()));
}

} // namespace

class TestWsCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rfcMaskedHelloIsByteExact()
    {
        // RFC 6455 5.7: a single-frame masked text message "Hello".
        std::string out;
        appendFrame(out, Opcode::Text, "Hello", true, keyFromBytes(0x37, 0xfa, 0x21, 0x3d));
        QCOMPARE(toQ(out), toQ(bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58})));

        Decoder decoder(Decoder::Peer::Client);
        decoder.feed(out.data(), out.size());
        const auto event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Message);
        QCOMPARE(toQ(event.payload), QByteArray("Hello"));
    }

    void rfcUnmaskedServerFrame()
    {
        const std::string frame = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
        Decoder decoder(Decoder::Peer::Server);
        decoder.feed(frame.data(), frame.size());
        const auto event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Message);
        QCOMPARE(event.opcode, Opcode::Text);
        QCOMPARE(toQ(event.payload), QByteArray("Hello"));
        QCOMPARE(decoder.next().kind, Decoder::Event::Kind::NeedMore);
    }

    void lengths_data()
    {
        QTest::addColumn<int>("length");
        QTest::addColumn<int>("headerBytes"); // without the mask key
        QTest::addColumn<int>("lengthCode");  // the 7-bit length field
        QTest::newRow("0") << 0 << 2 << 0;
        QTest::newRow("125 (largest 7-bit)") << 125 << 2 << 125;
        QTest::newRow("126 (smallest 16-bit)") << 126 << 4 << 126;
        QTest::newRow("65535 (largest 16-bit)") << 65535 << 4 << 126;
        QTest::newRow("65536 (smallest 64-bit)") << 65536 << 10 << 127;
        QTest::newRow("200000") << 200000 << 10 << 127;
    }

    void lengths()
    {
        QFETCH(int, length);
        QFETCH(int, headerBytes);
        QFETCH(int, lengthCode);
        std::string payload(static_cast<std::size_t>(length), '\0');
        for (std::size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<char>('a' + i % 26);

        for (const bool masked : {true, false}) {
            std::string out;
            appendFrame(out, Opcode::Binary, payload, true,
                        masked ? std::optional<std::uint32_t>(0xA1B2C3D4u) : std::nullopt);
            QCOMPARE(static_cast<int>(out.size()), headerBytes + (masked ? 4 : 0) + length);
            QCOMPARE(static_cast<unsigned char>(out[0]), 0x82);
            QCOMPARE(static_cast<unsigned char>(out[1]) & 0x7F, lengthCode);
            QCOMPARE((static_cast<unsigned char>(out[1]) & 0x80) != 0, masked);
            if (lengthCode == 126)
                QCOMPARE((static_cast<unsigned char>(out[2]) << 8) | static_cast<unsigned char>(out[3]),
                         length);
            if (masked && length > 0)
                QVERIFY(out.substr(static_cast<std::size_t>(headerBytes) + 4) != payload);

            // Arriving in awkward pieces must not matter.
            Decoder decoder(masked ? Decoder::Peer::Client : Decoder::Peer::Server);
            std::size_t offset = 0;
            std::size_t piece = 1;
            Decoder::Event event;
            while (offset < out.size()) {
                const std::size_t n = std::min(piece, out.size() - offset);
                decoder.feed(out.data() + offset, n);
                offset += n;
                piece = piece * 3 + 1;
                event = decoder.next();
                if (offset < out.size())
                    QCOMPARE(event.kind, Decoder::Event::Kind::NeedMore);
            }
            QCOMPARE(event.kind, Decoder::Event::Kind::Message);
            QCOMPARE(event.opcode, Opcode::Binary);
            QCOMPARE(static_cast<int>(event.payload.size()), length);
            QVERIFY(event.payload == payload);
        }
    }

    void maskOffsetsAndWordPathAgree()
    {
        std::string data(37, 'z');
        std::string reference = data;
        const std::uint32_t key = 0x11223344u;
        applyMask(data.data(), data.size(), key);
        unsigned char k[4];
        std::memcpy(k, &key, 4);
        for (std::size_t i = 0; i < reference.size(); ++i)
            reference[i] = static_cast<char>(static_cast<unsigned char>(reference[i]) ^ k[i % 4]);
        QVERIFY(data == reference);
    }

    void fragmentedMessageWithInterleavedPing()
    {
        std::string stream;
        const std::uint32_t key = 0x01020304u;
        appendFrame(stream, Opcode::Text, "Hel", false, key);
        appendFrame(stream, Opcode::Ping, "are you there", true, key);
        appendFrame(stream, Opcode::Continuation, "lo, ", false, key);
        appendFrame(stream, Opcode::Continuation, "world", true, key);
        appendFrame(stream, Opcode::Text, "next", true, key);

        Decoder decoder(Decoder::Peer::Client);
        decoder.feed(stream.data(), stream.size());
        auto event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Control);
        QCOMPARE(event.opcode, Opcode::Ping);
        QCOMPARE(toQ(event.payload), QByteArray("are you there"));
        event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Message);
        QCOMPARE(event.opcode, Opcode::Text);
        QCOMPARE(toQ(event.payload), QByteArray("Hello, world"));
        event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Message);
        QCOMPARE(toQ(event.payload), QByteArray("next"));
        QCOMPARE(decoder.next().kind, Decoder::Event::Kind::NeedMore);
    }

    void controlFramesAndClose()
    {
        std::string stream;
        appendFrame(stream, Opcode::Pong, "p", true, std::nullopt);
        appendFrame(stream, Opcode::Close, closePayload(1008, "slow client"), true, std::nullopt);
        Decoder decoder(Decoder::Peer::Server);
        decoder.feed(stream.data(), stream.size());
        auto event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Control);
        QCOMPARE(event.opcode, Opcode::Pong);
        event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Control);
        QCOMPARE(event.opcode, Opcode::Close);
        const auto info = parseClosePayload(event.payload);
        QVERIFY(info);
        QCOMPARE(info->code, 1008);
        QCOMPARE(QByteArray::fromStdString(info->reason), QByteArray("slow client"));

        QCOMPARE(parseClosePayload({})->code, 1005);
        QVERIFY(!parseClosePayload(std::string_view("\x03", 1)));
        // Reasons are cut so that the close frame stays a valid control frame (<= 125 bytes).
        QCOMPARE(closePayload(1000, std::string(300, 'r')).size(), std::size_t(125));
    }

    void protocolErrors_data()
    {
        QTest::addColumn<QByteArray>("frames");
        QTest::addColumn<bool>("fromClient");
        QTest::addColumn<QString>("expected");
        auto frame = [](Opcode opcode, std::string_view payload, bool fin, bool mask) {
            std::string out;
            appendFrame(out, opcode, payload, fin, mask ? std::optional<std::uint32_t>(7u) : std::nullopt);
            return QByteArray::fromStdString(out);
        };
        QTest::newRow("fragmented ping")
            << frame(Opcode::Ping, "x", false, false) << false << QStringLiteral("fragmented control frame");
        QTest::newRow("126-byte ping") << frame(Opcode::Ping, std::string(126, 'x'), true, false) << false
                                       << QStringLiteral("control frame longer than 125 bytes");
        QTest::newRow("stray continuation") << frame(Opcode::Continuation, "x", true, false) << false
                                            << QStringLiteral("continuation frame without");
        QTest::newRow("text inside a fragmented message")
            << (frame(Opcode::Text, "a", false, false) + frame(Opcode::Text, "b", true, false)) << false
            << QStringLiteral("new data frame while");
        QTest::newRow("masked frame from a server")
            << frame(Opcode::Text, "x", true, true) << false << QStringLiteral("a server must not mask");
        QTest::newRow("unmasked frame from a client")
            << frame(Opcode::Text, "x", true, false) << true << QStringLiteral("a client must mask");
        QTest::newRow("reserved bits")
            << QByteArray("\xC1\x01x", 3) << false << QStringLiteral("reserved bits");
        QTest::newRow("opcode 3") << QByteArray("\x83\x01x", 3) << false
                                  << QStringLiteral("unknown opcode 3");
    }

    void protocolErrors()
    {
        QFETCH(QByteArray, frames);
        QFETCH(bool, fromClient);
        QFETCH(QString, expected);
        Decoder decoder(fromClient ? Decoder::Peer::Client : Decoder::Peer::Server);
        decoder.feed(frames.constData(), static_cast<std::size_t>(frames.size()));
        Decoder::Event event = decoder.next();
        if (event.kind == Decoder::Event::Kind::Message) // the first of two frames may be fine
            event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Error);
        QVERIFY2(QString::fromStdString(event.error).contains(expected), event.error.c_str());
        QCOMPARE(decoder.next().kind, Decoder::Event::Kind::Error); // stays failed
    }

    void messageSizeLimitCoversFragments()
    {
        std::string stream;
        appendFrame(stream, Opcode::Text, std::string(60, 'a'), false, std::nullopt);
        appendFrame(stream, Opcode::Continuation, std::string(60, 'b'), true, std::nullopt);
        Decoder decoder(Decoder::Peer::Server, 100);
        decoder.feed(stream.data(), stream.size());
        const auto event = decoder.next();
        QCOMPARE(event.kind, Decoder::Event::Kind::Error);
        QVERIFY(event.error.find("longer than 100") != std::string::npos);
    }

    void handshake()
    {
        // RFC 6455 1.3's example key and answer.
        QCOMPARE(QByteArray::fromStdString(acceptKeyFor("dGhlIHNhbXBsZSBub25jZQ==")),
                 QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        const std::string key = makeClientKey(42);
        QCOMPARE(key.size(), std::size_t(24));
        QVERIFY(makeClientKey(43) != key);

        const std::string request =
            upgradeRequest("127.0.0.1:80", "/api/v1/ws/sessions?token=t", key, "X-Agent-API-Key: k\r\n");
        QVERIFY(request.starts_with("GET /api/v1/ws/sessions?token=t HTTP/1.1\r\nHost: 127.0.0.1:80\r\n"));
        QVERIFY(request.find("Sec-WebSocket-Key: " + key + "\r\n") != std::string::npos);
        QVERIFY(request.find("X-Agent-API-Key: k\r\n") != std::string::npos);
        QVERIFY(request.ends_with("\r\n\r\n"));

        std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
                               "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: " +
                               acceptKeyFor(key) + "\r\n\r\n";
        const std::size_t headSize = response.size();
        appendFrame(response, Opcode::Text, "first", true, std::nullopt);
        QCOMPARE(parseUpgradeResponse(std::string_view(response).substr(0, headSize - 1), key).kind,
                 UpgradeResult::Kind::NeedMore);
        const UpgradeResult ok = parseUpgradeResponse(response, key);
        QCOMPARE(ok.kind, UpgradeResult::Kind::Upgraded);
        QCOMPARE(ok.status, 101);
        QCOMPARE(ok.headBytes, headSize); // the frame after the head is left for the decoder

        const UpgradeResult wrongKey = parseUpgradeResponse(response, makeClientKey(1));
        QCOMPARE(wrongKey.kind, UpgradeResult::Kind::Refused);
        QCOMPARE(QString::fromStdString(wrongKey.error), QStringLiteral("wrong Sec-WebSocket-Accept"));

        const UpgradeResult refused =
            parseUpgradeResponse("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}", key);
        QCOMPARE(refused.kind, UpgradeResult::Kind::Refused);
        QCOMPARE(refused.status, 403);
        QCOMPARE(QString::fromStdString(refused.error), QStringLiteral("HTTP/1.1 403 Forbidden"));
    }

    void httpResponse()
    {
        const std::string full = "HTTP/1.1 202 Accepted\r\ncontent-length: 11\r\n\r\n{\"a\":\"key\"}X";
        QVERIFY(!parseHttpResponse(full.substr(0, 20)).complete);
        QVERIFY(!parseHttpResponse(full.substr(0, full.size() - 3)).complete);
        const HttpResponse response = parseHttpResponse(full);
        QVERIFY(response.complete);
        QCOMPARE(response.status, 202);
        // Bytes after Content-Length are not part of the body.
        QCOMPARE(QByteArray::fromStdString(response.body), QByteArray("{\"a\":\"key\"}"));
    }
};

QTEST_APPLESS_MAIN(TestWsCodec)
#include "tst_wscodec.moc"
