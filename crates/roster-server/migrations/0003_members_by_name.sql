-- `GET /v1/members?sort=name` pages by (name_key, id) on an index, so a client's first page is
-- the first screen of a 10,000-member list. name_key is the listed name (the e-mail when the
-- name is empty) through `name_order()`, a function the server registers on its writer
-- connection (roster_api::name_order, the clients' own order); the trigger keeps it for every
-- way a membership is made (join, seed, demo).
ALTER TABLE memberships ADD COLUMN name_key TEXT NOT NULL DEFAULT '';

UPDATE memberships SET name_key = (
    SELECT name_order(CASE WHEN u.name = '' THEN u.email ELSE u.name END) FROM users u WHERE u.id = memberships.user_id
);

CREATE INDEX memberships_by_name ON memberships(account_id, name_key, id);

CREATE TRIGGER memberships_name_key AFTER INSERT ON memberships BEGIN
    UPDATE memberships SET name_key = (
        SELECT name_order(CASE WHEN u.name = '' THEN u.email ELSE u.name END) FROM users u WHERE u.id = NEW.user_id
    ) WHERE id = NEW.id;
END;
