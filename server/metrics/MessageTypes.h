// The message types metrics may name. A type label comes from the wire, so it is only ever one of
// this fixed list or "other": an attacker sending a million made-up types adds no series.
#pragma once

#include <QByteArrayView>
#include <QLatin1StringView>

namespace switchboard::metrics {

// The value of the top-level "type" member of a JSON object, without parsing the whole document
// (strings, escapes and nesting are skipped; a nested "type" is ignored). Empty when there is none,
// when it is not a plain string, or when the text is not an object. The view points into `json`.
QByteArrayView topLevelMessageType(QByteArrayView json);

// Index of a known type in knownMessageType(), or knownMessageTypeCount() for anything else.
qsizetype messageTypeIndex(QByteArrayView type);
qsizetype knownMessageTypeCount();
// The label of an index; "other" for knownMessageTypeCount().
QLatin1StringView messageTypeLabel(qsizetype index);

} // namespace switchboard::metrics
