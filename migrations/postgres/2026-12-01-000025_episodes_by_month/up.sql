-- Episodes are read a month of one import at a time, in file order, and written once: one
-- index in that order instead of two (the primary key on the episode's id and
-- episodes_month). An episode id is still unique in its import: the importer refuses a file
-- that repeats one before anything is made current. The import is checked once per written
-- batch instead of by a foreign key on every row, which cost a query per row
-- (store::episodes).
ALTER TABLE episodes DROP CONSTRAINT episodes_import_id_fkey;
ALTER TABLE episodes DROP CONSTRAINT episodes_pkey;
DROP INDEX episodes_month;
ALTER TABLE episodes ADD PRIMARY KEY (import_id, month, line);
