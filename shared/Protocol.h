// Common vocabulary of the Switchboard wire protocol: version, limits, error codes, the typed
// decode result, session states and timestamps. Everything here is pure data: no sockets, no SQL.
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace switchboard::protocol {

inline constexpr int kProtocolVersion = 1;
inline constexpr qsizetype kMaxAgentFrameBytes = 512 * 1024;
inline constexpr qsizetype kMaxBrowserFrameBytes = 64 * 1024;
inline constexpr int kMaxConsecutiveBadFrames = 20;

enum class ErrorCode {
    InvalidJson,      // invalid_json
    UnknownType,      // unknown_type
    MissingField,     // missing_field
    WrongType,        // wrong_type
    InvalidValue,     // invalid_value
    BinaryFrame,      // binary_frame
    FrameTooLarge,    // frame_too_large
    Unauthorized,     // unauthorized
    Forbidden,        // forbidden
    NotFound,         // not_found
    Conflict,         // conflict
    NoAgentAvailable, // no_agent_available
    AgentUnavailable, // agent_unavailable
    Unavailable,      // unavailable (storage or cluster temporarily unreachable)
    RateLimited,      // rate_limited (a connection sent more messages than its limit)
    LimitExceeded,    // limit_exceeded (a per-connection limit, e.g. subscriptions, is reached)
    Internal,         // internal
};
QString errorCodeName(ErrorCode code);
std::optional<ErrorCode> errorCodeFromName(QStringView name);

// A typed error value: what decoders and request handlers return instead of throwing.
struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString message;   // human readable, names the offending field
    QString field;     // dotted path of the offending field, empty if none
    QString requestId; // echoed to browsers/admins when the bad frame carried one
};

template<class T>
class Decoded
{
public:
    // Default-constructed = an Internal error; lets QFuture/QList hold results.
    Decoded()
        : m_value(std::in_place_index<1>, Error{ErrorCode::Internal, QStringLiteral("no result"), {}, {}})
    {}
    Decoded(T value)
        : m_value(std::in_place_index<0>, std::move(value))
    {}
    Decoded(Error error)
        : m_value(std::in_place_index<1>, std::move(error))
    {}
    bool ok() const { return m_value.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<0>(m_value); }
    T &value() & { return std::get<0>(m_value); }
    T &&value() && { return std::get<0>(std::move(m_value)); }
    const Error &error() const { return std::get<1>(m_value); }

private:
    std::variant<T, Error> m_value;
};

enum class SessionState { Pending, Running, Terminating, Terminated, Hibernating, Hibernated, Failed };
QString sessionStateName(SessionState state);
std::optional<SessionState> sessionStateFromName(QStringView name);
bool isTerminalSessionState(SessionState state); // terminated, failed

// RFC 3339 UTC with milliseconds: 2025-12-04T10:00:00.123Z
QString formatTimestamp(const QDateTime &time);
// Accepts RFC 3339 with or without fraction, with Z or a numeric offset; returns UTC.
std::optional<QDateTime> parseTimestamp(QStringView text);

// Compact UTF-8 JSON of an object: the one way every side serialises a frame.
QByteArray toJsonBytes(const QJsonObject &object);

// Marks success for operations that return no value: Decoded<Done>.
struct Done
{
};

} // namespace switchboard::protocol
