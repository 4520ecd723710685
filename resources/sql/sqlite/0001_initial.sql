-- Switchboard schema, SQLite dialect. Columns follow StreamSpace's tables.
-- Timestamps are RFC 3339 UTC text with milliseconds (they sort as text); JSON is compact text.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    platform TEXT NOT NULL CHECK (platform IN ('kubernetes', 'docker', 'vm', 'cloud')),
    region TEXT,
    status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'draining', 'stale', 'offline')),
    capacity TEXT NOT NULL DEFAULT '{}',
    active_sessions INTEGER NOT NULL DEFAULT 0,
    last_heartbeat TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    cluster_id TEXT,
    cluster_name TEXT,
    api_key_hash BLOB,
    api_key_created_at TEXT,
    api_key_last_used_at TEXT,
    approval_status TEXT NOT NULL DEFAULT 'approved'
        CHECK (approval_status IN ('approved', 'pending', 'rejected')),
    approved_at TEXT,
    approved_by TEXT,
    replica TEXT
);

CREATE INDEX agents_org_idx ON agents (org_id, agent_id);
CREATE INDEX agents_replica_idx ON agents (replica) WHERE replica IS NOT NULL;

CREATE TABLE agent_commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL REFERENCES agents (agent_id) ON DELETE CASCADE,
    org_id TEXT NOT NULL,
    session_id TEXT,
    action TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'ack', 'completed', 'failed', 'cancelled')),
    error_message TEXT,
    result TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    acknowledged_at TEXT,
    completed_at TEXT,
    updated_at TEXT NOT NULL
);

CREATE INDEX agent_commands_agent_status_idx ON agent_commands (agent_id, status, id);
CREATE INDEX agent_commands_org_idx ON agent_commands (org_id, id);
CREATE INDEX agent_commands_session_idx ON agent_commands (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    user_id TEXT NOT NULL,
    template TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'terminating', 'terminated',
                                                           'hibernating', 'hibernated', 'failed')),
    agent_id TEXT,
    platform TEXT,
    namespace TEXT,
    pod_name TEXT,
    url TEXT,
    memory TEXT,
    cpu TEXT,
    idle_timeout INTEGER NOT NULL DEFAULT 0,
    last_activity TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    termination_reason TEXT,
    terminated_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX sessions_org_idx ON sessions (org_id, created_at);
CREATE INDEX sessions_agent_idx ON sessions (agent_id, state);
