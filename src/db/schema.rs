// Kept by hand, in step with both migration trees (migrations/sqlite, migrations/postgres).

diesel::table! {
    organisations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        municipality_code -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        valid_from -> Nullable<Date>,
        valid_to -> Nullable<Date>,
        active -> Bool,
        created_at -> Timestamp,
        contact_email -> Nullable<Text>,
    }
}

diesel::table! {
    commitments (id) {
        id -> Text,
        area -> Text,
        area_title -> Text,
        title -> Text,
        reference -> Text,
        sort_order -> Integer,
        responsible -> Text,
        wording -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        organisation_id -> Text,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        notify_preference -> Text,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
        director -> Bool,
        awaiting_confirmation -> Bool,
    }
}

diesel::table! {
    recovery_codes (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    kept_forms (id) {
        id -> Text,
        browser_hash -> Text,
        user_id -> Text,
        form_path -> Text,
        page_path -> Text,
        fields -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    form_submissions (submission) {
        submission -> Text,
        user_id -> Text,
        result -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_challenges (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        provider_id -> Nullable<Text>,
        id_token -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        provider_id -> Nullable<Text>,
        id_token -> Nullable<Text>,
    }
}

diesel::table! {
    access_changes (id) {
        id -> Integer,
        counter -> BigInt,
    }
}

diesel::table! {
    identity_providers (id) {
        id -> Text,
        name -> Text,
        issuer -> Text,
        client_id -> Text,
        client_secret_sealed -> Text,
        secret_expires_on -> Nullable<Date>,
        organisation_claim -> Nullable<Text>,
        create_unknown -> Bool,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    identity_provider_organisations (provider_id, organisation_id) {
        provider_id -> Text,
        organisation_id -> Text,
        claim_value -> Nullable<Text>,
    }
}

diesel::table! {
    user_identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        provider_id -> Text,
        user_id -> Text,
        linked_at -> Timestamp,
    }
}

diesel::table! {
    sso_logins (state_hash) {
        state_hash -> Text,
        browser_hash -> Text,
        provider_id -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        next -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Text,
        email -> Text,
        ip -> Text,
        at -> Timestamp,
        succeeded -> Bool,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_email -> Nullable<Text>,
        ip -> Nullable<Text>,
        action -> Text,
        target -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(identity_provider_organisations -> identity_providers (provider_id));
diesel::joinable!(identity_provider_organisations -> organisations (organisation_id));
diesel::joinable!(user_identities -> users (user_id));
diesel::joinable!(user_identities -> identity_providers (provider_id));

diesel::table! {
    case_counters (prefix, year) {
        prefix -> Text,
        year -> Integer,
        last_number -> Integer,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        number -> Text,
        kind -> Text,
        title -> Text,
        description -> Text,
        consequences -> Text,
        commitment_id -> Nullable<Text>,
        filed_by_org -> Text,
        filed_by_user -> Text,
        principled -> Bool,
        occurred_from -> Date,
        occurred_to -> Nullable<Date>,
        payment_month -> Nullable<Text>,
        billing_unit_id -> Nullable<Text>,
        amount_sek -> Nullable<BigInt>,
        level -> Text,
        status -> Text,
        waiting_for -> Text,
        answered -> Bool,
        assessed_by_storsthlm -> Bool,
        assessed_by_hsf -> Bool,
        proposal_by_party -> Nullable<Text>,
        proposal_accepted_by -> Nullable<Text>,
        deadline_on -> Nullable<Date>,
        level_entered_at -> Timestamp,
        version -> Integer,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        proposal_rejected -> Bool,
        escalation_requested_by -> Nullable<Text>,
    }
}

diesel::table! {
    case_parties (case_id, organisation_id) {
        case_id -> Text,
        organisation_id -> Text,
        side -> Text,
        registration_number -> Nullable<Text>,
        case_created_at -> Nullable<Timestamp>,
        awaited_key -> Nullable<Text>,
        case_number -> Text,
        case_kind -> Text,
        case_title -> Text,
        case_level -> Text,
        case_status -> Text,
        case_waiting_for -> Text,
        case_deadline_on -> Nullable<Date>,
        case_filed_by_org -> Text,
    }
}

// SQLite only: the FTS5 index of cases' texts (migrations/sqlite, 023 and 028), its rows
// numbered in list order.
diesel::table! {
    cases_text (rowid) {
        rowid -> BigInt,
        case_id -> Text,
        search_text -> Text,
    }
}

// SQLite only: each row of `cases_text` with its case's id, by the row's number (migration 031),
// and the columns the case is listed with (migration 033).
diesel::table! {
    cases_text_rows (rowid) {
        rowid -> BigInt,
        case_id -> Text,
        case_number -> Text,
        case_kind -> Text,
        case_title -> Text,
        case_level -> Text,
        case_status -> Text,
        case_waiting_for -> Text,
        case_deadline_on -> Nullable<Date>,
        case_filed_by_org -> Text,
    }
}

diesel::table! {
    case_events (id) {
        id -> Text,
        case_id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_org_id -> Nullable<Text>,
        action -> Text,
        from_level -> Nullable<Text>,
        to_level -> Nullable<Text>,
        body -> Text,
        visible_to_org -> Nullable<Text>,
    }
}

diesel::table! {
    case_decisions (id) {
        id -> Text,
        case_id -> Text,
        level -> Text,
        decided_on -> Date,
        reference -> Text,
        body -> Text,
        outcome -> Text,
        corrects_id -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    case_attachments (id) {
        id -> Text,
        case_id -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        content -> Binary,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    level_deadlines (level) {
        level -> Text,
        days -> Integer,
        day_count -> Text,
    }
}

diesel::joinable!(case_parties -> cases (case_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(case_decisions -> cases (case_id));
diesel::joinable!(case_attachments -> cases (case_id));

diesel::table! {
    outbox (id) {
        id -> Text,
        created_at -> Timestamp,
        kind -> Text,
        case_id -> Nullable<Text>,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        message_id -> Text,
        thread_id -> Nullable<Text>,
        list_unsubscribe -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    digest_items (id) {
        id -> Text,
        user_id -> Text,
        case_id -> Text,
        line -> Text,
        created_at -> Timestamp,
        digested_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reminders_sent (case_id, kind, level, deadline_on) {
        case_id -> Text,
        kind -> Text,
        level -> Text,
        deadline_on -> Date,
        sent_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    interpretations,
    interpretation_commitments,
    outbox,
    reminders_sent,
    digest_items,
    organisations,
    commitments,
    users,
    sessions,
    access_changes,
    identity_providers,
    identity_provider_organisations,
    user_identities,
    sso_logins,
    password_resets,
    login_attempts,
    audit_log,
    recovery_codes,
    login_challenges,
    form_submissions,
    kept_forms,
    cases,
    case_parties,
    cases_text,
    cases_text_rows,
    case_events,
    case_decisions,
    case_attachments,
    case_counters,
    level_deadlines,
    episode_imports,
    import_months,
    episodes,
    calculations,
    calculation_units,
    daily_rates,
    payment_settings,
    review_bases,
    review_responses,
    case_calculations,
    contested_episodes,
);

diesel::table! {
    episode_imports (id) {
        id -> Text,
        imported_at -> Timestamp,
        imported_by -> Nullable<Text>,
        source -> Text,
        sha256 -> Text,
        row_count -> BigInt,
        staged -> Bool,
    }
}

diesel::table! {
    import_months (month, import_id) {
        month -> Text,
        import_id -> Text,
        episodes -> BigInt,
    }
}

diesel::table! {
    episodes (import_id, month, line) {
        import_id -> Text,
        episode_id -> Text,
        line -> BigInt,
        month -> Text,
        municipality_code -> Text,
        district -> Nullable<Text>,
        placement_code -> Nullable<Text>,
        care_type -> Text,
        care_provider -> Nullable<Text>,
        admitted_at -> Nullable<Timestamp>,
        admission_notice_at -> Nullable<Timestamp>,
        ready_notice_at -> Nullable<Timestamp>,
        discharged_at -> Timestamp,
        needs_outpatient_contact -> Bool,
        outpatient_contact_assigned -> Bool,
        needs_sip -> Bool,
        sip_called_at -> Nullable<Timestamp>,
        needs_care_plan -> Bool,
        care_plan_established -> Bool,
        outpatient_care_unavailable -> Bool,
        patient_declined -> Bool,
        aged_65_or_over -> Nullable<Bool>,
        unplanned_readmission_within_7_days -> Nullable<Bool>,
        excluded_by_agreement -> Bool,
    }
}

diesel::joinable!(import_months -> episode_imports (import_id));
diesel::joinable!(episodes -> episode_imports (import_id));

diesel::table! {
    calculations (id) {
        id -> Text,
        month -> Text,
        version -> Integer,
        import_id -> Text,
        cause -> Text,
        case_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    calculation_units (calculation_id, position) {
        calculation_id -> Text,
        position -> Integer,
        municipality_code -> Text,
        district -> Nullable<Text>,
        model -> Text,
        care_provider -> Nullable<Text>,
        episodes_total -> BigInt,
        episodes_included -> BigInt,
        total_days -> BigInt,
        episodes_with_days -> BigInt,
        days_over_five -> BigInt,
        threshold_hundredths -> BigInt,
        daily_rate_sek -> BigInt,
        amount_sek -> BigInt,
        rate_known -> Bool,
        aged_65_or_over -> Nullable<BigInt>,
        readmitted_within_7_days -> Nullable<BigInt>,
    }
}

diesel::joinable!(calculation_units -> calculations (calculation_id));
diesel::joinable!(review_bases -> calculations (calculation_id));
diesel::joinable!(case_calculations -> calculations (calculation_id));

diesel::table! {
    daily_rates (year) {
        year -> Integer,
        amount_sek -> BigInt,
        source -> Text,
        entered_at -> Timestamp,
    }
}

diesel::table! {
    payment_settings (id) {
        id -> Integer,
        county_average_oct_2020_hundredths -> Nullable<BigInt>,
        payment_responsibility_from -> Nullable<Date>,
        psychiatric_transition_end -> Date,
    }
}

diesel::table! {
    review_bases (id) {
        id -> Text,
        month -> Text,
        calculation_id -> Text,
        invoice_date -> Date,
        published_by -> Text,
        published_at -> Timestamp,
    }
}

diesel::table! {
    review_responses (review_basis_id, organisation_id, row_key) {
        review_basis_id -> Text,
        organisation_id -> Text,
        row_key -> Text,
        response -> Text,
        responded_by -> Text,
        responded_at -> Timestamp,
    }
}

diesel::table! {
    case_calculations (case_id) {
        case_id -> Text,
        calculation_id -> Text,
        organisation_id -> Text,
        row_key -> Text,
    }
}

diesel::table! {
    contested_episodes (case_id, episode_id) {
        case_id -> Text,
        episode_id -> Text,
        reason -> Text,
        corrected_value -> Nullable<Text>,
        contested_by -> Text,
        contested_at -> Timestamp,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    interpretations (id) {
        id -> Text,
        number -> Text,
        case_id -> Text,
        decision_id -> Text,
        decided_on -> Date,
        protocol -> Text,
        question -> Text,
        interpretation -> Text,
        corrects_id -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    interpretation_commitments (interpretation_id, commitment_id) {
        interpretation_id -> Text,
        commitment_id -> Text,
    }
}

diesel::joinable!(interpretation_commitments -> interpretations (interpretation_id));
diesel::joinable!(interpretations -> cases (case_id));
