// AgentOptions: the command line matrix (defaults, every option, every refusal) and derived URLs.
#include "agent/AgentOptions.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard::agentsim;
using Outcome = ParsedAgentOptions::Outcome;

namespace {

const QString kKey = QString(64, u'a');

ParsedAgentOptions parse(QStringList arguments, const QStringList &environment = {})
{
    arguments.prepend(u"switchboard-agent"_s);
    QProcessEnvironment env;
    for (const QString &entry : environment)
        env.insert(entry.section(u'=', 0, 0), entry.section(u'=', 1));
    return parseAgentOptions(arguments, env);
}

} // namespace

Q_DECLARE_METATYPE(Outcome)

class TestAgentOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void outcomes_data();
    void outcomes();
    void values();
    void keysFromEnvironment_data();
    void keysFromEnvironment();
    void derivedUrls_data();
    void derivedUrls();
    void fleetIds();
    void quietLowersLogLevel();
};

void TestAgentOptions::defaults()
{
    const auto parsed = parse({u"--agent-id"_s, u"sim-1"_s, u"--api-key"_s, kKey});
    QCOMPARE(parsed.outcome, Outcome::Run);
    const AgentOptions &o = parsed.options;
    QCOMPARE(o.server, QUrl(u"http://127.0.0.1:8080"_s));
    QCOMPARE(o.agentId, u"sim-1"_s);
    QCOMPARE(o.apiKey, kKey);
    QCOMPARE(o.platform, switchboard::protocol::Platform::Docker);
    QVERIFY(o.region.isEmpty());
    QCOMPARE(o.maxSessions, 10);
    QCOMPARE(o.heartbeatInterval.count(), 30000);
    QCOMPARE(o.approvalPoll.count(), 30000);
    QCOMPARE(o.startDelay.count(), 200);
    QCOMPARE(o.stopDelay.count(), 200);
    QCOMPARE(o.hibernateDelay.count(), 200);
    QCOMPARE(o.wakeDelay.count(), 200);
    QCOMPARE(o.logInterval.count(), 500);
    QCOMPARE(o.failureRate, 0.0);
    QCOMPARE(o.count, 1);
    QCOMPARE(o.logLevel, LogLevel::Info);
    QVERIFY(!o.quiet);
}

void TestAgentOptions::outcomes_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<Outcome>("expected");
    QTest::addColumn<QString>("messagePart"); // for errors: a piece of the message

    const QStringList base{u"--agent-id"_s, u"sim-1"_s, u"--api-key"_s, kKey};
    QTest::newRow("minimal") << base << Outcome::Run << QString();
    QTest::newRow("help") << QStringList{u"--help"_s} << Outcome::ShowHelp << QString();
    QTest::newRow("version") << QStringList{u"--version"_s} << Outcome::ShowVersion << QString();
    QTest::newRow("unknown option") << base + QStringList{u"--frobnicate"_s} << Outcome::Error
                                    << u"frobnicate"_s;
    QTest::newRow("positional") << base + QStringList{u"extra"_s} << Outcome::Error << u"extra"_s;
    QTest::newRow("no agent id") << QStringList{u"--api-key"_s, kKey} << Outcome::Error << u"--agent-id"_s;
    QTest::newRow("short agent id") << QStringList{u"--agent-id"_s, u"ab"_s, u"--api-key"_s, kKey}
                                    << Outcome::Error << u"3-100"_s;
    QTest::newRow("agent id with space")
        << QStringList{u"--agent-id"_s, u"a b c"_s, u"--api-key"_s, kKey} << Outcome::Error << u"3-100"_s;
    QTest::newRow("no key at all") << QStringList{u"--agent-id"_s, u"sim-1"_s} << Outcome::Error
                                   << u"--api-key"_s;
    QTest::newRow("bootstrap only") << QStringList{u"--agent-id"_s, u"sim-1"_s, u"--bootstrap-key"_s, kKey}
                                    << Outcome::Run << QString();
    QTest::newRow("key file only") << QStringList{u"--agent-id"_s, u"sim-1"_s, u"--key-file"_s, u"/tmp/k"_s}
                                   << Outcome::Run << QString();
    QTest::newRow("key with space") << QStringList{u"--agent-id"_s, u"sim-1"_s, u"--api-key"_s, u"a b"_s}
                                    << Outcome::Error << u"API key"_s;
    QTest::newRow("count with single key")
        << base + QStringList{u"--count"_s, u"3"_s} << Outcome::Error << u"--api-key-file"_s;
    QTest::newRow("count without keys") << QStringList{u"--agent-id"_s, u"sim"_s, u"--count"_s, u"3"_s}
                                        << Outcome::Error << u"--api-key-file"_s;
    QTest::newRow("count with key file")
        << QStringList{u"--agent-id"_s, u"sim"_s, u"--count"_s, u"3"_s, u"--api-key-file"_s, u"/tmp/keys"_s}
        << Outcome::Run << QString();
    QTest::newRow("count with bootstrap")
        << QStringList{u"--agent-id"_s, u"sim"_s, u"--count"_s, u"3"_s, u"--bootstrap-key"_s, kKey}
        << Outcome::Run << QString();
    QTest::newRow("count zero") << base + QStringList{u"--count"_s, u"0"_s} << Outcome::Error << u"--count"_s;
    QTest::newRow("count word") << base + QStringList{u"--count"_s, u"many"_s} << Outcome::Error
                                << u"--count"_s;
    QTest::newRow("derived id too long")
        << QStringList{u"--agent-id"_s, QString(99, u'x'), u"--count"_s, u"10"_s, u"--bootstrap-key"_s, kKey}
        << Outcome::Error << u"3-100"_s;
    QTest::newRow("server ftp") << base + QStringList{u"--server"_s, u"ftp://host"_s} << Outcome::Error
                                << u"--server"_s;
    QTest::newRow("server without host")
        << base + QStringList{u"--server"_s, u"http://"_s} << Outcome::Error << u"--server"_s;
    QTest::newRow("server with query")
        << base + QStringList{u"--server"_s, u"http://h/?x=1"_s} << Outcome::Error << u"--server"_s;
    QTest::newRow("server wss") << base + QStringList{u"--server"_s, u"wss://h.example:8443"_s}
                                << Outcome::Run << QString();
    for (const char *platform : {"kubernetes", "docker", "vm", "cloud"})
        QTest::newRow(platform) << base + QStringList{u"--platform"_s, QString::fromLatin1(platform)}
                                << Outcome::Run << QString();
    QTest::newRow("platform bare metal")
        << base + QStringList{u"--platform"_s, u"metal"_s} << Outcome::Error << u"--platform"_s;
    QTest::newRow("region short") << base + QStringList{u"--region"_s, u"x"_s} << Outcome::Error
                                  << u"--region"_s;
    QTest::newRow("region ok") << base + QStringList{u"--region"_s, u"eu-west-1"_s} << Outcome::Run
                               << QString();
    QTest::newRow("max sessions zero")
        << base + QStringList{u"--max-sessions"_s, u"0"_s} << Outcome::Error << u"--max-sessions"_s;
    QTest::newRow("heartbeat zero") << base + QStringList{u"--heartbeat-interval"_s, u"0"_s} << Outcome::Error
                                    << u"--heartbeat-interval"_s;
    QTest::newRow("heartbeat word") << base + QStringList{u"--heartbeat-interval"_s, u"soon"_s}
                                    << Outcome::Error << u"--heartbeat-interval"_s;
    QTest::newRow("approval poll negative")
        << base + QStringList{u"--approval-poll"_s, u"-1"_s} << Outcome::Error << u"--approval-poll"_s;
    QTest::newRow("start delay negative")
        << base + QStringList{u"--start-delay"_s, u"-0.1"_s} << Outcome::Error << u"--start-delay"_s;
    QTest::newRow("stop delay inf") << base + QStringList{u"--stop-delay"_s, u"inf"_s} << Outcome::Error
                                    << u"--stop-delay"_s;
    // A zero interval would make a streaming agent spin.
    QTest::newRow("log interval zero")
        << base + QStringList{u"--log-interval"_s, u"0"_s} << Outcome::Error << u"--log-interval"_s;
    QTest::newRow("wake delay zero ok")
        << base + QStringList{u"--wake-delay"_s, u"0"_s} << Outcome::Run << QString();
    QTest::newRow("failure rate above one")
        << base + QStringList{u"--failure-rate"_s, u"1.5"_s} << Outcome::Error << u"--failure-rate"_s;
    QTest::newRow("failure rate nan")
        << base + QStringList{u"--failure-rate"_s, u"nan"_s} << Outcome::Error << u"--failure-rate"_s;
    QTest::newRow("failure rate one")
        << base + QStringList{u"--failure-rate"_s, u"1"_s} << Outcome::Run << QString();
    QTest::newRow("log level bad") << base + QStringList{u"--log-level"_s, u"loud"_s} << Outcome::Error
                                   << u"--log-level"_s;
    QTest::newRow("cpu empty") << base + QStringList{u"--cpu"_s, QString()} << Outcome::Error << u"--cpu"_s;
}

void TestAgentOptions::outcomes()
{
    QFETCH(QStringList, arguments);
    QFETCH(Outcome, expected);
    QFETCH(QString, messagePart);
    const auto parsed = parse(arguments);
    QVERIFY2(parsed.outcome == expected, qPrintable(parsed.text));
    if (expected == Outcome::Error)
        QVERIFY2(parsed.text.contains(messagePart), qPrintable(parsed.text));
    if (expected == Outcome::ShowHelp)
        QVERIFY(parsed.text.contains(u"--bootstrap-key"_s));
}

void TestAgentOptions::values()
{
    const auto parsed = parse({u"--server"_s,
                               u"https://sb.example:9443/base/"_s,
                               u"--agent-id"_s,
                               u"edge-7"_s,
                               u"--api-key"_s,
                               kKey,
                               u"--platform"_s,
                               u"kubernetes"_s,
                               u"--region"_s,
                               u"us-east-1"_s,
                               u"--org"_s,
                               u"acme"_s,
                               u"--max-sessions"_s,
                               u"25"_s,
                               u"--cpu"_s,
                               u"64 cores"_s,
                               u"--memory"_s,
                               u"256Gi"_s,
                               u"--heartbeat-interval"_s,
                               u"0.25"_s,
                               u"--approval-poll"_s,
                               u"1.5"_s,
                               u"--start-delay"_s,
                               u"0.05"_s,
                               u"--stop-delay"_s,
                               u"1"_s,
                               u"--hibernate-delay"_s,
                               u"2.5"_s,
                               u"--wake-delay"_s,
                               u"0"_s,
                               u"--log-interval"_s,
                               u"0.1"_s,
                               u"--failure-rate"_s,
                               u"0.25"_s,
                               u"--log-level"_s,
                               u"debug"_s,
                               u"--key-file"_s,
                               u"/tmp/keys"_s});
    QVERIFY2(parsed.outcome == Outcome::Run, qPrintable(parsed.text));
    const AgentOptions &o = parsed.options;
    QCOMPARE(o.agentId, u"edge-7"_s);
    QCOMPARE(o.platform, switchboard::protocol::Platform::Kubernetes);
    QCOMPARE(o.region, u"us-east-1"_s);
    QCOMPARE(o.org, u"acme"_s);
    QCOMPARE(o.maxSessions, 25);
    QCOMPARE(o.cpu, u"64 cores"_s);
    QCOMPARE(o.memory, u"256Gi"_s);
    QCOMPARE(o.heartbeatInterval.count(), 250);
    QCOMPARE(o.approvalPoll.count(), 1500);
    QCOMPARE(o.startDelay.count(), 50);
    QCOMPARE(o.stopDelay.count(), 1000);
    QCOMPARE(o.hibernateDelay.count(), 2500);
    QCOMPARE(o.wakeDelay.count(), 0);
    QCOMPARE(o.logInterval.count(), 100);
    QCOMPARE(o.failureRate, 0.25);
    QCOMPARE(o.logLevel, LogLevel::Debug);
    QCOMPARE(o.keyFile, u"/tmp/keys"_s);
}

void TestAgentOptions::keysFromEnvironment_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QString>("apiKey");
    QTest::addColumn<QString>("bootstrapKey");

    const QString other = QString(64, u'b');
    QTest::newRow("env api key") << QStringList{u"--agent-id"_s, u"sim-1"_s}
                                 << QStringList{u"SWITCHBOARD_AGENT_API_KEY="_s + kKey} << kKey << QString();
    QTest::newRow("option beats env")
        << QStringList{u"--agent-id"_s, u"sim-1"_s, u"--api-key"_s, other}
        << QStringList{u"SWITCHBOARD_AGENT_API_KEY="_s + kKey} << other << QString();
    QTest::newRow("env bootstrap key")
        << QStringList{u"--agent-id"_s, u"sim-1"_s}
        << QStringList{u"SWITCHBOARD_AGENT_BOOTSTRAP_KEY="_s + kKey} << QString() << kKey;
    QTest::newRow("env api key ignored for a fleet")
        << QStringList{u"--agent-id"_s, u"sim"_s, u"--count"_s, u"2"_s, u"--bootstrap-key"_s, other}
        << QStringList{u"SWITCHBOARD_AGENT_API_KEY="_s + kKey} << QString() << other;
}

void TestAgentOptions::keysFromEnvironment()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, environment);
    QFETCH(QString, apiKey);
    QFETCH(QString, bootstrapKey);
    const auto parsed = parse(arguments, environment);
    QVERIFY2(parsed.outcome == Outcome::Run, qPrintable(parsed.text));
    QCOMPARE(parsed.options.apiKey, apiKey);
    QCOMPARE(parsed.options.bootstrapKey, bootstrapKey);
}

void TestAgentOptions::derivedUrls_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("registerUrl");
    QTest::addColumn<QString>("connectUrl");
    QTest::newRow("http") << u"http://127.0.0.1:8080"_s << u"http://127.0.0.1:8080/api/v1/agents/register"_s
                          << u"ws://127.0.0.1:8080/api/v1/agents/connect"_s;
    QTest::newRow("https") << u"https://sb.example"_s << u"https://sb.example/api/v1/agents/register"_s
                           << u"wss://sb.example/api/v1/agents/connect"_s;
    QTest::newRow("ws") << u"ws://h:81"_s << u"http://h:81/api/v1/agents/register"_s
                        << u"ws://h:81/api/v1/agents/connect"_s;
    QTest::newRow("wss with prefix") << u"wss://h/switchboard/"_s
                                     << u"https://h/switchboard/api/v1/agents/register"_s
                                     << u"wss://h/switchboard/api/v1/agents/connect"_s;
}

void TestAgentOptions::derivedUrls()
{
    QFETCH(QString, server);
    QFETCH(QString, registerUrl);
    QFETCH(QString, connectUrl);
    const auto parsed = parse({u"--server"_s, server, u"--agent-id"_s, u"sim-1"_s, u"--api-key"_s, kKey});
    QVERIFY2(parsed.outcome == Outcome::Run, qPrintable(parsed.text));
    QCOMPARE(parsed.options.registerUrl().toString(), registerUrl);
    QCOMPARE(parsed.options.connectUrl().toString(), connectUrl);
}

void TestAgentOptions::fleetIds()
{
    const auto single = parse({u"--agent-id"_s, u"solo"_s, u"--api-key"_s, kKey});
    QCOMPARE(single.options.agentIds(), QStringList{u"solo"_s});
    const auto fleet = parse({u"--agent-id"_s, u"load"_s, u"--count"_s, u"3"_s, u"--bootstrap-key"_s, kKey});
    QVERIFY2(fleet.outcome == Outcome::Run, qPrintable(fleet.text));
    QCOMPARE(fleet.options.agentIds(), (QStringList{u"load-1"_s, u"load-2"_s, u"load-3"_s}));
}

void TestAgentOptions::quietLowersLogLevel()
{
    const auto quiet = parse({u"--agent-id"_s, u"sim-1"_s, u"--api-key"_s, kKey, u"--quiet"_s});
    QCOMPARE(quiet.options.effectiveLogLevel(), LogLevel::Warning);
    const auto quietError = parse(
        {u"--agent-id"_s, u"sim-1"_s, u"--api-key"_s, kKey, u"--quiet"_s, u"--log-level"_s, u"error"_s});
    QCOMPARE(quietError.options.effectiveLogLevel(), LogLevel::Error);
}

QTEST_GUILESS_MAIN(TestAgentOptions)
#include "tst_agentoptions.moc"
