-- Command delivery deadlines (issue 3). sent_at is the latest delivery (refreshed by every resend,
-- the acknowledgement deadline counts from it); first_sent_at is the first one, from which the
-- completion deadline counts, so that both survive a restart.
ALTER TABLE agent_commands ADD COLUMN first_sent_at TIMESTAMPTZ;

UPDATE agent_commands SET first_sent_at = sent_at WHERE sent_at IS NOT NULL;

-- The timeout sweep reads only commands in flight.
CREATE INDEX agent_commands_in_flight_idx ON agent_commands (status, sent_at) WHERE status IN ('sent', 'ack');
