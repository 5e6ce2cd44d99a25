//! Files people write (rule files, snapshot manifests, site configs): YAML with the span of
//! every value, typed field reading that collects every mistake, text decoding as Windows
//! writes it, the diagnostics that point into the file, and where a rule was defined.

pub mod date;
pub mod diag;
pub mod fields;
pub mod origin;
pub mod text;
pub mod yaml;
