-- Idempotency-Key on POST /v1/join. A join has no API key, so the answer is kept per invite
-- (its token is the credential) and key. Only the user is kept of the credential: a replay
-- checks the password against that user's hash, never against a copy of the request.
CREATE TABLE join_idempotency (
    invite_id     INTEGER NOT NULL REFERENCES invites(id),
    idem_key      TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (invite_id, idem_key)
);
