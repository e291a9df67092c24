-- Invite tokens leave the database in the clear (src/tokens.rs): the column keeps each
-- token's SHA-256, what a link is looked up by, and the token itself is kept sealed with the
-- server's key, for copying a pending link again. Mails in the outbox keep their token sealed
-- too, a placeholder standing in the text. The existing rows are rewritten by the Rust step
-- that runs right after this file, in the same transaction (`db::seal_tokens`).
ALTER TABLE invites RENAME COLUMN token TO token_hash;
ALTER TABLE invites ADD COLUMN token_sealed BLOB;
ALTER TABLE outbox ADD COLUMN secret_sealed BLOB;
