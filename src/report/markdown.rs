//! The Markdown report: GitHub-flavoured, for a pull request comment or
//! `$GITHUB_STEP_SUMMARY`. The summary line, the steps with their status, a table per step of
//! its failing findings, and what was not evaluated or suppressed. GitHub refuses a comment
//! over 65,536 characters, so the rows that do not fit are counted, never cut in the middle.

use std::fmt::Write as _;

use super::steps::{self, StepGroup, StepStatus};
use super::{Render, RenderContext, Snapshots, place};
use crate::document::text::{plural, visible};
use crate::files::slash_path;
use crate::finding::{BaselineState, Finding, Outcome, Report, RuleStatus, Site};

/// GitHub's limit on a comment's body, in characters.
pub const MAX_CHARS: usize = 65_536;

/// Room kept for the line that counts the rows left out.
const FOOTER_ROOM: usize = 200;

/// The Markdown report.
pub struct Markdown;

impl Render for Markdown {
    /// The run's summary, then of one snapshot its board of steps and findings; of several,
    /// a grid of snapshots × steps, then each snapshot as the report of one snapshot has it,
    /// one heading level down.
    fn render_snapshots(&self, snapshots: Snapshots<'_>, _: &RenderContext<'_>) -> String {
        let (totals, baseline) = snapshots.totals();
        let mut out = Budget::new(MAX_CHARS - FOOTER_ROOM);
        let verdict = escape(&super::human::summary(totals));
        out.push(&match snapshots {
            Snapshots::One(_) => format!("### sitelint: {verdict}\n\n"),
            Snapshots::Several(sites) => format!(
                "### sitelint: {}: {verdict}\n\n",
                plural(sites.len(), "snapshot", "snapshots")
            ),
        });
        if let Some(t) = baseline {
            out.push(&format!("{}.\n\n", super::human::baseline_summary(t)));
        }
        match snapshots {
            Snapshots::One(report) => {
                let groups = steps::group(report);
                out.push(&provenance(report));
                out.push("| Step | Status | Rules |\n| --- | --- | --- |\n");
                for group in &groups {
                    out.push(&board_row(group));
                }
                findings_by_step(&mut out, report, &groups, "####");
            }
            Snapshots::Several(sites) => several(&mut out, sites),
        }
        finish(out)
    }
}

/// The grid of snapshots × steps, then each snapshot under its name.
fn several(out: &mut Budget, sites: &[Site]) {
    let grouped: Vec<Vec<StepGroup<'_>>> = sites.iter().map(|s| steps::group(&s.report)).collect();
    let columns = grouped.iter().map(Vec::len).max().unwrap_or(0);
    let titles: Vec<&str> = steps::STEPS
        .iter()
        .chain(std::iter::once(&steps::OTHER))
        .take(columns)
        .map(|s| s.title)
        .collect();
    out.push(&format!(
        "| Snapshot | {} | Result |\n|{}\n",
        titles.join(" | "),
        " --- |".repeat(titles.len() + 2)
    ));
    for (site, groups) in sites.iter().zip(&grouped) {
        let cells: Vec<&str> = (0..columns)
            .map(|i| groups.get(i).map_or("", |g| status_mark(g.status())))
            .collect();
        out.push(&format!(
            "| {} | {} | {} |\n",
            escape(&site.name),
            cells.join(" | "),
            escape(&super::human::summary(site.report.totals()))
        ));
    }
    for (site, groups) in sites.iter().zip(&grouped) {
        out.heading(&format!(
            "\n#### {}: {}\n\n",
            escape(&site.name),
            escape(&super::human::summary(site.report.totals()))
        ));
        out.push(&provenance(&site.report));
        findings_by_step(out, &site.report, groups, "#####");
        for error in &site.report.errors {
            out.push(&format!("\n**Could not be read:** {}\n", escape(&error.message)));
        }
    }
}

/// A table of each step's failing findings under `heading`, then what was not evaluated and
/// what was suppressed.
fn findings_by_step(out: &mut Budget, report: &Report, groups: &[StepGroup<'_>], heading: &str) {
    for group in groups
        .iter()
        .filter(|g| g.findings_with(Outcome::Fail).next().is_some())
    {
        findings_table(out, group, heading);
    }
    not_evaluated(out, report);
    suppressed(out, report);
    fixed(out, report);
}

/// The baseline's findings that are gone, by rule and subject.
fn fixed(out: &mut Budget, report: &Report) {
    let Some(comparison) = &report.baseline else {
        return;
    };
    if comparison.absent.is_empty() {
        out.heading("\n**Fixed since the baseline:** none.\n");
        return;
    }
    out.heading(&format!(
        "\n**Fixed since the baseline:** {}:\n\n| Rule | Subject |\n| --- | --- |\n",
        plural(comparison.absent.len(), "finding", "findings")
    ));
    for finding in &comparison.absent {
        out.push(&format!("| `{}` | {} |\n", finding.rule_id, escape(&finding.subject)));
    }
}

/// The text, with the count of the rows that did not fit.
fn finish(out: Budget) -> String {
    let mut text = out.text;
    if out.left_out > 0 {
        let _ = write!(
            text,
            "\n_{} not shown: GitHub keeps {MAX_CHARS} characters of a comment; the JSON, SARIF and HTML reports have every finding._\n",
            plural(out.left_out, "more row", "more rows")
        );
    }
    text
}

/// The report as it grows, refusing what would take it past its limit. Once a row is refused
/// every later one is too, so what is shown is a prefix and the count says what follows.
struct Budget {
    text: String,
    chars: usize,
    limit: usize,
    full: bool,
    /// Rows refused; headings are not counted.
    left_out: usize,
}

impl Budget {
    fn new(limit: usize) -> Self {
        Budget {
            text: String::new(),
            chars: 0,
            limit,
            full: false,
            left_out: 0,
        }
    }

    /// Adds a whole row, or counts it as left out.
    fn push(&mut self, row: &str) -> bool {
        let added = self.add(row);
        if !added {
            self.left_out += 1;
        }
        added
    }

    /// Adds a heading, or leaves it out uncounted (its rows are counted instead).
    fn heading(&mut self, heading: &str) {
        self.add(heading);
    }

    fn add(&mut self, piece: &str) -> bool {
        let chars = piece.chars().count();
        if self.full || self.chars + chars > self.limit {
            self.full = true;
            return false;
        }
        self.text.push_str(piece);
        self.chars += chars;
        true
    }
}

/// Text from an input in a table cell or a line: control characters made visible, line ends
/// as spaces (a line end ends a table row), and every character Markdown or GitHub would read
/// as syntax (`|`, backticks, emphasis, links, HTML, math, mentions) backslash-escaped.
pub fn escape(text: &str) -> String {
    let shown = visible(text);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '\r' => {}
            '\n' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '!' | '&' | '$' | '@' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn provenance(report: &Report) -> String {
    let snapshot = &report.snapshot;
    let mut parts = Vec::new();
    match &snapshot.path {
        Some(path) => parts.push(format!("Snapshot {}", escape(&slash_path(path)))),
        None => parts.push("Live sources".to_owned()),
    }
    if let Some(host) = &snapshot.host {
        parts.push(format!("host **{}**", escape(host)));
    }
    if let Some(at) = &snapshot.collected_at {
        parts.push(format!("collected {}", escape(at)));
    }
    let rulesets: Vec<String> = report.ruleset.files.iter().map(|f| escape(&f.ruleset)).collect();
    if !rulesets.is_empty() {
        parts.push(format!("rules {}", rulesets.join(", ")));
    }
    if let Some(config) = &report.ruleset.config {
        parts.push(format!("config {}", escape(&slash_path(config))));
    }
    let params: Vec<String> = report
        .ruleset
        .params
        .iter()
        .map(|p| format!("{}={}", escape(&p.name), escape(&p.value)))
        .collect();
    if !params.is_empty() {
        parts.push(format!("params {}", params.join(", ")));
    }
    parts.push(format!("sitelint {}", env!("CARGO_PKG_VERSION")));
    format!("{}.\n\n", parts.join(" · "))
}

fn status_mark(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Passed => "✅ passed",
        StepStatus::Failed => "❌ failed",
        StepStatus::NotEvaluated => "⚪ not evaluated",
    }
}

fn board_row(group: &StepGroup<'_>) -> String {
    let status = group.status();
    let detail = if group.rules.iter().all(|r| r.status == RuleStatus::Disabled) {
        group.not_evaluated_because().to_owned()
    } else {
        let counts = [
            (RuleStatus::Failed, "failed"),
            (RuleStatus::Passed, "passed"),
            (RuleStatus::NotEvaluated, "not evaluated"),
        ];
        counts
            .iter()
            .filter(|(s, _)| group.count(*s) > 0)
            .map(|(s, word)| format!("{} {word}", group.count(*s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("| {} | {} | {detail} |\n", group.step.title, status_mark(status))
}

fn findings_table(out: &mut Budget, group: &StepGroup<'_>, level: &str) {
    let failing: Vec<&Finding> = group.findings_with(Outcome::Fail).collect();
    out.heading(&format!(
        "\n{level} {}\n\n{} · tag `{}`\n\n| Rule | Severity | Message | Location |\n| --- | --- | --- | --- |\n",
        group.step.title,
        plural(failing.len(), "failing finding", "failing findings"),
        group.step.tag
    ));
    for finding in failing {
        let location = finding
            .location
            .as_ref()
            .map_or_else(String::new, |l| escape(&place(l)));
        // With --baseline, a finding the baseline lacks says so before its message.
        let new = if finding.baseline == Some(BaselineState::New) {
            "**new** · "
        } else {
            ""
        };
        out.push(&format!(
            "| `{}` | {} | {new}{} | {location} |\n",
            finding.rule_id,
            finding.severity,
            escape(&finding.message)
        ));
    }
    for rule in group.rules.iter().filter(|r| r.omitted > 0 && !r.omitted_suppressed) {
        out.push(&format!(
            "| `{}` | {} | {} more, past the {} listed (counted in the JSON report) | |\n",
            rule.id,
            rule.severity,
            plural(rule.omitted, "finding", "findings"),
            crate::finding::MAX_FINDINGS_PER_RULE
        ));
    }
}

fn not_evaluated(out: &mut Budget, report: &Report) {
    let gaps: Vec<&Finding> = report.findings.iter().filter(|f| f.gap.is_some()).collect();
    let rules = report.totals().not_evaluated;
    if gaps.is_empty() {
        out.heading("\n**Not evaluated:** none.\n");
        return;
    }
    out.heading(&format!(
        "\n**Not evaluated:** {} ({}), never a pass:\n\n",
        plural(rules, "rule", "rules"),
        plural(gaps.len(), "finding", "findings")
    ));
    for finding in gaps {
        let Some(gap) = &finding.gap else { continue };
        let what = if gap.whole_rule {
            String::new()
        } else {
            format!(" {}:", escape(&finding.subject))
        };
        out.push(&format!("- `{}`:{what} {}\n", finding.rule_id, escape(&gap.reason)));
    }
}

fn suppressed(out: &mut Budget, report: &Report) {
    let waived: Vec<&Finding> = report.findings.iter().filter(|f| f.suppression.is_some()).collect();
    let count = report.totals().suppressed;
    if count == 0 {
        out.heading("\n**Suppressed:** none.\n");
        return;
    }
    out.heading(&format!(
        "\n**Suppressed:** {} by a waiver, not counted toward the result:\n\n",
        plural(count, "finding", "findings")
    ));
    for finding in waived {
        let Some(waiver) = &finding.suppression else { continue };
        let ticket = waiver
            .ticket
            .as_deref()
            .map_or_else(String::new, |t| format!(", {}", escape(t)));
        out.push(&format!(
            "- `{}` {}: {} (owner {}, until {}{ticket})\n",
            finding.rule_id,
            escape(&finding.subject),
            escape(&waiver.reason),
            escape(&waiver.owner),
            escape(&waiver.expires)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_syntax_in_inputs_is_escaped() {
        assert_eq!(
            escape("a | b `c` <script>\r\nnext"),
            "a \\| b \\`c\\` \\<script\\> next"
        );
        assert_eq!(escape("\u{1b}[31m"), "\\\\x1b\\[31m");
    }

    #[test]
    fn a_refused_row_refuses_every_later_one_and_counts_them() {
        let mut budget = Budget::new(10);
        assert!(budget.push("12345"));
        assert!(!budget.push("1234567"));
        // It would fit, but comes after one that did not: the shown part stays a prefix.
        assert!(!budget.push("1"));
        assert_eq!((budget.text.as_str(), budget.left_out), ("12345", 2));
    }
}
