//! One error type for every handler. Each variant renders a Swedish page inside the layout
//! with the right status; nothing a user sends ends in a panic or a bare 500.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("request refused: missing or wrong CSRF token")]
    Csrf,
    #[error("payload too large")]
    TooLarge,
    #[error("internal error: {0}")]
    Internal(String),
    /// The database does not answer (restarting, unreachable): a 503 the client may retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, info) => {
                AppError::Unavailable(info.message().to_owned())
            }
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(format!("worker: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: super::page::Page,
    status: u16,
    heading: &'a str,
    message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (heading, message): (&str, &str) = match self {
            AppError::NotFound => ("Sidan finns inte", "Sidan du söker finns inte, eller så har du inte behörighet att se den."),
            AppError::Forbidden(why) => ("Åtkomst nekad", why),
            AppError::BadRequest(why) => ("Felaktig begäran", why),
            AppError::Conflict(why) => ("Det gick inte att genomföra", why),
            AppError::Csrf => ("Begäran avvisades", "Formuläret saknade en giltig säkerhetskod. Ladda om sidan och försök igen."),
            AppError::TooLarge => ("För mycket data", "Det du skickade är för stort."),
            AppError::Internal(detail) => {
                log::error!("{detail}");
                ("Något gick fel", "Ett tekniskt fel uppstod. Försök igen om en stund. Felet har loggats.")
            }
            AppError::Unavailable(detail) => {
                log::warn!("database unavailable: {detail}");
                ("Tjänsten är inte tillgänglig just nu", "Tjänsten når inte sin databas. Försök igen om en liten stund.")
            }
        };
        let status = self.status_code();
        let page = ErrorPage { ctx: super::page::Page::anonymous(), status: status.as_u16(), heading, message };
        let body = page.render().unwrap_or_else(|_| message.to_owned());
        let mut response = HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body);
        if let AppError::Forbidden(why) = self {
            response.extensions_mut().insert(super::guard::Refused(why));
        }
        if let AppError::Unavailable(_) = self {
            response.headers_mut().insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from_static("5"));
        }
        response
    }
}

/// Extractor failures (a form or path that cannot be read) become a Swedish 400 page.
pub fn bad_input(err: impl std::fmt::Display) -> actix_web::Error {
    log::debug!("unreadable input: {err}");
    AppError::BadRequest("Uppgifterna kunde inte läsas. Kontrollera formuläret och försök igen.".into()).into()
}
