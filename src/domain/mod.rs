//! The agreement as pure code: no I/O, unit-tested beside each rule.

pub mod access;
pub mod audit;
pub mod calendar;
pub mod commitments;
pub mod deadlines;
pub mod episodes;
pub mod ladder;
pub mod notify;
pub mod payment;
pub mod personnummer;
pub mod registry;
pub mod reports;
pub mod review;
pub mod sso;
pub mod text;
