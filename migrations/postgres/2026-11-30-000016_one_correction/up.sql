-- A dispute's agreed corrections make one new version of each month they touch, once: two
-- people pressing "apply" at the same moment cannot both succeed.
CREATE UNIQUE INDEX calculations_one_correction_per_case ON calculations (case_id, month) WHERE cause = 'correction';
