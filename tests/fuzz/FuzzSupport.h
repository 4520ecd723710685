// What every fuzz target shares: a QCoreApplication-free setup (the decoders need none) and the
// input as a QByteArrayView without a copy.
#pragma once

#include <QByteArrayView>
#include <QLoggingCategory>

#include <cstddef>
#include <cstdint>

namespace switchboard::fuzz {

inline QByteArrayView input(const std::uint8_t *data, std::size_t size)
{
    return QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size));
}

// Qt's warnings (e.g. from QUrl) would flood the fuzzer's output; the targets check results,
// not messages.
inline void quiet()
{
    static const bool done = [] {
        QLoggingCategory::setFilterRules(QStringLiteral("*=false"));
        return true;
    }();
    (void)done;
}

} // namespace switchboard::fuzz
