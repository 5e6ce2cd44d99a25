//! The report for a person at a terminal: one miette diagnostic per failure, with the log
//! excerpt and the match underlined, then the rules not evaluated in one compact block (a
//! check of one source should not bury its result under a diagnostic per rule it could not
//! run), then a one-line summary.

mod diagnostic;
#[cfg(test)]
mod tests;
mod wrap;

use std::collections::HashSet;
use std::fmt::Write as _;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

use self::diagnostic::FindingDiagnostic;
use self::wrap::words_keeping_code_spans;
pub use self::wrap::wrap;
use super::steps::{self, OTHER, STEPS, Step};
use super::{Render, RenderContext, Snapshots};
use crate::document::text::{plural, visible, visible_line};
use crate::files::native_path;
use crate::finding::{BaselineTotals, Finding, Outcome, Report, RuleStatus, Site, Totals};

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
    /// Draw frames with ASCII only. Windows PowerShell 5.1 decodes a redirected program's
    /// output in the console's code page, which turns box-drawing characters into noise.
    pub ascii: bool,
    /// Clip excerpt lines to `width`, for a terminal (or a width asked for with `COLUMNS`).
    /// A pipe or a file keeps every line whole: there a cut hides the end of a line (a
    /// destination folder, an error code) that no one can scroll to.
    pub clip: bool,
}

/// A handler configured the same way for findings and for rule-file problems.
pub fn handler(style: Style) -> GraphicalReportHandler {
    let theme = match (style.color, style.ascii) {
        (true, false) => GraphicalTheme::unicode(),
        (false, false) => GraphicalTheme::unicode_nocolor(),
        (true, true) => GraphicalTheme::ascii(),
        (false, true) => GraphicalTheme::none(),
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_break_words(false)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_word_separator(textwrap::WordSeparator::Custom(words_keeping_code_spans))
}

/// Renders any miette diagnostic (rule-file problems use this too).
pub fn render_diagnostic(diagnostic: &dyn Diagnostic, style: Style) -> String {
    let mut out = String::new();
    if handler(style).render_report(&mut out, diagnostic).is_err() {
        let _ = writeln!(out, "{diagnostic}");
    }
    out
}

/// The terminal report.
pub struct Human;

impl Render for Human {
    fn render_snapshots(&self, snapshots: Snapshots<'_>, context: &RenderContext<'_>) -> String {
        let style = file_style(context);
        match snapshots {
            Snapshots::One(report) => render(report, style, context),
            Snapshots::Several(sites) => render_sites(sites, style, context),
        }
    }
}

/// Each snapshot's findings under its name, with its summary, then one line per snapshot and
/// the totals of the run.
fn render_sites(sites: &[Site], style: Style, context: &RenderContext<'_>) -> String {
    let mut out = String::new();
    if !context.quiet {
        for site in sites {
            let rule = if style.ascii { "==" } else { "━━" };
            let path = site.report.snapshot.path.as_deref().map(native_path);
            let _ = writeln!(
                out,
                "{rule} snapshot {} ({}) {rule}\n",
                visible_line(&site.name),
                visible_line(path.as_deref().unwrap_or("live sources"))
            );
            body(&mut out, &site.report, style, context);
            let _ = writeln!(out, "{}: {}", visible_line(&site.name), summary(site.report.totals()));
            if let Some(t) = site.report.baseline_totals() {
                let _ = writeln!(out, "{}: {}", visible_line(&site.name), baseline_summary(t));
            }
            out.push('\n');
        }
    }
    out.push_str(&plural(sites.len(), "snapshot", "snapshots"));
    out.push_str(":\n");
    let width = sites
        .iter()
        .map(|s| visible_line(&s.name).chars().count())
        .max()
        .unwrap_or(0);
    for site in sites {
        let t = site.report.totals();
        let _ = write!(
            out,
            "  {:<width$}  {}, {}, {} not evaluated, {} suppressed",
            visible_line(&site.name),
            plural(t.errors, "error", "errors"),
            plural(t.warnings, "warning", "warnings"),
            plural(t.not_evaluated, "rule", "rules"),
            t.suppressed
        );
        if let Some(errors) = super::read_errors(&site.report) {
            let _ = write!(out, ", {errors}");
        }
        out.push('\n');
    }
    let (all, baseline) = crate::finding::totals_of(sites);
    let _ = writeln!(out, "in all: {}", summary(all));
    if let Some(b) = baseline {
        let _ = writeln!(out, "in all: {}", baseline_summary(b));
    }
    out
}

/// A report written to a file is UTF-8 bytes, whatever the console's code page.
fn file_style(context: &RenderContext<'_>) -> Style {
    if context.to_file {
        Style {
            color: false,
            ascii: false,
            clip: false,
            ..context.style
        }
    } else {
        context.style
    }
}

/// The whole report; with `quiet`, only the summary line.
fn render(report: &Report, style: Style, context: &RenderContext<'_>) -> String {
    let mut out = String::new();
    if !context.quiet {
        body(&mut out, report, style, context);
    }
    out.push_str(&summary(report.totals()));
    if let Some(config) = &report.ruleset.config {
        let _ = write!(out, "; config {}", visible(&native_path(config)));
    }
    out.push('\n');
    if let Some(t) = report.baseline_totals() {
        out.push_str(&baseline_summary(t));
        out.push('\n');
    }
    out
}

/// Narrowest column the reasons of the not-evaluated block are wrapped into beside the ids.
const MIN_REASON_COLUMN: usize = 30;

/// The findings shown, what was not evaluated, and what was fixed since the baseline.
fn body(out: &mut String, report: &Report, style: Style, context: &RenderContext<'_>) {
    let show_suppressed = context.show_suppressed;
    let shown = |f: &&Finding| match f.outcome() {
        Outcome::Fail => true,
        Outcome::Suppressed => show_suppressed,
        Outcome::NotEvaluated => false,
    };
    // A rule's help is shown once, at its first finding: forty failed prerequisite lines
    // need forty messages, not forty copies of one paragraph. JSON and SARIF keep it on each.
    let mut helped: HashSet<(&str, &str)> = HashSet::new();
    for finding in in_procedure_order(report).into_iter().filter(shown) {
        let mut diagnostic = FindingDiagnostic::new(finding, &report.snapshot, context.working_dir, style);
        if let Some(help) = finding.help.as_deref()
            && !helped.insert((finding.rule_id.as_str(), help))
        {
            diagnostic.help_above = true;
        }
        out.push_str(&render_diagnostic(&diagnostic, style));
        out.push('\n');
    }
    out.push_str(&not_evaluated_block(report, style.width, context.verbose));
    for rule in report.rules.iter().filter(|r| r.omitted > 0 && !r.omitted_suppressed) {
        let note = format!(
            "note: {} found {} more than the {} shown; the JSON report counts them as omitted_findings",
            rule.id,
            plural(rule.omitted, "finding", "findings"),
            crate::finding::MAX_FINDINGS_PER_RULE
        );
        let _ = writeln!(out, "{}\n", wrap(&note, style.width, "", "  "));
    }
    out.push_str(&fixed_block(report));
}

/// The findings in the procedure's order, step by step, and in a step errors first, then
/// warnings, then notes (each in report order), so the first screen shows the worst problem
/// of the earliest step rather than whichever file sorts first.
fn in_procedure_order(report: &Report) -> Vec<&Finding> {
    let mut ordered = Vec::with_capacity(report.findings.len());
    for group in steps::group(report) {
        let start = ordered.len();
        ordered.extend(group.findings);
        ordered[start..].sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
    ordered
}

/// The baseline's findings that are gone, one line each: rule and subject.
fn fixed_block(report: &Report) -> String {
    let Some(comparison) = &report.baseline else {
        return String::new();
    };
    if comparison.absent.is_empty() {
        return String::new();
    }
    let width = comparison
        .absent
        .iter()
        .map(|f| f.rule_id.chars().count())
        .max()
        .unwrap_or(0);
    let mut block = String::from("fixed since the baseline:\n");
    for finding in &comparison.absent {
        let _ = writeln!(block, "  {:<width$}  {}", finding.rule_id, visible(&finding.subject));
    }
    block.push('\n');
    block
}

/// `2 new, 5 unchanged, 3 fixed since the baseline`, with the updated ones and those this
/// run could not check again where there are any.
pub fn baseline_summary(t: BaselineTotals) -> String {
    let mut parts = vec![format!("{} new", t.new)];
    if t.updated > 0 {
        parts.push(format!("{} updated", t.updated));
    }
    parts.push(format!("{} unchanged", t.unchanged));
    parts.push(format!("{} fixed since the baseline", t.absent));
    let mut line = parts.join(", ");
    if t.unchecked > 0 {
        let _ = write!(
            line,
            " ({} not checked again: their rules were not evaluated or found more than they keep)",
            t.unchecked
        );
    }
    if t.uncompared > 0 {
        let _ = write!(
            line,
            "; {} past the cap of {} findings per rule not compared",
            t.uncompared,
            crate::finding::MAX_FINDINGS_PER_RULE
        );
    }
    line
}

/// What was not evaluated, under the step each rule belongs to and where that step's
/// evidence lives, so that a run on one machine can tell the evidence it lacks from the
/// evidence that is on the other machine. One line per missing input (`12 rules: no registry
/// export given (use --registry)`): a check of one source should not scroll its result away
/// under a line for every rule it could not run; `-v` lists them rule by rule.
fn not_evaluated_block(report: &Report, width: usize, verbose: bool) -> String {
    let groups: Vec<(&Step, Vec<(&str, &str)>)> = steps::group(report)
        .into_iter()
        .map(|group| {
            let gaps = group
                .findings
                .into_iter()
                .filter(|f| f.outcome() == Outcome::NotEvaluated)
                .filter_map(|f| Some((f.rule_id.as_str(), f.gap.as_ref()?.reason.as_str())))
                .collect::<Vec<_>>();
            (group.step, gaps)
        })
        .filter(|(_, gaps)| !gaps.is_empty())
        .collect();
    if groups.is_empty() {
        return String::new();
    }
    // Rules without a step tag (a site's own rules) need no heading of their own.
    let headed = !matches!(&groups[..], [(step, _)] if step.tag == OTHER.tag);
    let margin = if headed { "    " } else { "  " };
    let mut block = if verbose {
        String::from("not evaluated:\n")
    } else {
        String::from("not evaluated (-v lists the rules):\n")
    };
    for (step, gaps) in &groups {
        if headed {
            let _ = writeln!(block, "  {} ({})", step.tag, step.place);
        }
        if verbose {
            rule_by_rule(&mut block, gaps, margin, width);
        } else {
            by_missing_input(&mut block, gaps, margin, width);
        }
    }
    if let Some(hint) = machine_hint(report) {
        let _ = writeln!(block, "{}", wrap(&hint, width, "  ", "  "));
    }
    block.push('\n');
    block
}

/// `12 rules: no registry export given (use --registry)`, a line per reason, in the order the
/// reasons first come; a rule counted once per reason (a rule with several gaps, such as
/// wildcard endpoints, is one rule).
fn by_missing_input(block: &mut String, gaps: &[(&str, &str)], margin: &str, width: usize) {
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for &(id, reason) in gaps {
        match reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, ids)) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => reasons.push((reason, vec![id])),
        }
    }
    for (reason, ids) in reasons {
        let line = format!("{}: {}", plural(ids.len(), "rule", "rules"), visible(reason));
        let _ = writeln!(block, "{}", wrap(&line, width, margin, &format!("{margin}  ")));
    }
}

/// One line per rule, or part of a rule, with the reason (which names the source it lacks),
/// ids aligned, reasons wrapped to `width`.
fn rule_by_rule(block: &mut String, gaps: &[(&str, &str)], margin: &str, width: usize) {
    let id_width = gaps
        .iter()
        .map(|(id, _)| id.chars().count())
        .max()
        .unwrap_or(0)
        .min(crate::rules::MAX_ID_LEN);
    // Reasons wrap beside the ids; when that leaves too narrow a column, below them.
    let beside = margin.len() + id_width + 2 + MIN_REASON_COLUMN <= width;
    for (id, reason) in gaps {
        let reason = visible(reason);
        if beside {
            let indent = " ".repeat(margin.len() + id_width + 2);
            let initial = format!("{margin}{id:<id_width$}  ");
            let _ = writeln!(block, "{}", wrap(&reason, width, &initial, &indent));
        } else {
            let deeper = format!("{margin}    ");
            let _ = writeln!(block, "{margin}{id}\n{}", wrap(&reason, width, &deeper, &deeper));
        }
    }
}

/// The `--step` that checks only the steps of the machine the run is on, when the other
/// machine's rules are what is left not evaluated. The machine is told by its evidence: a run
/// where a rule of one machine's steps was evaluated and none of the other's is on the first.
/// With evidence of both, or of neither, no machine can be told and nothing is suggested.
fn machine_hint(report: &Report) -> Option<String> {
    let on_internet_machine = |step: &Step| step.place.starts_with("internet machine");
    let (mut internet, mut site_server) = (Evidence::default(), Evidence::default());
    for group in steps::group(report).iter().filter(|g| g.step.tag != OTHER.tag) {
        let side = if on_internet_machine(group.step) {
            &mut internet
        } else {
            &mut site_server
        };
        side.evaluated |= group.count(RuleStatus::Passed) + group.count(RuleStatus::Failed) > 0;
        side.missing |= group.count(RuleStatus::NotEvaluated) > 0;
    }
    let (machine, here) = match (internet.evaluated, site_server.evaluated) {
        (true, false) if site_server.missing => ("internet machine", true),
        (false, true) if internet.missing => ("site server", false),
        _ => return None,
    };
    let tags: Vec<&str> = STEPS
        .iter()
        .filter(|s| on_internet_machine(s) == here)
        .map(|s| s.tag)
        .collect();
    Some(format!(
        "on the {machine}, add --step {} to check only its steps",
        tags.join(",")
    ))
}

/// Whether some rules of one machine's steps were evaluated, and whether some were not.
#[derive(Default)]
struct Evidence {
    evaluated: bool,
    missing: bool,
}

/// `2 errors, 1 warning, 1 rule not evaluated, 31 rules passed`.
pub fn summary(t: Totals) -> String {
    let mut parts = vec![
        plural(t.errors, "error", "errors"),
        plural(t.warnings, "warning", "warnings"),
    ];
    if t.notes > 0 {
        parts.push(plural(t.notes, "note", "notes"));
    }
    parts.push(format!("{} not evaluated", plural(t.not_evaluated, "rule", "rules")));
    parts.push(format!("{} passed", plural(t.passed, "rule", "rules")));
    if t.suppressed > 0 {
        parts.push(format!("{} suppressed", t.suppressed));
    }
    let mut line = parts.join(", ");
    if t.omitted > 0 {
        let found = t.errors + t.warnings + t.notes;
        let _ = write!(line, " ({} of {found} problems shown)", found - t.omitted);
    }
    line
}
