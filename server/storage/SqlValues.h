// Conversions between record fields and column values, identical for every dialect: timestamps as
// RFC 3339 UTC text with milliseconds, JSON as compact text, empty optional text as NULL.
#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QStringList>
#include <QVariant>

namespace switchboard::sqlvalues {

QVariant time(const QDateTime &time);     // NULL when invalid
QVariant text(const QString &text);       // NULL when empty
QVariant json(const QJsonObject &object); // "{}" when empty
QVariant jsonArray(const QStringList &list);

// A PostgreSQL array literal of text elements, {"a","b\\"c"}, to bind and cast (?::text[]).
QString postgresArray(const QStringList &items);

QDateTime toTime(const QVariant &value); // invalid for NULL or garbage
QString toText(const QVariant &value);   // empty for NULL
QJsonObject toJsonObject(const QVariant &value);
QStringList toStringList(const QVariant &value);

// The current time in UTC.
QDateTime now();
// `time` if valid, else now().
QDateTime orNow(const QDateTime &time);

} // namespace switchboard::sqlvalues
