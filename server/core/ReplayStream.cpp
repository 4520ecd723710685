#include "core/ReplayStream.h"

namespace switchboard {

void ReplayStream::start(Hub *hub, quint64 clientId, QList<OutgoingMessage> frames, Refill refill,
                         Finished finished, QObject *parent)
{
    auto *stream =
        new ReplayStream(hub, clientId, std::move(frames), std::move(refill), std::move(finished), parent);
    stream->step();
}

ReplayStream::ReplayStream(Hub *hub, quint64 clientId, QList<OutgoingMessage> frames, Refill refill,
                           Finished finished, QObject *parent)
    : QObject(parent)
    , m_hub(hub)
    , m_clientId(clientId)
    , m_frames(frames.begin(), frames.end())
    , m_refill(std::move(refill))
    , m_finished(std::move(finished))
{
    // Polling is only for the length of a replay, and wakes for nothing once the client is gone.
    m_wait.setSingleShot(true);
    connect(&m_wait, &QTimer::timeout, this, &ReplayStream::step);
    connect(m_hub, &Hub::clientRemoved, this, [this](quint64 removedId, const BrowserClient &) {
        if (removedId == m_clientId)
            finish(false);
    });
}

void ReplayStream::step()
{
    const BrowserClient *client = m_hub->client(m_clientId);
    if (!client) {
        finish(false);
        return;
    }
    if (client->socket && client->socket->messagesToWrite() > kChunk) {
        m_wait.start(5); // the socket has not taken the last chunk yet
        return;
    }
    for (int sent = 0; sent < kChunk; ++sent) {
        if (m_frames.empty()) {
            const QList<OutgoingMessage> more = m_refill();
            if (more.isEmpty()) {
                finish(true);
                return;
            }
            m_frames.insert(m_frames.end(), more.begin(), more.end());
        }
        const OutgoingMessage frame = std::move(m_frames.front());
        m_frames.pop_front();
        if (!m_hub->send(m_clientId, frame)) {
            finish(m_hub->client(m_clientId) != nullptr);
            return;
        }
    }
    m_wait.start(0); // after the socket had its turn
}

void ReplayStream::finish(bool clientStillThere)
{
    if (!m_finished)
        return;
    m_wait.stop();
    const Finished finished = std::exchange(m_finished, {});
    finished(clientStillThere);
    deleteLater();
}

} // namespace switchboard
