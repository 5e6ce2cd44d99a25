//! The parts of one snapshot's report: its provenance, the board of steps, the counts, each
//! step's findings, and what was not evaluated, waived or unreadable.

use std::fmt::Write as _;

use super::{escape, rich};
use crate::document::text::{VisibleText, plural};
use crate::files::slash_path;
use crate::finding::{BaselineState, Finding, Outcome, Report, RuleStatus, Severity, Totals};
use crate::report::steps::{StepGroup, StepStatus};
use crate::report::{Cause, RenderContext, causes, place, waiver_place};

/// Where a part of a snapshot's report goes: a section of the report of one snapshot (`<h2>`,
/// ids as they are), or of one snapshot among several (`<h3>`, ids prefixed by the snapshot's,
/// so no two parts share one).
#[derive(Clone, Copy)]
pub(super) struct Part<'a> {
    pub level: u8,
    pub prefix: &'a str,
}

impl Part<'_> {
    pub(super) const ONE: Part<'static> = Part { level: 2, prefix: "" };

    fn open(self, out: &mut String, id: &str, title: &str) {
        let _ = writeln!(
            out,
            "<section id=\"{}{id}\">\n<h{level}>{title}</h{level}>",
            self.prefix,
            level = self.level
        );
    }
}

pub(super) fn provenance(out: &mut String, report: &Report) {
    Part::ONE.open(out, "provenance", "Provenance");
    out.push_str("<dl>\n");
    provenance_rows(out, report);
    out.push_str("</dl>\n</section>\n");
}

/// Where the snapshot came from and what judged it: the site config, rule files and params.
pub(super) fn provenance_rows(out: &mut String, report: &Report) {
    let snapshot = &report.snapshot;
    let unknown = "<span class=\"none\">not recorded</span>".to_owned();
    let field = |value: Option<&str>| value.map_or_else(|| unknown.clone(), |v| format!("<code>{}</code>", escape(v)));
    let path = snapshot.path.as_deref().map(slash_path);
    let _ = writeln!(
        out,
        "<dt>Snapshot</dt><dd>{}</dd>",
        path.as_deref().map_or_else(
            || "live sources (no snapshot manifest)".to_owned(),
            |p| format!("<code>{}</code>", escape(p))
        )
    );
    let _ = writeln!(out, "<dt>Host</dt><dd>{}</dd>", field(snapshot.host.as_deref()));
    let _ = writeln!(
        out,
        "<dt>Collected at</dt><dd>{}</dd>",
        field(snapshot.collected_at.as_deref())
    );
    let _ = writeln!(
        out,
        "<dt>Site config</dt><dd>{}</dd>",
        report.ruleset.config.as_deref().map_or_else(
            || "none".to_owned(),
            |c| format!("<code>{}</code>", escape(&slash_path(c)))
        )
    );
    let _ = writeln!(out, "<dt>sitelint</dt><dd>{}</dd>", env!("CARGO_PKG_VERSION"));
    out.push_str("<dt>Rules</dt><dd><ul>");
    for file in &report.ruleset.files {
        let _ = write!(
            out,
            "<li><strong>{}</strong> from <code>{}</code> ({})</li>",
            escape(&file.ruleset),
            escape(&slash_path(&file.path)),
            plural(file.rules, "rule", "rules")
        );
    }
    out.push_str("</ul></dd>\n<dt>Params</dt><dd>");
    if report.ruleset.params.is_empty() {
        out.push_str("none");
    } else {
        out.push_str("<ul>");
        for param in &report.ruleset.params {
            let _ = write!(
                out,
                "<li><code>{} = {}</code> <span class=\"origin\">from {}</span></li>",
                escape(&param.name),
                escape(&param.value),
                escape(&slash_path(&param.origin.to_string()))
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</dd>\n");
}

/// The steps side by side, each with its status in words (a mark alone does not survive a
/// black-and-white print).
pub(super) fn board(out: &mut String, groups: &[StepGroup<'_>]) {
    out.push_str("<section id=\"steps\">\n<h2>Steps</h2>\n<ol class=\"board\">\n");
    for group in groups {
        let status = group.status();
        let detail = match status {
            StepStatus::Failed => {
                let failing = group.findings_with(Outcome::Fail).count();
                format!(
                    "{} failed, {}",
                    plural(group.count(RuleStatus::Failed), "rule", "rules"),
                    plural(failing, "finding", "findings")
                )
            }
            StepStatus::Passed => format!("{} passed", plural(group.count(RuleStatus::Passed), "rule", "rules")),
            StepStatus::NotEvaluated => group.not_evaluated_because().to_owned(),
        };
        let _ = writeln!(
            out,
            "<li class=\"step-card {class}\"><a href=\"#step-{tag}\"><span class=\"step-title\">{title}</span> \
             <span class=\"status\">{status}</span> <span class=\"detail\">{detail}</span> \
             <span class=\"place\">{place}</span></a></li>",
            class = class_of(status),
            tag = group.step.tag,
            title = group.step.title,
            status = status.as_str(),
            place = group.step.place,
        );
    }
    out.push_str("</ol>\n</section>\n");
}

pub(super) fn class_of(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Passed => "passed",
        StepStatus::Failed => "failed",
        StepStatus::NotEvaluated => "not-evaluated",
    }
}

/// The figures every report shares: the summary's problems, and the JSON report's
/// `findings` by outcome and `rules` by status. `data-count` names each for scripts.
pub(super) fn counts(out: &mut String, report: &Report, totals: Totals) {
    let findings = |outcome: Outcome| report.findings.iter().filter(|f| f.outcome() == outcome).count();
    let rules = |status: RuleStatus| report.rules.iter().filter(|r| r.status == status).count();
    // One figure: its name for scripts, its value, and its words for one and for many.
    let figure = |name: &str, value: usize, one: &str, many: &str| {
        let words = if value == 1 { one } else { many };
        format!("<span><strong data-count=\"{name}\">{value}</strong> {words}</span>")
    };
    let same = |name: &str, value: usize, words: &str| figure(name, value, words, words);
    let lines = [
        (
            "Problems",
            vec![
                figure("errors", totals.errors, "error", "errors"),
                figure("warnings", totals.warnings, "warning", "warnings"),
                figure("notes", totals.notes, "note", "notes"),
                same("suppressed", totals.suppressed, "suppressed"),
                same("omitted", totals.omitted, "counted past the 1000 listed for a rule"),
            ],
        ),
        (
            "Findings listed",
            vec![
                same("findings-fail", findings(Outcome::Fail), "failing"),
                same("findings-suppressed", findings(Outcome::Suppressed), "suppressed"),
                same(
                    "findings-not-evaluated",
                    findings(Outcome::NotEvaluated),
                    "not evaluated",
                ),
            ],
        ),
        (
            "Rules",
            vec![
                // As the summary line counts them: the built-in waiver checks never pass.
                same("rules-passed", totals.passed, "passed"),
                same("rules-failed", rules(RuleStatus::Failed), "failed"),
                same("rules-not-evaluated", rules(RuleStatus::NotEvaluated), "not evaluated"),
                same("rules-disabled", rules(RuleStatus::Disabled), "disabled"),
            ],
        ),
    ];
    out.push_str("<section id=\"counts\">\n<h2>Counts</h2>\n<dl class=\"counts\">\n");
    for (title, figures) in lines {
        let _ = writeln!(out, "<dt>{title}</dt><dd>{}</dd>", figures.join(" · "));
    }
    out.push_str("</dl>\n</section>\n");
}

pub(super) fn step_section(out: &mut String, group: &StepGroup<'_>) {
    let status = group.status();
    let _ = write!(
        out,
        "<section class=\"step {class}{paged}\" id=\"step-{tag}\">\n<h2>{title} <span class=\"status\">{status}</span></h2>\n\
         <p class=\"place\">{place} · tag <code>{tag}</code></p>\n",
        class = class_of(status),
        // A printed page of its own only for a step with findings to read.
        paged = if group.findings_with(Outcome::Fail).next().is_some() {
            " paged"
        } else {
            ""
        },
        tag = group.step.tag,
        title = group.step.title,
        status = status.as_str(),
        place = group.step.place,
    );
    let failing: Vec<&Finding> = group.findings_with(Outcome::Fail).collect();
    if failing.is_empty() {
        let words = match status {
            StepStatus::NotEvaluated => group.not_evaluated_because(),
            _ => "No failing finding.",
        };
        let _ = writeln!(out, "<p>{words}</p>");
    }
    for cause in causes(failing) {
        cause_article(out, &cause);
    }
    for rule in group.rules.iter().filter(|r| r.omitted > 0 && !r.omitted_suppressed) {
        let _ = writeln!(
            out,
            "<p class=\"omitted\"><code>{}</code> found {} more than the {} listed; the JSON report counts them as <code>omitted_findings</code>.</p>",
            escape(&rule.id),
            plural(rule.omitted, "finding", "findings"),
            crate::finding::MAX_FINDINGS_PER_RULE
        );
    }
    if !group.rules.is_empty() {
        out.push_str(
            "<table class=\"rules\">\n<thead><tr><th>Rule</th><th>Severity</th><th>Status</th><th>Title</th></tr></thead>\n<tbody>\n",
        );
        for rule in &group.rules {
            let status = match rule.status {
                RuleStatus::Passed => "passed",
                RuleStatus::Failed => "failed",
                RuleStatus::NotEvaluated => "not evaluated",
                RuleStatus::Disabled => "disabled",
            };
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td>{status}</td><td>{}</td></tr>",
                status.replace(' ', "-"),
                escape(&rule.id),
                rule.severity,
                escape(&rule.title)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

/// One cause: its rule, each of its findings (message, place, excerpt), then its help once.
pub(super) fn cause_article(out: &mut String, cause: &Cause<'_>) {
    let first = cause.first();
    let severity = first.severity;
    let _ = write!(
        out,
        "<article class=\"finding {severity}\">\n<h3><span class=\"severity\">{}</span> <code>{}</code>",
        severity_word(severity),
        escape(&first.rule_id),
    );
    match cause.findings[..] {
        [one] => {
            let _ = writeln!(out, "{}</h3>", new_mark(one));
            occurrence(out, one);
        }
        ref many => {
            let _ = writeln!(
                out,
                " <span class=\"count\">{}, one cause</span></h3>\n<ol class=\"occurrences\">",
                plural(many.len(), "finding", "findings")
            );
            for finding in many {
                let _ = writeln!(out, "<li>{}", new_mark(finding));
                occurrence(out, finding);
                out.push_str("</li>\n");
            }
            out.push_str("</ol>\n");
        }
    }
    help(out, first);
    out.push_str("</article>\n");
}

/// With --baseline, a finding the baseline lacks says so in words.
fn new_mark(finding: &Finding) -> &'static str {
    if finding.baseline == Some(BaselineState::New) {
        " <span class=\"new\">new since the baseline</span>"
    } else {
        ""
    }
}

/// A finding's message, place and excerpt.
fn occurrence(out: &mut String, finding: &Finding) {
    let _ = writeln!(out, "<p class=\"message\">{}</p>", rich(&finding.message));
    if let Some(location) = &finding.location {
        let _ = writeln!(
            out,
            "<p class=\"location\">at <code>{}</code></p>",
            escape(&place(location))
        );
    }
    if let Some(excerpt) = &finding.excerpt {
        out.push_str("<figure class=\"excerpt\"><pre>");
        out.push_str(&marked(&excerpt.text, excerpt.highlight.clone()));
        out.push_str("</pre>");
        if !excerpt.label.is_empty() {
            let _ = write!(out, "<figcaption>{}</figcaption>", escape(&excerpt.label));
        }
        out.push_str("</figure>\n");
    }
}

fn help(out: &mut String, finding: &Finding) {
    if let Some(help) = &finding.help {
        let _ = writeln!(out, "<p class=\"help\"><strong>Help:</strong> {}</p>", rich(help));
    }
    if let Some(url) = &finding.url {
        // Only a web address becomes a link: a rule file from a pull request must not be able
        // to plant a `javascript:` one.
        let lower = url.to_ascii_lowercase();
        let shown = escape(url);
        if lower.starts_with("https://") || lower.starts_with("http://") {
            let _ = writeln!(out, "<p class=\"url\"><a href=\"{shown}\">{shown}</a></p>");
        } else {
            let _ = writeln!(out, "<p class=\"url\">{shown}</p>");
        }
    }
}

/// The excerpt, escaped, with the matched text in `<mark>`.
fn marked(text: &str, highlight: std::ops::Range<usize>) -> String {
    let shown = VisibleText::new(text);
    let span = shown.range(highlight);
    let text = &shown.text;
    let valid = span.start <= span.end
        && span.end <= text.len()
        && text.is_char_boundary(span.start)
        && text.is_char_boundary(span.end);
    if !valid || span.is_empty() {
        return escape(text);
    }
    format!(
        "{}<mark>{}</mark>{}",
        escape(&text[..span.start]),
        escape(&text[span.clone()]),
        escape(&text[span.end..])
    )
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Note => "NOTE",
    }
}

pub(super) fn not_evaluated(out: &mut String, report: &Report, part: Part<'_>) {
    let gaps: Vec<&Finding> = report.findings.iter().filter(|f| f.gap.is_some()).collect();
    part.open(out, "not-evaluated", "Not evaluated");
    if gaps.is_empty() {
        out.push_str("<p>Every rule that runs was evaluated.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<p>A rule not evaluated is never a pass: the snapshot lacks what it reads.</p>\n<table>\n\
         <thead><tr><th>Rule</th><th>What</th><th>Why</th></tr></thead>\n<tbody>\n",
    );
    for finding in gaps {
        let Some(gap) = &finding.gap else { continue };
        let what = if gap.whole_rule {
            "the whole rule".to_owned()
        } else {
            escape(&finding.subject)
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{what}</td><td>{}</td></tr>",
            escape(&finding.rule_id),
            rich(&gap.reason)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// The baseline's findings that are gone, by rule and subject; nothing without a baseline.
pub(super) fn fixed(out: &mut String, report: &Report, part: Part<'_>) {
    let Some(comparison) = &report.baseline else {
        return;
    };
    part.open(out, "fixed", "Fixed since the baseline");
    if comparison.absent.is_empty() {
        out.push_str("<p>No finding of the baseline is gone.</p>\n</section>\n");
        return;
    }
    out.push_str("<table>\n<thead><tr><th>Rule</th><th>Subject</th></tr></thead>\n<tbody>\n");
    for finding in &comparison.absent {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            escape(&finding.rule_id),
            escape(&finding.subject)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

pub(super) fn suppressed(out: &mut String, report: &Report, context: &RenderContext<'_>, part: Part<'_>) {
    let waived: Vec<&Finding> = report.findings.iter().filter(|f| f.suppression.is_some()).collect();
    let omitted: Vec<_> = report.rules.iter().filter(|r| r.omitted_suppressed).collect();
    part.open(out, "suppressed", "Suppressed");
    if waived.is_empty() && omitted.is_empty() {
        out.push_str("<p>No finding is suppressed by a waiver.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<p>Failures the site accepted with a waiver: listed, never counted toward the exit code.</p>\n<table>\n\
         <thead><tr><th>Finding</th><th>Reason</th><th>Owner</th><th>Expires</th><th>Ticket</th><th>Waiver</th></tr></thead>\n<tbody>\n",
    );
    for finding in waived {
        let Some(waiver) = &finding.suppression else { continue };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&finding.rule_id),
            escape(&finding.message),
            escape(&waiver.reason),
            escape(&waiver.owner),
            escape(&waiver.expires),
            waiver.ticket.as_deref().map_or_else(|| "none".to_owned(), escape),
            escape(&waiver_place(waiver, &report.snapshot, context.working_dir)),
        );
    }
    for rule in omitted {
        let _ = writeln!(
            out,
            "<tr><td colspan=\"6\"><code>{}</code>: {} more, past the {} listed, accepted by the waiver of the whole rule</td></tr>",
            escape(&rule.id),
            plural(rule.omitted, "finding", "findings"),
            crate::finding::MAX_FINDINGS_PER_RULE
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

pub(super) fn source_errors(out: &mut String, report: &Report, part: Part<'_>) {
    if report.errors.is_empty() {
        return;
    }
    part.open(out, "errors", "Sources that could not be read");
    out.push_str("<ul>\n");
    for error in &report.errors {
        let _ = writeln!(out, "<li>{}</li>", escape(&error.message));
    }
    out.push_str("</ul>\n</section>\n");
}
