// Continues on an owner's thread when a Store future finishes, tied to the owner's lifetime.
// Why not QFuture::then(owner, ...): in Qt 6.4 that continuation asserts (debug builds) or calls
// into a dead object (release builds) when the owner is destroyed before the future finishes, and
// it runs synchronously when the future has already finished. A QFutureWatcher child dies with its
// owner and takes the pending call along, and its handler always runs from the event loop.
#pragma once

#include "shared/Protocol.h"

#include <QFuture>
#include <QFutureWatcher>
#include <QObject>

#include <utility>

namespace switchboard {

template<class T, class Handler>
void whenFinished(QObject *owner, const QFuture<protocol::Decoded<T>> &future, Handler &&handler)
{
    auto *watcher = new QFutureWatcher<protocol::Decoded<T>>(owner);
    QObject::connect(
        watcher, &QFutureWatcherBase::finished, owner,
        [watcher, handler = std::forward<Handler>(handler)]() mutable {
            watcher->deleteLater();
            const QFuture<protocol::Decoded<T>> done = watcher->future();
            if (done.resultCount() == 0) {
                handler(protocol::Decoded<T>(protocol::Error{
                    protocol::ErrorCode::Unavailable, QStringLiteral("storage request cancelled"), {}, {}}));
                return;
            }
            handler(done.result());
        });
    watcher->setFuture(future);
}

} // namespace switchboard
