// Settings and command line: defaults, every source, precedence, errors, subcommands, JWT secret.
#include "config/Identifiers.h"
#include "config/Invocation.h"
#include "config/JwtSecretFile.h"

#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace switchboard;
using Command = Invocation::Command;

namespace {

const QString kSecret = u"0123456789abcdef0123456789abcdef-test-secret"_s;

// The value of one setting as text, so that data-driven rows can name a field and its expectation.
QString fieldText(const Settings &s, const QString &field)
{
    if (field == "listen"_L1)
        return s.listenAddress.toString() + u'|' + QString::number(s.listenPort);
    if (field == "database"_L1)
        return s.databaseUrl;
    if (field == "data-dir"_L1)
        return s.dataDir;
    if (field == "jwt-secret"_L1)
        return QString::fromUtf8(s.jwtSecret);
    if (field == "bootstrap-key"_L1)
        return s.bootstrapKey;
    if (field == "token-cache-size"_L1)
        return QString::number(s.tokenCacheSize);
    if (field == "heartbeat-timeout"_L1)
        return QString::number(s.heartbeatTimeoutSeconds);
    if (field == "stale-sweep-interval"_L1)
        return QString::number(s.staleSweepIntervalSeconds);
    if (field == "sessions-interval"_L1)
        return QString::number(s.sessionsIntervalSeconds);
    if (field == "metrics-interval"_L1)
        return QString::number(s.metricsIntervalSeconds);
    if (field == "ui-ping-interval"_L1)
        return QString::number(s.uiPingIntervalSeconds);
    if (field == "agent-ping-interval"_L1)
        return QString::number(s.agentPingIntervalSeconds);
    if (field == "read-timeout"_L1)
        return QString::number(s.readTimeoutSeconds);
    if (field == "log-level"_L1)
        return logLevelName(s.logLevel);
    if (field == "replica-name"_L1)
        return s.replicaName;
    if (field == "redis"_L1)
        return s.redisUrl;
    if (field == "listen-backlog"_L1)
        return QString::number(s.limits.listenBacklog);
    if (field == "handshake-timeout"_L1)
        return QString::number(s.limits.handshakeTimeoutSeconds);
    if (field == "max-header-bytes"_L1)
        return QString::number(s.limits.maxHeaderBytes);
    if (field == "max-body-bytes"_L1)
        return QString::number(s.limits.maxBodyBytes);
    if (field == "agent-max-frame-bytes"_L1)
        return QString::number(s.limits.agentMaxFrameBytes);
    if (field == "browser-max-frame-bytes"_L1)
        return QString::number(s.limits.browserMaxFrameBytes);
    if (field == "slow-client-max-messages"_L1)
        return QString::number(s.limits.slowClientMaxMessages);
    if (field == "slow-client-max-bytes"_L1)
        return QString::number(s.limits.slowClientMaxBytes);
    if (field == "max-bad-frames"_L1)
        return QString::number(s.limits.maxBadFrames);
    if (field == "max-connections-per-ip"_L1)
        return QString::number(s.limits.maxConnectionsPerAddress);
    if (field == "handshakes-per-ip"_L1)
        return QString::number(s.limits.handshakesPerAddressPerSecond);
    if (field == "exempt-addresses"_L1)
        return s.limits.exemptSubnets.join(u',');
    if (field == "agent-message-rate"_L1)
        return QString::number(s.limits.agentMessagesPerSecond);
    if (field == "browser-message-rate"_L1)
        return QString::number(s.limits.browserMessagesPerSecond);
    if (field == "max-subscriptions-per-client"_L1)
        return QString::number(s.limits.maxSubscriptionsPerClient);
    if (field == "max-event-data-bytes"_L1)
        return QString::number(s.limits.maxEventDataBytes);
    if (field == "tls-cert"_L1)
        return s.tls.certFile;
    if (field == "tls-key"_L1)
        return s.tls.keyFile;
    if (field == "tls-client-ca"_L1)
        return s.tls.clientCaFile;
    if (field == "allowed-origins"_L1)
        return s.allowedOrigins.isEmpty() ? u"*"_s : s.allowedOrigins.join(u',');
    if (field == "probe-interval"_L1)
        return QString::number(s.probeIntervalSeconds);
    if (field == "log-format"_L1)
        return logging::logFormatName(s.logFormat);
    if (field == "metrics"_L1)
        return s.metrics.enabled ? u"true"_s : u"false"_s;
    if (field == "metrics-allow"_L1)
        return s.metrics.allowedSubnets.join(u',');
    if (field == "metrics-token"_L1)
        return s.metrics.token;
    const QHash<QString, double> delivery{
        {u"ack-timeout"_s, s.delivery.ackTimeoutSeconds},
        {u"max-attempts"_s, s.delivery.maxAttempts},
        {u"start-complete-timeout"_s, s.delivery.startCompleteTimeoutSeconds},
        {u"stop-complete-timeout"_s, s.delivery.stopCompleteTimeoutSeconds},
        {u"hibernate-complete-timeout"_s, s.delivery.hibernateCompleteTimeoutSeconds},
        {u"wake-complete-timeout"_s, s.delivery.wakeCompleteTimeoutSeconds},
        {u"logs-complete-timeout"_s, s.delivery.logsCompleteTimeoutSeconds},
        {u"agent-grace-period"_s, s.delivery.agentGracePeriodSeconds},
        {u"event-history-max-events"_s, s.delivery.eventHistoryMaxEvents},
        {u"event-history-max-age"_s, s.delivery.eventHistoryMaxAgeSeconds},
    };
    if (delivery.contains(field))
        return QString::number(delivery.value(field));
    return u"<unknown field %1>"_s.arg(field);
}

QProcessEnvironment environmentOf(const QStringList &assignments)
{
    QProcessEnvironment environment;
    for (const QString &assignment : assignments) {
        const qsizetype equals = assignment.indexOf(u'=');
        environment.insert(assignment.left(equals), assignment.mid(equals + 1));
    }
    return environment;
}

} // namespace

class tst_Settings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void defaults();
    void defaultsAreDerivedFromDataDirAndPort();
    void eachOption_data();
    void eachOption();
    void everySourceSetsEverySetting_data();
    void everySourceSetsEverySetting();
    void precedence();
    void tlsFromEverySource();
    void configFileFromEnvironment();
    void unknownIniKeyWarns();
    void emptyEnvironmentVariableIsUnset();
    void badValues_data();
    void badValues();
    void secretsAreNotEchoed();
    void subcommands_data();
    void subcommands();
    void subcommandErrors_data();
    void subcommandErrors();
    void durations_data();
    void durations();
    void listenAddresses_data();
    void listenAddresses();
    void helpAndVersion();
    void usageMentionsEveryOption();
    void defaultConfigurationFileListsEverySetting();
    void jwtSecretGeneratedOnceAndReused();
    void jwtSecretNotCreatedWhenConfiguredOrUnneeded();
    void intervalAccessors();
    void identifiers_data();
    void identifiers();

private:
    // Arguments with the program name and --data-dir pointing at this test's directory.
    QStringList args(const QStringList &rest) const;
    QString writeIni(const QString &contents) const;

    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_Settings::defaultConfigurationFileListsEverySetting()
{
    QFile file(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/resources/switchboard.conf"_s);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');

    // Every setting of --help appears, commented out, in its section.
    const QStringList usage = usageText().split(u'\n');
    QHash<QString, QString> optionOfKey; // "section/key" -> option
    QString option;
    for (const QString &line : usage) {
        if (line.startsWith("  --"_L1))
            option = line.mid(4, line.indexOf(u' ', 4) - 4);
        const qsizetype ini = line.indexOf("INI ["_L1);
        if (ini < 0)
            continue;
        const qsizetype close = line.indexOf(u']', ini);
        const QString section = line.mid(ini + 5, close - ini - 5);
        const QString key = line.mid(close + 2, line.indexOf(u',', close) - close - 2);
        optionOfKey.insert(section + u'/' + key, option);
    }
    QVERIFY(optionOfKey.size() > 40);
    QString section;
    QStringList uncommented;
    QSet<QString> listed;
    for (const QString &line : lines) {
        if (line.startsWith(u'['))
            section = line.mid(1, line.indexOf(u']') - 1);
        uncommented.append(line);
        if (!line.startsWith(u';') || !line.contains(" ="_L1) || line.startsWith("; "_L1))
            continue;
        const QString key = line.mid(1, line.indexOf(u' ') - 1);
        listed.insert(section + u'/' + key);
        if (!line.endsWith(u'='))
            uncommented.last() = line.mid(1); // a value: it must be the default
    }
    for (auto it = optionOfKey.cbegin(); it != optionOfKey.cend(); ++it)
        QVERIFY2(listed.contains(it.key()),
                 qPrintable(it.key() + u" is not in resources/switchboard.conf"_s));
    for (const QString &key : std::as_const(listed))
        QVERIFY2(optionOfKey.contains(key), qPrintable(key + u" is not a setting"_s));

    // With every commented value in force, the settings are the defaults.
    const auto defaults = parseInvocation(args({}), {});
    const auto fromFile = parseInvocation(args({u"--config"_s, writeIni(uncommented.join(u'\n'))}), {});
    QVERIFY2(fromFile.ok(), qPrintable(fromFile.ok() ? QString() : fromFile.error().message));
    QVERIFY2(fromFile.value().warnings.isEmpty(), qPrintable(fromFile.value().warnings.join(u'\n')));
    for (const QString &setting : std::as_const(optionOfKey)) {
        if (setting == "data-dir"_L1)
            continue; // args() sets it
        QCOMPARE(fieldText(fromFile.value().settings, setting),
                 fieldText(defaults.value().settings, setting));
    }
}

void tst_Settings::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_Settings::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

QStringList tst_Settings::args(const QStringList &rest) const
{
    return QStringList{u"switchboard-server"_s, u"--data-dir"_s, m_dir->path()} + rest;
}

QString tst_Settings::writeIni(const QString &contents) const
{
    const QString path = m_dir->filePath(u"switchboard.ini"_s);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    file.write(contents.toUtf8());
    return path;
}

void tst_Settings::defaults()
{
    // `agent list` needs no JWT secret, so nothing is written to the default data directory.
    const auto parsed = parseInvocation({u"switchboard-server"_s, u"agent"_s, u"list"_s}, {});
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    const Settings &s = parsed.value().settings;
    QCOMPARE(s.listenAddress, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(s.listenPort, 8080);
    QCOMPARE(s.dataDir, Settings::defaultDataDir());
    QVERIFY(s.dataDir.endsWith("/switchboard"_L1));
    QCOMPARE(s.databaseUrl, "sqlite:///"_L1 + s.dataDir + "/switchboard.db"_L1);
    QVERIFY(s.jwtSecret.isEmpty());
    QVERIFY(s.bootstrapKey.isEmpty());
    QCOMPARE(s.heartbeatTimeoutSeconds, 45.0);
    QCOMPARE(s.staleSweepIntervalSeconds, 10.0);
    QCOMPARE(s.sessionsIntervalSeconds, 3.0);
    QCOMPARE(s.metricsIntervalSeconds, 5.0);
    QCOMPARE(s.uiPingIntervalSeconds, 30.0);
    QCOMPARE(s.agentPingIntervalSeconds, 54.0);
    QCOMPARE(s.readTimeoutSeconds, 60.0);
    QCOMPARE(s.logLevel, LogLevel::Info);
    QVERIFY(s.replicaName.endsWith(":8080"_L1));
    QVERIFY(s.redisUrl.isEmpty());
    QCOMPARE(s.limits.listenBacklog, 4096);
    QCOMPARE(s.limits.handshakeTimeoutSeconds, 10.0);
    QCOMPARE(s.limits.maxHeaderBytes, 16384);
    QCOMPARE(s.limits.maxBodyBytes, 1024 * 1024);
    QCOMPARE(s.limits.agentMaxFrameBytes, 512 * 1024);
    QCOMPARE(s.limits.browserMaxFrameBytes, 64 * 1024);
    QCOMPARE(s.limits.slowClientMaxMessages, 256);
    QCOMPARE(s.limits.slowClientMaxBytes, 1024 * 1024);
    QCOMPARE(s.limits.maxBadFrames, 20);
    QCOMPARE(s.limits.maxConnectionsPerAddress, 1024);
    QCOMPARE(s.limits.handshakesPerAddressPerSecond, 50);
    QCOMPARE(s.limits.exemptSubnets, (QStringList{u"127.0.0.0/8"_s, u"::1/128"_s}));
    QCOMPARE(s.limits.agentMessagesPerSecond, 200);
    QCOMPARE(s.limits.browserMessagesPerSecond, 50);
    QCOMPARE(s.limits.maxSubscriptionsPerClient, 256);
    QCOMPARE(s.limits.maxEventDataBytes, 16384);
    QVERIFY(!s.tls.enabled());
    QVERIFY(s.tls.keyFile.isEmpty() && s.tls.clientCaFile.isEmpty());
    QVERIFY(s.allowedOrigins.isEmpty()); // any origin
    QVERIFY(parsed.value().warnings.isEmpty());
    QVERIFY(parsed.value().configFile.isEmpty());

    const Settings d = Settings::defaults();
    QCOMPARE(d.databaseUrl, s.databaseUrl);
    QCOMPARE(d.replicaName, s.replicaName);
}

void tst_Settings::defaultsAreDerivedFromDataDirAndPort()
{
    const auto parsed = parseInvocation(args({u"--listen"_s, u"0.0.0.0:9443"_s}), {});
    QVERIFY(parsed.ok());
    QCOMPARE(parsed.value().settings.databaseUrl, "sqlite:///"_L1 + m_dir->path() + "/switchboard.db"_L1);
    QVERIFY(parsed.value().settings.replicaName.endsWith(":9443"_L1));
    QCOMPARE(parsed.value().command, Command::Serve);
}

void tst_Settings::eachOption_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");

    QTest::newRow("listen v4") << QStringList{u"--listen"_s, u"10.1.2.3:81"_s} << u"listen"_s
                               << u"10.1.2.3|81"_s;
    QTest::newRow("listen v6") << QStringList{u"--listen=[::1]:0"_s} << u"listen"_s << u"::1|0"_s;
    QTest::newRow("listen localhost")
        << QStringList{u"--listen"_s, u"localhost:1"_s} << u"listen"_s << u"127.0.0.1|1"_s;
    QTest::newRow("database sqlite") << QStringList{u"--database"_s, u"sqlite:///var/lib/sb.db"_s}
                                     << u"database"_s << u"sqlite:///var/lib/sb.db"_s;
    QTest::newRow("database postgres") << QStringList{u"--database"_s, u"postgres://u:p@db:5432/sb"_s}
                                       << u"database"_s << u"postgres://u:p@db:5432/sb"_s;
    QTest::newRow("jwt secret") << QStringList{u"--jwt-secret"_s, kSecret} << u"jwt-secret"_s << kSecret;
    QTest::newRow("bootstrap key") << QStringList{u"--bootstrap-key"_s, QString(64, u'a')}
                                   << u"bootstrap-key"_s << QString(64, u'a');
    QTest::newRow("heartbeat fraction")
        << QStringList{u"--heartbeat-timeout"_s, u"0.5"_s} << u"heartbeat-timeout"_s << u"0.5"_s;
    QTest::newRow("stale sweep") << QStringList{u"--stale-sweep-interval"_s, u"2"_s}
                                 << u"stale-sweep-interval"_s << u"2"_s;
    QTest::newRow("sessions") << QStringList{u"--sessions-interval"_s, u"1.25"_s} << u"sessions-interval"_s
                              << u"1.25"_s;
    QTest::newRow("metrics") << QStringList{u"--metrics-interval"_s, u"7"_s} << u"metrics-interval"_s
                             << u"7"_s;
    QTest::newRow("ui ping") << QStringList{u"--ui-ping-interval"_s, u"8"_s} << u"ui-ping-interval"_s
                             << u"8"_s;
    QTest::newRow("agent ping") << QStringList{u"--agent-ping-interval"_s, u"9"_s} << u"agent-ping-interval"_s
                                << u"9"_s;
    QTest::newRow("read timeout") << QStringList{u"--read-timeout"_s, u"120"_s} << u"read-timeout"_s
                                  << u"120"_s;
    QTest::newRow("log level") << QStringList{u"--log-level"_s, u"debug"_s} << u"log-level"_s << u"debug"_s;
    QTest::newRow("replica") << QStringList{u"--replica-name"_s, u"pod-7"_s} << u"replica-name"_s
                             << u"pod-7"_s;
    QTest::newRow("redis") << QStringList{u"--redis"_s, u"redis://cache:6379/1"_s} << u"redis"_s
                           << u"redis://cache:6379/1"_s;
    QTest::newRow("redis empty") << QStringList{u"--redis"_s, QString()} << u"redis"_s << QString();
    QTest::newRow("backlog") << QStringList{u"--listen-backlog"_s, u"128"_s} << u"listen-backlog"_s
                             << u"128"_s;
    QTest::newRow("handshake") << QStringList{u"--handshake-timeout"_s, u"2.5"_s} << u"handshake-timeout"_s
                               << u"2.5"_s;
    QTest::newRow("header bytes") << QStringList{u"--max-header-bytes"_s, u"8192"_s} << u"max-header-bytes"_s
                                  << u"8192"_s;
    QTest::newRow("body bytes") << QStringList{u"--max-body-bytes"_s, u"100"_s} << u"max-body-bytes"_s
                                << u"100"_s;
    QTest::newRow("agent frame") << QStringList{u"--agent-max-frame-bytes"_s, u"2048"_s}
                                 << u"agent-max-frame-bytes"_s << u"2048"_s;
    QTest::newRow("browser frame") << QStringList{u"--browser-max-frame-bytes"_s, u"4096"_s}
                                   << u"browser-max-frame-bytes"_s << u"4096"_s;
    QTest::newRow("slow messages") << QStringList{u"--slow-client-max-messages"_s, u"10"_s}
                                   << u"slow-client-max-messages"_s << u"10"_s;
    QTest::newRow("slow bytes") << QStringList{u"--slow-client-max-bytes"_s, u"65536"_s}
                                << u"slow-client-max-bytes"_s << u"65536"_s;
    QTest::newRow("bad frames") << QStringList{u"--max-bad-frames"_s, u"3"_s} << u"max-bad-frames"_s
                                << u"3"_s;
    QTest::newRow("connections per ip unlimited")
        << QStringList{u"--max-connections-per-ip"_s, u"0"_s} << u"max-connections-per-ip"_s << u"0"_s;
    QTest::newRow("handshakes per ip")
        << QStringList{u"--handshakes-per-ip"_s, u"5"_s} << u"handshakes-per-ip"_s << u"5"_s;
    QTest::newRow("exempt addresses") << QStringList{u"--exempt-addresses"_s, u"10.0.0.0/8, 192.0.2.1,::1"_s}
                                      << u"exempt-addresses"_s << u"10.0.0.0/8,192.0.2.1/32,::1/128"_s;
    QTest::newRow("exempt none") << QStringList{u"--exempt-addresses"_s, u"none"_s} << u"exempt-addresses"_s
                                 << QString();
    QTest::newRow("agent rate") << QStringList{u"--agent-message-rate"_s, u"0"_s} << u"agent-message-rate"_s
                                << u"0"_s;
    QTest::newRow("browser rate") << QStringList{u"--browser-message-rate"_s, u"7"_s}
                                  << u"browser-message-rate"_s << u"7"_s;
    QTest::newRow("origins") << QStringList{u"--allowed-origins"_s,
                                            u"https://a.example, http://b.example:8080"_s}
                             << u"allowed-origins"_s << u"https://a.example,http://b.example:8080"_s;
    QTest::newRow("any origin") << QStringList{u"--allowed-origins"_s, u"*"_s} << u"allowed-origins"_s
                                << u"*"_s;
    QTest::newRow("log format json") << QStringList{u"--log-format"_s, u"json"_s} << u"log-format"_s
                                     << u"json"_s;
    QTest::newRow("metrics off") << QStringList{u"--metrics"_s, u"off"_s} << u"metrics"_s << u"false"_s;
    QTest::newRow("metrics allow") << QStringList{u"--metrics-allow"_s, u"10.0.0.0/8, 192.0.2.7"_s}
                                   << u"metrics-allow"_s << u"10.0.0.0/8,192.0.2.7/32"_s;
    QTest::newRow("metrics allow none")
        << QStringList{u"--metrics-allow"_s, u"none"_s} << u"metrics-allow"_s << QString();
    QTest::newRow("tls") << QStringList{u"--tls-cert"_s,      u"/etc/sb/cert.pem"_s, u"--tls-key"_s,
                                        u"/etc/sb/key.pem"_s, u"--tls-client-ca"_s,  u"/etc/sb/ca.pem"_s}
                         << u"tls-client-ca"_s << u"/etc/sb/ca.pem"_s;
}

void tst_Settings::eachOption()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, field);
    QFETCH(QString, expected);
    const auto parsed = parseInvocation(args(arguments), {});
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    QCOMPARE(fieldText(parsed.value().settings, field), expected);
}

void tst_Settings::everySourceSetsEverySetting_data()
{
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    const QList<std::array<QString, 3>> rows{
        {u"listen"_s, u"10.0.0.1:81"_s, u"10.0.0.1|81"_s},
        {u"database"_s, u"postgresql://db/sb"_s, u"postgresql://db/sb"_s},
        {u"jwt-secret"_s, kSecret, kSecret},
        {u"bootstrap-key"_s, QString(64, u'F'), QString(64, u'F')},
        {u"token-cache-size"_s, u"0"_s, u"0"_s},
        {u"heartbeat-timeout"_s, u"1.5"_s, u"1.5"_s},
        {u"stale-sweep-interval"_s, u"2"_s, u"2"_s},
        {u"sessions-interval"_s, u"3.5"_s, u"3.5"_s},
        {u"metrics-interval"_s, u"4"_s, u"4"_s},
        {u"ui-ping-interval"_s, u"5"_s, u"5"_s},
        {u"agent-ping-interval"_s, u"6"_s, u"6"_s},
        {u"read-timeout"_s, u"7"_s, u"7"_s},
        {u"log-level"_s, u"error"_s, u"error"_s},
        {u"replica-name"_s, u"r1"_s, u"r1"_s},
        {u"redis"_s, u"redis://h"_s, u"redis://h"_s},
        {u"listen-backlog"_s, u"11"_s, u"11"_s},
        {u"handshake-timeout"_s, u"13"_s, u"13"_s},
        {u"max-header-bytes"_s, u"2000"_s, u"2000"_s},
        {u"max-body-bytes"_s, u"15"_s, u"15"_s},
        {u"agent-max-frame-bytes"_s, u"1600"_s, u"1600"_s},
        {u"browser-max-frame-bytes"_s, u"1700"_s, u"1700"_s},
        {u"slow-client-max-messages"_s, u"18"_s, u"18"_s},
        {u"slow-client-max-bytes"_s, u"1900"_s, u"1900"_s},
        {u"max-bad-frames"_s, u"20"_s, u"20"_s},
        {u"max-connections-per-ip"_s, u"21"_s, u"21"_s},
        {u"handshakes-per-ip"_s, u"22"_s, u"22"_s},
        {u"exempt-addresses"_s, u"10.0.0.0/8"_s, u"10.0.0.0/8"_s},
        {u"agent-message-rate"_s, u"23"_s, u"23"_s},
        {u"browser-message-rate"_s, u"24"_s, u"24"_s},
        {u"max-subscriptions-per-client"_s, u"25"_s, u"25"_s},
        {u"max-event-data-bytes"_s, u"4096"_s, u"4096"_s},
        {u"allowed-origins"_s, u"https://a.example"_s, u"https://a.example"_s},
        {u"ack-timeout"_s, u"2.5"_s, u"2.5"_s},
        {u"max-attempts"_s, u"7"_s, u"7"_s},
        {u"start-complete-timeout"_s, u"21"_s, u"21"_s},
        {u"stop-complete-timeout"_s, u"22"_s, u"22"_s},
        {u"hibernate-complete-timeout"_s, u"23"_s, u"23"_s},
        {u"wake-complete-timeout"_s, u"24"_s, u"24"_s},
        {u"logs-complete-timeout"_s, u"25"_s, u"25"_s},
        {u"agent-grace-period"_s, u"26"_s, u"26"_s},
        {u"event-history-max-events"_s, u"27"_s, u"27"_s},
        {u"event-history-max-age"_s, u"28"_s, u"28"_s},
        {u"probe-interval"_s, u"0.5"_s, u"0.5"_s},
        {u"log-format"_s, u"json"_s, u"json"_s},
        {u"metrics"_s, u"false"_s, u"false"_s},
        {u"metrics-allow"_s, u"10.1.0.0/16"_s, u"10.1.0.0/16"_s},
        {u"metrics-token"_s, u"scrape-token-0123456789"_s, u"scrape-token-0123456789"_s},
    };
    for (const auto &[option, value, expected] : rows)
        QTest::newRow(qPrintable(option)) << option << value << expected;
}

void tst_Settings::everySourceSetsEverySetting()
{
    QFETCH(QString, option);
    QFETCH(QString, value);
    QFETCH(QString, expected);

    QString section =
        option.startsWith(u"event-history-"_s) ? u"events"_s
        : option == "allowed-origins"_L1       ? u"access"_s
        : QStringList{u"ack-timeout"_s, u"max-attempts"_s, u"agent-grace-period"_s}.contains(option) ||
                option.endsWith(u"-complete-timeout"_s)
            ? u"delivery"_s
        : option.contains(u"timeout"_s) || option.contains(u"interval"_s)
            ? (option == "handshake-timeout"_L1 ? u"limits"_s : u"timing"_s)
        : option == "jwt-secret"_L1 || option == "bootstrap-key"_L1 ? u"auth"_s
        : QStringList{u"listen"_s, u"database"_s, u"log-level"_s, u"replica-name"_s, u"redis"_s}.contains(
              option)
            ? u"server"_s
            : u"limits"_s;
    QString key = section == "events"_L1 ? option.mid(6) : option; // [events] history_max_…
    key.replace(u'-', u'_');
    // Settings whose INI key is not derived from their option.
    static const QHash<QString, std::pair<QString, QString>> keys{
        {u"log-format"_s, {u"log"_s, u"format"_s}},
        {u"metrics"_s, {u"metrics"_s, u"enabled"_s}},
        {u"metrics-allow"_s, {u"metrics"_s, u"allow"_s}},
        {u"metrics-token"_s, {u"metrics"_s, u"token"_s}},
        {u"token-cache-size"_s, {u"auth"_s, u"token_cache_size"_s}},
    };
    if (const auto it = keys.constFind(option); it != keys.cend())
        std::tie(section, key) = *it;
    const QString ini = writeIni(u"[%1]\n%2=%3\n"_s.arg(section, key, value));
    const auto fromIni = parseInvocation(args({u"--config"_s, ini}), {});
    QVERIFY2(fromIni.ok(), qPrintable(fromIni.ok() ? QString() : fromIni.error().message));
    QVERIFY2(fromIni.value().warnings.isEmpty(), qPrintable(fromIni.value().warnings.join(u'\n')));
    QCOMPARE(fieldText(fromIni.value().settings, option), expected);

    QString variable = u"SWITCHBOARD_"_s + option.toUpper();
    variable.replace(u'-', u'_');
    const auto fromEnvironment = parseInvocation(args({}), environmentOf({variable + u'=' + value}));
    QVERIFY2(fromEnvironment.ok(),
             qPrintable(fromEnvironment.ok() ? QString() : fromEnvironment.error().message));
    QCOMPARE(fieldText(fromEnvironment.value().settings, option), expected);

    const auto fromCommandLine = parseInvocation(args({u"--"_s + option, value}), {});
    QVERIFY(fromCommandLine.ok());
    QCOMPARE(fieldText(fromCommandLine.value().settings, option), expected);
}

void tst_Settings::tlsFromEverySource()
{
    const QString ini = writeIni(u"[tls]\ncert=/ini/cert.pem\nkey=/ini/key.pem\nclient_ca=/ini/ca.pem\n"_s);
    const auto fromIni = parseInvocation(args({u"--config"_s, ini}), {});
    QVERIFY2(fromIni.ok(), qPrintable(fromIni.ok() ? QString() : fromIni.error().message));
    QVERIFY(fromIni.value().warnings.isEmpty());
    QCOMPARE(fromIni.value().settings.tls.certFile, u"/ini/cert.pem"_s);
    QCOMPARE(fromIni.value().settings.tls.keyFile, u"/ini/key.pem"_s);
    QCOMPARE(fromIni.value().settings.tls.clientCaFile, u"/ini/ca.pem"_s);
    QVERIFY(fromIni.value().settings.tls.enabled());

    const auto fromEnvironment = parseInvocation(
        args({}),
        environmentOf({u"SWITCHBOARD_TLS_CERT=/env/cert.pem"_s, u"SWITCHBOARD_TLS_KEY=/env/key.pem"_s}));
    QVERIFY(fromEnvironment.ok());
    QCOMPARE(fromEnvironment.value().settings.tls.certFile, u"/env/cert.pem"_s);
    QCOMPARE(fromEnvironment.value().settings.tls.keyFile, u"/env/key.pem"_s);
    QVERIFY(fromEnvironment.value().settings.tls.clientCaFile.isEmpty());

    // The command line overrides one file and keeps the others.
    const auto mixed = parseInvocation(args({u"--config"_s, ini, u"--tls-key"_s, u"/cli/key.pem"_s}), {});
    QVERIFY(mixed.ok());
    QCOMPARE(mixed.value().settings.tls.certFile, u"/ini/cert.pem"_s);
    QCOMPARE(mixed.value().settings.tls.keyFile, u"/cli/key.pem"_s);
}

void tst_Settings::precedence()
{
    const QString ini =
        writeIni(u"[timing]\nheartbeat_timeout=11\nsessions_interval=12\nmetrics_interval=13\n"
                 "[server]\nlog_level=warning\n"_s);
    const auto parsed = parseInvocation(
        args({u"--config"_s, ini, u"--metrics-interval"_s, u"33"_s}),
        environmentOf({u"SWITCHBOARD_SESSIONS_INTERVAL=22"_s, u"SWITCHBOARD_METRICS_INTERVAL=23"_s}));
    QVERIFY(parsed.ok());
    const Settings &s = parsed.value().settings;
    QCOMPARE(s.heartbeatTimeoutSeconds, 11.0); // INI only
    QCOMPARE(s.sessionsIntervalSeconds, 22.0); // environment beats INI
    QCOMPARE(s.metricsIntervalSeconds, 33.0);  // command line beats both
    QCOMPARE(s.logLevel, LogLevel::Warning);
    QCOMPARE(s.staleSweepIntervalSeconds, 10.0); // untouched default
    QCOMPARE(parsed.value().configFile, ini);
}

void tst_Settings::configFileFromEnvironment()
{
    const QString ini = writeIni(u"[server]\nlisten=127.0.0.1:7000\n"_s);
    const auto parsed = parseInvocation(args({}), environmentOf({u"SWITCHBOARD_CONFIG="_s + ini}));
    QVERIFY(parsed.ok());
    QCOMPARE(parsed.value().settings.listenPort, 7000);

    const QString other = m_dir->filePath(u"other.ini"_s);
    QFile file(other);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[server]\nlisten=127.0.0.1:7001\n");
    file.close();
    const auto overridden =
        parseInvocation(args({u"--config"_s, other}), environmentOf({u"SWITCHBOARD_CONFIG="_s + ini}));
    QVERIFY(overridden.ok());
    QCOMPARE(overridden.value().settings.listenPort, 7001);
}

void tst_Settings::unknownIniKeyWarns()
{
    const QString ini = writeIni(u"[server]\nlisten=127.0.0.1:7000\nlisten_port=1\n[bogus]\nx=1\n"_s);
    const auto parsed = parseInvocation(args({u"--config"_s, ini}), {});
    QVERIFY(parsed.ok());
    QCOMPARE(parsed.value().settings.listenPort, 7000);
    const QStringList warnings = parsed.value().warnings;
    QCOMPARE(warnings.size(), 2);
    QVERIFY(warnings.join(u'\n').contains(u"[server] listen_port"_s));
    QVERIFY(warnings.join(u'\n').contains(u"[bogus] x"_s));
    QVERIFY(warnings.first().contains(ini));
}

void tst_Settings::emptyEnvironmentVariableIsUnset()
{
    const auto parsed = parseInvocation(args({}), environmentOf({u"SWITCHBOARD_HEARTBEAT_TIMEOUT="_s}));
    QVERIFY(parsed.ok());
    QCOMPARE(parsed.value().settings.heartbeatTimeoutSeconds, 45.0);
}

void tst_Settings::badValues_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("environment");
    QTest::addColumn<QString>("ini");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QStringList>("fragments");

    const QStringList none;
    QTest::newRow("heartbeat abc") << QStringList{u"--heartbeat-timeout"_s, u"abc"_s} << none << QString()
                                   << u"heartbeat-timeout"_s
                                   << QStringList{u"--heartbeat-timeout"_s, u"command line"_s, u"\"abc\""_s};
    QTest::newRow("negative interval")
        << QStringList{u"--sessions-interval"_s, u"-3"_s} << none << QString() << u"sessions-interval"_s
        << QStringList{u"--sessions-interval"_s, u"greater than 0"_s};
    QTest::newRow("zero interval") << QStringList{u"--metrics-interval=0"_s} << none << QString()
                                   << u"metrics-interval"_s << QStringList{u"--metrics-interval"_s};
    QTest::newRow("infinite interval") << QStringList{u"--read-timeout"_s, u"inf"_s} << none << QString()
                                       << u"read-timeout"_s << QStringList{u"--read-timeout"_s};
    QTest::newRow("listen nohost") << QStringList{u"--listen"_s, u"nohost"_s} << none << QString()
                                   << u"listen"_s << QStringList{u"--listen"_s, u"HOST:PORT"_s};
    QTest::newRow("listen hostname") << QStringList{u"--listen"_s, u"example.com:80"_s} << none << QString()
                                     << u"listen"_s << QStringList{u"--listen"_s};
    QTest::newRow("listen port range") << QStringList{u"--listen"_s, u"127.0.0.1:65536"_s} << none
                                       << QString() << u"listen"_s << QStringList{u"--listen"_s};
    QTest::newRow("listen no port") << QStringList{u"--listen"_s, u"127.0.0.1:"_s} << none << QString()
                                    << u"listen"_s << QStringList{u"--listen"_s};
    QTest::newRow("log level") << QStringList{u"--log-level"_s, u"verbose"_s} << none << QString()
                               << u"log-level"_s
                               << QStringList{u"--log-level"_s, u"debug, info, warning, error"_s};
    QTest::newRow("database scheme") << QStringList{u"--database"_s, u"mysql://x/y"_s} << none << QString()
                                     << u"database"_s << QStringList{u"--database"_s};
    QTest::newRow("redis scheme") << QStringList{u"--redis"_s, u"http://x"_s} << none << QString()
                                  << u"redis"_s << QStringList{u"--redis"_s};
    QTest::newRow("short jwt") << QStringList{u"--jwt-secret"_s, u"short"_s} << none << QString()
                               << u"jwt-secret"_s << QStringList{u"--jwt-secret"_s, u"32 bytes"_s};
    QTest::newRow("bootstrap not hex") << QStringList{u"--bootstrap-key"_s, u"xyz"_s} << none << QString()
                                       << u"bootstrap-key"_s << QStringList{u"--bootstrap-key"_s, u"64"_s};
    QTest::newRow("backlog zero") << QStringList{u"--listen-backlog"_s, u"0"_s} << none << QString()
                                  << u"listen-backlog"_s << QStringList{u"--listen-backlog"_s};
    QTest::newRow("header bytes text") << QStringList{u"--max-header-bytes"_s, u"lots"_s} << none << QString()
                                       << u"max-header-bytes"_s << QStringList{u"--max-header-bytes"_s};
    QTest::newRow("replica spaces") << QStringList{u"--replica-name"_s, u"a b"_s} << none << QString()
                                    << u"replica-name"_s << QStringList{u"--replica-name"_s};
    QTest::newRow("unknown option") << QStringList{u"--heartbeat"_s, u"3"_s} << none << QString()
                                    << u"arguments"_s << QStringList{u"heartbeat"_s};
    QTest::newRow("missing value") << QStringList{u"--listen"_s} << none << QString() << u"arguments"_s
                                   << QStringList{u"listen"_s};
    QTest::newRow("env heartbeat") << none << QStringList{u"SWITCHBOARD_HEARTBEAT_TIMEOUT=soon"_s}
                                   << QString() << u"heartbeat-timeout"_s
                                   << QStringList{u"SWITCHBOARD_HEARTBEAT_TIMEOUT"_s, u"environment"_s};
    QTest::newRow("env listen") << none << QStringList{u"SWITCHBOARD_LISTEN=nohost"_s} << QString()
                                << u"listen"_s << QStringList{u"SWITCHBOARD_LISTEN"_s, u"environment"_s};
    QTest::newRow("ini heartbeat") << none << none << u"[timing]\nheartbeat_timeout=-1\n"_s
                                   << u"heartbeat-timeout"_s
                                   << QStringList{u"[timing] heartbeat_timeout"_s, u"configuration file"_s};
    QTest::newRow("ini log level") << none << none << u"[server]\nlog_level=loud\n"_s << u"log-level"_s
                                   << QStringList{u"[server] log_level"_s, u"switchboard.ini"_s};
    QTest::newRow("tls cert without key") << QStringList{u"--tls-cert"_s, u"/etc/sb/cert.pem"_s} << none
                                          << QString() << u"tls-cert"_s << QStringList{u"--tls-key"_s};
    QTest::newRow("tls key without cert") << QStringList{u"--tls-key"_s, u"/etc/sb/key.pem"_s} << none
                                          << QString() << u"tls-cert"_s << QStringList{u"--tls-cert"_s};
    QTest::newRow("client ca without tls") << QStringList{u"--tls-client-ca"_s, u"/etc/sb/ca.pem"_s} << none
                                           << QString() << u"tls-client-ca"_s << QStringList{u"--tls-cert"_s};
    QTest::newRow("ini tls cert without key") << none << none << u"[tls]\ncert=/etc/sb/cert.pem\n"_s
                                              << u"tls-cert"_s << QStringList{u"--tls-key"_s};
    QTest::newRow("origin with path")
        << QStringList{u"--allowed-origins"_s, u"https://a.example/app"_s} << none << QString()
        << u"allowed-origins"_s << QStringList{u"--allowed-origins"_s, u"https://a.example/app"_s};
    QTest::newRow("origin null") << QStringList{u"--allowed-origins"_s, u"null"_s} << none << QString()
                                 << u"allowed-origins"_s << QStringList{u"--allowed-origins"_s};
    QTest::newRow("exempt hostname") << QStringList{u"--exempt-addresses"_s, u"proxy.local"_s} << none
                                     << QString() << u"exempt-addresses"_s
                                     << QStringList{u"--exempt-addresses"_s, u"proxy.local"_s};
    QTest::newRow("log format") << QStringList{u"--log-format"_s, u"xml"_s} << none << QString()
                                << u"log-format"_s << QStringList{u"--log-format"_s, u"text or json"_s};
    QTest::newRow("metrics not bool") << QStringList{u"--metrics"_s, u"maybe"_s} << none << QString()
                                      << u"metrics"_s << QStringList{u"--metrics"_s, u"true or false"_s};
    QTest::newRow("short metrics token") << QStringList{u"--metrics-token"_s, u"short"_s} << none << QString()
                                         << u"metrics-token"_s << QStringList{u"--metrics-token"_s, u"16"_s};
    QTest::newRow("negative rate") << QStringList{u"--browser-message-rate"_s, u"-1"_s} << none << QString()
                                   << u"browser-message-rate"_s << QStringList{u"--browser-message-rate"_s};
    QTest::newRow("missing config") << QStringList{u"--config"_s, u"/nonexistent/switchboard.ini"_s} << none
                                    << QString() << u"config"_s
                                    << QStringList{u"/nonexistent/switchboard.ini"_s, u"--config"_s};
}

void tst_Settings::badValues()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, environment);
    QFETCH(QString, ini);
    QFETCH(QString, field);
    QFETCH(QStringList, fragments);

    QStringList all = arguments;
    if (!ini.isEmpty())
        all += QStringList{u"--config"_s, writeIni(ini)};
    const auto parsed = parseInvocation(args(all), environmentOf(environment));
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error().code, protocol::ErrorCode::InvalidValue);
    QCOMPARE(parsed.error().field, field);
    for (const QString &fragment : fragments)
        QVERIFY2(parsed.error().message.contains(fragment), qPrintable(parsed.error().message));
}

void tst_Settings::secretsAreNotEchoed()
{
    const auto parsed = parseInvocation(args({u"--database"_s, u"mysql://user:hunter2@db/x"_s}), {});
    QVERIFY(!parsed.ok());
    QVERIFY(!parsed.error().message.contains(u"hunter2"_s));
    const auto jwt = parseInvocation(args({u"--jwt-secret"_s, u"tiny-secret"_s}), {});
    QVERIFY(!jwt.ok());
    QVERIFY(!jwt.error().message.contains(u"tiny-secret"_s));
    const auto metricsToken = parseInvocation(args({u"--metrics-token"_s, u"short-secret"_s}), {});
    QVERIFY(!metricsToken.ok());
    QVERIFY(!metricsToken.error().message.contains(u"short-secret"_s));
}

void tst_Settings::subcommands_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("command");
    QTest::addColumn<QString>("agentId");
    QTest::addColumn<QString>("orgId");
    QTest::addColumn<QString>("extra"); // platform/region or user/role/ttl/username/namespace

    QTest::newRow("serve implicit") << QStringList{} << int(Command::Serve) << QString() << QString()
                                    << QString();
    QTest::newRow("serve explicit") << QStringList{u"serve"_s} << int(Command::Serve) << QString()
                                    << QString() << QString();
    QTest::newRow("agent add") << QStringList{u"agent"_s,    u"add"_s,      u"--id"_s,       u"k8s-prod-1"_s,
                                              u"--org"_s,    u"acme"_s,     u"--platform"_s, u"kubernetes"_s,
                                              u"--region"_s, u"us-east-1"_s}
                               << int(Command::AgentAdd) << u"k8s-prod-1"_s << u"acme"_s
                               << u"kubernetes us-east-1"_s;
    QTest::newRow("agent add options first")
        << QStringList{u"--platform"_s, u"docker"_s, u"--id"_s,  u"d.1_x"_s,
                       u"--org"_s,      u"o"_s,      u"agent"_s, u"add"_s}
        << int(Command::AgentAdd) << u"d.1_x"_s << u"o"_s << u"docker "_s;
    QTest::newRow("agent list") << QStringList{u"agent"_s, u"list"_s} << int(Command::AgentList) << QString()
                                << QString() << QString();
    QTest::newRow("agent list org") << QStringList{u"agent"_s, u"list"_s, u"--org"_s, u"acme"_s}
                                    << int(Command::AgentList) << QString() << u"acme"_s << QString();
    QTest::newRow("agent remove") << QStringList{u"agent"_s, u"remove"_s, u"--id"_s, u"abc"_s}
                                  << int(Command::AgentRemove) << u"abc"_s << QString() << QString();
    QTest::newRow("agent approve") << QStringList{u"agent"_s, u"approve"_s, u"--id"_s, u"abc"_s}
                                   << int(Command::AgentApprove) << u"abc"_s << QString() << QString();
    QTest::newRow("agent reject") << QStringList{u"agent"_s, u"reject"_s, u"--id=abc"_s}
                                  << int(Command::AgentReject) << u"abc"_s << QString() << QString();
    QTest::newRow("agent rotate-key") << QStringList{u"agent"_s, u"rotate-key"_s, u"--id"_s, u"abc"_s}
                                      << int(Command::AgentRotateKey) << u"abc"_s << QString() << u"0"_s;
    QTest::newRow("agent rotate-key grace")
        << QStringList{u"agent"_s, u"rotate-key"_s, u"--id"_s, u"abc"_s, u"--grace"_s, u"1d"_s}
        << int(Command::AgentRotateKey) << u"abc"_s << QString() << u"86400"_s;
    QTest::newRow("token issue") << QStringList{u"token"_s, u"issue"_s, u"--user"_s, u"alice"_s,
                                                u"--org"_s, u"acme"_s,  u"--role"_s, u"admin"_s}
                                 << int(Command::TokenIssue) << QString() << u"acme"_s
                                 << u"alice admin 28800  "_s;
    QTest::newRow("token issue full")
        << QStringList{u"token"_s,      u"issue"_s,       u"--user"_s,      u"u-1"_s,   u"--org"_s,
                       u"acme"_s,       u"--role"_s,      u"service"_s,     u"--ttl"_s, u"7d"_s,
                       u"--username"_s, u"Alice Smith"_s, u"--namespace"_s, u"team-a"_s}
        << int(Command::TokenIssue) << QString() << u"acme"_s << u"u-1 service 604800 Alice Smith team-a"_s;
}

void tst_Settings::subcommands()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, command);
    QFETCH(QString, agentId);
    QFETCH(QString, orgId);
    QFETCH(QString, extra);

    const auto parsed = parseInvocation(args(arguments), {});
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().message));
    const Invocation &invocation = parsed.value();
    QCOMPARE(int(invocation.command), command);
    QCOMPARE(invocation.agentId, agentId);
    QCOMPARE(invocation.orgId, orgId);
    if (invocation.command == Command::AgentAdd)
        QCOMPARE(protocol::platformName(invocation.platform) + u' ' + invocation.region, extra);
    if (invocation.command == Command::AgentRotateKey)
        QCOMPARE(QString::number(invocation.keyGrace.count()), extra);
    if (invocation.command == Command::TokenIssue) {
        QCOMPARE(u"%1 %2 %3 %4 %5"_s.arg(invocation.userId, invocation.role)
                     .arg(invocation.tokenTtl.count())
                     .arg(invocation.username, invocation.k8sNamespace),
                 extra);
        QVERIFY(!invocation.settings.jwtSecret.isEmpty());
    }
}

void tst_Settings::subcommandErrors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("fragment");

    QTest::newRow("unknown command") << QStringList{u"agent"_s, u"destroy"_s} << u"command"_s
                                     << u"agent destroy"_s;
    QTest::newRow("lonely agent") << QStringList{u"agent"_s} << u"command"_s << u"unknown command"_s;
    QTest::newRow("add without id") << QStringList{u"agent"_s, u"add"_s,        u"--org"_s,
                                                   u"o"_s,     u"--platform"_s, u"vm"_s}
                                    << u"id"_s << u"--id"_s;
    QTest::newRow("add without platform")
        << QStringList{u"agent"_s, u"add"_s, u"--id"_s, u"abc"_s, u"--org"_s, u"o"_s} << u"platform"_s
        << u"--platform"_s;
    QTest::newRow("short id") << QStringList{u"agent"_s, u"remove"_s, u"--id"_s, u"ab"_s} << u"id"_s
                              << u"3-100"_s;
    QTest::newRow("long id") << QStringList{u"agent"_s, u"remove"_s, u"--id"_s, QString(101, u'a')} << u"id"_s
                             << u"--id"_s;
    QTest::newRow("id bad char") << QStringList{u"agent"_s, u"approve"_s, u"--id"_s, u"a/b/c"_s} << u"id"_s
                                 << u"--id"_s;
    QTest::newRow("bad platform") << QStringList{u"agent"_s, u"add"_s, u"--id"_s,       u"abc"_s,
                                                 u"--org"_s, u"o"_s,   u"--platform"_s, u"mainframe"_s}
                                  << u"platform"_s << u"kubernetes, docker, vm or cloud"_s;
    QTest::newRow("bad org") << QStringList{u"agent"_s, u"list"_s, u"--org"_s, u"a b"_s} << u"org"_s
                             << u"--org"_s;
    QTest::newRow("bad region") << QStringList{u"agent"_s,    u"add"_s, u"--id"_s,       u"abc"_s,
                                               u"--org"_s,    u"o"_s,   u"--platform"_s, u"vm"_s,
                                               u"--region"_s, u"x"_s}
                                << u"region"_s << u"--region"_s;
    QTest::newRow("option of other command")
        << QStringList{u"agent"_s, u"list"_s, u"--id"_s, u"abc"_s} << u"id"_s << u"agent list"_s;
    QTest::newRow("serve with role") << QStringList{u"--role"_s, u"admin"_s} << u"role"_s << u"serve"_s;
    QTest::newRow("rotate-key grace too long")
        << QStringList{u"agent"_s, u"rotate-key"_s, u"--id"_s, u"abc"_s, u"--grace"_s, u"31d"_s} << u"grace"_s
        << u"at most 30d"_s;
    QTest::newRow("grace of another command")
        << QStringList{u"agent"_s, u"remove"_s, u"--id"_s, u"abc"_s, u"--grace"_s, u"1h"_s} << u"grace"_s
        << u"agent remove"_s;
    QTest::newRow("token bad role") << QStringList{u"token"_s, u"issue"_s, u"--user"_s, u"u"_s,
                                                   u"--org"_s, u"o"_s,     u"--role"_s, u"root"_s}
                                    << u"role"_s << u"admin, operator, user or service"_s;
    QTest::newRow("token without user")
        << QStringList{u"token"_s, u"issue"_s, u"--org"_s, u"o"_s, u"--role"_s, u"user"_s} << u"user"_s
        << u"--user"_s;
    QTest::newRow("token bad ttl") << QStringList{u"token"_s, u"issue"_s, u"--user"_s, u"u"_s,
                                                  u"--org"_s, u"o"_s,     u"--role"_s, u"user"_s,
                                                  u"--ttl"_s, u"8w"_s}
                                   << u"ttl"_s << u"--ttl"_s;
    QTest::newRow("token bad namespace")
        << QStringList{u"token"_s, u"issue"_s,  u"--user"_s, u"u"_s,           u"--org"_s,
                       u"o"_s,     u"--role"_s, u"user"_s,   u"--namespace"_s, u"Team_A"_s}
        << u"namespace"_s << u"--namespace"_s;
}

void tst_Settings::subcommandErrors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, field);
    QFETCH(QString, fragment);
    const auto parsed = parseInvocation(args(arguments), {});
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error().field, field);
    QVERIFY2(parsed.error().message.contains(fragment), qPrintable(parsed.error().message));
}

void tst_Settings::durations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("seconds"); // -1 = error

    QTest::newRow("30s") << u"30s"_s << qint64(30);
    QTest::newRow("15m") << u"15m"_s << qint64(900);
    QTest::newRow("8h") << u"8h"_s << qint64(28800);
    QTest::newRow("7d") << u"7d"_s << qint64(604800);
    QTest::newRow("plain") << u"3600"_s << qint64(3600);
    QTest::newRow("366d") << u"366d"_s << qint64(366 * 86400);
    QTest::newRow("367d") << u"367d"_s << qint64(-1);
    QTest::newRow("zero") << u"0"_s << qint64(-1);
    QTest::newRow("zero hours") << u"0h"_s << qint64(-1);
    QTest::newRow("negative") << u"-5s"_s << qint64(-1);
    QTest::newRow("empty") << QString() << qint64(-1);
    QTest::newRow("unit only") << u"h"_s << qint64(-1);
    QTest::newRow("weeks") << u"2w"_s << qint64(-1);
    QTest::newRow("fraction") << u"1.5h"_s << qint64(-1);
    QTest::newRow("compound") << u"1h30m"_s << qint64(-1);
    QTest::newRow("huge") << u"99999999999999999999"_s << qint64(-1);
}

void tst_Settings::durations()
{
    QFETCH(QString, text);
    QFETCH(qint64, seconds);
    const auto parsed = parseDuration(text);
    QCOMPARE(parsed.ok(), seconds >= 0);
    if (parsed.ok())
        QCOMPARE(parsed.value().count(), seconds);
}

void tst_Settings::listenAddresses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("address"); // empty = error
    QTest::addColumn<int>("port");

    QTest::newRow("v4") << u"127.0.0.1:8080"_s << u"127.0.0.1"_s << 8080;
    QTest::newRow("any v4") << u"0.0.0.0:80"_s << u"0.0.0.0"_s << 80;
    QTest::newRow("star") << u"*:8080"_s << QHostAddress(QHostAddress::Any).toString() << 8080;
    QTest::newRow("v6") << u"[::1]:443"_s << u"::1"_s << 443;
    QTest::newRow("port 0") << u"127.0.0.1:0"_s << u"127.0.0.1"_s << 0;
    QTest::newRow("bare v6") << u"::1:443"_s << QString() << 0;
    QTest::newRow("no port") << u"127.0.0.1"_s << QString() << 0;
    QTest::newRow("only port") << u":8080"_s << QString() << 0;
    QTest::newRow("port text") << u"127.0.0.1:http"_s << QString() << 0;
    QTest::newRow("port sign") << u"127.0.0.1:+80"_s << QString() << 0;
    QTest::newRow("bad v4") << u"300.1.1.1:80"_s << QString() << 0;
}

void tst_Settings::listenAddresses()
{
    QFETCH(QString, text);
    QFETCH(QString, address);
    QFETCH(int, port);
    const auto parsed = parseListenAddress(text);
    QCOMPARE(parsed.ok(), !address.isEmpty());
    if (parsed.ok()) {
        QCOMPARE(parsed.value().first.toString(), address);
        QCOMPARE(int(parsed.value().second), port);
    }
}

void tst_Settings::helpAndVersion()
{
    const auto help =
        parseInvocation({u"switchboard-server"_s, u"--help"_s, u"--heartbeat-timeout"_s, u"x"_s}, {});
    QVERIFY(help.ok());
    QCOMPARE(help.value().command, Command::ShowHelp);
    const auto shortHelp = parseInvocation({u"switchboard-server"_s, u"-h"_s}, {});
    QVERIFY(shortHelp.ok());
    QCOMPARE(shortHelp.value().command, Command::ShowHelp);
    const auto version = parseInvocation({u"switchboard-server"_s, u"--version"_s}, {});
    QVERIFY(version.ok());
    QCOMPARE(version.value().command, Command::ShowVersion);
}

void tst_Settings::usageMentionsEveryOption()
{
    const QString usage = usageText();
    const QStringList expected{
        u"--listen HOST:PORT"_s,
        u"--database URL"_s,
        u"--config FILE"_s,
        u"--jwt-secret SECRET"_s,
        u"--bootstrap-key KEY"_s,
        u"--heartbeat-timeout SECONDS"_s,
        u"--stale-sweep-interval"_s,
        u"--sessions-interval"_s,
        u"--metrics-interval"_s,
        u"--ui-ping-interval"_s,
        u"--agent-ping-interval"_s,
        u"--read-timeout"_s,
        u"--log-level LEVEL"_s,
        u"--replica-name NAME"_s,
        u"--redis URL"_s,
        u"--data-dir DIR"_s,
        u"--help"_s,
        u"--version"_s,
        u"agent add"_s,
        u"agent list"_s,
        u"token issue"_s,
        u"SWITCHBOARD_HEARTBEAT_TIMEOUT"_s,
        u"[timing] heartbeat_timeout"_s,
        u"--ttl DURATION"_s,
    };
    for (const QString &fragment : expected)
        QVERIFY2(usage.contains(fragment), qPrintable(fragment));
}

void tst_Settings::jwtSecretGeneratedOnceAndReused()
{
    const QString path = jwtSecretFilePath(m_dir->path());
    QVERIFY(!QFile::exists(path));

    const auto first = parseInvocation(args({}), {});
    QVERIFY2(first.ok(), qPrintable(first.ok() ? QString() : first.error().message));
    const QByteArray secret = first.value().settings.jwtSecret;
    QCOMPARE(secret.size(), 64);
    QVERIFY(QByteArray::fromHex(secret).toHex() == secret);
    QVERIFY(QFile::exists(path));
    // Mode 0600: the owner bits only (the "User" bits mirror them for the current user).
    const QFileDevice::Permissions userBits =
        QFileDevice::ReadUser | QFileDevice::WriteUser | QFileDevice::ExeUser;
    QCOMPARE(QFile::permissions(path) & ~userBits, QFileDevice::ReadOwner | QFileDevice::WriteOwner);

    // `token issue` on the same data directory signs with the same secret.
    const auto token = parseInvocation(
        args({u"token"_s, u"issue"_s, u"--user"_s, u"u"_s, u"--org"_s, u"o"_s, u"--role"_s, u"user"_s}), {});
    QVERIFY(token.ok());
    QCOMPARE(token.value().settings.jwtSecret, secret);
    QCOMPARE(loadOrCreateJwtSecret(m_dir->path()).value(), secret);

    // An operator-provided file is used as written (trimmed).
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("  operator-chosen-secret-of-enough-length-1234  \n");
    file.close();
    const auto custom = parseInvocation(args({}), {});
    QVERIFY(custom.ok());
    QCOMPARE(custom.value().settings.jwtSecret, "operator-chosen-secret-of-enough-length-1234"_ba);
    QVERIFY(custom.value().warnings.isEmpty());

    // A secret others can read still works, with a warning.
    QVERIFY(QFile::setPermissions(path, QFile::permissions(path) | QFileDevice::ReadOther));
    const auto exposed = parseInvocation(args({}), {});
    QVERIFY(exposed.ok());
    QCOMPARE(exposed.value().warnings.size(), 1);
    QVERIFY(exposed.value().warnings.first().contains(path));

    // A secret file too short to be a sound HS256 key is refused, naming the file.
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("weak\n");
    file.close();
    const auto weak = parseInvocation(args({}), {});
    QVERIFY(!weak.ok());
    QVERIFY(weak.error().message.contains(path));
}

void tst_Settings::jwtSecretNotCreatedWhenConfiguredOrUnneeded()
{
    const QString path = jwtSecretFilePath(m_dir->path());
    const auto configured = parseInvocation(args({u"--jwt-secret"_s, kSecret}), {});
    QVERIFY(configured.ok());
    QCOMPARE(configured.value().settings.jwtSecret, kSecret.toUtf8());
    const auto fromEnvironment =
        parseInvocation(args({}), environmentOf({u"SWITCHBOARD_JWT_SECRET="_s + kSecret}));
    QVERIFY(fromEnvironment.ok());
    QCOMPARE(fromEnvironment.value().settings.jwtSecret, kSecret.toUtf8());
    const auto admin = parseInvocation(args({u"agent"_s, u"list"_s}), {});
    QVERIFY(admin.ok());
    QVERIFY(admin.value().settings.jwtSecret.isEmpty());
    QVERIFY(!QFile::exists(path));

    // A data directory that cannot be created is a clear error, not an empty secret.
    QFile blocker(m_dir->filePath(u"file"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const auto blocked =
        parseInvocation({u"switchboard-server"_s, u"--data-dir"_s, blocker.fileName() + u"/sub"_s}, {});
    QVERIFY(!blocked.ok());
    QVERIFY2(blocked.error().message.contains(u"JWT secret"_s), qPrintable(blocked.error().message));
}

void tst_Settings::intervalAccessors()
{
    const auto parsed =
        parseInvocation(args({u"--heartbeat-timeout"_s, u"0.25"_s, u"--handshake-timeout"_s, u"1.5"_s}), {});
    QVERIFY(parsed.ok());
    const Settings &s = parsed.value().settings;
    QCOMPARE(s.heartbeatTimeout(), std::chrono::milliseconds(250));
    QCOMPARE(s.limits.handshakeTimeout(), std::chrono::milliseconds(1500));
    QCOMPARE(s.staleSweepInterval(), std::chrono::milliseconds(10000));
    QCOMPARE(s.sessionsInterval(), std::chrono::milliseconds(3000));
    QCOMPARE(s.metricsInterval(), std::chrono::milliseconds(5000));
    QCOMPARE(s.uiPingInterval(), std::chrono::milliseconds(30000));
    QCOMPARE(s.agentPingInterval(), std::chrono::milliseconds(54000));
    QCOMPARE(s.readTimeout(), std::chrono::milliseconds(60000));
}

void tst_Settings::identifiers_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");

    QTest::newRow("agent ok") << u"agent"_s << u"k8s-prod.1_a"_s << true;
    QTest::newRow("agent 3") << u"agent"_s << u"abc"_s << true;
    QTest::newRow("agent 100") << u"agent"_s << QString(100, u'x') << true;
    QTest::newRow("agent 2") << u"agent"_s << u"ab"_s << false;
    QTest::newRow("agent 101") << u"agent"_s << QString(101, u'x') << false;
    QTest::newRow("agent space") << u"agent"_s << u"a b c"_s << false;
    QTest::newRow("agent unicode") << u"agent"_s << u"agént"_s << false;
    QTest::newRow("org 1") << u"org"_s << u"a"_s << true;
    QTest::newRow("org empty") << u"org"_s << QString() << false;
    QTest::newRow("namespace ok") << u"namespace"_s << u"team-a1"_s << true;
    QTest::newRow("namespace dash end") << u"namespace"_s << u"team-"_s << false;
    QTest::newRow("namespace upper") << u"namespace"_s << u"Team"_s << false;
    QTest::newRow("username space") << u"username"_s << u"Alice Smith"_s << true;
    QTest::newRow("username newline") << u"username"_s << u"a\nb"_s << false;
    QTest::newRow("user space") << u"user"_s << u"a b"_s << false;
}

void tst_Settings::identifiers()
{
    QFETCH(QString, kind);
    QFETCH(QString, text);
    QFETCH(bool, valid);
    bool result = false;
    if (kind == "agent"_L1)
        result = isValidAgentId(text);
    else if (kind == "org"_L1)
        result = isValidOrgId(text);
    else if (kind == "namespace"_L1)
        result = isValidNamespace(text);
    else if (kind == "username"_L1)
        result = isValidUsername(text);
    else if (kind == "user"_L1)
        result = isValidUserId(text);
    QCOMPARE(result, valid);
}

QTEST_GUILESS_MAIN(tst_Settings)
#include "tst_settings.moc"
