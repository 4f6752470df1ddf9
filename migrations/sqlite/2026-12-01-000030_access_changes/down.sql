DROP TRIGGER organisations_removed;
DROP TRIGGER organisations_changed;
DROP TRIGGER organisations_added;
DROP TRIGGER users_removed;
DROP TRIGGER users_changed;
DROP TRIGGER sessions_rewound;
DROP TRIGGER sessions_ended;
DROP TABLE access_changes;
