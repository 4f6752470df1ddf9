ALTER TABLE episodes DROP COLUMN excluded_by_agreement;
ALTER TABLE episodes DROP COLUMN unplanned_readmission_within_7_days;
ALTER TABLE episodes DROP COLUMN aged_65_or_over;
ALTER TABLE calculation_units DROP COLUMN readmitted_within_7_days;
ALTER TABLE calculation_units DROP COLUMN aged_65_or_over;
ALTER TABLE calculation_units DROP COLUMN rate_known;
