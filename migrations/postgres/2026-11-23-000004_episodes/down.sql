DROP TABLE episodes;
DROP TABLE import_months;
DROP TABLE episode_imports;
