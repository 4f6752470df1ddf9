//! The agreement as pure code: no I/O, unit-tested beside each rule.

pub mod access;
pub mod commitments;
pub mod registry;
pub mod text;
