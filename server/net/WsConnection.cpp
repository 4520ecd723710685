#include "net/WsConnection.h"

#include <QPointer>

#include <algorithm>
#include <array>
#include <cstring>

namespace switchboard {

namespace {

// What a QTcpSocket transport (TLS) may buffer ahead of the decoder.
constexpr qint64 kReadBufferBytes = 256 * 1024;

constexpr quint16 kCloseNormal = 1000;
constexpr quint16 kCloseNoStatus = 1005;
constexpr quint16 kCloseProtocolError = 1002;
constexpr quint16 kCloseInvalidPayload = 1007;

// Codes a peer may send (RFC 6455 7.4.1 and the IANA registry); 1005, 1006 and 1015 never
// appear on the wire.
bool isValidCloseCode(quint16 code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

QByteArray encodeFrame(ws::Opcode opcode, QByteArrayView payload)
{
    const qsizetype size = payload.size();
    const qsizetype header = size <= 125 ? 2 : (size <= 0xFFFF ? 4 : 10);
    QByteArray frame(header + size, Qt::Uninitialized);
    auto *out = reinterpret_cast<unsigned char *>(frame.data());
    out[0] = static_cast<unsigned char>(0x80 | static_cast<unsigned char>(opcode));
    if (size <= 125) {
        out[1] = static_cast<unsigned char>(size);
    } else if (size <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<unsigned char>((size >> 8) & 0xFF);
        out[3] = static_cast<unsigned char>(size & 0xFF);
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; ++i)
            out[2 + i] = static_cast<unsigned char>((quint64(size) >> (56 - 8 * i)) & 0xFF);
    }
    if (size > 0)
        std::memcpy(out + header, payload.data(), size_t(size));
    return frame;
}

} // namespace

WsConnection::WsConnection(QObject *parent)
    : QObject(parent)
    , m_decoder(ws::Decoder::Peer::Client)
{}

WsConnection::~WsConnection()
{
    // No signal from a half-destroyed object: the transport closes quietly.
    if (m_transport)
        m_transport->close(false);
}

WsConnection *WsConnection::fromTransport(std::unique_ptr<Transport> transport,
                                          const QHostAddress &peerAddress, quint16 peerPort,
                                          const QByteArray &received, const QByteArray &handshakeAnswer,
                                          QObject *parent)
{
    auto *connection = new WsConnection(parent);
    connection->m_peerAddress = peerAddress;
    connection->m_peerPort = peerPort;
    connection->start(std::move(transport), received, handshakeAnswer);
    return connection;
}

void WsConnection::start(std::unique_ptr<Transport> transport, const QByteArray &received,
                         const QByteArray &handshakeAnswer)
{
    m_transport = std::move(transport);
    m_transport->setEvents(this);
    m_transport->setReadBufferLimit(kReadBufferBytes);
    m_transport->setReadInterest(true);
    if (!handshakeAnswer.isEmpty())
        enqueue(handshakeAnswer, false);
    if (!received.isEmpty()) {
        m_decoder.feed(received.constData(), size_t(received.size()));
        // Decoded from the event loop, once the owner has connected to our signals.
        QMetaObject::invokeMethod(
            this,
            [this] {
                if (m_state != State::Closed)
                    decode();
            },
            Qt::QueuedConnection);
    }
}

int WsConnection::socketDescriptor() const
{
    return m_transport ? m_transport->descriptor() : -1;
}

void WsConnection::setMaxMessageBytes(qint64 bytes)
{
    m_decoder.setMaxMessageBytes(size_t(std::max<qint64>(bytes, 0)));
}

QByteArray WsConnection::encodeTextFrame(QByteArrayView utf8)
{
    return encodeFrame(ws::Opcode::Text, utf8);
}

bool WsConnection::sendFrame(const QByteArray &encodedTextFrame)
{
    if (m_state != State::Open)
        return false;
    return enqueue(encodedTextFrame, true);
}

bool WsConnection::queueFrame(const QByteArray &encodedTextFrame)
{
    if (m_state != State::Open || !m_transport || m_disconnectedEmitted || m_writeFailureReported)
        return false;
    append(encodedTextFrame, true);
    return true;
}

void WsConnection::flush()
{
    if (!m_transport || m_disconnectedEmitted || m_writeFailureReported || m_waitingForWritable)
        return;
    writeQueued();
}

void WsConnection::ping(QByteArrayView payload)
{
    if (m_state != State::Open)
        return;
    enqueue(encodeFrame(ws::Opcode::Ping, payload.first(std::min<qsizetype>(payload.size(), 125))), false);
}

void WsConnection::close(quint16 code, const QString &reason)
{
    if (m_state != State::Open)
        return;
    m_state = State::Closing;
    sendCloseFrame(code, reason);
}

void WsConnection::abort()
{
    m_state = State::Closed;
    closeTransport(false);
}

void WsConnection::sendCloseFrame(quint16 code, const QString &reason)
{
    if (m_closeSent)
        return;
    m_closeSent = true;
    QByteArray payload;
    if (code != kCloseNoStatus) {
        payload.append(char(code >> 8));
        payload.append(char(code & 0xFF));
        // A control frame carries at most 125 bytes; cut the reason on a character boundary.
        QByteArray text = reason.toUtf8();
        while (text.size() > 123) {
            text.chop(1);
            while (!text.isEmpty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80)
                text.chop(1);
            if (!text.isEmpty() && (static_cast<unsigned char>(text.back()) & 0x80) != 0)
                text.chop(1);
        }
        payload.append(text);
    }
    enqueue(encodeFrame(ws::Opcode::Close, payload), false);
}

bool WsConnection::enqueue(const QByteArray &bytes, bool dataMessage)
{
    if (!m_transport || m_disconnectedEmitted || m_writeFailureReported)
        return false;
    append(bytes, dataMessage);
    // While the kernel refuses bytes, the write notifier takes over; otherwise out it goes now,
    // together with whatever queueFrame() left for the next flush.
    if (!m_waitingForWritable)
        writeQueued();
    return true;
}

void WsConnection::append(const QByteArray &bytes, bool dataMessage)
{
    m_queue.append({bytes, dataMessage});
    m_queuedBytes += bytes.size();
    if (dataMessage)
        ++m_queuedMessages;
}

bool WsConnection::writeQueued()
{
    constexpr int kMaxBuffers = 64;
    std::array<iovec, kMaxBuffers> buffers;
    while (!m_queue.isEmpty()) {
        int count = 0;
        qint64 wanted = 0;
        for (qsizetype i = 0; i < m_queue.size() && count < kMaxBuffers; ++i, ++count) {
            const QByteArray &bytes = m_queue.at(i).bytes;
            const qint64 skip = i == 0 ? m_firstChunkOffset : 0;
            buffers[size_t(count)].iov_base = const_cast<char *>(bytes.constData() + skip);
            buffers[size_t(count)].iov_len = size_t(bytes.size() - skip);
            wanted += bytes.size() - skip;
        }
        const qint64 written = m_transport->write(buffers.data(), count);
        if (written < 0) {
            reportWriteFailureLater();
            return false;
        }
        m_queuedBytes -= written;
        qint64 left = written;
        while (left > 0) {
            const Chunk &chunk = m_queue.constFirst();
            const qint64 rest = chunk.bytes.size() - m_firstChunkOffset;
            if (left < rest) {
                m_firstChunkOffset += left;
                break;
            }
            left -= rest;
            if (chunk.dataMessage)
                --m_queuedMessages;
            m_queue.removeFirst();
            m_firstChunkOffset = 0;
        }
        if (written < wanted) {
            if (!m_waitingForWritable) {
                m_waitingForWritable = true;
                m_transport->setWriteInterest(true);
            }
            return true;
        }
    }
    m_queue = {}; // give back the list's storage: most connections are idle most of the time
    if (m_waitingForWritable) {
        m_waitingForWritable = false;
        m_transport->setWriteInterest(false);
    }
    return true;
}

void WsConnection::reportWriteFailureLater()
{
    // Callers are in the middle of a send loop: the disconnection is reported from the event
    // loop. Until then the connection takes nothing more.
    m_writeFailureReported = true;
    m_state = State::Closed;
    QMetaObject::invokeMethod(
        this, [this] { closeTransport(false); }, Qt::QueuedConnection);
}

void WsConnection::transportWritable()
{
    if (!m_transport || m_disconnectedEmitted || m_writeFailureReported)
        return;
    const qint64 before = m_queuedBytes;
    m_waitingForWritable = false; // writeQueued() asks again if the kernel is still full
    m_transport->setWriteInterest(false);
    if (!writeQueued())
        return;
    if (before > m_queuedBytes) {
        const QPointer<WsConnection> guard(this);
        Q_EMIT bytesWritten(before - m_queuedBytes);
        if (!guard)
            return;
    }
    finishIfClosed();
}

void WsConnection::transportReadable()
{
    if (!m_transport || m_disconnectedEmitted)
        return;
    // One buffer for every connection of the thread: reads are copied into the decoder at once.
    thread_local std::array<char, 64 * 1024> scratch;
    const QPointer<WsConnection> guard(this);
    qint64 budget = m_transport->readBudget();
    while (budget > 0) {
        const qint64 n = m_transport->read(scratch.data(), qint64(scratch.size()));
        if (n == 0)
            break;
        if (n < 0) {
            closeTransport(false);
            return;
        }
        budget -= n;
        if (m_closeReceived)
            continue; // nothing more is decoded after a close (or a failure): drain and drop
        m_decoder.feed(scratch.data(), size_t(n));
        decode();
        if (!guard || m_disconnectedEmitted)
            return;
        // Less than asked for: the kernel is drained, and asking again would only cost a
        // syscall that says so (the notifier is level-triggered: nothing can be missed).
        if (n < qint64(scratch.size()))
            break;
    }
    m_decoder.releaseIdleMemory();
}

void WsConnection::decode()
{
    const QPointer<WsConnection> guard(this);
    while (m_state != State::Closed && !m_closeReceived) {
        const ws::Decoder::Event event = m_decoder.next();
        switch (event.kind) {
        case ws::Decoder::Event::Kind::NeedMore:
            return;
        case ws::Decoder::Event::Kind::Error:
            failConnection(event.closeCode, QString::fromStdString(event.error));
            return;
        case ws::Decoder::Event::Kind::Control:
            if (!handleControl(event.opcode, event.payload))
                return;
            break;
        case ws::Decoder::Event::Kind::Message:
            if (m_state != State::Open)
                break; // we are closing: what the peer still sends is dropped
            if (event.opcode == ws::Opcode::Text) {
                if (!ws::isValidUtf8(event.payload)) {
                    failConnection(kCloseInvalidPayload, QStringLiteral("invalid UTF-8 in a text message"));
                    return;
                }
                Q_EMIT textMessageReceived(QByteArray(event.payload.data(), qsizetype(event.payload.size())));
            } else {
                Q_EMIT binaryMessageReceived(
                    QByteArray(event.payload.data(), qsizetype(event.payload.size())));
            }
            if (!guard)
                return;
            break;
        }
    }
}

bool WsConnection::handleControl(ws::Opcode opcode, std::string_view payload)
{
    switch (opcode) {
    case ws::Opcode::Ping:
        if (!m_closeSent)
            enqueue(encodeFrame(ws::Opcode::Pong, QByteArrayView(payload.data(), qsizetype(payload.size()))),
                    false);
        return true;
    case ws::Opcode::Pong: {
        const QPointer<WsConnection> guard(this);
        Q_EMIT pong(QByteArray(payload.data(), qsizetype(payload.size())));
        return bool(guard);
    }
    case ws::Opcode::Close: {
        const std::optional<ws::CloseInfo> info = ws::parseClosePayload(payload);
        // An empty payload means "no status" (1005); 1005 itself must never be on the wire.
        if (!info || (!payload.empty() && !isValidCloseCode(info->code))) {
            failConnection(kCloseProtocolError, QStringLiteral("invalid close frame"));
            return false;
        }
        if (!ws::isValidUtf8(info->reason)) {
            failConnection(kCloseInvalidPayload, QStringLiteral("invalid UTF-8 in the close reason"));
            return false;
        }
        m_closeCode = info->code;
        m_closeReason = QString::fromStdString(info->reason);
        m_closeReceived = true;
        if (m_state == State::Open)
            m_state = State::Closing;
        // Echo the peer's code (RFC 6455 5.5.1); "no status" is answered with a plain close.
        sendCloseFrame(info->code == kCloseNoStatus ? kCloseNormal : info->code, {});
        finishIfClosed();
        return false;
    }
    default:
        return true;
    }
}

void WsConnection::failConnection(quint16 code, const QString &reason)
{
    // RFC 6455 7.1.7: send a close frame (if not done yet) and close; nothing more is read.
    m_state = State::Closing;
    m_closeReceived = true; // we do not wait for the peer's answer
    sendCloseFrame(code, reason);
    finishIfClosed();
}

void WsConnection::finishIfClosed()
{
    if (m_closeSent && m_closeReceived && m_queue.isEmpty())
        closeTransport(true);
}

void WsConnection::closeTransport(bool graceful)
{
    m_state = State::Closed;
    if (m_transport)
        m_transport->close(graceful);
    m_queue = {};
    m_queuedBytes = 0;
    m_queuedMessages = 0;
    if (m_disconnectedEmitted)
        return;
    m_disconnectedEmitted = true;
    Q_EMIT disconnected();
}

void WsConnection::transportClosed()
{
    closeTransport(false);
}

} // namespace switchboard
