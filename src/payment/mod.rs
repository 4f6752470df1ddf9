//! The payment model's application services, between the web (and the command line) and the
//! store: importing episode files into versions, and calculating months from a file or from
//! the stored episodes. The rules themselves are in `domain::payment`.

pub mod calc;
pub mod import;
