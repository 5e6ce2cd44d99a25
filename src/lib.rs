//! sitelint: a declarative policy linter for Microsoft Configuration Manager sites.
//!
//! YAML rules are compiled ([`rules`], one module per kind in [`checks`]) and evaluated
//! against a snapshot of the environment ([`snapshot`]) by the [`engine`], which produces the
//! neutral [`finding`] model that the [`report`] renderers turn into text. [`collect`] writes
//! live sources into a portable snapshot, with endpoint [`probe`]s. The library never
//! prints: [`cli::run`] writes to the writers it is given.

pub mod checks;
pub mod cli;
pub mod collect;
pub mod config;
pub mod console;
pub mod diag;
pub mod endpoints;
pub mod engine;
pub mod files;
pub mod finding;
pub mod hresult;
pub mod logscan;
pub mod probe;
pub mod report;
pub mod rules;
pub mod snapshot;
pub mod template;
pub mod text;
pub mod yaml;
