// Continuing on the socket thread when a storage future finishes, safely whoever dies first.
// QFuture::then(context, ...) of Qt 6.4 asserts (Debug) or calls into a dangling context when the
// context object was destroyed before the future finished; a QFutureWatcher owned by the context
// dies with it instead, and its callbacks arrive in the order the futures finished.
#pragma once

#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QPromise>

#include <memory>
#include <type_traits>
#include <utility>

namespace switchboard {

// Calls handler(result) on context's thread once `future` has its result; never if the context
// is destroyed first or the future is cancelled.
template<class T, class Handler>
void onFinished(const QFuture<T> &future, QObject *context, Handler &&handler)
{
    auto *watcher = new QFutureWatcher<T>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, handler = std::forward<Handler>(handler)]() mutable {
                         watcher->deleteLater();
                         if (watcher->isCanceled() || watcher->future().resultCount() == 0)
                             return;
                         handler(watcher->result());
                     });
    watcher->setFuture(future);
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
