// Small helpers shared by the protocol tests.
#pragma once

#include "shared/Protocol.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

namespace switchboard::protocol::test {

// Parses JSON written in a test; aborts the test binary on a typo in the test itself.
inline QJsonObject parse(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (!document.isObject())
        qFatal("test JSON does not parse (%s): %s", qPrintable(error.errorString()), json.constData());
    return document.object();
}

// The JSON in one fixed form (keys sorted, compact), for comparing messages whatever their key order.
inline QByteArray canonical(const QByteArray &json)
{
    return toJsonBytes(parse(json));
}

// A failure description for QVERIFY2 that is safe to evaluate on success too.
template<class T>
QByteArray why(const Decoded<T> &decoded)
{
    return decoded.ok() ? QByteArray("ok") : decoded.error().message.toUtf8();
}

inline QDateTime utc(int year, int month, int day, int hour, int minute, int second = 0, int msec = 0)
{
    return QDateTime(QDate(year, month, day), QTime(hour, minute, second, msec), Qt::UTC);
}

} // namespace switchboard::protocol::test
