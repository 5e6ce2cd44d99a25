//! Renderers: the same [`Report`] for a person (miette diagnostics), for a script (JSON), for
//! review tooling (SARIF), for the change record (HTML), for a pull request (Markdown) or for
//! a CI dashboard (JUnit). Each format is one module implementing [`Render`] and one line in
//! [`FORMATS`]; renderers read only the neutral finding model.
//!
//! **The one rule for text from a file.** Everything a report shows that came from an input
//! (a log line, a path or folder name, a host, a param, a waiver's reason, a rule file's
//! message) is data in every output, never its syntax, and never more than one line where
//! the output is made of lines:
//!
//! - terminal (human, and stderr): through [`visible`](crate::document::text::visible), so no
//!   control or bidirectional character acts on the terminal; where the text must stay on its
//!   line (a snapshot's name in the table of snapshots, a prefix of a stderr line) through
//!   [`visible_line`](crate::document::text::visible_line), which writes a line feed as `\n`;
//! - Markdown: in a code span ([`markdown::escape`]), the one construct inside which GitHub
//!   makes nothing live: no mention, no issue reference, no link of a bare URL, no emphasis
//!   or HTML; line ends as spaces, `|` escaped in table cells;
//! - HTML and JUnit: made visible, then `&<>"'` escaped ([`html::escape`]); the only link
//!   made from an input is a rule's `url:`, and only an `http(s)` one;
//! - SARIF and JSON: the text as it is, in JSON strings (a reader of data, not a terminal); a
//!   path becomes a URI only percent-encoded, segment by segment ([`uri`]).

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

use crate::files::slash_path;
use crate::finding::{BaselineTotals, Finding, Location, Report, Site, SnapshotInfo, Suppression, Totals};

/// `2 read errors (exit 2)` for a snapshot whose sources could not all be read, which every
/// format's table of snapshots must show: its rules read "not evaluated", which alone does
/// not say the run failed.
pub fn read_errors(report: &Report) -> Option<String> {
    (!report.errors.is_empty()).then(|| {
        format!(
            "{} (exit 2)",
            crate::document::text::plural(report.errors.len(), "read error", "read errors")
        )
    })
}

/// Findings with one cause: the same rule and the same help. The reports for people show the
/// help once per cause, not under each finding (a rule's 9-line help under each of its 17
/// endpoints hid the findings).
pub struct Cause<'f> {
    pub findings: Vec<&'f Finding>,
}

impl<'f> Cause<'f> {
    /// The first finding: its rule, severity, help and url stand for the cause's.
    pub fn first(&self) -> &'f Finding {
        self.findings[0]
    }
}

/// `findings` grouped by cause, each cause where its first finding is, its findings in order.
pub fn causes<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> Vec<Cause<'f>> {
    let mut causes: Vec<Cause<'f>> = Vec::new();
    for finding in findings {
        let same = |cause: &&mut Cause<'f>| {
            let first = cause.first();
            first.rule_id == finding.rule_id && first.help == finding.help && first.severity == finding.severity
        };
        match causes.iter_mut().find(same) {
            Some(cause) => cause.findings.push(finding),
            None => causes.push(Cause {
                findings: vec![finding],
            }),
        }
    }
    causes
}

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
    /// `-v`: the terminal lists the rules not evaluated rule by rule.
    pub verbose: bool,
    /// The absolute directory sitelint ran in: relative paths resolve against it.
    pub working_dir: &'a Path,
}

/// What a report is of: the one snapshot of a check, or the several of a check of many, in
/// the order they were given. A renderer writes both through one path where their documents
/// have one shape.
#[derive(Clone, Copy)]
pub enum Snapshots<'a> {
    One(&'a Report),
    Several(&'a [Site]),
}

impl<'a> Snapshots<'a> {
    /// Each snapshot's report, named when there are several.
    pub fn reports(self) -> impl Iterator<Item = (Option<&'a str>, &'a Report)> {
        let (one, several) = match self {
            Snapshots::One(report) => (Some(report), &[][..]),
            Snapshots::Several(sites) => (None, sites),
        };
        let named = several.iter().map(|site| (Some(site.name.as_str()), &site.report));
        one.map(|report| (None, report)).into_iter().chain(named)
    }

    /// The counts of the whole run, and of its comparison with a baseline.
    pub fn totals(self) -> (Totals, Option<BaselineTotals>) {
        match self {
            Snapshots::One(report) => (report.totals(), report.baseline_totals()),
            Snapshots::Several(sites) => crate::finding::totals_of(sites),
        }
    }
}

/// A report format.
pub trait Render: Sync {
    fn render_snapshots(&self, snapshots: Snapshots<'_>, context: &RenderContext<'_>) -> String;

    fn render(&self, report: &Report, context: &RenderContext<'_>) -> String {
        self.render_snapshots(Snapshots::One(report), context)
    }

    fn render_sites(&self, sites: &[Site], context: &RenderContext<'_>) -> String {
        self.render_snapshots(Snapshots::Several(sites), context)
    }
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

/// A waiver's line, its config named as [`for_people`] names it.
pub fn waiver_place(waiver: &Suppression, snapshot: &SnapshotInfo, working_dir: &Path) -> String {
    format!(
        "{}:{}",
        for_people(&waiver.location.path, snapshot, working_dir),
        waiver.location.line.unwrap_or(1)
    )
}

/// A path of a report (relative to the snapshot) as a person reads it: inside the snapshot as
/// every report names it (`logs/ConfigMgrSetup.log`); outside it (a waiver's site config,
/// `../../sitelint.yaml`) from the directory sitelint ran in, where they typed the command.
pub fn for_people(path: &str, snapshot: &SnapshotInfo, working_dir: &Path) -> String {
    let given = Path::new(path);
    let inside = given.is_relative() && !given.starts_with("..");
    if inside {
        return slash_path(path).into_owned();
    }
    let dir = snapshot
        .path
        .as_deref()
        .and_then(|manifest| Path::new(manifest).parent())
        .unwrap_or(Path::new(""));
    let mut resolved = std::path::PathBuf::new();
    for component in working_dir.join(dir).join(given).components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                resolved.pop();
            }
            other => resolved.push(other),
        }
    }
    let shown = resolved.strip_prefix(working_dir).unwrap_or(&resolved);
    slash_path(&shown.display().to_string()).into_owned()
}

impl Format {
    pub fn default_format() -> Format {
        FORMATS[0]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_report() -> Report {
        Report {
            snapshot: Default::default(),
            ruleset: Default::default(),
            findings: Vec::new(),
            rules: Vec::new(),
            errors: Vec::new(),
            read_as: Vec::new(),
            baseline: None,
        }
    }

    #[test]
    fn one_snapshot_is_one_unnamed_report_and_several_are_named_in_order() {
        let report = empty_report();
        let one: Vec<Option<&str>> = Snapshots::One(&report).reports().map(|(name, _)| name).collect();
        assert_eq!(one, [None]);
        let sites = ["west", "east"].map(|name| Site {
            name: name.to_owned(),
            report: empty_report(),
        });
        let several: Vec<Option<&str>> = Snapshots::Several(&sites).reports().map(|(name, _)| name).collect();
        assert_eq!(several, [Some("west"), Some("east")]);
        assert!(Snapshots::Several(&[]).reports().next().is_none());
    }

    /// Unix paths: a Windows `/site` has no drive, and is not the absolute path it stands for.
    #[cfg(not(windows))]
    #[test]
    fn a_path_outside_the_snapshot_is_named_from_the_working_directory() {
        let snapshot = SnapshotInfo {
            path: Some("snapshots/a/snapshot.yaml".to_owned()),
            ..SnapshotInfo::default()
        };
        let here = Path::new("/site");
        assert_eq!(for_people("logs/a.log", &snapshot, here), "logs/a.log");
        assert_eq!(for_people("../../sitelint.yaml", &snapshot, here), "sitelint.yaml");
        assert_eq!(for_people("../../../etc/c.yaml", &snapshot, here), "/etc/c.yaml");
        // Live sources: the paths are the working directory's own.
        assert_eq!(
            for_people("sitelint.yaml", &SnapshotInfo::default(), here),
            "sitelint.yaml"
        );
    }
}
