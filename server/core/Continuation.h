// Continuing on the socket thread when a storage future finishes, safely whoever dies first.
// QFuture::then(context, ...) of Qt 6.4 asserts (Debug) or calls into a dangling context when the
// context object was destroyed before the future finished; a QFutureWatcher owned by the context
// dies with it instead, and its callbacks arrive in the order the futures finished.
#pragma once

#include "shared/Protocol.h"

#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QPromise>

#include <memory>
#include <type_traits>
#include <utility>

namespace switchboard {

namespace detail {
// The one mechanism: a watcher owned by the context calls onResult, or onNothing when the future
// was cancelled or ended without a result.
template<class T, class OnResult, class OnNothing>
void watch(const QFuture<T> &future, QObject *context, OnResult &&onResult, OnNothing &&onNothing)
{
    auto *watcher = new QFutureWatcher<T>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, onResult = std::forward<OnResult>(onResult),
                      onNothing = std::forward<OnNothing>(onNothing)]() mutable {
                         watcher->deleteLater();
                         if (watcher->isCanceled() || watcher->future().resultCount() == 0) {
                             onNothing();
                             return;
                         }
                         onResult(watcher->result());
                     });
    watcher->setFuture(future);
}
} // namespace detail

// Calls handler(result) on context's thread once `future` has its result; never if the context
// is destroyed first or the future is cancelled.
template<class T, class Handler>
void onFinished(const QFuture<T> &future, QObject *context, Handler &&handler)
{
    detail::watch(future, context, std::forward<Handler>(handler), [] {});
}

// For requests that must always be answered: like onFinished, but a cancelled storage job still
// reaches the handler, as an Unavailable error.
template<class T, class Handler>
void whenFinished(QObject *owner, const QFuture<protocol::Decoded<T>> &future, Handler &&handler)
{
    auto shared = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
    detail::watch(
        future, owner, [shared](protocol::Decoded<T> result) { (*shared)(std::move(result)); },
        [shared] {
            (*shared)(protocol::Decoded<T>(protocol::Error{
                protocol::ErrorCode::Unavailable, QStringLiteral("storage request cancelled"), {}, {}}));
        });
}

// Like onFinished, and the handler's return value becomes the result of the returned future
// (which is cancelled if the context is destroyed before it ran).
template<class T, class Handler, class R = std::invoke_result_t<Handler, T>>
QFuture<R> continueOn(const QFuture<T> &future, QObject *context, Handler &&handler)
{
    auto promise = std::make_shared<QPromise<R>>();
    QFuture<R> result = promise->future();
    promise->start();
    onFinished(future, context, [promise, handler = std::forward<Handler>(handler)](T value) mutable {
        promise->addResult(handler(std::move(value)));
        promise->finish();
    });
    return result;
}

// A future that already has its result.
template<class T>
QFuture<T> readyFuture(T value)
{
    QPromise<T> promise;
    QFuture<T> future = promise.future();
    promise.start();
    promise.addResult(std::move(value));
    promise.finish();
    return future;
}

} // namespace switchboard
