//! The rule kinds, one module each, behind one registry ([`KINDS`]). A kind reads its own
//! fields, names the source it needs, and turns that source into findings; everything common
//! to all rules (ids, severities, templates, selection, reporting) lives outside the kinds.
//! Adding a kind means one new module and one line in [`KINDS`].

mod forbidden_log_pattern;
mod manifest_hashes;
mod recent_log_event;
mod required_endpoints;
mod required_files;
mod required_installed_program;
mod required_log_pattern;
mod required_registry_value;
mod required_update_version;
mod signed_files;
mod site_versions;
mod target_requirement;
mod unexplained_log_lines;
mod zero_byte_files;

pub mod context;
pub mod evidence;
pub mod hresult;
pub mod template;

pub use context::{Context, Params};

use std::fmt;

use globset::GlobSet;

use crate::document::fields::{Document, Fields, Sp};
use crate::document::yaml::Value;
use crate::finding::{Excerpt, Location, MAX_FINDINGS_PER_RULE, Outcome};
use crate::readers::console::ConsoleExport;
use crate::readers::endpoints::{Endpoints, Required};
use crate::readers::log::{LogQuery, Pattern, QueryResult, Role, Scope};
use crate::readers::registry::Registry;
use crate::readers::sites::SitesExport;
use crate::readers::tree::{Tree, TreeFile};

/// A rule kind: its name in rule files and how to compile a rule of that kind.
pub struct Kind {
    pub name: &'static str,
    /// What a rule of the kind reports, in one sentence (the schema's description of it).
    pub summary: &'static str,
    /// Reads the kind's own fields; `None` after recording problems.
    pub compile: fn(&mut Context<'_, '_>) -> Option<Box<dyn Check>>,
}

/// Every rule kind sitelint knows, in the order the docs list them.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "forbidden-log-pattern",
        summary: "One finding per log entry that matches `pattern`.",
        compile: forbidden_log_pattern::compile,
    },
    Kind {
        name: "unexplained-log-lines",
        summary: "One finding per log entry that matches `pattern` (the writer's mark of an error or warning) and that no other rule reporting entries of the log, nor a `normal` pattern, explains.",
        compile: unexplained_log_lines::compile,
    },
    Kind {
        name: "required-log-pattern",
        summary: "One finding when fewer than `min-count` log entries match `pattern`.",
        compile: required_log_pattern::compile,
    },
    Kind {
        name: "zero-byte-files",
        summary: "One finding per empty (0-byte) file in a tree.",
        compile: zero_byte_files::compile,
    },
    Kind {
        name: "required-files",
        summary: "One finding when fewer than `min-count` files of a tree match `include`.",
        compile: required_files::compile,
    },
    Kind {
        name: "required-update-version",
        summary: "One finding when no update of `version` is in an allowed state in the console export.",
        compile: required_update_version::compile,
    },
    Kind {
        name: "required-endpoints",
        summary: "One finding per endpoint neither allowed by the allowlist nor reached by a probe.",
        compile: required_endpoints::compile,
    },
    Kind {
        name: "required-registry-value",
        summary: "One finding when a registry value is missing or not the value required.",
        compile: required_registry_value::compile,
    },
    Kind {
        name: "required-installed-program",
        summary: "One finding when no program in the Uninstall keys matches `name` at an acceptable version.",
        compile: required_installed_program::compile,
    },
    Kind {
        name: "recent-log-event",
        summary: "One finding when a log's last `pattern` entry is missing or older than `max-age-hours`, and one per `failure` after it.",
        compile: recent_log_event::compile,
    },
    Kind {
        name: "site-versions",
        summary: "One finding per site of the hierarchy (`Get-CMSite`) not on the expected build, failed or mid-upgrade.",
        compile: site_versions::compile,
    },
    Kind {
        name: "target-requirement",
        summary: "One finding when the site server's registry does not meet an item of the target version's checklist.",
        compile: target_requirement::compile,
    },
    Kind {
        name: "signed-files",
        summary: "One finding per file of a tree without a valid Authenticode signature chained to `roots`.",
        compile: signed_files::compile,
    },
    Kind {
        name: "manifest-hashes",
        summary: "One finding per file a manifest of the pack lists that is missing or has another size or SHA-256.",
        compile: manifest_hashes::compile,
    },
];

/// A compiled rule body.
pub trait Check: fmt::Debug + Send + Sync {
    /// The part of the snapshot this rule reads.
    fn source(&self) -> SourceRef<'_>;
    /// Values a `message` template may use besides params: the kind's built-in values (the
    /// names it gives [`values`]) and, for log kinds, the pattern's named captures.
    fn placeholders(&self) -> Vec<String>;
    /// One sentence on what the rule checks, for rule metadata (SARIF `fullDescription`).
    fn describe(&self) -> String;
    /// Turns the source into findings. The engine passes the [`Input`] that matches
    /// [`Check::source`]; any other is refused, so an engine bug cannot pass as a clean run.
    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch>;
    /// For a tree kind: whether [`Check::evaluate`] needs this file of the tree. The tree keeps
    /// only the files one of its rules needs, so a kind that says no to a file it reads would
    /// miss it; the default keeps every file.
    fn needs_file(&self, _file: &TreeFile) -> bool {
        true
    }
    /// For a log kind: the entry of another log its judgement depends on (`before-log`),
    /// which the log source looks for and hands over with the log ([`Input::Log`]).
    fn evidence(&self) -> Option<&evidence::LogEvidence> {
        None
    }
}

/// A check handed an input other than the one its [`Check::source`] names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub expected: &'static str,
    pub given: &'static str,
}

impl Mismatch {
    pub fn new(expected: &'static str, given: &Input<'_>) -> Self {
        Mismatch {
            expected,
            given: given.what(),
        }
    }
}

/// Pairs a kind's built-in value names, declared once as a constant, with this finding's
/// values; the array lengths must agree, so a name cannot be declared and never given.
pub fn values<const N: usize>(names: &[&str; N], values: [String; N]) -> Vec<(String, String)> {
    names.iter().map(|n| (*n).to_owned()).zip(values).collect()
}

/// What a check emits, capped per rule: the first [`MAX_FINDINGS_PER_RULE`] are kept and the
/// rest only counted, so a log with a million failures costs no more memory than a thousand.
#[derive(Debug, Default)]
pub struct Emissions {
    kept: Vec<Emission>,
    omitted: u64,
    /// Why the rule as a whole cannot be judged on the input it was given.
    rule_not_evaluated: Option<String>,
    /// What a rule that passes wants said about how (a site already on the target).
    note: Option<String>,
}

impl Emissions {
    pub fn push(&mut self, emission: Emission) {
        if self.kept.len() < MAX_FINDINGS_PER_RULE {
            self.kept.push(emission);
        } else {
            self.omitted += 1;
        }
    }

    /// Problems a source counted but did not hand over (log matches past the scan's keep).
    pub fn count_unkept(&mut self, count: u64) {
        self.omitted += count;
    }

    /// The input says the rule does not apply to it as a whole (a registry export of another
    /// machine): the rule is not evaluated, with `reason`, whatever else was pushed.
    pub fn rule_not_evaluated(&mut self, reason: impl Into<String>) {
        self.rule_not_evaluated = Some(reason.into());
    }

    /// Says how the rule was judged, for a rule that passes: the report shows it as the
    /// rule's reason (a site already on the target passes its checklist, saying so).
    pub fn note(&mut self, note: impl Into<String>) {
        self.note = Some(note.into());
    }

    /// The note, if a check left one.
    pub fn take_note(&mut self) -> Option<String> {
        self.note.take()
    }

    /// Why the whole rule was not evaluated, if a check said so.
    pub fn take_rule_not_evaluated(&mut self) -> Option<String> {
        self.rule_not_evaluated.take()
    }

    /// The emissions kept, and how many more were found.
    pub fn into_parts(self) -> (Vec<Emission>, u64) {
        (self.kept, self.omitted)
    }
}

/// The snapshot part a rule needs.
#[derive(Debug)]
pub enum SourceRef<'a> {
    Log {
        name: &'a str,
        query: &'a LogQuery,
    },
    Tree(&'a str),
    Console,
    Endpoints(&'a [Required]),
    Registry(&'a [crate::readers::registry::Read]),
    /// The hierarchy's sites (`Get-CMSite`).
    Sites,
    /// The site config's waivers, which the built-in rules report on after the run.
    Waivers,
}

/// The loaded source handed to [`Check::evaluate`].
pub enum Input<'a> {
    Log {
        name: &'a str,
        /// The whole log file.
        whole: &'a Location,
        result: &'a QueryResult,
        /// The snapshot's `collected_at`, when it has one (RFC 3339).
        collected_at: Option<&'a str>,
        /// What the snapshot shows of the check's [`Check::evidence`], when it has one.
        evidence: Option<&'a evidence::Found>,
    },
    Tree(&'a Tree),
    Console(&'a ConsoleExport),
    Endpoints(&'a Endpoints),
    Registry(&'a Registry),
    Sites(&'a SitesExport),
}

impl Input<'_> {
    /// What the input is, for a [`Mismatch`].
    pub fn what(&self) -> &'static str {
        match self {
            Input::Log { .. } => "a log",
            Input::Tree(_) => "a tree",
            Input::Console(_) => "a console export",
            Input::Endpoints(_) => "endpoint lists",
            Input::Registry(_) => "a registry export",
            Input::Sites(_) => "a sites export",
        }
    }
}

/// One finding as a kind sees it, before the rule's severity, template and help are applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Emission {
    /// `Fail`, or `NotEvaluated` for a part of the rule that could not be checked (a wildcard
    /// endpoint with nothing to probe) while the rest of it was.
    pub outcome: Outcome,
    /// Stable identity of what is wrong (a path, captured values, a host, a version).
    pub subject: String,
    /// The kind's own message, used when the rule has no `message` template.
    pub message: String,
    /// Values for the rule's `message` template.
    pub values: Vec<(String, String)>,
    /// Where the problem shows; a finding about something absent points at the artifact that
    /// shows the absence, so every finding has a place a reviewer can open.
    pub location: Location,
    pub excerpt: Option<Excerpt>,
}

/// `log`, `pattern`, `scope` and `run-start`: the fields both log kinds share.
#[derive(Debug)]
pub struct LogTarget {
    pub log: String,
    pub query: LogQuery,
}

impl LogTarget {
    /// "X.log" or "X.log (last run only)", for [`Check::describe`].
    pub fn log_and_scope(&self) -> String {
        match self.query.scope {
            Scope::WholeLog => self.log.clone(),
            Scope::LastRun(_) => format!("{} (last run only)", self.log),
        }
    }

    /// Reads the fields; `role` says how the kind's matches relate to other rules' (see [`Role`]).
    pub fn read(f: &mut Context<'_, '_>, role: Role) -> Option<LogTarget> {
        let log = f.required_string(
            "log",
            "The log to read, by its name in the snapshot, e.g. `log: ServiceConnectionTool.log`.",
        );
        let pattern = f.required_string(
            "pattern",
            "A regular expression (Rust syntax) an entry matches, e.g. `pattern: 'ERROR:Failed to download'`.",
        );
        let scope = f.string(
            "scope",
            "`whole-log` (the default), or `last-run`: only entries after the last that matches `run-start`.",
        );
        f.values("scope", ["whole-log", "last-run"]);
        let run_start = f.string(
            "run-start",
            "With `scope: last-run`, a regular expression matching the first entry of each run.",
        );
        let normal = known_normal(f);
        // A rule that counts lines explains none; the others may name the lines that belong
        // to the failures they report.
        let explains = match role {
            Role::Counts => Some(Vec::new()),
            Role::Reports | Role::Unexplained => {
                let lines = f
                    .strings(
                        "explains",
                        "Lines that belong to the failures this rule reports without matching `pattern` (the downloader's `WinHttpSendRequest failed` before its `Download() failed`): no catch-all reports them again.",
                    )
                    .unwrap_or_default();
                lines.iter().map(|l| f.pattern(l)).collect::<Option<Vec<_>>>()
            }
        };
        let log = f.with_params(&log?);
        let pattern = f.pattern(&pattern?);
        let scope = match scope.as_ref().map(|s| s.value.as_str()) {
            None | Some("whole-log") => match run_start {
                None => Some(Scope::WholeLog),
                Some(rs) => {
                    f.problem_with_help(
                        rs.span,
                        "`run-start` is only used with `scope: last-run`",
                        "ignored without last-run",
                        "add `scope: last-run`, or remove `run-start`",
                    );
                    None
                }
            },
            Some("last-run") => {
                match run_start {
                    Some(rs) => f.pattern(&rs).map(Scope::LastRun),
                    None => {
                        let span = scope.map_or(0..0, |s| s.span);
                        f.problem_with_help(span, "`scope: last-run` needs `run-start`", "no `run-start` in this rule", "add `run-start: REGEX` matching the first entry of each run, e.g. 'setupdl\\.exe: STARTED'");
                        None
                    }
                }
            }
            Some(other) => {
                let message = format!("unknown scope `{other}`");
                let span = scope.map_or(0..0, |s| s.span);
                f.problem_with_help(
                    span,
                    message,
                    "not a scope",
                    "use `whole-log` (the default) or `last-run`",
                );
                None
            }
        };
        Some(LogTarget {
            log: log?,
            query: LogQuery {
                pattern: pattern?,
                scope: scope?,
                normal: normal?,
                explains: explains?,
                role,
            },
        })
    }
}

/// Reads `normal`: each item a mapping of `pattern` and the `source` that says the line is
/// normal, an https URL: a list of exceptions nobody can check is how failures get waved
/// through.
fn known_normal(f: &mut Context<'_, '_>) -> Option<Vec<Pattern>> {
    let items = f
        .list(
            "normal",
            "Lines that look like failures and are not, each `{pattern: REGEX, source: URL}`: `source` is the public page that says so.",
        )
        .unwrap_or_default();
    let file = f.file().clone();
    let mut patterns = Vec::new();
    let mut ok = true;
    for item in items {
        let Value::Map(entries) = &item.value else {
            f.problem_with_help(
                item.span.clone(),
                "a known-normal line must be a mapping",
                format!("found {}", item.value.type_name()),
                "write `{pattern: REGEX, source: https://...}`",
            );
            ok = false;
            continue;
        };
        let mut fields = Fields::new(&file, Document::Rule, entries, item.span.clone());
        let pattern = fields.required_string("pattern", "A regular expression matching the normal line.");
        let source = fields.required_string("source", "The public page (https URL) that says the line is normal.");
        if let Some(source) = &source
            && !source.value.starts_with("https://")
        {
            fields.problem_with_help(
                source.span.clone(),
                "the source of a known-normal line must be an https URL",
                "not an https URL",
                "cite the public page that says this line is normal",
            );
            ok = false;
        }
        for problem in fields.finish("a known-normal line") {
            f.push(problem);
            ok = false;
        }
        match pattern.and_then(|p| f.pattern(&p)) {
            Some(compiled) => patterns.push(compiled),
            None => ok = false,
        }
    }
    ok.then_some(patterns)
}

/// `tree`, `include` and `exclude`: the fields both tree kinds share. Globs match paths
/// relative to the tree root with `/` separators, case-insensitively (the files come from
/// Windows), and `*` stops at `/`. A `\\` in a glob is taken as a separator, as a Windows
/// author means it, so globs have no escape character: `[*]` matches a literal star.
#[derive(Debug)]
pub struct TreeFilter {
    pub tree: String,
    pub include: Vec<String>,
    exclude: Vec<String>,
    include_set: GlobSet,
    exclude_set: GlobSet,
}

const INCLUDE_DOC: &str =
    "Globs of the files to check, relative to the tree root: `*` within one folder, `**` any depth, case-insensitive.";

impl TreeFilter {
    pub fn read(f: &mut Context<'_, '_>, include_required: bool) -> Option<TreeFilter> {
        let tree = f.required_string(
            "tree",
            "The directory tree to read, by its name in the snapshot, e.g. `tree: updatepack`.",
        );
        let include = if include_required {
            f.strings("include", INCLUDE_DOC).or_else(|| {
                f.missing(
                    "include",
                    "give one or more globs, e.g. `include: ['**/ConfigMgr.Update.Manifest.cab']`",
                );
                None
            })
        } else {
            Some(f.strings("include", INCLUDE_DOC).unwrap_or_default())
        };
        let exclude = f
            .strings("exclude", "Globs of files to leave out, relative to the tree root.")
            .unwrap_or_default();
        let tree = f.with_params(&tree?)?;
        let mut include = include?;
        if include.is_empty() && !include_required {
            include.push(Sp {
                value: "**".to_owned(),
                span: 0..0,
            });
        }
        let include_set = f.globs(&include);
        let exclude_set = f.globs(&exclude);
        Some(TreeFilter {
            tree,
            include: include.into_iter().map(|g| g.value).collect(),
            exclude: exclude.into_iter().map(|g| g.value).collect(),
            include_set: include_set?,
            exclude_set: exclude_set?,
        })
    }

    /// "files of tree `t` matching a, b (except c)", for [`Check::describe`].
    pub fn files(&self) -> String {
        let mut text = format!("files of tree `{}` matching {}", self.tree, self.include.join(", "));
        if !self.exclude.is_empty() {
            text.push_str(&format!(" (except {})", self.exclude.join(", ")));
        }
        text
    }

    pub fn matches(&self, path: &str) -> bool {
        self.include_set.is_match(path) && !self.exclude_set.is_match(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::waivers::BUILT_IN_KIND;
    use crate::rules::{RuleSource, load};

    /// One rule of each kind, as small as a rule can be.
    const ONE_OF_EACH_KIND: &str = "ruleset: kinds
rules:
  - {id: a, title: t, severity: error, kind: forbidden-log-pattern, log: x.log, pattern: ERROR}
  - {id: a2, title: t, severity: warning, kind: unexplained-log-lines, log: x.log, pattern: ERROR}
  - {id: b, title: t, severity: error, kind: required-log-pattern, log: x.log, pattern: DONE}
  - {id: c, title: t, severity: error, kind: zero-byte-files, tree: pack}
  - {id: d, title: t, severity: error, kind: required-files, tree: pack, include: '**/*.cab'}
  - {id: e, title: t, severity: error, kind: required-update-version, version: '2409'}
  - {id: f, title: t, severity: error, kind: required-endpoints, endpoints: [go.microsoft.com]}
  - {id: g, title: t, severity: error, kind: required-registry-value, key: 'HKLM\\SOFTWARE\\A', value: B, equals: 1}
  - {id: h, title: t, severity: error, kind: required-installed-program, name: '^ODBC'}
  - {id: i, title: t, severity: error, kind: recent-log-event, log: x.log, pattern: DONE, max-age-hours: 24}
  - {id: j, title: t, severity: error, kind: site-versions, expect: same-version}
  - {id: k, title: t, severity: error, kind: target-requirement, requirement: dotnet, target: '2409'}
  - {id: l, title: t, severity: error, kind: signed-files, tree: pack}
  - {id: m, title: t, severity: error, kind: manifest-hashes, tree: pack}
";

    #[test]
    fn a_kind_handed_another_source_refuses_it_instead_of_passing() {
        let source = RuleSource {
            name: "kinds.yaml".to_owned(),
            text: ONE_OF_EACH_KIND.to_owned(),
        };
        let rules = load(&[source], &[]).expect("the rules compile");
        let compiled: Vec<&str> = rules
            .rules
            .iter()
            .map(|r| r.kind)
            .filter(|k| *k != BUILT_IN_KIND)
            .collect();
        let known: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        assert_eq!(compiled, known, "one rule of every kind");
        let console = ConsoleExport {
            location: Location::whole("console/updates.json", 0),
            updates: Vec::new(),
        };
        let endpoints = Endpoints::default();
        for rule in &rules.rules {
            let wrong = match rule.check.source() {
                SourceRef::Console => Input::Endpoints(&endpoints),
                _ => Input::Console(&console),
            };
            let mut out = Emissions::default();
            let refused = rule.check.evaluate(&wrong, &mut out).expect_err(rule.kind);
            assert_eq!(refused.given, wrong.what());
            assert_eq!(out.into_parts(), (Vec::new(), 0), "{}", rule.kind);
        }
    }

    #[test]
    fn emissions_keep_the_first_thousand_and_count_the_rest() {
        let mut out = Emissions::default();
        for n in 0..MAX_FINDINGS_PER_RULE + 5 {
            out.push(Emission {
                outcome: Outcome::Fail,
                subject: format!("pack: Redist/{n}.cab"),
                message: "empty".to_owned(),
                values: Vec::new(),
                location: Location::at_line("logs/x.log", n as u64 + 1),
                excerpt: None,
            });
        }
        out.count_unkept(7);
        let (kept, omitted) = out.into_parts();
        assert_eq!(kept.len(), MAX_FINDINGS_PER_RULE);
        assert_eq!(kept[0].subject, "pack: Redist/0.cab");
        assert_eq!(omitted, 12);
    }
}
