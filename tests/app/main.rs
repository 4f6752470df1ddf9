//! The one integration-test binary: HTTP tests against the real app on both databases.

mod access;
mod admin;
mod auth;
mod browser;
mod cases;
mod cli;
mod forms;
mod helpers;
mod ladder;
mod layout;
mod money;
mod notifications;
mod pages;
mod payment;
mod registry;
mod reports;
mod resilience;
mod routes;
mod schema;
mod security;
mod smtp;
mod sso;
