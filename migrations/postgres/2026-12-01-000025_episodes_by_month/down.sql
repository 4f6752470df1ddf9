ALTER TABLE episodes DROP CONSTRAINT episodes_pkey;
ALTER TABLE episodes ADD PRIMARY KEY (import_id, episode_id);
CREATE INDEX episodes_month ON episodes (import_id, month);
ALTER TABLE episodes ADD CONSTRAINT episodes_import_id_fkey FOREIGN KEY (import_id) REFERENCES episode_imports (id);
