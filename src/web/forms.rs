//! Posted forms as they arrive, and the field-level errors shown next to each field.

use super::error::AppError;
use crate::domain::text::FieldError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Default, Debug, Clone)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// One error, at `field`: a form that stops at its first.
    pub fn one(field: &'static str, message: impl Into<String>) -> FieldErrors {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// Keeps the value of a parsed field, or records why it was refused.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|e| self.add(field, e.0)).ok()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors in the order of `fields` (the form's own order, which the summary follows);
    /// fields not listed come last.
    pub fn ordered(mut self, fields: &[&str]) -> FieldErrors {
        self.0.sort_by_key(|(field, _)| fields.iter().position(|f| f == field).unwrap_or(fields.len()));
        self
    }

    pub fn all(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(f, m)| (*f, m.as_str()))
    }

    /// The fields with an error, in order: what a parser's unit test compares.
    #[cfg(test)]
    pub fn fields(&self) -> Vec<&'static str> {
        self.all().map(|(f, _)| f).collect()
    }
}

/// A form's key against being carried out twice (see `store::submissions`), where the
/// posted value is a well-formed one.
pub fn submission_key(value: &str) -> Option<String> {
    Some(value).filter(|k| crate::store::submissions::plausible(k)).map(str::to_owned)
}

/// A posted urlencoded form read into `T`: each form's `Posted…` struct, whose fields are
/// the text as sent (a repeated field, such as several counterparts, into a `Vec`), parsed
/// from there into the form's typed value. A body that is not a form is a 400.
pub struct Posted<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| AppError::BadRequest(format!("Formuläret kom inte fram helt: {e}")))?;
            read(&body).map(Posted)
        })
    }
}

/// `T` from an urlencoded body (also a query string, for a form filled in in advance).
pub fn read<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_html_form::from_bytes(body).map_err(|e| {
        log::debug!("unreadable form: {e}");
        AppError::BadRequest("Uppgifterna kunde inte läsas. Kontrollera formuläret och försök igen.".into())
    })
}

/// The non-empty values of a repeated field, trimmed, in the order sent.
pub fn chosen(values: &[String]) -> Vec<String> {
    values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

/// A form with no field but its key (a button that does one thing).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct KeyOnly {
    pub submission: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Sample {
        title: String,
        counterpart: Vec<String>,
    }

    #[test]
    fn a_repeated_field_is_read_into_a_vec_and_an_unknown_one_is_ignored() {
        let sample: Sample = read(b"title=Sent+besked&counterpart=hsf&counterpart=+&counterpart=+botkyrka&csrf=x").unwrap();
        assert_eq!(sample.title, "Sent besked");
        assert_eq!(chosen(&sample.counterpart), ["hsf", "botkyrka"]);
        assert!(read::<Sample>(b"").unwrap().counterpart.is_empty());
    }

    #[test]
    fn a_single_field_sent_twice_is_refused_not_guessed() {
        assert!(matches!(read::<Sample>(b"title=a&title=b"), Err(AppError::BadRequest(_))));
    }

    #[test]
    fn errors_follow_the_forms_order_and_unlisted_fields_come_last() {
        let mut errors = FieldErrors::default();
        errors.add("description", "Beskriv.");
        errors.add("other", "Annat.");
        errors.add("title", "Rubrik.");
        let ordered = errors.ordered(&["title", "description"]);
        assert_eq!(ordered.fields(), ["title", "description", "other"]);
    }
}
