-- Roster reference server schema v1. Timestamps are fixed-width RFC 3339 UTC strings
-- (YYYY-MM-DDTHH:MM:SS.mmmZ) so they compare correctly as text.

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    public_id   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    preset      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    public_id       TEXT NOT NULL UNIQUE,
    email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name            TEXT NOT NULL,
    -- argon2id PHC string; NULL for users who only sign in through an identity provider.
    password_hash   TEXT,
    sign_in_method  TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE memberships (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    user_id        INTEGER NOT NULL REFERENCES users(id),
    role           TEXT NOT NULL,
    quota          INTEGER,
    joined_at      TEXT NOT NULL,
    last_login_at  TEXT,
    UNIQUE (account_id, user_id)
);
CREATE INDEX memberships_by_account ON memberships(account_id, id);

-- Keys are stored only as SHA-256 digests: they are 256-bit random, so a slow hash adds nothing.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    key_hash    BLOB NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE invites (
    id                  INTEGER PRIMARY KEY,
    public_id           TEXT NOT NULL UNIQUE,
    account_id          INTEGER NOT NULL REFERENCES accounts(id),
    email               TEXT NOT NULL COLLATE NOCASE,
    notification_email  TEXT,
    role                TEXT NOT NULL,
    delivery            TEXT NOT NULL,
    -- 'expired' is written lazily; a 'pending' row past expires_at reads as expired.
    status              TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'expired', 'revoked')),
    token               TEXT NOT NULL UNIQUE,
    created_by          INTEGER REFERENCES users(id),
    created_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL,
    -- The lifetime chosen at creation; a resend renews the expiry by it.
    lifetime_days       INTEGER NOT NULL,
    accepted_at         TEXT,
    accepted_by         INTEGER REFERENCES users(id),
    revoked_at          TEXT,
    identity_provider   TEXT NOT NULL DEFAULT 'any',
    tenant_id           TEXT,
    require_secure      INTEGER NOT NULL DEFAULT 0,
    times_sent          INTEGER NOT NULL DEFAULT 1,
    last_sent_at        TEXT
);
CREATE INDEX invites_by_account ON invites(account_id, id);
CREATE UNIQUE INDEX invites_one_pending_per_email ON invites(account_id, email) WHERE status = 'pending';

CREATE TABLE audit (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    action         TEXT NOT NULL,
    actor_user_id  INTEGER REFERENCES users(id),
    target_kind    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    target_email   TEXT NOT NULL,
    details        TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX audit_by_account ON audit(account_id, id);

CREATE TABLE owner_promotions (
    id            INTEGER PRIMARY KEY,
    public_id     TEXT NOT NULL UNIQUE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    role          TEXT NOT NULL,
    requested_by  INTEGER NOT NULL REFERENCES users(id),
    token_hash    BLOB NOT NULL UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    decided_at    TEXT
);
CREATE INDEX owner_promotions_by_account ON owner_promotions(account_id, id);

-- Every e-mail the server means to send, sent or not: nothing is silently dropped.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER REFERENCES accounts(id),
    kind        TEXT NOT NULL,
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    error       TEXT
);

CREATE TABLE idempotency (
    key_id        INTEGER NOT NULL REFERENCES api_keys(id),
    idem_key      TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    status        INTEGER NOT NULL,
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
