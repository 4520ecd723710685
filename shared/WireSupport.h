// Internal to switchboard-protocol (not part of its API): wire names of enums kept as one table
// per enum, reading such a name from untrusted JSON, and the usual visitor helper.
#pragma once

#include "JsonReader.h"

#include <QLatin1StringView>

#include <optional>

namespace switchboard::protocol::detail {

template<class Table, class Enum>
QString nameIn(const Table &table, Enum value)
{
    for (const auto &[candidate, name] : table) {
        if (candidate == value)
            return QString(name);
    }
    return {};
}

template<class Table>
auto valueIn(const Table &table, QStringView name) -> std::optional<typename Table::value_type::first_type>
{
    for (const auto &[value, candidate] : table) {
        if (name == candidate)
            return value;
    }
    return std::nullopt;
}

// Reads an enum by its wire name; an unknown name is an InvalidValue naming the field and the value.
template<class Enum>
Enum readEnum(JsonReader &reader, const QString &key, Enum fallback, bool required,
              std::optional<Enum> (*fromName)(QStringView), QLatin1StringView what)
{
    if (!required && !reader.has(key))
        return fallback;
    const QString name = reader.requiredString(key, 1, 64);
    if (!reader.ok())
        return fallback;
    const std::optional<Enum> value = fromName(name);
    if (!value) {
        reader.fail(ErrorCode::InvalidValue, key,
                    QStringLiteral("unknown ") + what + QStringLiteral(" \"") + name + u'"');
        return fallback;
    }
    return *value;
}

template<class... Ts>
struct Overloaded : Ts...
{
    using Ts::operator()...;
};
// Spelled out for clang < 17, which does not deduce aggregate templates (the fuzz build uses clang).
template<class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

} // namespace switchboard::protocol::detail
