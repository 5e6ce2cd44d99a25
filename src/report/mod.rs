//! Renderers: the same [`Report`] for a person (miette diagnostics), for a script (JSON) or
//! for review tooling (SARIF). Each format is one module implementing [`Render`] and one line
//! in [`FORMATS`]; renderers read only the neutral finding model.

pub mod human;
pub mod json;
pub mod sarif;
pub mod uri;

use std::fmt;
use std::path::Path;

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::finding::Report;

/// What a renderer may need besides the report.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// How the terminal draws, for a report written to standard output.
    pub style: human::Style,
    /// Only the summary (`-q`).
    pub quiet: bool,
    /// The report goes to a file, not to the terminal.
    pub to_file: bool,
    /// Show findings a waiver suppressed (machine-readable reports always carry them).
    pub show_suppressed: bool,
    /// The absolute directory sitelint ran in: relative paths resolve against it.
    pub working_dir: &'a Path,
}

/// A report format.
pub trait Render: Sync {
    fn render(&self, report: &Report, context: &RenderContext<'_>) -> String;
}

/// A format `--format` accepts, by name.
#[derive(Clone, Copy)]
pub struct Format {
    pub name: &'static str,
    pub renderer: &'static dyn Render,
}

/// Every report format, the default first.
pub static FORMATS: &[Format] = &[
    Format {
        name: "human",
        renderer: &human::Human,
    },
    Format {
        name: "json",
        renderer: &json::Json,
    },
    Format {
        name: "sarif",
        renderer: &sarif::Sarif,
    },
];

impl Format {
    pub fn default_format() -> Format {
        FORMATS[0]
    }
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        FORMATS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name))
    }
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
