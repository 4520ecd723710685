#include "BenchRunner.h"

#include "shared/AdminProtocol.h"
#include "shared/AgentProtocol.h"
#include "shared/BrowserProtocol.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTextStream>
#include <QUrl>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>

using namespace Qt::StringLiterals;

namespace switchboard::bench {

namespace wire = switchboard::protocol;

namespace {

constexpr std::int64_t kSecond = 1000000;

std::int64_t micros(double seconds)
{
    return static_cast<std::int64_t>(seconds * 1e6);
}

double ms(std::int64_t microseconds)
{
    return std::round(static_cast<double>(microseconds) / 10.0) / 100.0; // 0.01 ms resolution
}

double rounded(double value, int decimals = 2)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

QJsonObject parseObject(std::string_view text)
{
    return QJsonDocument::fromJson(QByteArray::fromRawData(text.data(), static_cast<qsizetype>(text.size())))
        .object();
}

bool contains(std::string_view text, std::string_view needle)
{
    return text.find(needle) != std::string_view::npos;
}

std::string urlEncoded(const QString &value)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(value)).toStdString();
}

} // namespace

QJsonObject rowToJson(const Row &row)
{
    QJsonObject object;
    for (const auto &[key, value] : row)
        object.insert(key, value);
    return object;
}

QString formatTable(const QString &title, const BenchResult &result)
{
    QString text;
    QTextStream out(&text);
    auto printRow = [&out](const Row &row) {
        int width = 0;
        for (const auto &entry : row)
            width = std::max(width, static_cast<int>(entry.first.size()));
        for (const auto &[key, value] : row) {
            QString shown;
            if (value.isDouble()) {
                const double number = value.toDouble();
                shown = number == std::floor(number) && std::abs(number) < 1e15
                            ? QString::number(static_cast<qint64>(number))
                            : QString::number(number, 'f', 2);
            } else if (value.isBool()) {
                shown = value.toBool() ? u"yes"_s : u"no"_s;
            } else {
                shown = value.toString();
            }
            out << "  " << key.leftJustified(width) << "  " << shown << "\n";
        }
    };
    out << "== " << title << (result.ok ? QString() : u" (FAILED: "_s + result.error + u")"_s) << "\n";
    printRow(result.summary);
    for (qsizetype i = 0; i < result.runs.size(); ++i) {
        out << "-- run " << (i + 1) << "\n";
        printRow(result.runs[i]);
    }
    out.flush();
    return text;
}

QByteArray formatJsonLine(const BenchOptions &options, const BenchResult &result)
{
    QJsonObject object = rowToJson(result.summary);
    object.insert(u"scenario"_s, scenarioName(options.scenario));
    object.insert(u"mode"_s, options.raw ? u"raw"_s : u"switchboard"_s);
    object.insert(u"ok"_s, result.ok);
    if (!result.ok)
        object.insert(u"error"_s, result.error);
    QJsonArray runs;
    for (const Row &row : result.runs)
        runs.append(rowToJson(row));
    object.insert(u"runs"_s, runs);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

ProcessSample sampleProcess(qint64 pid)
{
    ProcessSample sample;
    if (pid <= 0)
        return sample;
    QFile status(u"/proc/%1/status"_s.arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return sample;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            sample.rssKiB = line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray text = stat.readAll();
        // Fields after the command name (which may contain spaces) start after the last ')'.
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 12) {
            const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
            sample.cpuSeconds = (fields[11].toDouble() + fields[12].toDouble()) / ticks; // utime, stime
        }
    }
    sample.ok = sample.rssKiB > 0;
    return sample;
}

std::optional<StampedMessage> findStamp(std::string_view message)
{
    constexpr std::string_view marker = "\"sb\":\"";
    const std::size_t at = message.find(marker);
    if (at == std::string_view::npos)
        return std::nullopt;
    std::size_t i = at + marker.size();
    StampedMessage stamp;
    auto readNumber = [&](std::uint64_t *out) {
        const std::size_t start = i;
        std::uint64_t value = 0;
        while (i < message.size() && message[i] >= '0' && message[i] <= '9')
            value = value * 10 + static_cast<std::uint64_t>(message[i++] - '0');
        if (i == start || i >= message.size() || message[i] != ':')
            return false;
        ++i;
        *out = value;
        return true;
    };
    std::uint64_t sent = 0;
    if (!readNumber(&stamp.seq) || !readNumber(&sent))
        return std::nullopt;
    stamp.sentMicros = static_cast<std::int64_t>(sent);
    return stamp;
}

BenchRunner::BenchRunner(BenchOptions options)
    : m_options(std::move(options))
{
    m_progressSink = [](const std::string &line) {
        std::fputs(line.c_str(), stderr);
        std::fputc('\n', stderr);
    };
    ClientPool::Callbacks callbacks;
    callbacks.opened = [this](int id) { onOpened(id); };
    callbacks.text = [this](int id, std::string_view text) { onText(id, text); };
    callbacks.failed = [this](int id, const std::string &why) { onFailed(id, why); };
    callbacks.closed = [this](int id, int code, const std::string &reason) { onClosed(id, code, reason); };
    callbacks.httpDone = [this](int id, int status, const std::string &body) { onHttp(id, status, body); };
    m_pool = std::make_unique<ClientPool>(m_loop, m_options.host, m_options.port, std::move(callbacks));
}

BenchRunner::~BenchRunner() = default;

BenchResult BenchRunner::run()
{
    m_started = EventLoop::nowMicros();
    BenchResult result;
    switch (m_options.scenario) {
    case Scenario::Fanout:
        result = runFanout();
        break;
    case Scenario::Agents:
        result = runAgents();
        break;
    case Scenario::Connect:
    case Scenario::Idle:
        result = runConnectOrIdle();
        break;
    case Scenario::PrepareAgents:
        result = runPrepareAgents();
        break;
    }
    stopProgress();
    // Say goodbye properly, but do not wait long for servers that are slow to answer closes.
    m_pool->closeAll(1000);
    m_loop.runUntil([this] { return m_pool->openCount() == 0 && m_pool->bufferedOutBytes() == 0; },
                    EventLoop::nowMicros() + 2 * kSecond);
    return result;
}

void BenchRunner::startProgress(std::function<std::string()> line)
{
    stopProgress();
    if (m_options.quiet)
        return;
    m_progressTimer = m_loop.addTimer(micros(m_options.progressSeconds), [this, line = std::move(line)] {
        char prefix[64];
        std::snprintf(prefix, sizeof prefix, "[%7.1fs] ",
                      static_cast<double>(EventLoop::nowMicros() - m_started) / 1e6);
        m_progressSink(prefix + line());
    });
}

void BenchRunner::stopProgress()
{
    if (m_progressTimer != 0)
        m_loop.cancelTimer(m_progressTimer);
    m_progressTimer = 0;
}

std::string BenchRunner::browserPath() const
{
    if (m_options.raw)
        return m_options.rawPath;
    return "/api/v1/ws/sessions?token=" + urlEncoded(m_options.token);
}

bool BenchRunner::openMany(int count, const std::function<int(int)> &start)
{
    m_launchTarget = count;
    m_launched = 0;
    m_launch = start;
    const int first = std::min(count, m_options.concurrency);
    while (m_launched < first)
        m_launch(m_launched++);
    const bool done =
        m_loop.runUntil([&] { return m_launched >= m_launchTarget && m_pool->inProgressCount() == 0; },
                        EventLoop::nowMicros() + micros(m_options.connectTimeoutSeconds));
    m_launch = nullptr;
    return done;
}

void BenchRunner::onOpened(int id)
{
    const Role role =
        id < static_cast<int>(m_roles.size()) ? m_roles[static_cast<std::size_t>(id)] : Role::None;
    if (role == Role::Browser)
        ++m_openBrowsers;
    else if (role == Role::Agent) {
        ++m_openAgents;
        sendHeartbeat(id);
    }
    if (m_launch && m_launched < m_launchTarget)
        m_launch(m_launched++);
}

void BenchRunner::onFailed(int id, const std::string &why)
{
    if (m_httpAgent.count(id) != 0) {
        ++m_registerFailures;
        if (m_firstFailure.empty())
            m_firstFailure = why;
        m_httpAgent.erase(id);
    } else {
        ++m_connectFailures;
        if (m_firstFailure.empty())
            m_firstFailure = why;
    }
    if (m_launch && m_launched < m_launchTarget)
        m_launch(m_launched++);
}

void BenchRunner::onClosed(int id, int code, const std::string &reason)
{
    const Role role =
        id < static_cast<int>(m_roles.size()) ? m_roles[static_cast<std::size_t>(id)] : Role::None;
    ++m_closeCodes[code];
    if (role == Role::Browser) {
        --m_openBrowsers;
        ++m_disconnects;
        if (code == 1008 && reason.find("slow") != std::string::npos)
            ++m_slowDrops;
    } else if (role == Role::Agent) {
        --m_openAgents;
        ++m_disconnects;
        if (code == 4001)
            ++m_staleDisconnects;
    } else if (role == Role::Admin || role == Role::Publisher) {
        m_adminReady = false;
        if (m_firstFailure.empty())
            m_firstFailure = "admin/publisher connection closed: " + std::to_string(code) + " " + reason;
    }
}

void BenchRunner::onText(int id, std::string_view text)
{
    const Role role =
        id < static_cast<int>(m_roles.size()) ? m_roles[static_cast<std::size_t>(id)] : Role::None;
    switch (role) {
    case Role::Browser:
        onDelivery(text);
        break;
    case Role::Publisher:
    case Role::Admin:
        onAdminText(text);
        break;
    case Role::Agent:
        onAgentText(id, text);
        break;
    case Role::None:
        break;
    }
}

// ---------------------------------------------------------------- fanout

void BenchRunner::onDelivery(std::string_view text)
{
    const auto stamp = findStamp(text);
    if (!stamp)
        return; // sessions_update and other traffic of a real server
    if (stamp->seq < m_runFirstSeq || stamp->seq - m_runFirstSeq >= m_deliveredPerSeq.size()) {
        ++m_late;
        return;
    }
    const std::int64_t now = EventLoop::nowMicros();
    ++m_deliveredPerSeq[stamp->seq - m_runFirstSeq];
    ++m_delivered;
    m_lastDeliveryAt = now;
    m_latency.add(now - stamp->sentMicros);
}

void BenchRunner::onAdminText(std::string_view text)
{
    if (m_options.scenario == Scenario::Fanout) {
        if (m_options.raw)
            return; // the hub echoes our own broadcast back to us
        if (contains(text, "\"type\":\"reply\"")) {
            ++m_publishReplies;
        } else if (contains(text, "\"type\":\"error\"")) {
            ++m_publishErrors;
            if (m_firstPublishError.empty())
                m_firstPublishError = std::string(text.substr(0, 300));
        } else if (contains(text, "\"type\":\"snapshot\"")) {
            m_adminReady = true;
        }
        return;
    }
    if (contains(text, "\"type\":\"snapshot\"")) {
        m_adminReady = true;
        return;
    }
    const bool isReply = contains(text, "\"type\":\"reply\"");
    const bool isError = !isReply && contains(text, "\"type\":\"error\"");
    if (isReply || isError) {
        const QJsonObject object = parseObject(text);
        const std::string requestId = object.value("requestId"_L1).toString().toStdString();
        if (m_options.scenario == Scenario::PrepareAgents) {
            if (isReply)
                ++m_approved;
            else {
                ++m_approveFailures;
                if (m_firstFailure.empty())
                    m_firstFailure = std::string(text.substr(0, 300));
            }
            return;
        }
        const auto sent = m_requestSentAt.find(requestId);
        if (sent == m_requestSentAt.end())
            return;
        const std::int64_t sentAt = sent->second;
        m_requestSentAt.erase(sent);
        if (isError) {
            ++m_commandErrors;
            if (m_firstCommandError.empty())
                m_firstCommandError = std::string(text.substr(0, 300));
            return;
        }
        const std::string commandId = object.value("result"_L1)
                                          .toObject()
                                          .value("command"_L1)
                                          .toObject()
                                          .value("commandId"_L1)
                                          .toString()
                                          .toStdString();
        const auto early = m_completedEarly.find(commandId);
        if (early != m_completedEarly.end()) {
            ++m_commandsCompleted;
            m_roundTrip.add(early->second - sentAt);
            m_completedEarly.erase(early);
        } else {
            m_commandSentAt.emplace(commandId, sentAt);
        }
        return;
    }
    if (contains(text, "\"type\":\"command.updated\"")) {
        const bool completed = contains(text, "\"status\":\"completed\"");
        const bool failed = contains(text, "\"status\":\"failed\"");
        if (!completed && !failed)
            return;
        const auto command = wire::CommandInfo::fromJson(parseObject(text).value("command"_L1).toObject());
        if (!command)
            return;
        const std::string commandId = command.value().commandId.toStdString();
        const std::int64_t now = EventLoop::nowMicros();
        const auto sent = m_commandSentAt.find(commandId);
        if (failed) {
            ++m_commandsFailed;
            if (sent != m_commandSentAt.end())
                m_commandSentAt.erase(sent);
            return;
        }
        if (sent != m_commandSentAt.end()) {
            ++m_commandsCompleted;
            m_roundTrip.add(now - sent->second);
            m_commandSentAt.erase(sent);
        } else {
            m_completedEarly.emplace(commandId, now);
        }
        return;
    }
    if (contains(text, "\"type\":\"agent.updated\"") && contains(text, "\"status\":\"stale\"")) {
        const QString agentId = parseObject(text).value("agent"_L1).toObject().value("agentId"_L1).toString();
        if (agentId.startsWith(m_options.agentPrefix) || !m_keys.empty())
            ++m_staleAlarms;
    }
}

BenchResult BenchRunner::runFanout()
{
    BenchResult result;
    const int n = m_options.clients;
    m_roles.assign(static_cast<std::size_t>(n) + 1, Role::Browser);

    startProgress([this, n] {
        return "connecting: open " + std::to_string(m_openBrowsers) + "/" + std::to_string(n) + ", failed " +
               std::to_string(m_connectFailures);
    });
    const std::int64_t connectStart = EventLoop::nowMicros();
    const std::string path = browserPath();
    const bool allDone = openMany(n, [this, &path](int) { return m_pool->connectWebSocket(path); });
    const double connectSeconds = static_cast<double>(EventLoop::nowMicros() - connectStart) / 1e6;

    m_roles[static_cast<std::size_t>(n)] = Role::Publisher;
    m_publisher =
        m_options.raw
            ? m_pool->connectWebSocket(m_options.rawPath)
            : m_pool->connectWebSocket("/api/v1/ws/admin?token=" + urlEncoded(m_options.adminToken));
    m_loop.runUntil([this] { return m_pool->isOpen(m_publisher) && (m_options.raw || m_adminReady); },
                    EventLoop::nowMicros() + 30 * kSecond);

    result.summary = {{u"clients"_s, n},
                      {u"opened"_s, m_openBrowsers},
                      {u"connect_failures"_s, m_connectFailures},
                      {u"connect_seconds"_s, rounded(connectSeconds)},
                      {u"message_bytes"_s, m_options.messageBytes}};
    if (!m_firstFailure.empty())
        result.summary.append({u"first_failure"_s, QString::fromStdString(m_firstFailure)});
    if (!m_pool->isOpen(m_publisher)) {
        result.ok = false;
        result.error = u"the publisher could not connect"_s;
        return result;
    }
    if (!allDone || m_openBrowsers == 0) {
        result.ok = false;
        result.error = u"browsers did not connect"_s;
        return result;
    }
    // Let the connection burst's side effects (org.updated, first sessions_update) settle.
    m_loop.run(EventLoop::nowMicros() + kSecond);

    // The payload: envelope plus padding so that the delivered frame is messageBytes long. The
    // raw hub gets exactly the frame our server would deliver, so both move the same bytes.
    const QString orgId = m_options.orgId;
    const QByteArray probe = wire::browser::encodeOrgBroadcast(
        orgId, QJsonObject{{u"sb"_s, u"18446744073709:1000000000000:"_s}}, QDateTime::currentDateTimeUtc());
    const QString padding(std::max<qsizetype>(0, m_options.messageBytes - probe.size()), u'x');

    for (const double rate : m_options.rates) {
        m_runFirstSeq = m_nextSeq;
        const auto maxMessages = static_cast<std::size_t>(std::ceil(rate * m_options.durationSeconds)) + 1;
        m_deliveredPerSeq.assign(maxMessages, 0);
        m_delivered = 0;
        m_expected = 0;
        m_late = 0;
        m_latency.clear();
        m_publishReplies = 0;
        m_publishErrors = 0;
        const int disconnectsBefore = m_disconnects;
        const int slowBefore = m_slowDrops;
        const ProcessSample serverBefore = sampleProcess(m_options.serverPid);
        std::uint64_t published = 0;
        const std::int64_t runStart = EventLoop::nowMicros();
        const std::int64_t publishEnd = runStart + micros(m_options.durationSeconds);
        m_lastDeliveryAt = runStart;

        auto publishOne = [&] {
            const std::uint64_t seq = m_nextSeq++;
            const std::int64_t now = EventLoop::nowMicros();
            const QJsonObject data{
                {u"sb"_s, QString(QString::number(seq) + u':' + QString::number(now) + u':' + padding)}};
            if (m_options.raw) {
                const QByteArray frame =
                    wire::browser::encodeOrgBroadcast(orgId, data, QDateTime::currentDateTimeUtc());
                m_pool->sendText(m_publisher,
                                 std::string_view(frame.constData(), static_cast<std::size_t>(frame.size())));
            } else {
                wire::admin::RequestMessage request{u"p"_s + QString::number(seq),
                                                    wire::admin::OrgBroadcast{orgId, data}};
                const QByteArray frame = wire::admin::encodeRequest(request);
                m_pool->sendText(m_publisher,
                                 std::string_view(frame.constData(), static_cast<std::size_t>(frame.size())));
            }
            ++published;
            m_expected += static_cast<std::uint64_t>(m_openBrowsers);
        };
        const int tick = m_loop.addTimer(1000, [&] {
            const std::int64_t now = std::min(EventLoop::nowMicros(), publishEnd);
            const auto due = std::min<std::uint64_t>(
                maxMessages,
                static_cast<std::uint64_t>(static_cast<double>(now - runStart) / 1e6 * rate) + 1);
            while (published < due && m_pool->isOpen(m_publisher))
                publishOne();
        });
        startProgress([&, rate] {
            char line[256];
            const double elapsed =
                std::max(1e-3, static_cast<double>(EventLoop::nowMicros() - runStart) / 1e6);
            std::snprintf(
                line, sizeof line,
                "fanout %s rate %.0f/s: published %llu, delivered %llu/%llu (%.0f/s), open %d, "
                "dropped %d, p99 so far %.1f ms",
                m_options.raw ? "raw" : "switchboard", rate, static_cast<unsigned long long>(published),
                static_cast<unsigned long long>(m_delivered), static_cast<unsigned long long>(m_expected),
                static_cast<double>(m_delivered) / elapsed, m_openBrowsers, m_disconnects - disconnectsBefore,
                static_cast<double>(m_latency.percentile(99)) / 1000.0);
            return std::string(line);
        });
        m_loop.run(publishEnd);
        m_loop.cancelTimer(tick);
        // Stragglers: wait until everything arrived, or nothing arrived for a second, or the drain limit.
        const std::int64_t drainEnd = EventLoop::nowMicros() + micros(m_options.drainSeconds);
        m_loop.runUntil(
            [&] { return m_delivered >= m_expected || EventLoop::nowMicros() - m_lastDeliveryAt > kSecond; },
            drainEnd);
        stopProgress();
        const ProcessSample serverAfter = sampleProcess(m_options.serverPid);
        const double window = std::max(1e-3, static_cast<double>(m_lastDeliveryAt - runStart) / 1e6);
        const double ratio =
            m_expected == 0 ? 0.0 : static_cast<double>(m_delivered) / static_cast<double>(m_expected);
        Row row{{u"rate"_s, rate},
                {u"published"_s, static_cast<double>(published)},
                {u"expected"_s, static_cast<double>(m_expected)},
                {u"delivered"_s, static_cast<double>(m_delivered)},
                {u"delivery_ratio"_s, rounded(ratio, 5)},
                {u"deliveries_per_s"_s, rounded(static_cast<double>(m_delivered) / window, 0)},
                {u"latency_p50_ms"_s, ms(m_latency.percentile(50))},
                {u"latency_p99_ms"_s, ms(m_latency.percentile(99))},
                {u"latency_max_ms"_s, ms(m_latency.max())},
                {u"slow_client_drops"_s, m_slowDrops - slowBefore},
                {u"disconnects"_s, m_disconnects - disconnectsBefore}};
        if (!m_options.raw) {
            row.append({u"publish_errors"_s, static_cast<double>(m_publishErrors)});
            if (!m_firstPublishError.empty())
                row.append({u"first_publish_error"_s, QString::fromStdString(m_firstPublishError)});
        }
        if (serverBefore.ok && serverAfter.ok) {
            const double wall = static_cast<double>(EventLoop::nowMicros() - runStart) / 1e6;
            row.append({u"server_cpu_percent"_s,
                        rounded(100.0 * (serverAfter.cpuSeconds - serverBefore.cpuSeconds) / wall, 1)});
            row.append({u"server_rss_kib"_s, static_cast<double>(serverAfter.rssKiB)});
        }
        result.runs.append(row);
        if (!m_pool->isOpen(m_publisher)) {
            result.ok = false;
            result.error = u"the publisher was disconnected"_s;
            break;
        }
        // Separate the runs of a sweep: late deliveries of this run do not count in the next.
        m_loop.run(EventLoop::nowMicros() + kSecond / 2);
    }
    return result;
}

// ---------------------------------------------------------------- agents

bool BenchRunner::readKeys(int count, QString *error)
{
    QFile file(m_options.keysFile);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = u"cannot read %1: %2"_s.arg(m_options.keysFile, file.errorString());
        return false;
    }
    m_keys.clear();
    while (!file.atEnd() && static_cast<int>(m_keys.size()) < count) {
        const QList<QByteArray> parts = file.readLine().trimmed().split(' ');
        if (parts.size() != 2 || parts[0].isEmpty() || parts[1].size() != 64)
            continue;
        m_keys.push_back({parts[0].toStdString(), parts[1].toStdString()});
    }
    if (static_cast<int>(m_keys.size()) < count) {
        *error = u"%1 holds %2 agents, %3 needed (run prepare-agents)"_s.arg(m_options.keysFile)
                     .arg(m_keys.size())
                     .arg(count);
        return false;
    }
    return true;
}

void BenchRunner::sendHeartbeat(int id)
{
    static const QByteArray cached = [] {
        wire::agent::Heartbeat heartbeat;
        heartbeat.capacity.maxSessions = 100;
        heartbeat.capacity.cpu = u"8"_s;
        heartbeat.capacity.memory = u"16Gi"_s;
        return wire::agent::encodeAgentFrame(heartbeat, QDateTime::currentDateTimeUtc());
    }();
    // The timestamp is informational (PROTOCOL.md 6), so one encoded heartbeat serves all.
    m_pool->sendText(id, std::string_view(cached.constData(), static_cast<std::size_t>(cached.size())));
    ++m_heartbeatsSent;
}

void BenchRunner::onAgentText(int id, std::string_view text)
{
    if (!contains(text, "\"command\"") && !contains(text, "\"ping\""))
        return;
    const auto frame =
        wire::agent::decodeServerFrame(QByteArrayView(text.data(), static_cast<qsizetype>(text.size())));
    if (!frame)
        return;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (const auto *command = std::get_if<wire::agent::Command>(&frame.value())) {
        ++m_commandsHandled;
        const QByteArray ack = wire::agent::encodeAgentFrame(wire::agent::Ack{command->commandId}, now);
        const QByteArray done =
            wire::agent::encodeAgentFrame(wire::agent::Complete{command->commandId, {}}, now);
        m_pool->sendText(id, std::string_view(ack.constData(), static_cast<std::size_t>(ack.size())));
        m_pool->sendText(id, std::string_view(done.constData(), static_cast<std::size_t>(done.size())));
    } else if (std::holds_alternative<wire::agent::Ping>(frame.value())) {
        const QByteArray pong = wire::agent::encodeAgentFrame(wire::agent::Pong{}, now);
        m_pool->sendText(id, std::string_view(pong.constData(), static_cast<std::size_t>(pong.size())));
    }
}

BenchResult BenchRunner::runAgents()
{
    BenchResult result;
    const int n = m_options.clients;
    QString error;
    if (!readKeys(n, &error)) {
        result.ok = false;
        result.error = error;
        return result;
    }
    m_roles.assign(static_cast<std::size_t>(n) + 1, Role::Agent);
    m_agentIds.assign(static_cast<std::size_t>(n), -1);

    // The admin first, so that it sees every agent.updated (stale alarms) from the start.
    m_roles[0] = Role::Admin;
    m_admin = m_pool->connectWebSocket("/api/v1/ws/admin?token=" + urlEncoded(m_options.adminToken));
    m_loop.runUntil([this] { return m_adminReady; }, EventLoop::nowMicros() + 30 * kSecond);
    if (!m_adminReady) {
        result.ok = false;
        result.error = u"the admin stream did not open: "_s + QString::fromStdString(m_firstFailure);
        return result;
    }
    m_roles.assign(static_cast<std::size_t>(n) + 1, Role::Agent);
    m_roles[0] = Role::Admin;

    const ProcessSample before = sampleProcess(m_options.serverPid);
    startProgress([this, n] {
        return "agents connecting: open " + std::to_string(m_openAgents) + "/" + std::to_string(n) +
               ", failed " + std::to_string(m_connectFailures) + ", heartbeats " +
               std::to_string(m_heartbeatsSent);
    });
    const std::int64_t connectStart = EventLoop::nowMicros();
    openMany(n, [this](int index) {
        const AgentKey &agent = m_keys[static_cast<std::size_t>(index)];
        const int id = m_pool->connectWebSocket("/api/v1/agents/connect?agent_id=" + agent.id,
                                                "X-Agent-API-Key: " + agent.key + "\r\n");
        m_agentIds[static_cast<std::size_t>(index)] = id;
        return id;
    });
    const double connectSeconds = static_cast<double>(EventLoop::nowMicros() - connectStart) / 1e6;

    // Heartbeats: one FIFO ordered by due time (everyone has the same interval) and one timer.
    struct Due
    {
        std::int64_t at;
        int id;
    };
    std::deque<Due> heartbeats;
    const std::int64_t interval = micros(m_options.heartbeatSeconds);
    const std::int64_t now0 = EventLoop::nowMicros();
    for (std::size_t i = 0; i < m_agentIds.size(); ++i) {
        // Spread the first round over one interval, as real fleets are.
        heartbeats.push_back({now0 + interval * static_cast<std::int64_t>(i) / n, m_agentIds[i]});
    }
    std::sort(heartbeats.begin(), heartbeats.end(), [](const Due &a, const Due &b) { return a.at < b.at; });
    const int heartbeatTimer = m_loop.addTimer(20000, [&] {
        const std::int64_t now = EventLoop::nowMicros();
        while (!heartbeats.empty() && heartbeats.front().at <= now) {
            const Due due = heartbeats.front();
            heartbeats.pop_front();
            if (m_pool->isOpen(due.id)) {
                sendHeartbeat(due.id);
                heartbeats.push_back({due.at + interval, due.id});
            }
        }
    });

    result.summary = {{u"agents"_s, n},
                      {u"opened"_s, m_openAgents},
                      {u"connect_failures"_s, m_connectFailures},
                      {u"connect_seconds"_s, rounded(connectSeconds)},
                      {u"connects_per_s"_s, rounded(m_openAgents / std::max(connectSeconds, 1e-3), 0)},
                      {u"heartbeat_seconds"_s, m_options.heartbeatSeconds}};
    if (!m_firstFailure.empty())
        result.summary.append({u"first_failure"_s, QString::fromStdString(m_firstFailure)});
    m_loop.run(EventLoop::nowMicros() + 2 * kSecond);

    std::uint64_t requestSeq = 0;
    std::size_t nextAgent = 0;
    for (const double rate : m_options.rates) {
        m_roundTrip.clear();
        m_commandsSent = 0;
        m_commandsCompleted = 0;
        m_commandsFailed = 0;
        m_commandErrors = 0;
        const int staleBefore = m_staleAlarms;
        const int disconnectsBefore = m_disconnects;
        const ProcessSample cpuBefore = sampleProcess(m_options.serverPid);
        const std::int64_t runStart = EventLoop::nowMicros();
        const std::int64_t issueEnd = runStart + micros(m_options.durationSeconds);
        const int tick = m_loop.addTimer(1000, [&] {
            const std::int64_t now = std::min(EventLoop::nowMicros(), issueEnd);
            const auto due = static_cast<std::uint64_t>(static_cast<double>(now - runStart) / 1e6 * rate) + 1;
            while (m_commandsSent < due && m_adminReady && m_openAgents > 0) {
                int id = -1;
                for (std::size_t tries = 0; tries < m_agentIds.size() && id < 0; ++tries) {
                    const int candidate = m_agentIds[nextAgent++ % m_agentIds.size()];
                    if (m_pool->isOpen(candidate))
                        id = candidate;
                }
                if (id < 0)
                    break;
                const std::size_t index = (nextAgent - 1) % m_agentIds.size();
                const std::string requestId = "c" + std::to_string(requestSeq++);
                wire::admin::CommandSend send;
                send.agentId = QString::fromStdString(m_keys[index].id);
                send.action = wire::agent::Action::StopLogs;
                send.payload = QJsonObject{{u"sessionId"_s, u"bench-logs"_s}};
                const QByteArray frame = wire::admin::encodeRequest(
                    wire::admin::RequestMessage{QString::fromStdString(requestId), send});
                m_requestSentAt.emplace(requestId, EventLoop::nowMicros());
                m_pool->sendText(m_admin,
                                 std::string_view(frame.constData(), static_cast<std::size_t>(frame.size())));
                ++m_commandsSent;
            }
        });
        startProgress([&, rate] {
            char line[256];
            std::snprintf(line, sizeof line,
                          "agents %d open, rate %.0f/s: commands sent %llu, completed %llu, errors %llu, "
                          "heartbeats %llu, stale alarms %d, p99 so far %.1f ms",
                          m_openAgents, rate, static_cast<unsigned long long>(m_commandsSent),
                          static_cast<unsigned long long>(m_commandsCompleted),
                          static_cast<unsigned long long>(m_commandErrors),
                          static_cast<unsigned long long>(m_heartbeatsSent), m_staleAlarms - staleBefore,
                          static_cast<double>(m_roundTrip.percentile(99)) / 1000.0);
            return std::string(line);
        });
        m_loop.run(issueEnd);
        m_loop.cancelTimer(tick);
        m_loop.runUntil(
            [&] { return m_commandsCompleted + m_commandsFailed + m_commandErrors >= m_commandsSent; },
            EventLoop::nowMicros() + micros(std::max(m_options.drainSeconds, 1.0)));
        stopProgress();
        const ProcessSample cpuAfter = sampleProcess(m_options.serverPid);
        Row row{{u"rate"_s, rate},
                {u"commands_sent"_s, static_cast<double>(m_commandsSent)},
                {u"commands_completed"_s, static_cast<double>(m_commandsCompleted)},
                {u"commands_failed"_s, static_cast<double>(m_commandsFailed)},
                {u"command_errors"_s, static_cast<double>(m_commandErrors)},
                {u"round_trip_p50_ms"_s, ms(m_roundTrip.percentile(50))},
                {u"round_trip_p99_ms"_s, ms(m_roundTrip.percentile(99))},
                {u"round_trip_max_ms"_s, ms(m_roundTrip.max())},
                {u"agents_open"_s, m_openAgents},
                {u"stale_alarms"_s, m_staleAlarms - staleBefore},
                {u"disconnects"_s, m_disconnects - disconnectsBefore}};
        if (!m_firstCommandError.empty())
            row.append({u"first_command_error"_s, QString::fromStdString(m_firstCommandError)});
        if (cpuBefore.ok && cpuAfter.ok) {
            const double wall = static_cast<double>(EventLoop::nowMicros() - runStart) / 1e6;
            row.append({u"server_cpu_percent"_s,
                        rounded(100.0 * (cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / wall, 1)});
            row.append({u"server_rss_kib"_s, static_cast<double>(cpuAfter.rssKiB)});
        }
        result.runs.append(row);
    }
    m_loop.cancelTimer(heartbeatTimer);
    result.summary.append({u"heartbeats_sent"_s, static_cast<double>(m_heartbeatsSent)});
    result.summary.append({u"stale_disconnects"_s, m_staleDisconnects});
    if (before.ok)
        result.summary.append({u"server_rss_before_kib"_s, static_cast<double>(before.rssKiB)});
    return result;
}

// ---------------------------------------------------------------- connect, idle

BenchResult BenchRunner::runConnectOrIdle()
{
    BenchResult result;
    const int n = m_options.clients;
    const bool agents = m_options.kind == "agents"_L1 && !m_options.raw;
    if (agents) {
        QString error;
        if (!readKeys(n, &error)) {
            result.ok = false;
            result.error = error;
            return result;
        }
    }
    m_roles.assign(static_cast<std::size_t>(n), agents ? Role::Agent : Role::Browser);
    const ProcessSample before = sampleProcess(m_options.serverPid);
    startProgress([this, n, agents] {
        return std::string(agents ? "agents" : "clients") + " open " +
               std::to_string(agents ? m_openAgents : m_openBrowsers) + "/" + std::to_string(n) +
               ", failed " + std::to_string(m_connectFailures) + ", in progress " +
               std::to_string(m_pool->inProgressCount());
    });
    const std::string path = browserPath();
    const std::int64_t start = EventLoop::nowMicros();
    const bool done = openMany(n, [this, agents, &path](int index) {
        if (!agents)
            return m_pool->connectWebSocket(path);
        const AgentKey &agent = m_keys[static_cast<std::size_t>(index)];
        return m_pool->connectWebSocket("/api/v1/agents/connect?agent_id=" + agent.id,
                                        "X-Agent-API-Key: " + agent.key + "\r\n");
    });
    const double seconds = static_cast<double>(EventLoop::nowMicros() - start) / 1e6;
    const int opened = agents ? m_openAgents : m_openBrowsers;
    const LatencyStats &times = m_pool->connectTimes();
    result.summary = {{u"kind"_s, m_options.raw ? u"raw"_s : m_options.kind},
                      {u"clients"_s, n},
                      {u"opened"_s, opened},
                      {u"failures"_s, m_connectFailures},
                      {u"seconds"_s, rounded(seconds, 3)},
                      {u"connects_per_s"_s, rounded(opened / std::max(seconds, 1e-3), 0)},
                      {u"connect_p50_ms"_s, ms(times.percentile(50))},
                      {u"connect_p99_ms"_s, ms(times.percentile(99))},
                      {u"connect_max_ms"_s, ms(times.max())},
                      {u"concurrency"_s, m_options.concurrency}};
    if (!m_firstFailure.empty())
        result.summary.append({u"first_failure"_s, QString::fromStdString(m_firstFailure)});
    if (!done) {
        result.ok = false;
        result.error = u"connections did not finish within --connect-timeout"_s;
    }
    if (m_options.scenario == Scenario::Idle) {
        m_loop.run(EventLoop::nowMicros() + micros(m_options.durationSeconds));
        const int still = agents ? m_openAgents : m_openBrowsers;
        result.summary.append({u"held_seconds"_s, m_options.durationSeconds});
        result.summary.append({u"open_after_hold"_s, still});
        result.summary.append({u"pings_answered"_s, static_cast<double>(m_pool->counters().pingsAnswered)});
        const ProcessSample after = sampleProcess(m_options.serverPid);
        if (before.ok && after.ok) {
            result.summary.append({u"server_rss_before_kib"_s, static_cast<double>(before.rssKiB)});
            result.summary.append({u"server_rss_after_kib"_s, static_cast<double>(after.rssKiB)});
            if (still > 0)
                result.summary.append(
                    {u"rss_per_connection_bytes"_s,
                     rounded(1024.0 * static_cast<double>(after.rssKiB - before.rssKiB) / still, 0)});
        } else if (m_options.serverPid > 0) {
            result.summary.append(
                {u"rss_error"_s, u"cannot read /proc/%1/status"_s.arg(m_options.serverPid)});
        }
    }
    return result;
}

// ---------------------------------------------------------------- prepare-agents

void BenchRunner::onHttp(int id, int status, const std::string &body)
{
    const auto found = m_httpAgent.find(id);
    if (found == m_httpAgent.end())
        return;
    const int index = found->second;
    m_httpAgent.erase(found);
    const QString key = parseObject(body).value("apiKey"_L1).toString();
    if ((status == 200 || status == 202) && key.size() == 64) {
        m_registeredKeys[static_cast<std::size_t>(index)] = key.toStdString();
        ++m_registered;
    } else {
        ++m_registerFailures;
        if (m_firstFailure.empty())
            m_firstFailure = "HTTP " + std::to_string(status) + ": " + body.substr(0, 200);
    }
    if (m_launch && m_launched < m_launchTarget)
        m_launch(m_launched++);
}

BenchResult BenchRunner::runPrepareAgents()
{
    BenchResult result;
    const int n = m_options.clients;
    m_registeredKeys.assign(static_cast<std::size_t>(n), {});
    auto agentId = [this](int index) { return m_options.agentPrefix.toStdString() + std::to_string(index); };

    // 1. Register with the bootstrap key: each agent is created pending and gets its own key.
    startProgress([this, n] {
        return "registering: " + std::to_string(m_registered) + "/" + std::to_string(n) + ", failed " +
               std::to_string(m_registerFailures);
    });
    const std::int64_t start = EventLoop::nowMicros();
    const std::string host = m_options.host + ":" + std::to_string(m_options.port);
    m_launchTarget = n;
    m_launched = 0;
    m_launch = [&](int index) {
        const QByteArray body =
            QJsonDocument(QJsonObject{{u"agentId"_s, QString::fromStdString(agentId(index))},
                                      {u"platform"_s, u"docker"_s},
                                      {u"region"_s, u"bench"_s},
                                      {u"orgId"_s, m_options.orgId},
                                      {u"capacity"_s, QJsonObject{{u"maxSessions"_s, 100},
                                                                  {u"cpu"_s, u"8"_s},
                                                                  {u"memory"_s, u"16Gi"_s}}}})
                .toJson(QJsonDocument::Compact);
        const std::string request =
            "POST /api/v1/agents/register HTTP/1.1\r\nHost: " + host +
            "\r\nContent-Type: application/json\r\nX-Agent-API-Key: " + m_options.bootstrapKey.toStdString() +
            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
            body.toStdString();
        const int id = m_pool->sendHttp(request);
        m_httpAgent.emplace(id, index);
        return id;
    };
    const int first = std::min(n, m_options.concurrency);
    while (m_launched < first)
        m_launch(m_launched++);
    m_loop.runUntil([&] { return m_registered + m_registerFailures >= n; },
                    EventLoop::nowMicros() + micros(m_options.connectTimeoutSeconds) * 10);
    m_launch = nullptr;
    const double registerSeconds = static_cast<double>(EventLoop::nowMicros() - start) / 1e6;

    // 2. Approve them over the admin stream, pipelined (at most `concurrency` requests in flight).
    m_roles.assign(static_cast<std::size_t>(m_pool->size()) + 1, Role::None);
    m_roles.back() = Role::Admin;
    m_admin = m_pool->connectWebSocket("/api/v1/ws/admin?token=" + urlEncoded(m_options.adminToken));
    m_loop.runUntil([this] { return m_adminReady; }, EventLoop::nowMicros() + 30 * kSecond);
    const std::int64_t approveStart = EventLoop::nowMicros();
    int sent = 0;
    std::vector<int> toApprove;
    for (int i = 0; i < n; ++i) {
        if (!m_registeredKeys[static_cast<std::size_t>(i)].empty())
            toApprove.push_back(i);
    }
    startProgress([&] {
        return "approving: " + std::to_string(m_approved) + "/" + std::to_string(toApprove.size()) +
               ", failed " + std::to_string(m_approveFailures);
    });
    auto sendMore = [&] {
        while (m_adminReady && sent < static_cast<int>(toApprove.size()) &&
               sent - m_approved - m_approveFailures < m_options.concurrency) {
            const QByteArray frame = wire::admin::encodeRequest(wire::admin::RequestMessage{
                u"a"_s + QString::number(sent),
                wire::admin::AgentDecision{
                    QString::fromStdString(agentId(toApprove[static_cast<std::size_t>(sent)])), true}});
            m_pool->sendText(m_admin,
                             std::string_view(frame.constData(), static_cast<std::size_t>(frame.size())));
            ++sent;
        }
    };
    const int pump = m_loop.addTimer(2000, sendMore);
    sendMore();
    m_loop.runUntil(
        [&] { return !m_adminReady || m_approved + m_approveFailures >= static_cast<int>(toApprove.size()); },
        EventLoop::nowMicros() + micros(m_options.connectTimeoutSeconds) * 10);
    m_loop.cancelTimer(pump);
    const double approveSeconds = static_cast<double>(EventLoop::nowMicros() - approveStart) / 1e6;

    QSaveFile file(m_options.keysFile);
    bool written = file.open(QIODevice::WriteOnly | QIODevice::Text);
    if (written) {
        for (int i = 0; i < n; ++i) {
            if (!m_registeredKeys[static_cast<std::size_t>(i)].empty())
                file.write(QByteArray::fromStdString(agentId(i) + " " +
                                                     m_registeredKeys[static_cast<std::size_t>(i)] + "\n"));
        }
        written = file.commit();
    }
    result.summary = {{u"agents"_s, n},
                      {u"registered"_s, m_registered},
                      {u"register_failures"_s, m_registerFailures},
                      {u"register_seconds"_s, rounded(registerSeconds)},
                      {u"approved"_s, m_approved},
                      {u"approve_failures"_s, m_approveFailures},
                      {u"approve_seconds"_s, rounded(approveSeconds)},
                      {u"keys_file"_s, m_options.keysFile}};
    if (!m_firstFailure.empty())
        result.summary.append({u"first_failure"_s, QString::fromStdString(m_firstFailure)});
    if (!written) {
        result.ok = false;
        result.error = u"cannot write "_s + m_options.keysFile;
    } else if (m_approved < m_registered || m_registered < n) {
        result.ok = false;
        result.error = u"not every agent was registered and approved"_s;
    }
    return result;
}

} // namespace switchboard::bench
