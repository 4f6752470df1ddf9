-- A counter that moves whenever something a signed-in request relies on may have changed:
-- a session ended (or moved back in time), a user or an organisation changed. The app keeps
-- the sessions it has looked up for a moment and trusts them only while this counter stands
-- where the session's own statement read it (src/web/session_cache.rs), so that the CLI's
-- and every other process's changes reach it.
CREATE TABLE access_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter BIGINT NOT NULL
);
INSERT INTO access_changes (id, counter) VALUES (1, 0);

CREATE TRIGGER sessions_ended AFTER DELETE ON sessions BEGIN
    UPDATE access_changes SET counter = counter + 1 WHERE id = 1;
END;
-- A request's own touch moves last_seen_at forward and changes nothing a cache holds.
CREATE TRIGGER sessions_rewound AFTER UPDATE ON sessions
    WHEN NEW.last_seen_at < OLD.last_seen_at OR NEW.created_at <> OLD.created_at
         OR NEW.user_id <> OLD.user_id OR NEW.token_hash <> OLD.token_hash
BEGIN
    UPDATE access_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER users_changed AFTER UPDATE ON users BEGIN
    UPDATE access_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER users_removed AFTER DELETE ON users BEGIN
    UPDATE access_changes SET counter = counter + 1 WHERE id = 1;
END;
-- A new unit below an organisation changes what its users see.
CREATE TRIGGER organisations_added AFTER INSERT ON organisations BEGIN
    UPDATE access_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER organisations_changed AFTER UPDATE ON organisations BEGIN
    UPDATE access_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER organisations_removed AFTER DELETE ON organisations BEGIN
    UPDATE access_changes SET counter = counter + 1 WHERE id = 1;
END;
