DROP TABLE level_deadlines;
DROP TABLE case_attachments;
DROP TABLE case_decisions;
DROP TABLE case_events;
DROP TABLE case_parties;
DROP TABLE cases;
DROP TABLE case_counters;
