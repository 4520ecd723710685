// ReplayStream: sends a long run of frames (a resume's replay, then the live events held back
// meanwhile) to one Hub client without tripping the slow-client limit: a chunk at a time, the next
// once the socket has handed most of the previous one to the kernel. When its frames run out it
// asks `refill` for more and finishes (in that same call) when there are none, so that whoever
// held live events back can let them flow again without anything slipping in between.
#pragma once

#include "core/Hub.h"

#include <QObject>
#include <QTimer>

#include <deque>
#include <functional>

namespace switchboard {

class ReplayStream : public QObject
{
    Q_OBJECT
public:
    using Refill = std::function<QList<OutgoingMessage>()>;
    using Finished = std::function<void(bool clientStillThere)>;

    // Starts at once; the stream deletes itself after calling `finished` (with false when the client
    // left or was dropped). If `parent` goes first, nothing is called.
    static void start(Hub *hub, quint64 clientId, QList<OutgoingMessage> frames, Refill refill,
                      Finished finished, QObject *parent);

    static constexpr int kChunk = 32; // frames per step; also the backlog that holds the next step

private:
    ReplayStream(Hub *hub, quint64 clientId, QList<OutgoingMessage> frames, Refill refill, Finished finished,
                 QObject *parent);
    void step();
    void finish(bool clientStillThere);

    Hub *m_hub;
    quint64 m_clientId;
    std::deque<OutgoingMessage> m_frames;
    Refill m_refill;
    Finished m_finished;
    QTimer m_wait;
};

} // namespace switchboard
