//! Files people write (rule files, snapshot manifests, site configs): YAML with the span of
//! every value, typed field reading that collects every mistake, text decoding as Windows
//! writes it, and the diagnostics that point into the file.

pub mod date;
pub mod diag;
pub mod fields;
pub mod text;
pub mod yaml;
