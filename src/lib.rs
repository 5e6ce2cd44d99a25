//! sitelint: a declarative policy linter for Microsoft Configuration Manager sites.
//!
//! Rule files are read as [`document`]s, compiled by [`rules`] through the registry of kinds
//! in [`checks`], and evaluated by the [`engine`] against a [`snapshot`] of the environment,
//! which yields the neutral [`finding`] model that the [`report`] renderers turn into text.
//! [`collect`] writes live sources into a portable snapshot, with endpoint probes;
//! [`rule_tests`] runs the test cases kept beside rule files. The library never prints:
//! [`cli::run`] writes to the writers it is given.

pub mod authenticode;
pub mod baseline;
pub mod checks;
pub mod cli;
pub mod collect;
pub mod document;
pub mod engine;
pub mod files;
pub mod finding;
pub mod pack_manifest;
mod parallel;
pub mod readers;
pub mod report;
pub mod rule_tests;
pub mod rules;
pub mod schema;
pub mod site_config;
pub mod sites;
pub mod snapshot;
pub mod sources;
pub mod target;
