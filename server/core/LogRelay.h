// LogRelay: live session logs for viewers. One agent stream per session, shared by every viewer of
// that session: the first viewer makes it send stream_logs, the last one leaving sends stop_logs;
// each `log` frame of the serving agent is encoded once and fanned out through the Hub (which drops
// a viewer that can't keep up, never the agent). Streams end, with a log_end message, when the
// agent goes away, the session ends or the agent refuses. Callers have authorised the viewer for
// the session (Gateway, at the upgrade).
#pragma once

#include "core/Hub.h"
#include "shared/AgentProtocol.h"
#include "shared/LogProtocol.h"
#include "shared/Records.h"

#include <QHash>
#include <QObject>

#include <functional>
#include <optional>

namespace switchboard {

class AgentHub;
class CommandLedger;

class LogRelay : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        int maxViewersPerSession = 16;
        qsizetype maxLinesPerMessage = protocol::logs::kMaxLinesPerMessage;
        qsizetype maxBytesPerMessage = protocol::logs::kMaxLineBytesPerMessage;
    };

    LogRelay(Hub *hub, AgentHub *agents, CommandLedger *ledger, const Config &config,
             QObject *parent = nullptr);

    // Takes an upgraded socket of a viewer allowed to see `session` and joins it to the session's
    // stream (starting one with tailLines if none runs; an agent on another replica is followed
    // through the RemoteSource). When the session can't be streamed now (ended, agent not
    // connected here and no RemoteSource, too many viewers) the viewer gets log_end and is
    // closed. Returns the viewer's Hub client id.
    quint64 addViewer(WsConnection *socket, const OrgContext &viewer, const protocol::SessionInfo &session,
                      int tailLines);

    // A frame from a viewer: only `ping` is answered; anything else is a bad frame.
    void handleMessage(quint64 clientId, const QByteArray &utf8);

    // The session reached `state` (from SessionService's events): a terminal state ends its stream.
    void sessionStateChanged(const QString &sessionId, protocol::SessionState state);

    // Shutdown: no more commands to agents (the Hub closes the viewers with 1001).
    void shutdown() { m_shutDown = true; }
    // Cluster mode: this replica's name, in the messages of streams it cannot serve.
    void setReplicaName(const QString &replica) { m_replica = replica; }

    // Cluster mode (ClusterLogRelay): a viewer of a session whose agent is on another replica
    // gets that replica's stream through `follow` (lines come back through deliverRemoteLines, the
    // end through endRemoteStream); `unfollow` when its last viewer left or its stream ended here.
    struct RemoteSource
    {
        std::function<void(const QString &sessionId, const QString &agentId, const QString &orgId,
                           int tailLines)>
            follow;
        std::function<void(const QString &sessionId)> unfollow;
    };
    void setRemoteSource(RemoteSource source) { m_remote = std::move(source); }
    void deliverRemoteLines(const QString &sessionId, const QStringList &lines);
    void endRemoteStream(const protocol::logs::LogEnd &end);
    // Other replicas follow a session whose agent is here: its stream runs (started if needed) while
    // they do, whatever the local viewers do, and its chunks go out through remoteLines and its end
    // through remoteStreamEnded. Returns why it cannot be followed, or nullopt.
    std::optional<protocol::logs::LogEnd> serveRemote(const QString &sessionId, const QString &agentId,
                                                      const QString &orgId, int tailLines);
    // No other replica follows it any more: stop_logs unless local viewers still watch.
    void releaseRemote(const QString &sessionId);

    int streamCount() const { return int(m_streams.size()); }
    int viewerCount(const QString &sessionId) const;
    // `log` frames dropped because no stream of that session is served by the sending agent.
    quint64 droppedFrames() const { return m_droppedFrames; }

Q_SIGNALS:
    void streamStarted(const QString &sessionId, const QString &agentId);
    void streamEnded(const QString &sessionId, protocol::logs::EndReason reason);
    void remoteLines(const QString &sessionId, const QStringList &lines);
    void remoteStreamEnded(const protocol::logs::LogEnd &end);

private:
    struct Stream
    {
        QString sessionId;
        QString agentId;
        QString orgId;
        QList<quint64> viewers;    // in joining order
        quint64 generation = 0;    // tells a stream from a later one of the same session
        bool remote = false;       // served by the agent's replica, not by an agent here
        bool servesRemote = false; // other replicas follow it (its agent is here)
    };

    void onLogLines(const QString &agentId, const protocol::agent::LogLines &log);
    void onAgentConnected(const protocol::AgentInfo &agent);
    void onAgentDisconnected(const protocol::AgentInfo &agent);
    void onStatusReported(const QString &agentId, const protocol::agent::StatusReport &status);
    void onCommandFinished(const protocol::CommandInfo &command);
    void onClientRemoved(quint64 clientId);
    // Sends log_end to one viewer and closes it with 1000.
    void endViewer(quint64 clientId, const protocol::logs::LogEnd &end);
    // Takes the stream out, then ends each of its viewers (their removal finds no stream left, so no
    // stop_logs goes to an agent that is gone or has already ended the stream).
    void endStream(const QString &sessionId, protocol::logs::EndReason reason, const QString &message);
    void issueStreamLogs(const Stream &stream, int tailLines);
    void issueStopLogs(const Stream &stream);
    // Encodes the lines once per chunk and sends them to the stream's viewers.
    void fanOut(const QString &sessionId, const QStringList &lines, bool toRemote);

    Hub *m_hub;
    AgentHub *m_agents;
    CommandLedger *m_ledger;
    Config m_config;
    bool m_shutDown = false;
    QString m_replica;
    RemoteSource m_remote;
    QHash<QString, Stream> m_streams;   // by sessionId
    QHash<quint64, QString> m_viewerOf; // viewer client id -> sessionId
    // Streams ended because their agent went away, by sessionId. A stream_logs the agent never
    // acknowledged is delivered again when it reconnects and starts a stream nobody watches: the
    // first stray frame of such a session from that agent gets one stop_logs.
    QHash<QString, Stream> m_orphaned;
    quint64 m_droppedFrames = 0;
    quint64 m_nextGeneration = 1;
};

} // namespace switchboard
