//! Renderers: the same [`Report`](crate::finding::Report) for a person (miette diagnostics),
//! for a script (JSON) or for review tooling (SARIF). Each format lives in its own module and
//! reads only the neutral finding model.

pub mod human;
pub mod json;
pub mod sarif;

use std::fmt;
use std::str::FromStr;

/// The report formats `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

impl Format {
    pub const NAMES: &[&str] = &["human", "json", "sarif"];
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            other => Err(format!(
                "unknown format `{other}` (formats: {})",
                Format::NAMES.join(", ")
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
        })
    }
}
