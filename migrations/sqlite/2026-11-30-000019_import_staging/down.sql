ALTER TABLE episode_imports DROP COLUMN staged;
