// Runs one scenario of switchboard-bench on its own EventLoop (blocking the calling thread) and
// returns what it measured as ordered rows, printed as a table and as one JSON line.
#pragma once

#include "BenchOptions.h"
#include "ClientPool.h"
#include "EventLoop.h"
#include "LatencyStats.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QString>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchboard::bench {

using Row = QList<QPair<QString, QJsonValue>>; // ordered: the table shows them in this order

struct BenchResult
{
    bool ok = true;
    QString error;
    Row summary;     // the scenario as a whole (connections, failures, memory ...)
    QList<Row> runs; // one per rate of a sweep
};

QJsonObject rowToJson(const Row &row);
QString formatTable(const QString &title, const BenchResult &result);
QByteArray formatJsonLine(const BenchOptions &options, const BenchResult &result);

// What /proc says about a process.
struct ProcessSample
{
    bool ok = false;
    qint64 rssKiB = 0;
    double cpuSeconds = 0; // user + system
};
ProcessSample sampleProcess(qint64 pid);

// The fanout payload: a JSON string "seq:sentMicros:padding" under the key "sb", so that a
// delivery is recognised and timed without parsing the whole message.
struct StampedMessage
{
    std::uint64_t seq = 0;
    std::int64_t sentMicros = 0;
};
std::optional<StampedMessage> findStamp(std::string_view message);

class BenchRunner
{
public:
    explicit BenchRunner(BenchOptions options);
    ~BenchRunner();

    BenchResult run();
    // Progress lines go here (stderr by default); tests silence them.
    void setProgressSink(std::function<void(const std::string &)> sink) { m_progressSink = std::move(sink); }

private:
    enum class Role { None, Browser, Publisher, Agent, Admin };

    BenchResult runFanout();
    BenchResult runAgents();
    BenchResult runConnectOrIdle();
    BenchResult runPrepareAgents();

    // Opens `count` connections with at most options.concurrency handshakes at once; `start(i)`
    // starts the i-th and returns its pool id. Returns false on timeout.
    bool openMany(int count, const std::function<int(int)> &start);
    void startProgress(std::function<std::string()> line);
    void stopProgress();
    std::string browserPath() const;
    bool readKeys(int count, QString *error);
    void sendHeartbeat(int id);

    void onOpened(int id);
    void onText(int id, std::string_view text);
    void onFailed(int id, const std::string &why);
    void onClosed(int id, int code, const std::string &reason);
    void onHttp(int id, int status, const std::string &body);
    void onDelivery(std::string_view text);
    void onAdminText(std::string_view text);
    void onAgentText(int id, std::string_view text);

    BenchOptions m_options;
    EventLoop m_loop;
    std::unique_ptr<ClientPool> m_pool;
    std::vector<Role> m_roles; // by pool id
    std::function<void(const std::string &)> m_progressSink;
    int m_progressTimer = 0;
    std::int64_t m_started = 0;

    // connection phase
    int m_launchTarget = 0;
    int m_launched = 0;
    std::function<int(int)> m_launch;
    int m_connectFailures = 0;
    std::string m_firstFailure;
    int m_disconnects = 0;
    int m_slowDrops = 0;
    std::unordered_map<int, int> m_closeCodes;

    // fanout
    int m_publisher = -1;
    std::uint64_t m_nextSeq = 0;
    std::uint64_t m_runFirstSeq = 0;
    std::vector<std::uint32_t> m_deliveredPerSeq; // index seq - m_runFirstSeq
    std::uint64_t m_delivered = 0;
    std::uint64_t m_expected = 0;
    std::uint64_t m_late = 0;
    std::uint64_t m_publishReplies = 0;
    std::uint64_t m_publishErrors = 0;
    std::string m_firstPublishError;
    std::int64_t m_lastDeliveryAt = 0;
    LatencyStats m_latency;
    int m_openBrowsers = 0;

    // agents
    struct AgentKey
    {
        std::string id;
        std::string key;
    };
    std::vector<AgentKey> m_keys;
    std::vector<int> m_agentIndex; // pool id -> index into m_keys
    std::vector<int> m_agentIds;   // index into m_keys -> pool id
    int m_admin = -1;
    bool m_adminReady = false;
    std::uint64_t m_commandsSent = 0;
    std::uint64_t m_commandsCompleted = 0;
    std::uint64_t m_commandsFailed = 0;
    std::uint64_t m_commandErrors = 0;
    std::string m_firstCommandError;
    std::unordered_map<std::string, std::int64_t> m_requestSentAt;  // requestId -> sent
    std::unordered_map<std::string, std::int64_t> m_commandSentAt;  // commandId -> sent
    std::unordered_map<std::string, std::int64_t> m_completedEarly; // completed before the reply
    LatencyStats m_roundTrip;
    std::uint64_t m_heartbeatsSent = 0;
    std::uint64_t m_commandsHandled = 0;
    int m_staleAlarms = 0;
    int m_staleDisconnects = 0;
    int m_openAgents = 0;

    // prepare-agents
    std::vector<std::string> m_registeredKeys; // by agent index
    int m_registered = 0;
    int m_registerFailures = 0;
    std::unordered_map<int, int> m_httpAgent; // pool id -> agent index
    int m_approved = 0;
    int m_approveFailures = 0;
};

} // namespace switchboard::bench
