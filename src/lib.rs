//! Tvistetrappa: deviations, payment disputes and the payment model of the discharge
//! agreement between Region Stockholm and the county's municipalities (LUS, 2017:612).

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod mail;
pub mod payment;
pub mod proxies;
pub mod security;
pub mod sso;
pub mod store;
pub mod web;
