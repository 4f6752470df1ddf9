//! E-mail: what happens becomes queued messages in the same transaction (`notify`), and a
//! worker delivers the queue (`worker`). Who is told what, and when, is in `domain::notify`.

pub mod notify;
pub mod worker;

pub use worker::{Clock, Worker};
