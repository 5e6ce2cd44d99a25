//! The neutral result model every check produces and every renderer consumes. Nothing here
//! knows about terminals, JSON or SARIF.

use serde::Serialize;

use crate::document::origin::ValueOrigin;

/// Findings kept per rule; the rest are counted and the count is reported. A log with a
/// million failures does not need a million diagnostics, and keeping them would make memory
/// grow with the input.
pub const MAX_FINDINGS_PER_RULE: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub const NAMES: &[&str] = &["error", "warning", "note"];

    pub fn parse(name: &str) -> Option<Severity> {
        match name {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "note" => Some(Severity::Note),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The rule's condition is violated.
    Fail,
    /// The rule could not be checked because the snapshot lacks what it reads.
    NotEvaluated,
    /// A failure the site accepted with a waiver: reported, never counted toward the exit code.
    Suppressed,
}

/// Where a finding is, in terms a person can open: a path relative to the snapshot (or the
/// path the user gave), and for text, the 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    #[serde(serialize_with = "crate::files::serialize_slash_path")]
    pub path: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// Column just past the match, on the same line as `column`.
    pub end_column: Option<u64>,
    /// Byte range in the file, where bytes in the file and in the text are the same (UTF-8).
    pub byte_offset: Option<u64>,
    pub byte_length: Option<u64>,
}

impl Location {
    /// A location that names a whole artifact (a file that shows an absence, a tree root).
    pub fn artifact(path: impl Into<String>) -> Self {
        Location {
            path: path.into(),
            line: None,
            column: None,
            end_column: None,
            byte_offset: None,
            byte_length: None,
        }
    }

    /// The whole of a file of `size` bytes: the artifact that shows an absence.
    pub fn whole(path: impl Into<String>, size: u64) -> Self {
        Location {
            byte_offset: Some(0),
            byte_length: Some(size),
            ..Location::artifact(path)
        }
    }

    pub fn at_line(path: impl Into<String>, line: u64) -> Self {
        Location {
            line: Some(line),
            column: Some(1),
            ..Location::artifact(path)
        }
    }
}

/// The text a human report shows around a finding: an excerpt of the log entry (clipped for
/// long lines) with the matched part marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub text: String,
    /// 1-based line number of the first line of `text`.
    pub first_line: u64,
    /// Byte range of the match within `text`.
    pub highlight: std::ops::Range<usize>,
    /// What the label under the match says: the entry's component and time, where known.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    /// What was expected and what was found.
    pub message: String,
    /// What the finding is about, stable across runs: a file path, captured values, a host.
    pub subject: String,
    pub location: Option<Location>,
    pub excerpt: Option<Excerpt>,
    pub help: Option<String>,
    pub url: Option<String>,
    /// What was left unchecked, and why; `None` for a failure.
    pub gap: Option<Gap>,
    /// The waiver that accepts this failure, if one does.
    pub suppression: Option<Suppression>,
    /// Identity across runs: a hash of the rule id and subject, then `:N` for the N-th failure
    /// with the same pair. SARIF's `partialFingerprints` and waivers by fingerprint use it.
    pub fingerprint: String,
    /// How the finding compares with the run's `--baseline`, when one was given.
    pub baseline: Option<BaselineState>,
}

/// A finding compared with an earlier report, by fingerprint (the names are SARIF's
/// `baselineState` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline.
    New,
    /// In the baseline with the same message, place (file, line, column), severity and outcome.
    Unchanged,
    /// In the baseline, but its message, place, severity or outcome (a waiver that began or
    /// ended) is not the same.
    Updated,
    /// In the baseline, gone now while its rule was evaluated: fixed.
    Absent,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Updated => "updated",
            BaselineState::Absent => "absent",
        }
    }
}

/// What `--baseline` found about one snapshot beside the states of its findings.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// The baseline report, as named on the command line.
    pub path: String,
    /// The baseline's findings that are gone (fixed), as the baseline recorded them.
    pub absent: Vec<Finding>,
    /// The baseline's findings whose rule could not be evaluated in this run (or was not
    /// loaded): neither fixed nor still there, as far as this run can tell.
    pub unchecked: usize,
    /// Per rule that found more than the per-rule cap keeps, how many of its failures were
    /// counted but not kept, and so not compared: any of them may be new, and a baseline
    /// finding of that rule that is not among the kept ones may be among them rather than
    /// fixed. `--fail-on-new` fails on such a partial comparison.
    pub uncompared: Vec<(String, u64)>,
}

/// The counts of the baseline summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BaselineTotals {
    pub new: usize,
    pub unchanged: usize,
    pub updated: usize,
    pub absent: usize,
    pub unchecked: usize,
    /// Failures past the per-rule cap, not compared.
    pub uncompared: u64,
}

/// A waiver that accepts a finding, as the site wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub reason: String,
    pub owner: String,
    /// The last day (UTC) the waiver is in force, `YYYY-MM-DD`.
    pub expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// The waiver's line in the site config.
    pub location: Location,
}

/// Why a rule, or a part of one, was not evaluated. Renderers word it from these fields
/// rather than from the finding's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The whole rule (its source is missing or unreadable), or only the part named in
    /// the finding's subject (a wildcard endpoint with nothing to probe).
    pub whole_rule: bool,
    /// The reason in words: "no log `ConfigMgrSetup.log` given (use --log)".
    pub reason: String,
}

/// A finding's identity: its rule and subject, never its line or the snapshot's path, so the
/// same problem in a moved snapshot or a longer log keeps it.
pub fn identity(rule_id: &str, subject: &str) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(rule_id.as_bytes());
    context.update(&[0]);
    context.update(subject.as_bytes());
    crate::document::text::hex(&context.finish().as_ref()[..16])
}

impl Finding {
    pub fn outcome(&self) -> Outcome {
        match (&self.gap, &self.suppression) {
            (Some(_), _) => Outcome::NotEvaluated,
            (None, Some(_)) => Outcome::Suppressed,
            (None, None) => Outcome::Fail,
        }
    }

    /// Gives every finding its fingerprint; the findings must be in report order, so that
    /// the N-th of a rule and subject is the same N on every run.
    pub fn assign_fingerprints(findings: &mut [Finding]) {
        let mut seen: std::collections::HashMap<(String, String), usize> = std::collections::HashMap::new();
        for finding in findings.iter_mut() {
            let occurrence = seen
                .entry((finding.rule_id.clone(), finding.subject.clone()))
                .or_insert(0);
            *occurrence += 1;
            finding.fingerprint = format!("{}:{occurrence}", identity(&finding.rule_id, &finding.subject));
        }
    }

    /// The order reports use: by place, then rule, so output is the same on every run.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.outcome(),
            self.location.as_ref().map(|l| (&l.path, l.line, l.column)),
            &self.rule_id,
            &self.subject,
            &self.message,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleStatus {
    Passed,
    Failed,
    NotEvaluated,
    Disabled,
}

/// One loaded rule and what became of it in this run.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub id: String,
    /// A rule kind's name, or [`BUILT_IN_KIND`].
    pub kind: &'static str,
    pub severity: Severity,
    pub title: String,
    /// What the rule checks, in one sentence built from its definition.
    pub description: String,
    pub help: Option<String>,
    pub url: Option<String>,
    pub tags: Vec<String>,
    pub status: RuleStatus,
    /// Why the rule was not evaluated or is disabled.
    pub reason: Option<String>,
    /// Findings beyond the per-rule cap, counted but not kept.
    pub omitted: u64,
    /// A waiver of the whole rule accepts the findings beyond the cap too.
    pub omitted_suppressed: bool,
}

/// The kind of the rules sitelint adds itself (the waiver checks): they are not the site's
/// rules, so they never count as "rules passed" (a config with no waiver made the count grow).
pub const BUILT_IN_KIND: &str = "built-in";

/// A source that was named but could not be read: the run goes on, and ends with exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub path: String,
    pub message: String,
}

/// How a text input was read: for `-v`, and for the one warning about a file whose bytes did
/// not all decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAs {
    pub path: String,
    pub encoding: String,
    /// Every byte decoded; otherwise the text holds U+FFFD where one did not.
    pub clean: bool,
    /// The text is full of control characters: read in the wrong encoding, or not text.
    pub garbled: bool,
}

/// What the snapshot was, for the report header.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SnapshotInfo {
    /// The manifest's path, or `None` for a check of live sources.
    #[serde(serialize_with = "crate::files::serialize_slash_path_opt")]
    pub path: Option<String>,
    pub host: Option<String>,
    pub collected_at: Option<String>,
}

/// A rule file a run loaded: its path as reports show it, the ruleset it declares, and how
/// many rules it defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFileInfo {
    pub path: String,
    pub ruleset: String,
    pub rules: usize,
}

/// A ruleset param as the run used it, with where its value came from (`the default in
/// FILE:LINE`, a config's `FILE:LINE`, `--set`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamInfo {
    pub name: String,
    pub value: String,
    pub origin: ValueOrigin,
}

/// The rules behind a report, for its provenance.
#[derive(Debug, Clone, Default)]
pub struct RulesetInfo {
    /// The site config the run used, as it was named (`../sitelint.yaml`, or as `--config`
    /// gave it): a config decides what a run reports, so every report says which one.
    pub config: Option<String>,
    pub files: Vec<RuleFileInfo>,
    pub params: Vec<ParamInfo>,
}

/// Everything a renderer needs.
#[derive(Debug, Clone)]
pub struct Report {
    pub snapshot: SnapshotInfo,
    pub ruleset: RulesetInfo,
    pub findings: Vec<Finding>,
    pub rules: Vec<RuleResult>,
    pub errors: Vec<SourceError>,
    /// Every text input read, in the order read.
    pub read_as: Vec<ReadAs>,
    /// The comparison with `--baseline`, when one was given.
    pub baseline: Option<Comparison>,
}

/// One snapshot of a `check` of several, under the name its reports give it.
#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    pub report: Report,
}

/// Counts for the summary line and the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Problems found at each severity, those past the per-rule cap included.
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// Problems left out of the findings by the per-rule cap, counted above.
    pub omitted: usize,
    pub not_evaluated: usize,
    pub passed: usize,
    /// Failures accepted by a waiver, counted apart from the problems above.
    pub suppressed: usize,
}

impl std::ops::AddAssign for Totals {
    fn add_assign(&mut self, other: Totals) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.notes += other.notes;
        self.omitted += other.omitted;
        self.not_evaluated += other.not_evaluated;
        self.passed += other.passed;
        self.suppressed += other.suppressed;
    }
}

impl std::ops::AddAssign for BaselineTotals {
    fn add_assign(&mut self, other: BaselineTotals) {
        self.new += other.new;
        self.unchanged += other.unchanged;
        self.updated += other.updated;
        self.absent += other.absent;
        self.unchecked += other.unchecked;
        self.uncompared += other.uncompared;
    }
}

/// The totals of a check of several snapshots, and their baseline totals when it had one.
pub fn totals_of(sites: &[Site]) -> (Totals, Option<BaselineTotals>) {
    let mut all = Totals::default();
    let mut baseline: Option<BaselineTotals> = None;
    for site in sites {
        all += site.report.totals();
        if let Some(b) = site.report.baseline_totals() {
            *baseline.get_or_insert_with(BaselineTotals::default) += b;
        }
    }
    (all, baseline)
}

impl Report {
    /// The baseline summary's counts, when the run had a baseline.
    pub fn baseline_totals(&self) -> Option<BaselineTotals> {
        let comparison = self.baseline.as_ref()?;
        let mut totals = BaselineTotals {
            absent: comparison.absent.len(),
            unchecked: comparison.unchecked,
            uncompared: comparison.uncompared.iter().map(|(_, n)| n).sum(),
            ..BaselineTotals::default()
        };
        for state in self.findings.iter().filter_map(|f| f.baseline) {
            match state {
                BaselineState::New => totals.new += 1,
                BaselineState::Unchanged => totals.unchanged += 1,
                BaselineState::Updated => totals.updated += 1,
                BaselineState::Absent => totals.absent += 1,
            }
        }
        Some(totals)
    }

    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for finding in &self.findings {
            match finding.outcome() {
                Outcome::Fail => {}
                Outcome::Suppressed => {
                    totals.suppressed += 1;
                    continue;
                }
                Outcome::NotEvaluated => continue,
            }
            match finding.severity {
                Severity::Error => totals.errors += 1,
                Severity::Warning => totals.warnings += 1,
                Severity::Note => totals.notes += 1,
            }
        }
        for rule in &self.rules {
            let omitted = usize::try_from(rule.omitted).unwrap_or(usize::MAX);
            let count = match (rule.omitted_suppressed, rule.severity) {
                (true, _) => &mut totals.suppressed,
                (false, Severity::Error) => &mut totals.errors,
                (false, Severity::Warning) => &mut totals.warnings,
                (false, Severity::Note) => &mut totals.notes,
            };
            *count = count.saturating_add(omitted);
            if !rule.omitted_suppressed {
                totals.omitted = totals.omitted.saturating_add(omitted);
            }
            match rule.status {
                RuleStatus::NotEvaluated => totals.not_evaluated += 1,
                RuleStatus::Passed if rule.kind != BUILT_IN_KIND => totals.passed += 1,
                RuleStatus::Passed => {}
                RuleStatus::Failed | RuleStatus::Disabled => {}
            }
        }
        totals
    }
}

#[cfg(test)]
mod tests;
