//! Waivers: a site accepts a finding it has decided to live with, for a while, with a name on
//! it. A waiver in force turns the failures it matches into `suppressed` findings (reported,
//! never counted toward the exit code); an expired one suppresses nothing and is reported as
//! `waiver-expired` at its line; one that matched nothing while its rule ran is reported as
//! `waiver-unused`, so a waiver does not outlive the problem it was written for.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobMatcher};

use crate::checks::{Check, Emissions, Input, Mismatch, SourceRef};
use crate::document::date::Date;
use crate::document::diag::{Problem, SourceFile};
use crate::document::fields::{Document, FieldDoc, Fields, Sp, mapping};
use crate::document::origin::Origin;
use crate::document::yaml::Node;
pub use crate::finding::BUILT_IN_KIND;
use crate::finding::{Finding, Location, MAX_FINDINGS_PER_RULE, Outcome, Report, RuleStatus, Severity, Suppression};
use crate::rules::{Rule, RuleSet};

/// The built-in rules, which report on the site config's waivers. An enum rather than ids
/// compared one by one: a third built-in rule is not evaluated until every `match` on this
/// names it, where an `if id == ... else` filed it silently under the last branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    /// A waiver past its `expires` day.
    Expired = 0,
    /// A waiver that matched nothing while its rule was evaluated.
    Unused = 1,
}

impl BuiltIn {
    /// Each, at the index of its discriminant (the findings of each are kept in an array).
    pub const ALL: [BuiltIn; 2] = [BuiltIn::Expired, BuiltIn::Unused];

    /// Its id, which no rule file may take.
    pub fn id(self) -> &'static str {
        match self {
            BuiltIn::Expired => "waiver-expired",
            BuiltIn::Unused => "waiver-unused",
        }
    }

    fn title(self) -> &'static str {
        match self {
            BuiltIn::Expired => "Every waiver is within its expiry date",
            BuiltIn::Unused => "Every waiver in force matches a finding",
        }
    }

    fn description(self) -> &'static str {
        match self {
            BuiltIn::Expired => {
                "Fails for each waiver in the site config whose `expires` day has passed: it suppresses nothing any more."
            }
            BuiltIn::Unused => "Fails for each waiver in force that matched no finding while its rule was evaluated.",
        }
    }

    /// The built-in rule of this id.
    pub fn of(id: &str) -> Option<BuiltIn> {
        BuiltIn::ALL.into_iter().find(|built_in| built_in.id() == id)
    }
}

/// The built-in rules about waivers, as entries of the rule registry: `rules show`,
/// `--select`, `--ignore`, `severity:` and `disable:` treat them as every other rule. Their
/// findings come from [`apply`], after the run, not from the snapshot.
pub fn built_in_rules() -> Vec<Rule> {
    let rule = |built_in: BuiltIn| Rule {
        id: built_in.id().to_owned(),
        kind: BUILT_IN_KIND,
        severity: Severity::Warning,
        title: built_in.title().to_owned(),
        message: None,
        help: None,
        url: None,
        tags: vec!["waivers".to_owned()],
        disabled: None,
        when: None,
        origin: Origin::BuiltIn,
        definition: "# built into sitelint: it reports on the `waivers:` of the site config".to_owned(),
        check: Box::new(WaiverCheck(built_in)),
    };
    BuiltIn::ALL.into_iter().map(rule).collect()
}

/// What a built-in rule checks: the site config's waivers, which the engine does not read;
/// [`apply`] reports on them once the rules have run.
#[derive(Debug)]
struct WaiverCheck(BuiltIn);

impl Check for WaiverCheck {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Waivers
    }

    fn placeholders(&self) -> Vec<String> {
        Vec::new()
    }

    fn describe(&self) -> String {
        self.0.description().to_owned()
    }

    fn evaluate(&self, input: &Input<'_>, _: &mut Emissions) -> Result<(), Mismatch> {
        Err(Mismatch::new("the site config's waivers", input))
    }
}

#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: Sp<String>,
    /// Case-insensitive glob on the finding's subject; `*` is any run of characters.
    pub subject: Option<(String, GlobMatcher)>,
    pub fingerprint: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: Date,
    pub ticket: Option<String>,
    /// The waiver's first line in the config.
    pub location: Location,
}

/// Reads one entry of `waivers:`; problems go to `problems`, each at its place. `path` is the
/// config's absolute path, which the waiver's location names. The rule id it names goes to
/// `rule_ids` even when the waiver has other mistakes, so that id is judged in the same run.
pub fn read(
    file: &Arc<SourceFile>,
    path: &str,
    node: &Node,
    problems: &mut Vec<Problem>,
    docs: &mut Vec<FieldDoc>,
    rule_ids: &mut Vec<Sp<String>>,
) -> Option<Waiver> {
    let entries = match mapping(
        file,
        node,
        "a waiver",
        "write `- rule: ID` with `reason`, `owner` and `expires`",
    ) {
        Ok(entries) => entries,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let anchor = entries.first().map_or(node.span.clone(), |(k, _)| k.span.clone());
    let mut f = Fields::new(file, Document::Waiver, entries, anchor.clone());
    let rule = f.required_string(
        "rule",
        "The id of the rule whose findings the waiver accepts, e.g. `rule: updates-and-servicing-endpoints`.",
    );
    let subject = f.string(
        "subject",
        "A case-insensitive glob on the finding's subject (`*` any run of characters); without it the waiver covers every finding of the rule.",
    );
    let fingerprint = f.string(
        "fingerprint",
        "The `fingerprint` of one finding in the JSON report (SARIF's `partialFingerprints`), instead of `subject`.",
    );
    let reason = f.required_string(
        "reason",
        "Why the site accepts these findings, e.g. `reason: Watson telemetry is blocked by policy SEC-112`.",
    );
    let owner = f.required_string("owner", "Who answers for the waiver, e.g. `owner: ops@contoso.com`.");
    let expires = f.required_string(
        "expires",
        "The last day the waiver is in force (UTC), as YYYY-MM-DD, e.g. `expires: 2027-03-31`.",
    );
    let ticket = f.string("ticket", "The change or ticket that records the decision.");
    let expires = expires.and_then(|e| match Date::parse(&e.value) {
        Some(date) => Some(date),
        None => {
            f.problem_with_help(
                e.span,
                format!("`{}` is not a date", e.value),
                "not YYYY-MM-DD",
                "write the day as YYYY-MM-DD, e.g. 2027-03-31",
            );
            None
        }
    });
    if let (Some(s), Some(_)) = (&subject, &fingerprint) {
        f.problem_with_help(
            s.span.clone(),
            "a waiver narrows by `subject` or by `fingerprint`, not both",
            "and a fingerprint",
            "keep the one that says what you mean",
        );
    }
    let subject = subject.and_then(|s| {
        match GlobBuilder::new(&s.value)
            .case_insensitive(true)
            .literal_separator(false)
            .backslash_escape(false)
            .build()
        {
            Ok(glob) => Some((s.value, glob.compile_matcher())),
            Err(e) => {
                f.problem(s.span, format!("invalid subject glob: {}", e.kind()), "this glob");
                None
            }
        }
    });
    *docs = f.docs().to_vec();
    problems.extend(f.finish("a waiver"));
    rule_ids.extend(rule.clone());
    let (line, column) = file.line_column(anchor.start);
    Some(Waiver {
        rule: rule?,
        subject,
        fingerprint: fingerprint.map(|f| f.value),
        reason: reason?.value,
        owner: owner?.value,
        expires: expires?,
        ticket: ticket.map(|t| t.value),
        location: Location {
            column: Some(column as u64),
            ..Location::at_line(path, line as u64)
        },
    })
}

impl Waiver {
    fn matches(&self, finding: &Finding) -> bool {
        finding.rule_id == self.rule.value
            && self
                .subject
                .as_ref()
                .is_none_or(|(_, glob)| glob.is_match(&finding.subject))
            && self.fingerprint.as_ref().is_none_or(|f| {
                // A fingerprint may be written with or without its `:N` occurrence.
                *f == finding.fingerprint || finding.fingerprint.split(':').next() == Some(f.as_str())
            })
    }

    fn suppression(&self, base: &Path) -> Suppression {
        Suppression {
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.to_string(),
            ticket: self.ticket.clone(),
            location: self.location_from(base),
        }
    }

    /// The waiver's line, its config named from `base` (see [`report_base`]).
    fn location_from(&self, base: &Path) -> Location {
        Location {
            path: relative(Path::new(&self.location.path), base).display().to_string(),
            ..self.location.clone()
        }
    }

    /// What the waiver accepts: its rule, narrowed by subject or fingerprint.
    fn identity(&self) -> String {
        let narrowed = match (&self.subject, &self.fingerprint) {
            (Some((glob, _)), _) => format!(" for `{glob}`"),
            (None, Some(fingerprint)) => format!(" for fingerprint {fingerprint}"),
            (None, None) => String::new(),
        };
        format!("{}{narrowed}", self.rule.value)
    }

    fn describe(&self) -> String {
        format!("the waiver of {} (owner {})", self.identity(), self.owner)
    }
}

/// Applies the waivers to the report of a check of one snapshot: [`suppress`], then
/// [`report_on`] with what it used.
pub fn apply(report: &mut Report, rules: &RuleSet, waivers: &[Waiver], today: Date) {
    let used = suppress(report, waivers, today);
    report_on(report, rules, waivers, today, &used);
}

/// Suppresses what the waivers in force match and settles each rule's status again (a rule
/// whose every failure is waived has passed); returns, per waiver, whether it matched.
pub fn suppress(report: &mut Report, waivers: &[Waiver], today: Date) -> Vec<bool> {
    let base = report_base(report);
    let mut used = vec![false; waivers.len()];
    for finding in report.findings.iter_mut().filter(|f| f.outcome() == Outcome::Fail) {
        let in_force = waivers
            .iter()
            .enumerate()
            .find(|(_, w)| w.expires >= today && w.matches(finding));
        if let Some((index, waiver)) = in_force {
            used[index] = true;
            finding.suppression = Some(waiver.suppression(&base));
        }
    }
    for rule in &mut report.rules {
        // Findings past the cap were never seen one by one: only a waiver of the whole rule
        // (no subject, no fingerprint) can be said to accept them.
        if rule.omitted > 0
            && let Some((index, _)) = waivers.iter().enumerate().find(|(_, w)| {
                w.rule.value == rule.id && w.expires >= today && w.subject.is_none() && w.fingerprint.is_none()
            })
        {
            used[index] = true;
            rule.omitted_suppressed = true;
        }
        let failing = report
            .findings
            .iter()
            .any(|f| f.rule_id == rule.id && f.outcome() == Outcome::Fail);
        if rule.status == RuleStatus::Failed && !failing && (rule.omitted == 0 || rule.omitted_suppressed) {
            rule.status = RuleStatus::Passed;
        }
    }
    used
}

/// Reports expired and unused waivers as findings of the built-in rules (as `rules` defines
/// them: their severity, or why they do not run). `used` says, per waiver, whether it matched
/// a finding of any snapshot of the run: a waiver written for one site of a check of several
/// is not unused on the others. Each is located in the site config by a path relative to the
/// snapshot, as every path of a report is.
pub fn report_on(report: &mut Report, rules: &RuleSet, waivers: &[Waiver], today: Date, used: &[bool]) {
    let base = report_base(report);
    // The findings of each built-in rule, at the index of its discriminant.
    let mut found: [Vec<Finding>; BuiltIn::ALL.len()] = Default::default();
    for (waiver, &used) in waivers.iter().zip(used) {
        let evaluated = report
            .rules
            .iter()
            .any(|r| r.id == waiver.rule.value && matches!(r.status, RuleStatus::Passed | RuleStatus::Failed));
        if waiver.expires < today {
            found[BuiltIn::Expired as usize].push(built_in_finding(
                BuiltIn::Expired,
                waiver,
                &base,
                format!(
                    "{} expired on {}: it suppresses nothing any more",
                    waiver.describe(),
                    waiver.expires
                ),
                "Fix what it waived, or renew it with a new `expires` day and a reason that still holds.",
            ));
        } else if !used && evaluated {
            found[BuiltIn::Unused as usize].push(built_in_finding(
                BuiltIn::Unused,
                waiver,
                &base,
                format!("{} matched no finding", waiver.describe()),
                "The problem it waived is gone, or its `subject` or `fingerprint` no longer matches: remove the waiver, or correct it.",
            ));
        }
    }
    let built_in_rules = rules.rules.iter().filter(|r| r.kind == BUILT_IN_KIND);
    for (rule, built_in) in built_in_rules.filter_map(|r| Some((r, BuiltIn::of(&r.id)?))) {
        let found = &mut found[built_in as usize];
        if rule.disabled.is_some() {
            found.clear();
        }
        for finding in found.iter_mut() {
            finding.severity = rule.severity;
        }
        let status = if rule.disabled.is_some() {
            RuleStatus::Disabled
        } else if found.is_empty() {
            RuleStatus::Passed
        } else {
            RuleStatus::Failed
        };
        report.rules.push(rule.result(status, rule.disabled.clone()));
    }
    // Numbered among themselves: the findings already in the report keep their fingerprints.
    for of_rule in &mut found {
        Finding::assign_fingerprints(of_rule);
    }
    // Capped like every rule's findings: the rest are counted in the rule's `omitted`.
    for (built_in, found) in BuiltIn::ALL.into_iter().zip(&mut found) {
        let omitted = found.len().saturating_sub(MAX_FINDINGS_PER_RULE);
        found.truncate(MAX_FINDINGS_PER_RULE);
        if let Some(rule) = report.rules.iter_mut().find(|r| r.id == built_in.id()) {
            rule.omitted = omitted as u64;
        }
    }
    report.findings.extend(found.into_iter().flatten());
    report.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report.rules.sort_by(|a, b| a.id.cmp(&b.id));
}

/// The absolute directory a report's paths are relative to: its snapshot's, or for live
/// sources the directory sitelint runs in.
fn report_base(report: &Report) -> PathBuf {
    let dir = report
        .snapshot
        .path
        .as_deref()
        .and_then(|manifest| Path::new(manifest).parent())
        .unwrap_or(Path::new(""));
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned())
}

/// The components of `path` with `.` and `..` resolved without the file system.
fn lexical(path: &Path) -> Vec<Component<'_>> {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` (absolute) from `base` (absolute): `../../sitelint.yaml`. Lexical, as the reports'
/// paths are: neither need exist on the machine that reads the report. On another drive there
/// is no relative path, and the absolute one is kept.
fn relative(path: &Path, base: &Path) -> PathBuf {
    let (path_parts, base_parts) = (lexical(path), lexical(base));
    let same_root = |a: Option<&Component<'_>>, b: Option<&Component<'_>>| a == b;
    if !same_root(path_parts.first(), base_parts.first()) {
        return path.to_owned();
    }
    let common = path_parts.iter().zip(&base_parts).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base_parts.len() {
        out.push("..");
    }
    for part in &path_parts[common..] {
        out.push(part);
    }
    out
}

fn built_in_finding(rule: BuiltIn, waiver: &Waiver, base: &Path, message: String, help: &str) -> Finding {
    // The config by its file name and the waiver by what it accepts: the subject, and the
    // fingerprint made from it, stay the same wherever sitelint runs and wherever the site
    // folder is copied, and through edits to the waiver's reason, owner or line.
    let config_name = Path::new(&waiver.location.path)
        .file_name()
        .map_or_else(|| waiver.location.path.clone(), |n| n.to_string_lossy().into_owned());
    let subject = format!("{config_name}: waiver of {}", waiver.identity());
    Finding {
        rule_id: rule.id().to_owned(),
        severity: Severity::Warning,
        fingerprint: String::new(),
        baseline: None,
        message,
        subject,
        location: Some(waiver.location_from(base)),
        excerpt: None,
        help: Some(help.to_owned()),
        url: None,
        gap: None,
        suppression: None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::BuiltIn;

    #[test]
    fn a_config_is_named_from_the_snapshot_lexically_and_absolutely_from_another_root() {
        let rel = |path: &str, base: &str| super::relative(Path::new(path), Path::new(base));
        assert_eq!(
            rel("/site/sitelint.yaml", "/site/snapshots/a"),
            Path::new("../../sitelint.yaml")
        );
        assert_eq!(rel("/site/sitelint.yaml", "/site"), Path::new("sitelint.yaml"));
        assert_eq!(
            rel("/site/x/../sitelint.yaml", "/site/./a"),
            Path::new("../sitelint.yaml")
        );
        assert_eq!(
            rel("/etc/sitelint.yaml", "/usb/snap"),
            Path::new("../../etc/sitelint.yaml")
        );
    }

    #[test]
    fn each_built_in_rule_is_at_the_index_of_its_discriminant_and_has_its_own_id() {
        for (index, built_in) in BuiltIn::ALL.into_iter().enumerate() {
            assert_eq!(built_in as usize, index);
            assert_eq!(BuiltIn::of(built_in.id()), Some(built_in));
        }
    }
}
