//! The HTML report for the change record: one self-contained file a change advisory board
//! reads in a browser or on paper. The provenance, a board of the procedure's steps, every
//! finding with its excerpt and help, what was not evaluated and what was waived, and the
//! counts the JSON and SARIF reports give. It loads nothing (no script, no font, no image; its
//! Content-Security-Policy forbids them too), reads with colours off, and prints one step to a
//! page. Everything that came from an input is made visible (control characters as `\x1b`) and
//! escaped.

use std::fmt::Write as _;

use super::steps::{self, StepGroup, StepStatus};
use super::{Render, RenderContext, place, waiver_place};
use crate::document::text::{VisibleText, plural, visible};
use crate::files::slash_path;
use crate::finding::{Finding, Outcome, Report, RuleStatus, Severity, Site, Totals};

/// The HTML report.
pub struct Html;

impl Render for Html {
    fn render(&self, report: &Report, context: &RenderContext<'_>) -> String {
        let totals = report.totals();
        let groups = steps::group(report);
        let mut out = String::with_capacity(16 * 1024);
        let verdict = super::human::summary(totals);
        let title = format!(
            "{}: {}",
            report
                .snapshot
                .host
                .as_deref()
                .map_or_else(String::new, |host| format!(" for {}", escape(host))),
            escape(&verdict),
        );
        head(&mut out, &title, &verdict, totals, "");
        if let Some(t) = report.baseline_totals() {
            let _ = writeln!(
                out,
                "<p class=\"baseline\">{}.</p>",
                escape(&super::human::baseline_summary(t))
            );
        }
        provenance(&mut out, report);
        board(&mut out, &groups);
        counts(&mut out, report, totals);
        for group in &groups {
            step_section(&mut out, group);
        }
        not_evaluated(&mut out, report);
        suppressed(&mut out, report, context);
        source_errors(&mut out, report);
        footer(&mut out);
        out
    }

    /// The run's verdict, a grid of snapshots × steps (each cell a status in words), then
    /// each snapshot: where it came from, its counts and its failing findings by step.
    fn render_sites(&self, sites: &[Site], _: &RenderContext<'_>) -> String {
        let (totals, baseline) = crate::finding::totals_of(sites);
        let mut out = String::with_capacity(16 * 1024);
        let verdict = format!(
            "{}: {}",
            plural(sites.len(), "snapshot", "snapshots"),
            super::human::summary(totals)
        );
        head(
            &mut out,
            &format!(": {}", escape(&verdict)),
            &verdict,
            totals,
            GRID_STYLE,
        );
        if let Some(t) = baseline {
            let _ = writeln!(
                out,
                "<p class=\"baseline\">{}.</p>",
                escape(&super::human::baseline_summary(t))
            );
        }
        let grouped: Vec<Vec<StepGroup<'_>>> = sites.iter().map(|s| steps::group(&s.report)).collect();
        let columns = grouped.iter().map(Vec::len).max().unwrap_or(0);
        out.push_str(
            "<section id=\"grid\">\n<h2>Snapshots and steps</h2>\n<table class=\"grid\">\n<thead><tr><th>Snapshot</th>",
        );
        for step in steps::STEPS.iter().chain(std::iter::once(&steps::OTHER)).take(columns) {
            let _ = write!(out, "<th>{}</th>", step.title);
        }
        out.push_str("<th>Result</th></tr></thead>\n<tbody>\n");
        for (index, (site, groups)) in sites.iter().zip(&grouped).enumerate() {
            let _ = write!(
                out,
                "<tr><th><a href=\"#snapshot-{}\">{}</a></th>",
                index + 1,
                escape(&site.name)
            );
            for column in 0..columns {
                match groups.get(column) {
                    Some(group) => {
                        let status = group.status();
                        let _ = write!(out, "<td class=\"{}\">{}</td>", class_of(status), status.as_str());
                    }
                    None => out.push_str("<td></td>"),
                }
            }
            let _ = writeln!(
                out,
                "<td>{}</td></tr>",
                escape(&super::human::summary(site.report.totals()))
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
        for (index, (site, groups)) in sites.iter().zip(&grouped).enumerate() {
            site_section(&mut out, index + 1, site, groups);
        }
        footer(&mut out);
        out
    }
}

/// The document's head and the verdict; `title` is already escaped.
fn head(out: &mut String, title: &str, verdict: &str, totals: Totals, extra_style: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>sitelint report{title}</title>\n<style>{STYLE}{extra_style}</style>\n</head>\n<body>\n",
    );
    let outcome = if totals.errors + totals.warnings + totals.notes > 0 {
        "failed"
    } else if totals.not_evaluated > 0 {
        "not-evaluated"
    } else {
        "passed"
    };
    let _ = write!(
        out,
        "<header>\n<h1>sitelint report</h1>\n<p class=\"verdict {outcome}\">{}</p>\n</header>\n",
        escape(verdict)
    );
}

fn footer(out: &mut String) {
    let _ = write!(
        out,
        "<footer>Written by sitelint {}. This file loads nothing from the network.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
}

/// One snapshot of a check of several: its provenance, counts, failing findings by step,
/// and what could not be read.
fn site_section(out: &mut String, number: usize, site: &Site, groups: &[StepGroup<'_>]) {
    let report = &site.report;
    let snapshot = &report.snapshot;
    let _ = write!(
        out,
        "<section class=\"snapshot\" id=\"snapshot-{number}\">\n<h2>{}</h2>\n<p class=\"verdict\">{}</p>\n<dl>\n",
        escape(&site.name),
        escape(&super::human::summary(report.totals()))
    );
    let rows = [
        ("Snapshot", snapshot.path.as_deref().map(slash_path)),
        ("Host", snapshot.host.as_deref().map(Into::into)),
        ("Collected at", snapshot.collected_at.as_deref().map(Into::into)),
    ];
    for (what, value) in rows {
        let value = value.map_or_else(
            || "<span class=\"none\">not recorded</span>".to_owned(),
            |v| format!("<code>{}</code>", escape(&v)),
        );
        let _ = writeln!(out, "<dt>{what}</dt><dd>{value}</dd>");
    }
    if let Some(t) = report.baseline_totals() {
        let _ = writeln!(
            out,
            "<dt>Baseline</dt><dd>{}</dd>",
            escape(&super::human::baseline_summary(t))
        );
    }
    out.push_str("</dl>\n");
    for group in groups {
        let failing: Vec<&Finding> = group.findings_with(Outcome::Fail).collect();
        if failing.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<h3>{} <span class=\"status\">{}</span></h3>",
            group.step.title,
            group.status().as_str()
        );
        for finding in failing {
            finding_article(out, finding);
        }
    }
    if !report.errors.is_empty() {
        out.push_str("<h3>Sources that could not be read</h3>\n<ul>\n");
        for error in &report.errors {
            let _ = writeln!(out, "<li>{}</li>", escape(&error.message));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

/// Text from an input as markup text or an attribute value: control characters made visible
/// first (XML allows none of them, escaped or not), then `&<>"'` escaped.
pub fn escape(text: &str) -> String {
    let shown = visible(text);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not characters in XML 1.0 either.
            '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn provenance(out: &mut String, report: &Report) {
    let snapshot = &report.snapshot;
    let unknown = "<span class=\"none\">not recorded</span>".to_owned();
    let field = |value: Option<&str>| value.map_or_else(|| unknown.clone(), |v| format!("<code>{}</code>", escape(v)));
    let path = snapshot.path.as_deref().map(slash_path);
    out.push_str("<section id=\"provenance\">\n<h2>Provenance</h2>\n<dl>\n");
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
                escape(&slash_path(&param.origin))
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</dd>\n</dl>\n</section>\n");
}

/// The steps side by side, each with its status in words (a mark alone does not survive a
/// black-and-white print).
fn board(out: &mut String, groups: &[StepGroup<'_>]) {
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

fn class_of(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Passed => "passed",
        StepStatus::Failed => "failed",
        StepStatus::NotEvaluated => "not-evaluated",
    }
}

/// The figures every report shares: the summary's problems, and the JSON report's
/// `findings` by outcome and `rules` by status. `data-count` names each for scripts.
fn counts(out: &mut String, report: &Report, totals: Totals) {
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

fn step_section(out: &mut String, group: &StepGroup<'_>) {
    let status = group.status();
    let _ = write!(
        out,
        "<section class=\"step {class}{empty}\" id=\"step-{tag}\">\n<h2>{title} <span class=\"status\">{status}</span></h2>\n\
         <p class=\"place\">{place} · tag <code>{tag}</code></p>\n",
        class = class_of(status),
        empty = if group.rules.is_empty() { " empty" } else { "" },
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
    for finding in failing {
        finding_article(out, finding);
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

fn finding_article(out: &mut String, finding: &Finding) {
    let severity = finding.severity;
    let _ = write!(
        out,
        "<article class=\"finding {severity}\">\n<h3><span class=\"severity\">{}</span> <code>{}</code></h3>\n<p class=\"message\">{}</p>\n",
        severity_word(severity),
        escape(&finding.rule_id),
        escape(&finding.message),
    );
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
    help(out, finding);
    out.push_str("</article>\n");
}

fn help(out: &mut String, finding: &Finding) {
    if let Some(help) = &finding.help {
        let _ = writeln!(out, "<p class=\"help\"><strong>Help:</strong> {}</p>", escape(help));
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

fn not_evaluated(out: &mut String, report: &Report) {
    let gaps: Vec<&Finding> = report.findings.iter().filter(|f| f.gap.is_some()).collect();
    out.push_str("<section id=\"not-evaluated\">\n<h2>Not evaluated</h2>\n");
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
            escape(&gap.reason)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn suppressed(out: &mut String, report: &Report, context: &RenderContext<'_>) {
    let waived: Vec<&Finding> = report.findings.iter().filter(|f| f.suppression.is_some()).collect();
    let omitted: Vec<_> = report.rules.iter().filter(|r| r.omitted_suppressed).collect();
    out.push_str("<section id=\"suppressed\">\n<h2>Suppressed</h2>\n");
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
            escape(&waiver_place(waiver, context.working_dir)),
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

fn source_errors(out: &mut String, report: &Report) {
    if report.errors.is_empty() {
        return;
    }
    out.push_str("<section id=\"errors\">\n<h2>Sources that could not be read</h2>\n<ul>\n");
    for error in &report.errors {
        let _ = writeln!(out, "<li>{}</li>", escape(&error.message));
    }
    out.push_str("</ul>\n</section>\n");
}

/// The grid of a check of several snapshots, added to [`STYLE`] there only.
const GRID_STYLE: &str = "
.grid td.failed { color: var(--fail); font-weight: 600; } .grid td.passed { color: var(--pass); } .grid td.not-evaluated { color: var(--gap); }
@media print { .snapshot { break-before: page; } }
";

/// Plain, readable without colours (every status is also a word), one step to a printed page.
const STYLE: &str = "
:root { color-scheme: light; --fail: #b3261e; --warn: #8a5300; --pass: #1e6b2f; --gap: #5f6368; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem 1.5rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 1.6rem; }
h3 { font-size: 1rem; margin: 0 0 0.3rem; }
code, pre { font-family: ui-monospace, Consolas, 'DejaVu Sans Mono', monospace; font-size: 0.9em; }
.verdict { font-size: 1.15rem; font-weight: 600; padding: 0.5rem 0.8rem; border-left: 0.4rem solid; margin: 0.4rem 0 0; }
.verdict.failed { border-color: var(--fail); } .verdict.passed { border-color: var(--pass); } .verdict.not-evaluated { border-color: var(--gap); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
dt { font-weight: 600; } dd { margin: 0; } dd ul { margin: 0; padding-left: 1.1rem; }
.origin, .place, .none { color: #555; }
.board { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(12.5rem, 1fr)); gap: 0.6rem; }
.step-card a { display: block; height: 100%; box-sizing: border-box; padding: 0.6rem 0.7rem; border: 1px solid #bbb; border-top: 0.35rem solid var(--gap); color: inherit; text-decoration: none; }
.step-card.failed a { border-top-color: var(--fail); } .step-card.passed a { border-top-color: var(--pass); }
.step-card span { display: block; } .step-title { font-weight: 600; } .step-card .place { font-size: 0.85em; }
.status { text-transform: uppercase; font-size: 0.8em; font-weight: 700; letter-spacing: 0.04em; }
.failed > .status, .failed .status { color: var(--fail); } .passed .status { color: var(--pass); } .not-evaluated .status { color: var(--gap); }
.finding { border: 1px solid #ccc; border-left: 0.35rem solid var(--fail); padding: 0.6rem 0.8rem; margin: 0.7rem 0; break-inside: avoid; }
.finding.warning { border-left-color: var(--warn); } .finding.note { border-left-color: var(--gap); }
.severity { font-size: 0.8em; font-weight: 700; letter-spacing: 0.04em; }
.error .severity { color: var(--fail); } .warning .severity { color: var(--warn); }
.message { margin: 0.2rem 0; font-weight: 500; } .location { margin: 0.2rem 0; color: #333; }
.excerpt { margin: 0.4rem 0; } .excerpt pre { margin: 0; padding: 0.5rem; background: #f4f4f4; border: 1px solid #ddd; white-space: pre-wrap; overflow-wrap: anywhere; }
.excerpt figcaption { font-size: 0.85em; color: #555; }
mark { background: #ffe08a; color: inherit; font-weight: 700; text-decoration: underline; text-decoration-thickness: 2px; }
.help { margin: 0.3rem 0; } .url { margin: 0; font-size: 0.9em; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; } th, td { text-align: left; vertical-align: top; border: 1px solid #ccc; padding: 0.25rem 0.5rem; }
thead th { background: #f0f0f0; }
.counts span { white-space: nowrap; }
tr.failed td:nth-child(3) { color: var(--fail); font-weight: 600; }
footer { margin-top: 2rem; font-size: 0.85em; color: #555; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  .step:not(.empty) { break-before: page; }
  .finding, tr, .step-card { break-inside: avoid; }
  .excerpt pre { background: none; }
  mark { background: none; }
}
";
