//! What the audit log records: each kind of event it keeps, the text it is stored as, and
//! its name on the administrators' log page.

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

    pub fn parse(text: &str) -> Option<Action> {
        ALL_ACTIONS.into_iter().find(|a| a.as_str() == text)
    }

    /// As the administrators' log page names it.
    pub fn label(self) -> &'static str {
        match self {
            Action::Login => "Inloggning",
            Action::LoginFailed => "Misslyckad inloggning",
            Action::LoginThrottled => "Inloggning spärrad tillfälligt",
            Action::Logout => "Utloggning",
            Action::AccessDenied => "Nekad åtkomst",
            Action::CsrfRejected => "Avvisad begäran (CSRF)",
            Action::PasswordChanged => "Lösenord bytt",
            Action::PasswordResetRequested => "Återställning begärd",
            Action::PasswordReset => "Lösenord återställt",
            Action::UserCreated => "Användare skapad",
            Action::UserUpdated => "Användare ändrad",
            Action::UserDisabled => "Användare inaktiverad",
            Action::UnitCreated => "Enhet skapad",
            Action::UnitUpdated => "Enhet ändrad",
            Action::DeadlinesChanged => "Svarsfrister ändrade",
            Action::PaymentSettingsChanged => "Betalningsinställningar ändrade",
            Action::ReviewBasisPublished => "Granskningsunderlag publicerat",
            Action::ReviewBasisAnswered => "Granskningsunderlag besvarat",
            Action::CorrectionsApplied => "Rättelser tillämpade",
            Action::MailRetried => "E-post skickas igen",
            Action::SecondFactorEnabled => "Tvåstegsverifiering aktiverad",
            Action::SecondFactorRemoved => "Tvåstegsverifiering avstängd",
            Action::Download => "Nedladdning",
            Action::SsoLinked => "Konto kopplat till inloggningstjänst",
            Action::SsoUserCreated => "Användare skapad vid inloggning (obekräftad)",
            Action::SsoRefused => "Inloggning via inloggningstjänst nekad",
            Action::ProviderCreated => "Inloggningstjänst tillagd",
            Action::ProviderChanged => "Inloggningstjänst ändrad",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_text_and_has_its_own_label() {
        for action in ALL_ACTIONS {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        let labels: std::collections::BTreeSet<_> = ALL_ACTIONS.iter().map(|a| a.label()).collect();
        assert_eq!(labels.len(), ALL_ACTIONS.len());
        assert_eq!(Action::parse("Login"), None);
    }
}
