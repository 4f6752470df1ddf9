-- An import writes its episodes in short transactions while the file streams past, so the
-- service's own writes never wait for a whole file. Until its last short transaction makes it
-- a version of its months it is staged: no page lists it and no calculation reads it.
ALTER TABLE episode_imports ADD COLUMN staged BOOLEAN NOT NULL DEFAULT FALSE;
