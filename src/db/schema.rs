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
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
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

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    commitments,
    users,
    sessions,
    password_resets,
    login_attempts,
    audit_log,
);
