// The sessions of one simulated agent: runs session commands with simulated durations and a
// failure rate, remembers which commands it has seen (so redelivered commands take effect once),
// and streams synthetic log lines. It only produces frames; the connection sends them.
#pragma once

#include "shared/AgentProtocol.h"

#include <QHash>
#include <QObject>
#include <QQueue>
#include <QTimer>

#include <chrono>
#include <functional>
#include <optional>

namespace switchboard::agentsim {

struct SimulationSettings
{
    std::chrono::milliseconds startDelay{200};
    std::chrono::milliseconds stopDelay{200};
    std::chrono::milliseconds hibernateDelay{200};
    std::chrono::milliseconds wakeDelay{200};
    double failureRate = 0.0; // probability that a session action fails
    int maxSessions = 10;     // running sessions accepted at once
    std::chrono::milliseconds logLineInterval{500};
    int defaultTailLines = 100; // stream_logs without tailLines, as the protocol's default
    int maxTailLines = 1000;
    int vncPort = 5900;
    int rememberedCommands = 10000; // command ids kept for deduplication
};

class SessionSimulator : public QObject
{
    Q_OBJECT
public:
    // Uniformly distributed in [0, 1); empty means QRandomGenerator::global().
    using RandomSource = std::function<double()>;

    enum class Delivery {
        New,         // first time seen: it will run
        InProgress,  // seen and still running: nothing to do
        AlreadyDone, // seen and finished: its complete/failed frame was emitted again
    };

    explicit SessionSimulator(QString agentId, SimulationSettings settings, RandomSource random = {},
                              QObject *parent = nullptr);

    Delivery submit(const protocol::agent::Command &command);
    // A command frame the protocol library could not decode but whose commandId is known: it is
    // answered with `failed` and remembered like any other command.
    Delivery reject(const QString &commandId, const QString &error);

    int activeSessions() const; // running sessions (hibernated ones hold no resources)
    int sessionCount() const;
    std::optional<protocol::SessionState> sessionState(const QString &sessionId) const;
    bool isStreamingLogs(const QString &sessionId) const;
    // Log streams belong to a connection: the server asks again after a reconnect.
    void stopAllLogStreams();
    const SimulationSettings &settings() const { return m_settings; }

Q_SIGNALS:
    // status, complete, failed and log frames to send to the server.
    void frameReady(const protocol::agent::AgentFrame &frame);
    void commandFinished(const QString &commandId, bool ok);
    void sessionStateChanged(const QString &sessionId, protocol::SessionState state);

private:
    struct Session
    {
        QString sessionId;
        QString podName;
        QString user;
        QString templateName;
        protocol::SessionState state = protocol::SessionState::Running;
    };
    struct CommandRecord
    {
        bool done = false;
        std::optional<protocol::agent::AgentFrame> result; // complete or failed
    };
    struct SessionQueue
    {
        QQueue<protocol::agent::Command> commands;
        bool busy = false;
    };
    struct LogStream
    {
        QTimer *timer = nullptr;
        qint64 nextLine = 1;
    };

    std::optional<Delivery> checkDuplicate(const QString &commandId);
    void remember(const QString &commandId);
    void runNext(const QString &sessionId);
    void execute(const protocol::agent::Command &command);
    void startSession(const protocol::agent::Command &command);
    void stopSession(const protocol::agent::Command &command);
    void hibernateSession(const protocol::agent::Command &command);
    void wakeSession(const protocol::agent::Command &command);
    void streamLogs(const protocol::agent::Command &command);
    void stopLogs(const protocol::agent::Command &command);
    bool simulatedFailure();
    void setState(Session &session, protocol::SessionState state);
    void complete(const QString &commandId, QJsonObject result);
    void fail(const QString &commandId, const QString &error);
    void finish(const QString &commandId, protocol::agent::AgentFrame frame, bool ok);
    void stopLogStream(const QString &sessionId);
    QString logLine(const QString &sessionId, qint64 number) const;
    std::chrono::milliseconds delayFor(protocol::agent::Action action) const;

    QString m_agentId;
    SimulationSettings m_settings;
    RandomSource m_random;
    QHash<QString, Session> m_sessions;
    QHash<QString, CommandRecord> m_commands;
    QQueue<QString> m_commandOrder; // oldest first, for bounded memory
    QHash<QString, SessionQueue> m_queues;
    QHash<QString, LogStream> m_logStreams;
};

} // namespace switchboard::agentsim
