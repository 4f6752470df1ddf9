use super::{now, DbConn, QueryResult};
use crate::db::schema::audit_log;
use crate::db_run;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    LoginFailed,
    LoginThrottled,
    Logout,
    AccessDenied,
    CsrfRejected,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    UserCreated,
    UserUpdated,
    UserDisabled,
    UnitCreated,
    UnitUpdated,
    DeadlinesChanged,
    PaymentSettingsChanged,
    ReviewBasisPublished,
    ReviewBasisAnswered,
    CorrectionsApplied,
    MailRetried,
    SecondFactorEnabled,
    SecondFactorRemoved,
    Download,
    SsoLinked,
    SsoUserCreated,
    SsoRefused,
    ProviderCreated,
    ProviderChanged,
}

pub const ALL_ACTIONS: [Action; 28] = [
    Action::Login,
    Action::LoginFailed,
    Action::LoginThrottled,
    Action::Logout,
    Action::AccessDenied,
    Action::CsrfRejected,
    Action::PasswordChanged,
    Action::PasswordResetRequested,
    Action::PasswordReset,
    Action::UserCreated,
    Action::UserUpdated,
    Action::UserDisabled,
    Action::UnitCreated,
    Action::UnitUpdated,
    Action::DeadlinesChanged,
    Action::PaymentSettingsChanged,
    Action::ReviewBasisPublished,
    Action::ReviewBasisAnswered,
    Action::CorrectionsApplied,
    Action::MailRetried,
    Action::SecondFactorEnabled,
    Action::SecondFactorRemoved,
    Action::Download,
    Action::SsoLinked,
    Action::SsoUserCreated,
    Action::SsoRefused,
    Action::ProviderCreated,
    Action::ProviderChanged,
];

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::LoginThrottled => "login_throttled",
            Action::Logout => "logout",
            Action::AccessDenied => "access_denied",
            Action::CsrfRejected => "csrf_rejected",
            Action::PasswordChanged => "password_changed",
            Action::PasswordResetRequested => "password_reset_requested",
            Action::PasswordReset => "password_reset",
            Action::UserCreated => "user_created",
            Action::UserUpdated => "user_updated",
            Action::UserDisabled => "user_disabled",
            Action::UnitCreated => "unit_created",
            Action::UnitUpdated => "unit_updated",
            Action::DeadlinesChanged => "deadlines_changed",
            Action::PaymentSettingsChanged => "payment_settings_changed",
            Action::ReviewBasisPublished => "review_basis_published",
            Action::ReviewBasisAnswered => "review_basis_answered",
            Action::CorrectionsApplied => "corrections_applied",
            Action::MailRetried => "mail_retried",
            Action::SecondFactorEnabled => "second_factor_enabled",
            Action::SecondFactorRemoved => "second_factor_removed",
            Action::Download => "download",
            Action::SsoLinked => "sso_linked",
            Action::SsoUserCreated => "sso_user_created",
            Action::SsoRefused => "sso_refused",
            Action::ProviderCreated => "provider_created",
            Action::ProviderChanged => "provider_changed",
        }
    }
}

pub fn action_label(action: &str) -> &'static str {
    match action {
        "login" => "Inloggning",
        "login_failed" => "Misslyckad inloggning",
        "login_throttled" => "Inloggning spärrad tillfälligt",
        "logout" => "Utloggning",
        "access_denied" => "Nekad åtkomst",
        "csrf_rejected" => "Avvisad begäran (CSRF)",
        "password_changed" => "Lösenord bytt",
        "password_reset_requested" => "Återställning begärd",
        "password_reset" => "Lösenord återställt",
        "user_created" => "Användare skapad",
        "user_updated" => "Användare ändrad",
        "user_disabled" => "Användare inaktiverad",
        "unit_created" => "Enhet skapad",
        "unit_updated" => "Enhet ändrad",
        "deadlines_changed" => "Svarsfrister ändrade",
        "payment_settings_changed" => "Betalningsinställningar ändrade",
        "review_basis_published" => "Granskningsunderlag publicerat",
        "corrections_applied" => "Rättelser tillämpade",
        "mail_retried" => "E-post skickas igen",
        "review_basis_answered" => "Granskningsunderlag besvarat",
        "second_factor_enabled" => "Tvåstegsverifiering aktiverad",
        "second_factor_removed" => "Tvåstegsverifiering avstängd",
        "download" => "Nedladdning",
        "sso_linked" => "Konto kopplat till inloggningstjänst",
        "sso_user_created" => "Användare skapad vid inloggning (obekräftad)",
        "sso_refused" => "Inloggning via inloggningstjänst nekad",
        "provider_created" => "Inloggningstjänst tillagd",
        "provider_changed" => "Inloggningstjänst ändrad",
        _ => "Händelse",
    }
}

/// Who did it, from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub ip: Option<String>,
}

pub fn record(conn: &mut DbConn, actor: &Actor, action: Action, target: Option<&str>, detail: &str) -> QueryResult<()> {
    let id = super::new_id();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(id),
            audit_log::at.eq(at),
            audit_log::actor_id.eq(&actor.user_id),
            audit_log::actor_email.eq(&actor.email),
            audit_log::ip.eq(&actor.ip),
            audit_log::action.eq(action.as_str()),
            audit_log::target.eq(target),
            audit_log::detail.eq(detail),
        ))
        .execute(c))?;
    Ok(())
}

/// Events of one kind from one address within a window that are logged one by one; past
/// that, one row says the rest are not, so nobody can grow the log without bound.
pub const BOUNDED_PER_WINDOW: i64 = 50;
pub const BOUND_WINDOW_MINUTES: i64 = 15;

/// Like [`record`], for events anyone can cause (refused tokens, refused access, throttled
/// logins): at most [`BOUNDED_PER_WINDOW`] rows per address and kind in the window.
pub fn record_bounded(conn: &mut DbConn, actor: &Actor, action: Action, target: Option<&str>, detail: &str) -> QueryResult<()> {
    let since = now() - chrono::Duration::minutes(BOUND_WINDOW_MINUTES);
    let ip = actor.ip.clone().unwrap_or_default();
    let recent: i64 = db_run!(conn, |c| audit_log::table
        .filter(audit_log::ip.eq(&ip))
        .filter(audit_log::action.eq(action.as_str()))
        .filter(audit_log::at.ge(since))
        .count()
        .get_result(c))?;
    match recent {
        n if n < BOUNDED_PER_WINDOW - 1 => record(conn, actor, action, target, detail),
        n if n == BOUNDED_PER_WINDOW - 1 => {
            let note = format!("{detail}; further events of this kind from this address are not logged for {BOUND_WINDOW_MINUTES} minutes");
            record(conn, actor, action, target, &note)
        }
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: String,
}

impl Entry {
    pub fn action_label(&self) -> &'static str {
        action_label(&self.action)
    }
}

/// Newest first; `action` narrows to one kind; one page of `per_page` after `offset`.
pub fn page(conn: &mut DbConn, action: Option<&str>, offset: i64, per_page: i64) -> QueryResult<Vec<Entry>> {
    db_run!(conn, |c| {
        let mut query = audit_log::table.select(Entry::as_select()).into_boxed();
        if let Some(action) = action {
            query = query.filter(audit_log::action.eq(action));
        }
        query.order(audit_log::id.desc()).offset(offset).limit(per_page).load(c)
    })
}

pub fn count(conn: &mut DbConn, action: &str) -> QueryResult<i64> {
    db_run!(conn, |c| audit_log::table.filter(audit_log::action.eq(action)).count().get_result(c))
}
