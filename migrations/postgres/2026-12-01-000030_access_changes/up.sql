-- A counter that moves whenever something a signed-in request relies on may have changed:
-- a session ended (or moved back in time), a user or an organisation changed. Each app
-- server keeps the sessions it has looked up for a moment and trusts them only while this
-- counter stands where the session's own statement read it (src/web/session_cache.rs), so a
-- sign-out, a deactivation or a moved unit reaches every server and the CLI's changes too.
CREATE TABLE access_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter BIGINT NOT NULL
);
INSERT INTO access_changes (id, counter) VALUES (1, 0);

CREATE FUNCTION count_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_changes SET counter = counter + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

-- Constraint triggers, deferred: the counter's row is locked at commit, after every other
-- lock the transaction takes, so two transactions cannot wait on each other through it.
CREATE CONSTRAINT TRIGGER sessions_ended AFTER DELETE ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_access_change();
-- A request's own touch moves last_seen_at forward and changes nothing a cache holds.
CREATE CONSTRAINT TRIGGER sessions_rewound AFTER UPDATE ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.last_seen_at < OLD.last_seen_at OR NEW.created_at <> OLD.created_at
          OR NEW.user_id <> OLD.user_id OR NEW.token_hash <> OLD.token_hash)
    EXECUTE FUNCTION count_access_change();
CREATE CONSTRAINT TRIGGER users_changed AFTER UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_access_change();
-- A new unit below an organisation changes what its users see.
CREATE CONSTRAINT TRIGGER organisations_changed AFTER INSERT OR UPDATE OR DELETE ON organisations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_access_change();
