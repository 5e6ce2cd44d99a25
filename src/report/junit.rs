//! The JUnit XML report, as CI dashboards read it (Jenkins, Azure DevOps, GitLab): one
//! `testsuite` per step of the procedure, one `testcase` per evaluated rule with no finding
//! (a pass) and one per finding: a failure with its message and place, or `<skipped>` with
//! the reason when a waiver accepted it or it could not be evaluated. Names are built from
//! rule ids and subjects, never from lines or times, so a dashboard tracks the same case
//! across runs; the counts are those of the JSON report's findings. `ci/junit/junit-10.xsd`
//! is the shape it keeps to (Jenkins' junit-10.xsd), and CI validates it against that.
//!
//! Against a `--baseline`, a new finding's failure message starts with `new since the
//! baseline:` (the case keeps its name, so a dashboard still follows it), and the baseline's
//! findings that are gone are passing cases, under the name and classname they failed with,
//! in a suite `fixed` (`SNAPSHOT/fixed` of several) whose `system-out` says what they were.

use std::fmt::Write as _;

use super::html::escape;
use super::steps::{self, StepGroup};
use super::{Render, RenderContext, Snapshots, place, waiver_place};
use crate::document::text::plural;
use crate::finding::{BaselineState, Finding, Outcome, Report, RuleStatus};

/// The JUnit report.
pub struct Junit;

/// One test case: its name and how it ended.
struct Case<'r> {
    classname: String,
    name: String,
    result: CaseResult<'r>,
}

enum CaseResult<'r> {
    Passed,
    Failed(&'r Finding),
    Skipped(String),
    /// A baseline finding that is gone: a pass that says what it was.
    Fixed(&'r Finding),
}

impl Render for Junit {
    /// Of several snapshots: suites per snapshot and step, named `SNAPSHOT/STEP`, with the
    /// snapshot's name in each classname, so a dashboard keeps each site's cases apart from
    /// run to run.
    fn render_snapshots(&self, snapshots: Snapshots<'_>, context: &RenderContext<'_>) -> String {
        let mut suites = String::new();
        let (mut tests, mut failures, mut errors) = (0, 0, 0);
        for (name, report) in snapshots.reports() {
            let (t, f) = write_suites(&mut suites, report, context, name);
            tests += t;
            failures += f;
            tests += write_fixed(&mut suites, name, report);
            tests += report.errors.len();
            errors += report.errors.len();
            write_read_errors(&mut suites, name, report);
        }
        document(tests, failures, errors, &suites)
    }
}

/// A snapshot's sources that could not be read (its manifest, in the worst case), as errors
/// in a suite `NAME/sources` (`sources` for a run of one): a dashboard then shows the site as
/// broken, not as passing.
fn write_read_errors(out: &mut String, name: Option<&str>, report: &Report) {
    let errors = &report.errors;
    if errors.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\" time=\"0\">",
        escape(&name.map_or_else(|| "sources".to_owned(), |name| format!("{name}/sources"))),
        n = errors.len()
    );
    for error in errors {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n      <error type=\"unreadable\" message=\"{}\"/>\n    </testcase>",
            escape(&name.map_or_else(
                || "sitelint.sources".to_owned(),
                |name| format!("sitelint.{name}.sources")
            )),
            escape(&crate::files::slash_path(&error.path)),
            escape(&error.message)
        );
    }
    out.push_str("  </testsuite>\n");
}

fn document(tests: usize, failures: usize, errors: usize, suites: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"sitelint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">"
    );
    out.push_str(suites);
    out.push_str("</testsuites>\n");
    out
}

/// The suites of one snapshot's steps; returns how many cases and failures they hold.
fn write_suites(out: &mut String, report: &Report, context: &RenderContext<'_>, site: Option<&str>) -> (usize, usize) {
    let groups = steps::group(report);
    let suites: Vec<(&StepGroup<'_>, Vec<Case<'_>>)> = groups
        .iter()
        .map(|group| (group, cases(group, report, context, site)))
        .collect();
    let count =
        |cases: &[Case<'_>], pick: fn(&CaseResult<'_>) -> bool| cases.iter().filter(|c| pick(&c.result)).count();
    let failed = |r: &CaseResult<'_>| matches!(r, CaseResult::Failed(_));
    let skipped = |r: &CaseResult<'_>| matches!(r, CaseResult::Skipped(_));
    let tests: usize = suites.iter().map(|(_, c)| c.len()).sum();
    let failures: usize = suites.iter().map(|(_, c)| count(c, failed)).sum();
    let snapshot = &report.snapshot;
    let optional =
        |name: &str, value: Option<&str>| value.map_or_else(String::new, |v| format!(" {name}=\"{}\"", escape(v)));
    for (group, cases) in &suites {
        let name = match site {
            Some(site) => escape(&format!("{site}/{}", group.step.tag)),
            None => group.step.tag.to_owned(),
        };
        let _ = writeln!(
            out,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"0\"{}{}>",
            cases.len(),
            count(cases, failed),
            count(cases, skipped),
            optional("hostname", snapshot.host.as_deref()),
            optional("timestamp", snapshot.collected_at.as_deref()),
        );
        properties(out, report, group);
        for case in cases {
            write_case(out, case);
        }
        let omitted: Vec<String> = group
            .rules
            .iter()
            .filter(|r| r.omitted > 0 && !r.omitted_suppressed)
            .map(|r| {
                format!(
                    "{} found {} more than the {} listed here; the JSON report counts them as omitted_findings",
                    r.id,
                    plural(r.omitted, "failure", "failures"),
                    crate::finding::MAX_FINDINGS_PER_RULE
                )
            })
            .collect();
        if !omitted.is_empty() {
            let _ = writeln!(out, "    <system-out>{}</system-out>", escape(&omitted.join("\n")));
        }
        out.push_str("  </testsuite>\n");
    }
    (tests, failures)
}

/// `sitelint.STEP.RULE-ID`, or `sitelint.SNAPSHOT.STEP.RULE-ID` of several snapshots.
fn classname(site: Option<&str>, step: &str, rule_id: &str) -> String {
    match site {
        Some(site) => format!("sitelint.{site}.{step}.{rule_id}"),
        None => format!("sitelint.{step}.{rule_id}"),
    }
}

/// The baseline's findings that are gone, as passing cases in a suite `fixed` (`NAME/fixed`),
/// each under the name and classname it failed with, so a dashboard sees that case pass;
/// returns how many. Nothing without a baseline or when nothing was fixed.
fn write_fixed(out: &mut String, site: Option<&str>, report: &Report) -> usize {
    let Some(comparison) = &report.baseline else {
        return 0;
    };
    if comparison.absent.is_empty() {
        return 0;
    }
    let n = comparison.absent.len();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\">",
        escape(&site.map_or_else(|| "fixed".to_owned(), |site| format!("{site}/fixed")))
    );
    let _ = writeln!(
        out,
        "    <properties>\n      <property name=\"baseline\" value=\"{}\"/>\n    </properties>",
        escape(&comparison.path)
    );
    for finding in &comparison.absent {
        let tags = report
            .rules
            .iter()
            .find(|r| r.id == finding.rule_id)
            .map_or(&[][..], |r| &r.tags[..]);
        write_case(
            out,
            &Case {
                classname: classname(site, steps::step_of(tags).tag, &finding.rule_id),
                name: case_name(finding),
                result: CaseResult::Fixed(finding),
            },
        );
    }
    out.push_str("  </testsuite>\n");
    n
}

/// The step's cases: a pass for each evaluated rule without a finding, then one per finding
/// in report order.
fn cases<'r>(group: &StepGroup<'r>, report: &Report, context: &RenderContext<'_>, site: Option<&str>) -> Vec<Case<'r>> {
    let classname = |rule_id: &str| classname(site, group.step.tag, rule_id);
    let mut cases: Vec<Case<'r>> = group
        .rules
        .iter()
        .filter(|r| r.status == RuleStatus::Passed && !group.findings.iter().any(|f| f.rule_id == r.id))
        .map(|r| Case {
            classname: classname(&r.id),
            name: r.id.clone(),
            result: CaseResult::Passed,
        })
        .collect();
    for &finding in &group.findings {
        let result = match (finding.outcome(), &finding.gap, &finding.suppression) {
            (Outcome::NotEvaluated, Some(gap), _) => CaseResult::Skipped(format!("not evaluated: {}", gap.reason)),
            (Outcome::Suppressed, _, Some(waiver)) => {
                let ticket = waiver.ticket.as_deref().map_or_else(String::new, |t| format!(", {t}"));
                CaseResult::Skipped(format!(
                    "suppressed by the waiver at {}: {} (owner {}, until {}{ticket})",
                    waiver_place(waiver, &report.snapshot, context.working_dir),
                    waiver.reason,
                    waiver.owner,
                    waiver.expires
                ))
            }
            _ => CaseResult::Failed(finding),
        };
        cases.push(Case {
            classname: classname(&finding.rule_id),
            name: case_name(finding),
            result,
        });
    }
    cases
}

/// `rule-id: subject`, and ` #N` for the N-th finding with the same rule and subject (the
/// occurrence its fingerprint ends with). A whole rule not evaluated is named by its id.
fn case_name(finding: &Finding) -> String {
    if finding.gap.as_ref().is_some_and(|g| g.whole_rule) {
        return finding.rule_id.clone();
    }
    let mut name = format!("{}: {}", finding.rule_id, finding.subject);
    if let Some((_, n)) = finding.fingerprint.rsplit_once(':')
        && n != "1"
    {
        let _ = write!(name, " #{n}");
    }
    name
}

/// The step's tag and place, the snapshot and the site config, for a dashboard that shows suite properties.
fn properties(out: &mut String, report: &Report, group: &StepGroup<'_>) {
    let mut properties = vec![
        ("step", group.step.title.to_owned()),
        ("where", group.step.place.to_owned()),
    ];
    if let Some(path) = &report.snapshot.path {
        properties.push(("snapshot", crate::files::slash_path(path).into_owned()));
    }
    if let Some(config) = &report.ruleset.config {
        properties.push(("config", crate::files::slash_path(config).into_owned()));
    }
    properties.push(("sitelint", env!("CARGO_PKG_VERSION").to_owned()));
    out.push_str("    <properties>\n");
    for (name, value) in properties {
        let _ = writeln!(out, "      <property name=\"{name}\" value=\"{}\"/>", escape(&value));
    }
    out.push_str("    </properties>\n");
}

fn write_case(out: &mut String, case: &Case<'_>) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
        escape(&case.classname),
        escape(&case.name)
    );
    match &case.result {
        CaseResult::Passed => out.push_str("/>\n"),
        CaseResult::Skipped(reason) => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape(reason)
            );
        }
        CaseResult::Fixed(finding) => {
            let place = finding
                .location
                .as_ref()
                .map_or_else(String::new, |location| format!(" (at {})", place(location)));
            let _ = writeln!(
                out,
                ">\n      <system-out>fixed since the baseline: {}{}</system-out>\n    </testcase>",
                escape(&finding.message),
                escape(&place)
            );
        }
        CaseResult::Failed(finding) => {
            let mut body = String::new();
            if let Some(location) = &finding.location {
                let _ = writeln!(body, "at {}", place(location));
            }
            if let Some(excerpt) = &finding.excerpt {
                let _ = writeln!(body, "{}", excerpt.text.trim_end());
            }
            if let Some(help) = &finding.help {
                let _ = writeln!(body, "help: {help}");
            }
            if let Some(url) = &finding.url {
                let _ = writeln!(body, "see: {url}");
            }
            let message = match &finding.location {
                Some(location) => format!("{} (at {})", finding.message, place(location)),
                None => finding.message.clone(),
            };
            // Where every JUnit reader shows it, the case's name left as it was.
            let message = if finding.baseline == Some(BaselineState::New) {
                format!("new since the baseline: {message}")
            } else {
                message
            };
            let _ = writeln!(
                out,
                ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                finding.severity,
                escape(&message),
                escape(&body)
            );
        }
    }
}
