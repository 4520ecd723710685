-- Credential hygiene (issue 7). Agent key rotation keeps the previous key's hash until its grace
-- period ends (both keys open a connection until then); revoked JWT ids are kept until the
-- token they name would have expired anyway.
ALTER TABLE agents ADD COLUMN previous_api_key_hash BLOB;
ALTER TABLE agents ADD COLUMN previous_api_key_expires_at TEXT;

CREATE TABLE token_revocations (
    jti TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL,
    revoked_by TEXT NOT NULL DEFAULT ''
);

CREATE INDEX token_revocations_expiry_idx ON token_revocations (expires_at);
