CREATE TABLE episodes_by_id (
    import_id TEXT NOT NULL REFERENCES episode_imports (id),
    episode_id TEXT NOT NULL,
    line BIGINT NOT NULL,
    month TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    district TEXT,
    placement_code TEXT,
    care_type TEXT NOT NULL,
    care_provider TEXT,
    admitted_at TIMESTAMP,
    admission_notice_at TIMESTAMP,
    ready_notice_at TIMESTAMP,
    discharged_at TIMESTAMP NOT NULL,
    needs_outpatient_contact BOOLEAN NOT NULL,
    outpatient_contact_assigned BOOLEAN NOT NULL,
    needs_sip BOOLEAN NOT NULL,
    sip_called_at TIMESTAMP,
    needs_care_plan BOOLEAN NOT NULL,
    care_plan_established BOOLEAN NOT NULL,
    outpatient_care_unavailable BOOLEAN NOT NULL,
    patient_declined BOOLEAN NOT NULL,
    aged_65_or_over BOOLEAN,
    unplanned_readmission_within_7_days BOOLEAN,
    excluded_by_agreement BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (import_id, episode_id)
);
INSERT INTO episodes_by_id (import_id, episode_id, line, month, municipality_code, district, placement_code, care_type, care_provider, admitted_at, admission_notice_at, ready_notice_at, discharged_at, needs_outpatient_contact, outpatient_contact_assigned, needs_sip, sip_called_at, needs_care_plan, care_plan_established, outpatient_care_unavailable, patient_declined, aged_65_or_over, unplanned_readmission_within_7_days, excluded_by_agreement)
SELECT import_id, episode_id, line, month, municipality_code, district, placement_code, care_type, care_provider, admitted_at, admission_notice_at, ready_notice_at, discharged_at, needs_outpatient_contact, outpatient_contact_assigned, needs_sip, sip_called_at, needs_care_plan, care_plan_established, outpatient_care_unavailable, patient_declined, aged_65_or_over, unplanned_readmission_within_7_days, excluded_by_agreement FROM episodes;
DROP TABLE episodes;
ALTER TABLE episodes_by_id RENAME TO episodes;
CREATE INDEX episodes_month ON episodes (import_id, month);
