DROP TRIGGER organisations_changed ON organisations;
DROP TRIGGER users_changed ON users;
DROP TRIGGER sessions_rewound ON sessions;
DROP TRIGGER sessions_ended ON sessions;
DROP FUNCTION count_access_change();
DROP TABLE access_changes;
