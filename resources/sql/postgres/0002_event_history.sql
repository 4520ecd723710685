-- Session event history (issue 3): every event gets a per-org sequence number allocated here, in
-- the transaction that stores it, so that replicas sharing the database never hand out the same
-- number twice; browsers that reconnect are replayed what they missed from session_events.

-- Facts about this database. event_epoch names its event history: a new database (or a restored
-- one that lost its history) has another epoch, and clients resuming with the old one resync.
CREATE TABLE switchboard_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO switchboard_meta (key, value) VALUES ('event_epoch', replace(gen_random_uuid()::text, '-', ''));

-- The last seq handed out per org. Kept apart from the events so that pruning never lets a seq
-- be used twice; its row lock serialises the replicas appending to one org.
CREATE TABLE event_counters (
    org_id TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

-- The retained events of each org: always one contiguous range of seqs (pruning removes from the
-- oldest end only). recorded_at is the server's clock when stored, which age pruning uses.
CREATE TABLE session_events (
    org_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    session_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    data JSONB NOT NULL DEFAULT '{}',
    PRIMARY KEY (org_id, seq)
);
