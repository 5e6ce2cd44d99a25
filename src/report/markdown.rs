//! The Markdown report: GitHub-flavoured, for a pull request comment or
//! `$GITHUB_STEP_SUMMARY`. The summary line, the steps with their status, a table per step of
//! its failing findings with their log lines, what to do once per cause, and what was not
//! evaluated or suppressed. GitHub refuses a comment
//! over 65,536 characters, so the rows that do not fit are counted, never cut in the middle;
//! when they do not all fit, the notes go first, then the warnings, so that the errors are
//! what is shown (40,000 errors must not hide behind the warnings of an earlier step).

use std::fmt::Write as _;

use super::steps::{self, StepGroup, StepStatus};
use super::{Cause, Render, RenderContext, Snapshots, causes, place};
use crate::document::text::{plural, visible};
use crate::files::slash_path;
use crate::finding::{BaselineState, Finding, Outcome, Report, RuleStatus, Severity, Site};

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
        // Everything if it fits; else without the notes' rows; else with the errors' alone.
        let mut out = render_from(snapshots, Severity::Note);
        for floor in [Severity::Warning, Severity::Error] {
            if out.left_out == 0 {
                break;
            }
            out = render_from(snapshots, floor);
        }
        finish(out)
    }
}

/// The report with the failing findings' rows of `floor` and above, the others counted as
/// left out.
fn render_from(snapshots: Snapshots<'_>, floor: Severity) -> Budget {
    let (totals, baseline) = snapshots.totals();
    let mut out = Budget::new(MAX_CHARS - FOOTER_ROOM, floor);
    let verdict = super::human::summary(totals);
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
    out
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
        let errors = super::read_errors(&site.report).map_or_else(String::new, |e| format!(", **{e}**"));
        out.push(&format!(
            "| {} | {} | {}{errors} |\n",
            escape(&site.name),
            cells.join(" | "),
            super::human::summary(site.report.totals())
        ));
    }
    for (site, groups) in sites.iter().zip(&grouped) {
        out.heading(&format!(
            "\n#### {}: {}\n\n",
            escape_line(&site.name),
            super::human::summary(site.report.totals())
        ));
        out.push(&provenance(&site.report));
        findings_by_step(out, &site.report, groups, "#####");
        for error in &site.report.errors {
            out.push(&format!("\n**Could not be read:** {}\n", escape_line(&error.message)));
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
            "\n_{} not shown{}: GitHub keeps {MAX_CHARS} characters of a comment; the JSON and HTML reports list every finding kept._\n",
            plural(out.left_out, "more row", "more rows"),
            match out.floor {
                Severity::Note => String::new(),
                floor => format!(" (every finding below {floor} left out first)"),
            }
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
    /// Failing findings below this severity are left out before any row is refused.
    floor: Severity,
}

impl Budget {
    fn new(limit: usize, floor: Severity) -> Self {
        Budget {
            text: String::new(),
            chars: 0,
            limit,
            full: false,
            left_out: 0,
            floor,
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

/// Text from an input (a log line, a path, a host, a waiver's reason) in a table cell: see
/// [`code`]; a `|` is escaped as well, since GitHub splits a table row at a `|` even inside
/// a code span, and drops the backslash of `\|` there.
pub fn escape(text: &str) -> String {
    code(text, true)
}

/// Text from an input on a line of its own (a list item): see [`code`].
fn escape_line(text: &str) -> String {
    code(text, false)
}

/// Text from an input as a code span, the one Markdown construct inside which GitHub makes
/// nothing live: no `@user` or `@org/team` mention (a backslash before `@` does not stop
/// one), no `#123` or `owner/repo#123` reference, no link of a bare URL, no emphasis, HTML,
/// math or emoji. Control characters are made visible and line ends become spaces (a line
/// end would end a table row, or forge one); the fence is one backtick longer than the
/// longest run inside, with a space inside it where the text starts or ends with a backtick.
/// Empty text stays empty.
fn code(text: &str, in_table: bool) -> String {
    let mut shown: String = visible(text)
        .chars()
        .filter(|&c| c != '\r')
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    if in_table {
        shown = shown.replace('|', "\\|");
    }
    if shown.trim().is_empty() {
        return shown;
    }
    let longest = shown.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if shown.starts_with('`') || shown.ends_with('`') || (shown.starts_with(' ') && shown.ends_with(' ')) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

fn provenance(report: &Report) -> String {
    let snapshot = &report.snapshot;
    let mut parts = Vec::new();
    match &snapshot.path {
        Some(path) => parts.push(format!("Snapshot {}", escape_line(&slash_path(path)))),
        None => parts.push("Live sources".to_owned()),
    }
    if let Some(host) = &snapshot.host {
        parts.push(format!("host {}", escape_line(host)));
    }
    if let Some(at) = &snapshot.collected_at {
        parts.push(format!("collected {}", escape_line(at)));
    }
    let rulesets: Vec<String> = report.ruleset.files.iter().map(|f| escape_line(&f.ruleset)).collect();
    if !rulesets.is_empty() {
        parts.push(format!("rules {}", rulesets.join(", ")));
    }
    if let Some(config) = &report.ruleset.config {
        parts.push(format!("config {}", escape_line(&slash_path(config))));
    }
    let params: Vec<String> = report
        .ruleset
        .params
        .iter()
        .map(|p| format!("{}={}", escape_line(&p.name), escape_line(&p.value)))
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

/// A step's failing findings, each with its log line where it has one, then what to do, once
/// per cause.
fn findings_table(out: &mut Budget, group: &StepGroup<'_>, level: &str) {
    let failing: Vec<&Finding> = group.findings_with(Outcome::Fail).collect();
    // The log line's column only where a finding has one: an endpoint has none.
    let lines = failing.iter().any(|f| f.excerpt.is_some());
    out.heading(&format!(
        "\n{level} {}\n\n{} · tag `{}`\n\n| Rule | Severity | Message |{} Location |\n| --- | --- | --- |{} --- |\n",
        group.step.title,
        plural(failing.len(), "failing finding", "failing findings"),
        group.step.tag,
        if lines { " Log line |" } else { "" },
        if lines { " --- |" } else { "" },
    ));
    for &finding in &failing {
        if finding.severity < out.floor {
            out.left_out += 1;
            continue;
        }
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
        let line = match (&finding.excerpt, lines) {
            (Some(excerpt), true) => format!(" {} |", escape(&excerpt.text)),
            (None, true) => " |".to_owned(),
            (_, false) => String::new(),
        };
        out.push(&format!(
            "| `{}` | {} | {new}{} |{line} {location} |\n",
            finding.rule_id,
            finding.severity,
            escape(&finding.message)
        ));
    }
    for rule in group.rules.iter().filter(|r| r.omitted > 0 && !r.omitted_suppressed) {
        out.push(&format!(
            "| `{}` | {} | {} more, past the {} listed (counted in the JSON report) |{} |\n",
            rule.id,
            rule.severity,
            plural(rule.omitted, "finding", "findings"),
            crate::finding::MAX_FINDINGS_PER_RULE,
            if lines { " |" } else { "" },
        ));
    }
    what_to_do(out, &failing);
}

/// Each cause's help and link, once however many findings it has. The help is a rule file's
/// text, so it is a code span like every other text from a file.
fn what_to_do(out: &mut Budget, failing: &[&Finding]) {
    let causes: Vec<Cause<'_>> = causes(failing.iter().copied())
        .into_iter()
        .filter(|c| c.first().help.is_some() || c.first().url.is_some())
        .collect();
    if causes.is_empty() {
        return;
    }
    out.heading("\n**What to do**\n\n");
    for cause in causes {
        let first = cause.first();
        let count = match cause.findings.len() {
            1 => String::new(),
            n => format!(" ({n} findings)"),
        };
        let help = first
            .help
            .as_deref()
            .map_or_else(String::new, |h| format!(" {}", escape_line(h)));
        let url = first
            .url
            .as_deref()
            .map_or_else(String::new, |u| format!(" {}", link(u)));
        out.push(&format!("- `{}`{count}:{help}{url}\n", first.rule_id));
    }
}

/// A rule's `url:` as an autolink when it is a web address with nothing that would end one
/// early; anything else as a code span.
fn link(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://");
    if web
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '`'))
    {
        format!("<{url}>")
    } else {
        escape_line(url)
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
            format!(" {}:", escape_line(&finding.subject))
        };
        out.push(&format!(
            "- `{}`:{what} {}\n",
            finding.rule_id,
            escape_line(&gap.reason)
        ));
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
            .map_or_else(String::new, |t| format!(", {}", escape_line(t)));
        out.push(&format!(
            "- `{}` {}: {} (owner {}, until {}{ticket})\n",
            finding.rule_id,
            escape_line(&finding.subject),
            escape_line(&waiver.reason),
            escape_line(&waiver.owner),
            escape_line(&waiver.expires)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_syntax_in_inputs_is_escaped() {
        assert_eq!(escape("a | b `c` <script>\r\nnext"), "``a \\| b `c` <script> next``");
        assert_eq!(escape("\u{1b}[31m"), "`\\x1b[31m`");
        assert_eq!(escape("`tick`"), "`` `tick` ``");
        assert_eq!(escape(""), "");
    }

    /// Issue 35 (M5): GitHub ignores a backslash before `@` and `#`: a log line mentioned
    /// users and teams and linked issues from a pull-request comment, and bare URLs became
    /// live links. In a code span GitHub makes none of them.
    #[test]
    fn mentions_references_and_urls_from_a_log_are_code() {
        let line = "ask @octocat and @github/security about #123 at https://evil.example/x";
        assert_eq!(escape(line), format!("`{line}`"));
        assert_eq!(escape_line(line), format!("`{line}`"));
        assert_eq!(escape_line("a|b"), "`a|b`");
    }

    #[test]
    fn a_refused_row_refuses_every_later_one_and_counts_them() {
        let mut budget = Budget::new(10, Severity::Note);
        assert!(budget.push("12345"));
        assert!(!budget.push("1234567"));
        // It would fit, but comes after one that did not: the shown part stays a prefix.
        assert!(!budget.push("1"));
        assert_eq!((budget.text.as_str(), budget.left_out), ("12345", 2));
    }
}
