-- Seat counts and the pending filter read pending invites by expiry; without this index they
-- scan every invite the account ever sent.
CREATE INDEX invites_pending_by_account ON invites(account_id, status, expires_at);
