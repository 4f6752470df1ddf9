//! Field-level error messages for forms, shown next to each field.

use crate::domain::text::FieldError;

#[derive(Default, Debug, Clone)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
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
}

/// A form's key against being carried out twice (see `store::submissions`), where the
/// posted value is a well-formed one.
pub fn submission_key(value: &str) -> Option<String> {
    Some(value).filter(|k| crate::store::submissions::plausible(k)).map(str::to_owned)
}

/// An urlencoded form read as pairs, for forms with repeated fields (several counterparts)
/// that serde's urlencoded reader cannot take.
#[derive(Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every non-empty value of `name`, in order.
    /// The form's key against being carried out twice, where it carries a well-formed one.
    pub fn submission(&self) -> Option<String> {
        submission_key(self.get("submission"))
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_owned()).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_follow_the_forms_order_and_unlisted_fields_come_last() {
        let mut errors = FieldErrors::default();
        errors.add("description", "Beskriv.");
        errors.add("other", "Annat.");
        errors.add("title", "Rubrik.");
        let ordered = errors.ordered(&["title", "description"]);
        assert_eq!(ordered.all().map(|(f, _)| f).collect::<Vec<_>>(), ["title", "description", "other"]);
    }
}
