//! Renderers: the same [`Report`] for a person (miette diagnostics), for a script (JSON), for
//! review tooling (SARIF), for the change record (HTML), for a pull request (Markdown) or for
//! a CI dashboard (JUnit). Each format is one module implementing [`Render`] and one line in
//! [`FORMATS`]; renderers read only the neutral finding model.

pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod steps;
pub mod uri;

use std::fmt;
use std::path::Path;

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::files::slash_path;
use crate::finding::{Location, Report, Site, Suppression};

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
    /// The report of a check of several snapshots, in the order they were given.
    fn render_sites(&self, sites: &[Site], context: &RenderContext<'_>) -> String;
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
    Format {
        name: "html",
        renderer: &html::Html,
    },
    Format {
        name: "markdown",
        renderer: &markdown::Markdown,
    },
    Format {
        name: "junit",
        renderer: &junit::Junit,
    },
];

/// `logs/ConfigMgrSetup.log:15:8`: a place as the files for people and dashboards write it,
/// with `/` on every platform (the file is read on other machines than the one that wrote it).
pub fn place(location: &Location) -> String {
    let mut text = slash_path(&location.path).into_owned();
    if let Some(line) = location.line {
        text.push_str(&format!(":{line}"));
        if let Some(column) = location.column {
            text.push_str(&format!(":{column}"));
        }
    }
    text
}

/// A waiver's line, its config named from the directory sitelint ran in.
pub fn waiver_place(waiver: &Suppression, working_dir: &Path) -> String {
    let config = Path::new(&waiver.location.path);
    let config = config.strip_prefix(working_dir).unwrap_or(config);
    format!(
        "{}:{}",
        slash_path(&config.display().to_string()),
        waiver.location.line.unwrap_or(1)
    )
}

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
