//! What every page's layout needs: the signed-in user (if any) and the CSRF token.

use crate::domain::access::Role;

#[derive(Clone, Default)]
pub struct Page {
    pub user: Option<PageUser>,
    pub csrf: String,
    /// A one-line confirmation shown at the top ("Lösenordet är bytt.").
    pub notice: Option<&'static str>,
}

#[derive(Clone)]
pub struct PageUser {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub organisation_name: String,
    pub idle_minutes: i64,
}

impl Page {
    pub fn anonymous() -> Page {
        Page::default()
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Admin)
    }

    /// A fresh key for one form on the page (see `store::submissions`): each form gets its
    /// own, so that one form's answer is never taken for another's.
    pub fn form_key(&self) -> String {
        crate::security::random_token()
    }

    pub fn with_notice(mut self, notice: Option<&'static str>) -> Page {
        self.notice = notice;
        self
    }
}

/// Confirmations passed in the query string after a redirect (`?klart=losenord`); only these
/// fixed texts can be shown, so the parameter cannot inject anything.
/// The query of a page reached after a change: `?klart=` names what was done.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    pub klart: Option<String>,
}

pub fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "losenord" => Some("Ditt lösenord är bytt. Andra inloggningar har loggats ut."),
        "aterstallt" => Some("Ditt lösenord är sparat. Logga in med det nya lösenordet."),
        "utloggad" => Some("Du är utloggad."),
        "anvandare" => Some("Användaren är sparad."),
        "betalning" => Some("Inställningen är sparad och alla månader är beräknade på nytt."),
        "publicerat" => Some("Granskningsunderlaget är publicerat. Kommunerna ser det nu."),
        "godkant" => Some("Granskningsunderlaget är godkänt."),
        "import" => Some("Filen är importerad. Den är nu gällande version för månaderna den innehåller."),
        "enhet" => Some("Enheten är sparad."),
        "frister" => Some("Svarsfristerna är sparade. De gäller ärenden som når en nivå från och med nu."),
        "sparat" => Some("Ändringen är sparad."),
        "inloggning" => Some("Inloggningstjänsten är sparad."),
        "igen" => Some("Meddelandet ligger i kön igen och skickas strax, med samma meddelande-id."),
        _ => None,
    }
}
