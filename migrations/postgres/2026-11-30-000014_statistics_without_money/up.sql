-- Statistics never wait for money (domain.md §6): a unit of a month whose year has no daily
-- amount is stored with its figures and without an amount (rate_known false, rate and
-- amount 0 as placeholders never shown). Earlier versions all had their amount.
ALTER TABLE calculation_units ADD COLUMN rate_known BOOLEAN NOT NULL DEFAULT TRUE;
-- Readmissions of people 65 or older within 7 days (§6), per unit; NULL: not reported.
ALTER TABLE calculation_units ADD COLUMN aged_65_or_over BIGINT;
ALTER TABLE calculation_units ADD COLUMN readmitted_within_7_days BIGINT;
-- The two follow-up columns of the episode file (§5.1); NULL where the file had none.
ALTER TABLE episodes ADD COLUMN aged_65_or_over BOOLEAN;
ALTER TABLE episodes ADD COLUMN unplanned_readmission_within_7_days BOOLEAN;
-- An episode the parties agreed, in a payment dispute, not to count for another reason
-- ("Annat"); before this it was recorded as if no admission notice had been sent.
ALTER TABLE episodes ADD COLUMN excluded_by_agreement BOOLEAN NOT NULL DEFAULT FALSE;
