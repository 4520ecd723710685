// The raw HTTP helper of tests/support (rawHttp) against a scripted TCP peer: every way a server
// can answer, including the answer that arrives together with the close of the connection
// (rejected connections), which the helper once reported as "no response".
#include "TestClients.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::test;

namespace {

enum class Peer {
    AnswerOnAcceptAndClose, // before the request is even read, like a connection-limit rejection
    AnswerRequestAndClose,  // no Content-Length: the close ends the body
    AnswerRequestKeepOpen,  // Content-Length ends the body, the connection stays open
    CloseWithoutAnswer,
};

} // namespace

class TestRawHttp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void answers_data()
    {
        QTest::addColumn<int>("peer");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("answer on accept, then close")
            << int(Peer::AnswerOnAcceptAndClose) << 503 << QByteArray("busy");
        QTest::newRow("answer the request, then close")
            << int(Peer::AnswerRequestAndClose) << 400 << QByteArray("bad");
        QTest::newRow("answer the request, keep open")
            << int(Peer::AnswerRequestKeepOpen) << 200 << QByteArray("ok");
        QTest::newRow("close without answer") << int(Peer::CloseWithoutAnswer) << 0 << QByteArray();
    }

    void answers()
    {
        QFETCH(int, peer);
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QList<QTcpSocket *> accepted;
        connect(&server, &QTcpServer::newConnection, this, [&] {
            QTcpSocket *socket = server.nextPendingConnection();
            accepted.append(socket);
            switch (Peer(peer)) {
            case Peer::AnswerOnAcceptAndClose:
                socket->write(
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy");
                socket->disconnectFromHost();
                break;
            case Peer::CloseWithoutAnswer:
                socket->disconnectFromHost();
                break;
            case Peer::AnswerRequestAndClose:
            case Peer::AnswerRequestKeepOpen:
                connect(socket, &QTcpSocket::readyRead, socket, [socket, peer] {
                    if (!socket->readAll().contains("\r\n\r\n"))
                        return;
                    if (Peer(peer) == Peer::AnswerRequestAndClose) {
                        socket->write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nbad");
                        socket->disconnectFromHost();
                    } else {
                        socket->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    }
                });
                break;
            }
        });
        const RawHttpResponse response = rawHttp(server.serverPort(), httpRequest("GET", "/healthz"), 10000);
        QCOMPARE(response.status, status);
        QCOMPARE(response.body, body);
        QCOMPARE(accepted.size(), 1);
    }

    void refusedConnectionIsNoResponse()
    {
        quint16 port = 0;
        {
            QTcpServer server;
            QVERIFY(server.listen(QHostAddress::LocalHost));
            port = server.serverPort();
        }
        QCOMPARE(rawHttp(port, httpRequest("GET", "/healthz"), 5000).status, 0);
    }
};

QTEST_GUILESS_MAIN(TestRawHttp)
#include "tst_rawhttp.moc"
