//! Small value types for user input, built at the edge so the rest of the code can trust them.
//! Each error carries a Swedish message meant to be shown next to the field.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

pub const EMAIL_MAX: usize = 254;
pub const NAME_MAX: usize = 200;
pub const PASSWORD_MIN: usize = 12;
/// Argon2 accepts far more, but nobody types this much and hashing huge inputs costs CPU.
pub const PASSWORD_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError(pub &'static str);

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Email {
    /// Accepts `local@domain.tld` (no spaces, one @, a dot in the domain), stored lower-case.
    pub fn parse(input: &str) -> Result<Email, FieldError> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err(FieldError("Ange en e-postadress."));
        }
        if email.chars().count() > EMAIL_MAX {
            return Err(FieldError("E-postadressen är för lång (högst 254 tecken)."));
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if valid {
            Ok(Email(email))
        } else {
            Err(FieldError("Ange en giltig e-postadress, till exempel namn@kommun.se."))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trimmed, non-empty text of at most `max` characters, without control characters.
/// A date typed as `ÅÅÅÅ-MM-DD` (the form fields are text, so the browser's locale does not
/// change what is sent); empty is `None` unless `required` gives the message.
/// `str::trim`, without its look for Unicode white space where both ends are plainly none
/// (visible ASCII, as in almost every field of an episode file): it runs for several fields
/// of every row.
pub fn trimmed(field: &str) -> &str {
    let plain = |end: Option<&u8>| end.is_some_and(u8::is_ascii_graphic);
    if plain(field.as_bytes().first()) && plain(field.as_bytes().last()) {
        field
    } else {
        field.trim()
    }
}

pub fn date(value: &str, required: Option<&'static str>) -> Result<Option<chrono::NaiveDate>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return match required {
            Some(message) => Err(FieldError(message)),
            None => Ok(None),
        };
    }
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map(Some).map_err(|_| FieldError("Ange datumet som ÅÅÅÅ-MM-DD, till exempel 2026-11-23."))
}

pub fn required_line(input: &str, max: usize, what: &'static str) -> Result<String, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError(what));
    }
    if text.chars().count() > max {
        return Err(FieldError("Texten är för lång."));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError("Texten innehåller otillåtna tecken."));
    }
    if super::personnummer::contains(text) {
        return Err(FieldError(IDENTITY_NUMBER));
    }
    Ok(text.to_owned())
}

const IDENTITY_NUMBER: &str =
    "Texten innehåller ett personnummer eller samordningsnummer. Tjänsten får inte innehålla patientuppgifter – ta bort numret.";

/// A new password as typed twice by the user.
pub fn new_password(password: &str, repeated: &str) -> Result<String, FieldError> {
    let length = password.chars().count();
    if length < PASSWORD_MIN {
        return Err(FieldError("Lösenordet måste ha minst 12 tecken."));
    }
    if length > PASSWORD_MAX {
        return Err(FieldError("Lösenordet får ha högst 200 tecken."));
    }
    if password != repeated {
        return Err(FieldError("Lösenorden stämmer inte överens."));
    }
    Ok(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_is_trim() {
        for field in ["", " ", "0127", " 0127", "0127\t", "\u{a0}ja\u{a0}", "ja\u{2003}", "a b", "x"] {
            assert_eq!(trimmed(field), field.trim(), "{field:?}");
        }
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Anna.Berg@Botkyrka.SE ").unwrap().as_str(), "anna.berg@botkyrka.se");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in ["", "anna", "anna@", "@botkyrka.se", "anna@botkyrka", "an na@botkyrka.se", "a@b@c.se", "anna@.se", "anna@se."] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@botkyrka.se", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn required_lines_are_bounded() {
        assert_eq!(required_line("  Anna  ", 10, "Ange namn."), Ok("Anna".into()));
        assert_eq!(required_line("   ", 10, "Ange namn."), Err(FieldError("Ange namn.")));
        assert!(required_line(&"x".repeat(11), 10, "Ange namn.").is_err());
        assert!(required_line("a\u{0}b", 10, "Ange namn.").is_err());
        assert!(required_line("Anna 811218-9876", 100, "Ange namn.").is_err());
    }

    #[test]
    fn passwords_need_length_and_must_match() {
        assert!(new_password("kort", "kort").is_err());
        assert!(new_password("ett-langt-losenord", "ett-annat-losenord").is_err());
        assert!(new_password(&"x".repeat(201), &"x".repeat(201)).is_err());
        assert_eq!(new_password("ett-langt-losenord", "ett-langt-losenord"), Ok("ett-langt-losenord".into()));
    }
}

/// Free text of a case (title, description, reason, comment): bounded, and never holding a
/// personal identity number, since cases carry no patient identity.
pub fn case_text(input: &str, max: usize, required: Option<&'static str>) -> Result<String, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return match required {
            Some(message) => Err(FieldError(message)),
            None => Ok(String::new()),
        };
    }
    if text.chars().count() > max {
        return Err(FieldError("Texten är för lång."));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError("Texten innehåller otillåtna tecken."));
    }
    if super::personnummer::contains(text) {
        return Err(FieldError(IDENTITY_NUMBER));
    }
    Ok(text.replace("\r\n", "\n"))
}

#[cfg(test)]
mod case_text_tests {
    use super::*;

    #[test]
    fn case_text_refuses_identity_numbers_and_keeps_line_breaks() {
        assert!(case_text("Patient 811218-9876 fick vänta", 1000, None).is_err());
        assert_eq!(case_text("Rad ett\r\nRad två", 1000, None), Ok("Rad ett\nRad två".into()));
        assert_eq!(case_text("  ", 1000, Some("Ange en rubrik.")), Err(FieldError("Ange en rubrik.")));
        assert_eq!(case_text("", 1000, None), Ok(String::new()));
        assert!(case_text(&"x".repeat(11), 10, None).is_err());
    }
}
