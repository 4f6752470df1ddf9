DROP INDEX cases_text;
