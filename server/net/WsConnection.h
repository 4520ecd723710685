// WsConnection: the server's end of one WebSocket connection after the upgrade (RFC 6455), our
// own instead of QWebSocket. Why: a QWebSocket holds a QTcpSocket, its ring buffers and several
// helper objects (≈ 60 KB allocated, 12–14 KB kept per idle connection, see docs/BENCHMARKS.md),
// re-encodes every outgoing QString to UTF-8 per recipient, and buffers every write until the
// event loop comes back to it (two epoll_ctl calls per message). This class:
// - on plain TCP works on the descriptor itself (Transport.h: one read notifier, a write notifier
//   only while the kernel refuses bytes; the same transport the front door read the HTTP head
//   through) and writes straight to the kernel, or, for fan-out, queues frames until the owner's
//   flush() so that a burst costs one gathered write (sendmsg) per connection;
// - takes pre-encoded frames (encodeTextFrame()) so a broadcast encodes once and every recipient
//   shares the bytes (QByteArray is implicitly shared; a queued frame is not copied);
// - counts the data messages not yet handed to the kernel, exactly, for the slow-client policy;
// - decodes client frames with the shared codec (shared/WsCodec.h): masking required, control
//   frame rules, fragment reassembly, a message size limit (1009), UTF-8 checked (1007), pings
//   answered, the closing handshake done both ways.
// Over TLS its transport drives a QSslSocket (Qt does the encryption) through the same code.
//
// Signals are emitted from the event loop only (reads, write-ready, and a queued report of a
// failed write), never from inside sendText()/sendFrame()/ping()/close(); abort() emits
// disconnected() synchronously, once, like QAbstractSocket::abort(). Receivers may delete the
// connection with deleteLater() from any signal.
#pragma once

#include "net/Transport.h"
#include "shared/WsCodec.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>

#include <memory>

namespace switchboard {

class WsConnection : public QObject, private TransportEvents
{
    Q_OBJECT

public:
    enum class State { Open, Closing, Closed };

    // Takes over `transport` (readiness now comes here). `received` are bytes already read after
    // the HTTP head, `handshakeAnswer` the 101 response still to write (it goes out before any
    // frame).
    static WsConnection *fromTransport(std::unique_ptr<Transport> transport, const QHostAddress &peerAddress,
                                       quint16 peerPort, const QByteArray &received,
                                       const QByteArray &handshakeAnswer, QObject *parent = nullptr);
    ~WsConnection() override;

    // Largest message (after reassembly) a client may send; larger ones close with 1009.
    void setMaxMessageBytes(qint64 bytes);

    State state() const { return m_state; }
    bool isOpen() const { return m_state == State::Open; }
    QHostAddress peerAddress() const { return m_peerAddress; }
    quint16 peerPort() const { return m_peerPort; }
    // The descriptor on plain TCP while open; -1 over TLS (the QSslSocket has it) or once closed.
    int socketDescriptor() const;

    // An unmasked, unfragmented text frame carrying `utf8` (which must be valid UTF-8).
    static QByteArray encodeTextFrame(QByteArrayView utf8);
    // Queue one message; false when the connection is not open (nothing is queued then).
    bool sendText(QByteArrayView utf8) { return sendFrame(encodeTextFrame(utf8)); }
    bool sendFrame(const QByteArray &encodedTextFrame);
    // Queues a frame without writing it: the owner calls flush() once it has queued what this
    // turn of the event loop produced, so a burst of broadcasts costs one syscall per
    // connection, not one per message. (sendFrame()/ping()/close() write the queue too.)
    bool queueFrame(const QByteArray &encodedTextFrame);
    // Hands the kernel what it takes now; never blocks, never emits (a failure is reported
    // from the event loop).
    void flush();
    void ping(QByteArrayView payload = {});
    // Starts the closing handshake: a close frame goes out after what is queued, messages that
    // still arrive are dropped, and the transport closes once the peer answered (or when the
    // owner calls abort(), e.g. after a timeout). Does nothing unless open.
    void close(quint16 code, const QString &reason = {});
    // Closes the transport now, discarding what is queued; emits disconnected() if it had not.
    void abort();

    // Bytes queued and not yet taken by the kernel (TLS: by the QSslSocket's bounded buffer).
    qint64 bytesToWrite() const { return m_queuedBytes; }
    // Data messages (sendText/sendFrame) not yet wholly taken by the kernel.
    int messagesToWrite() const { return m_queuedMessages; }

    // The code of the close frame the peer sent (1005 when it had none; 1006 when the
    // connection ended without one), and its reason.
    quint16 closeCode() const { return m_closeCode; }
    QString closeReason() const { return m_closeReason; }

Q_SIGNALS:
    void textMessageReceived(const QByteArray &utf8);
    void binaryMessageReceived(const QByteArray &data);
    // Any complete frame from the peer, pongs included: it is alive.
    void frameReceived();
    void pong(const QByteArray &payload);
    // Queued bytes reached the kernel after the kernel had refused them (backpressure eased).
    void bytesWritten(qint64 bytes);
    void disconnected();

private:
    explicit WsConnection(QObject *parent);
    void start(std::unique_ptr<Transport> transport, const QByteArray &received,
               const QByteArray &handshakeAnswer);

    void transportReadable() override;
    void transportWritable() override;
    void transportClosed() override;

    bool enqueue(const QByteArray &bytes, bool dataMessage);
    void append(const QByteArray &bytes, bool dataMessage);
    // Writes the queue with gathered writes; false after a failure (reported later).
    bool writeQueued();
    void decode();
    bool handleControl(ws::Opcode opcode, std::string_view payload);
    void failConnection(quint16 code, const QString &reason);
    void sendCloseFrame(quint16 code, const QString &reason);
    void finishIfClosed();
    void closeTransport(bool graceful);
    void reportWriteFailureLater();

    struct Chunk
    {
        QByteArray bytes;
        bool dataMessage = false;
    };

    std::unique_ptr<Transport> m_transport;
    ws::Decoder m_decoder;
    QList<Chunk> m_queue;
    qint64 m_firstChunkOffset = 0; // bytes of m_queue.front() already written
    qint64 m_queuedBytes = 0;
    int m_queuedMessages = 0;
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    State m_state = State::Open;
    bool m_waitingForWritable = false; // the kernel refused bytes; the write notifier is on
    bool m_closeSent = false;
    bool m_closeReceived = false;
    bool m_disconnectedEmitted = false;
    bool m_writeFailureReported = false;
    quint16 m_closeCode = 1006;
    QString m_closeReason;
};

} // namespace switchboard
