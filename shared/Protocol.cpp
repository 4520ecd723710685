#include "Protocol.h"

#include "JsonWriter.h"
#include "WireSupport.h"

#include <QJsonDocument>

#include <array>

using namespace Qt::StringLiterals;

namespace switchboard::protocol {

namespace {

using detail::nameIn;
using detail::valueIn;

constexpr std::array kErrorCodes{
    std::pair{ErrorCode::InvalidJson, "invalid_json"_L1},
    std::pair{ErrorCode::UnknownType, "unknown_type"_L1},
    std::pair{ErrorCode::MissingField, "missing_field"_L1},
    std::pair{ErrorCode::WrongType, "wrong_type"_L1},
    std::pair{ErrorCode::InvalidValue, "invalid_value"_L1},
    std::pair{ErrorCode::BinaryFrame, "binary_frame"_L1},
    std::pair{ErrorCode::FrameTooLarge, "frame_too_large"_L1},
    std::pair{ErrorCode::Unauthorized, "unauthorized"_L1},
    std::pair{ErrorCode::Forbidden, "forbidden"_L1},
    std::pair{ErrorCode::NotFound, "not_found"_L1},
    std::pair{ErrorCode::Conflict, "conflict"_L1},
    std::pair{ErrorCode::NoAgentAvailable, "no_agent_available"_L1},
    std::pair{ErrorCode::AgentUnavailable, "agent_unavailable"_L1},
    std::pair{ErrorCode::Unavailable, "unavailable"_L1},
    std::pair{ErrorCode::RateLimited, "rate_limited"_L1},
    std::pair{ErrorCode::LimitExceeded, "limit_exceeded"_L1},
    std::pair{ErrorCode::Internal, "internal"_L1},
};

constexpr std::array kSessionStates{
    std::pair{SessionState::Pending, "pending"_L1},
    std::pair{SessionState::Running, "running"_L1},
    std::pair{SessionState::Terminating, "terminating"_L1},
    std::pair{SessionState::Terminated, "terminated"_L1},
    std::pair{SessionState::Hibernating, "hibernating"_L1},
    std::pair{SessionState::Hibernated, "hibernated"_L1},
    std::pair{SessionState::Failed, "failed"_L1},
};

// Reads exactly `count` ASCII digits at `pos`; -1 if any is not a digit.
int readDigits(QStringView text, qsizetype pos, qsizetype count)
{
    if (pos + count > text.size())
        return -1;
    int value = 0;
    for (qsizetype i = pos; i < pos + count; ++i) {
        const char16_t c = text[i].unicode();
        if (c < u'0' || c > u'9')
            return -1;
        value = value * 10 + (c - u'0');
    }
    return value;
}

bool isAt(QStringView text, qsizetype pos, char16_t c)
{
    return pos < text.size() && text[pos].unicode() == c;
}

void putDigits(char *out, int value, int count)
{
    for (int i = count - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

} // namespace

// Hand-formatted: this runs for every timestamp of every broadcast.
bool detail::formatTimestampAscii(const QDateTime &time, char (&out)[24])
{
    if (!time.isValid())
        return false;
    const QDateTime utc = time.toUTC();
    const QDate date = utc.date();
    const QTime clock = utc.time();
    if (date.year() < 1 || date.year() > 9999)
        return false;
    putDigits(out, date.year(), 4);
    out[4] = '-';
    putDigits(out + 5, date.month(), 2);
    out[7] = '-';
    putDigits(out + 8, date.day(), 2);
    out[10] = 'T';
    putDigits(out + 11, clock.hour(), 2);
    out[13] = ':';
    putDigits(out + 14, clock.minute(), 2);
    out[16] = ':';
    putDigits(out + 17, clock.second(), 2);
    out[19] = '.';
    putDigits(out + 20, clock.msec(), 3);
    out[23] = 'Z';
    return true;
}

QString errorCodeName(ErrorCode code)
{
    return nameIn(kErrorCodes, code);
}

std::optional<ErrorCode> errorCodeFromName(QStringView name)
{
    return valueIn(kErrorCodes, name);
}

QString sessionStateName(SessionState state)
{
    return nameIn(kSessionStates, state);
}

std::optional<SessionState> sessionStateFromName(QStringView name)
{
    return valueIn(kSessionStates, name);
}

bool isTerminalSessionState(SessionState state)
{
    return state == SessionState::Terminated || state == SessionState::Failed;
}

QString formatTimestamp(const QDateTime &time)
{
    char buffer[24];
    if (detail::formatTimestampAscii(time, buffer))
        return QString::fromLatin1(buffer, sizeof buffer);
    if (!time.isValid())
        return {};
    return time.toUTC().toString(Qt::ISODateWithMs); // outside RFC 3339's four-digit years; never on the wire
}

std::optional<QDateTime> parseTimestamp(QStringView text)
{
    // full-date "T" time-hour ":" time-minute ":" time-second [time-secfrac] time-offset (RFC 3339 5.6)
    if (text.size() < 20 || text.size() > 40)
        return std::nullopt;
    const int year = readDigits(text, 0, 4);
    const int month = readDigits(text, 5, 2);
    const int day = readDigits(text, 8, 2);
    const int hour = readDigits(text, 11, 2);
    const int minute = readDigits(text, 14, 2);
    const int second = readDigits(text, 17, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0)
        return std::nullopt;
    if (!isAt(text, 4, u'-') || !isAt(text, 7, u'-') || !isAt(text, 13, u':') || !isAt(text, 16, u':'))
        return std::nullopt;
    if (!isAt(text, 10, u'T') && !isAt(text, 10, u't') && !isAt(text, 10, u' '))
        return std::nullopt;

    qsizetype pos = 19;
    int msec = 0;
    if (isAt(text, pos, u'.')) {
        ++pos;
        const qsizetype start = pos;
        while (pos < text.size() && text[pos].unicode() >= u'0' && text[pos].unicode() <= u'9') {
            if (pos - start < 3)
                msec = msec * 10 + (text[pos].unicode() - u'0');
            ++pos;
        }
        const qsizetype digits = pos - start;
        if (digits == 0 || digits > 9)
            return std::nullopt;
        for (qsizetype i = digits; i < 3; ++i)
            msec *= 10;
    }

    int offsetSeconds = 0;
    if (isAt(text, pos, u'Z') || isAt(text, pos, u'z')) {
        ++pos;
    } else if (isAt(text, pos, u'+') || isAt(text, pos, u'-')) {
        const int sign = isAt(text, pos, u'-') ? -1 : 1;
        const int offsetHour = readDigits(text, pos + 1, 2);
        const int offsetMinute = readDigits(text, pos + 4, 2);
        if (offsetHour < 0 || offsetMinute < 0 || !isAt(text, pos + 3, u':') || offsetHour > 23 ||
            offsetMinute > 59)
            return std::nullopt;
        offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size())
        return std::nullopt;

    // RFC 3339 allows a leap second (:60); Qt has none, so it becomes the next second.
    const bool leapSecond = second == 60;
    const QDate date(year, month, day);
    const QTime clock(hour, minute, leapSecond ? 59 : second, msec);
    if (!date.isValid() || !clock.isValid())
        return std::nullopt;
    QDateTime result(date, clock, Qt::UTC);
    if (leapSecond)
        result = result.addSecs(1);
    if (offsetSeconds != 0)
        result = result.addSecs(-offsetSeconds);
    return result;
}

QByteArray toJsonBytes(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace switchboard::protocol
