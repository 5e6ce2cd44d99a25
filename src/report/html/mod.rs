//! The HTML report for the change record: one self-contained file a change advisory board
//! reads in a browser or on paper. The provenance, a board of the procedure's steps, every
//! finding with its excerpt, the help once per cause, what was not evaluated and what was
//! waived, and the counts the JSON and SARIF reports give. It loads nothing (no script, no
//! font, no image; its Content-Security-Policy forbids them too), reads with colours off, and
//! prints each step with findings from the top of a page. Everything that came from an input
//! is made visible (control characters as `\x1b`) and escaped; a rule's code spans become
//! `<code>`, their text escaped too.

mod sections;
mod style;

use std::fmt::Write as _;

use self::sections::{
    Part, board, cause_article, class_of, counts, fixed, not_evaluated, provenance, provenance_rows, source_errors,
    step_section, suppressed,
};
use self::style::{GRID_STYLE, STYLE};

use super::steps::{self, StepGroup};
use super::{Render, RenderContext, Snapshots};
use crate::document::text::{plural, visible};
use crate::finding::{Finding, Outcome, Report, Site, Totals};

/// The HTML report.
pub struct Html;

impl Render for Html {
    /// The verdict, then of one snapshot its provenance, board of steps, counts and findings;
    /// of several, a grid of snapshots × steps (each cell a status in words), then each
    /// snapshot: where it came from, its counts and its failing findings by step.
    fn render_snapshots(&self, snapshots: Snapshots<'_>, context: &RenderContext<'_>) -> String {
        let (totals, baseline) = snapshots.totals();
        let mut out = String::with_capacity(16 * 1024);
        let summary = super::human::summary(totals);
        let (title, verdict, extra_style) = match snapshots {
            Snapshots::One(report) => {
                let host = report.snapshot.host.as_deref();
                let host = host.map_or_else(String::new, |host| format!(" for {}", escape(host)));
                (format!("{host}: {}", escape(&summary)), summary, "")
            }
            Snapshots::Several(sites) => {
                let verdict = format!("{}: {summary}", plural(sites.len(), "snapshot", "snapshots"));
                (format!(": {}", escape(&verdict)), verdict, GRID_STYLE)
            }
        };
        head(&mut out, &title, &verdict, totals, extra_style);
        if let Some(t) = baseline {
            let _ = writeln!(
                out,
                "<p class=\"baseline\">{}.</p>",
                escape(&super::human::baseline_summary(t))
            );
        }
        match snapshots {
            Snapshots::One(report) => one(&mut out, report, context),
            Snapshots::Several(sites) => several(&mut out, sites, context),
        }
        footer(&mut out);
        out
    }
}

/// One snapshot's report: provenance, the board, the counts, each step's findings, and what
/// was not evaluated, waived or unreadable.
fn one(out: &mut String, report: &Report, context: &RenderContext<'_>) {
    let groups = steps::group(report);
    provenance(out, report);
    board(out, &groups);
    counts(out, report, report.totals());
    for group in &groups {
        step_section(out, group);
    }
    not_evaluated(out, report, Part::ONE);
    suppressed(out, report, context, Part::ONE);
    fixed(out, report, Part::ONE);
    source_errors(out, report, Part::ONE);
}

/// The grid of snapshots × steps, then each snapshot's section.
fn several(out: &mut String, sites: &[Site], context: &RenderContext<'_>) {
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
        let errors = super::read_errors(&site.report).map_or_else(String::new, |e| format!(", <strong>{e}</strong>"));
        let _ = writeln!(
            out,
            "<td>{}{errors}</td></tr>",
            escape(&super::human::summary(site.report.totals()))
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    for (index, (site, groups)) in sites.iter().zip(&grouped).enumerate() {
        site_section(out, index + 1, site, groups, context);
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

/// One snapshot of a check of several: its provenance (rule files, params and site config
/// included), counts, failing findings by step, and what was not evaluated, waived, fixed or
/// unreadable: each snapshot's own, as a report of it alone would give them.
fn site_section(out: &mut String, number: usize, site: &Site, groups: &[StepGroup<'_>], context: &RenderContext<'_>) {
    let report = &site.report;
    let _ = write!(
        out,
        "<section class=\"snapshot\" id=\"snapshot-{number}\">\n<h2>{}</h2>\n<p class=\"verdict\">{}</p>\n<dl>\n",
        escape(&site.name),
        escape(&super::human::summary(report.totals()))
    );
    provenance_rows(out, report);
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
        for cause in super::causes(failing) {
            cause_article(out, &cause);
        }
    }
    let prefix = format!("snapshot-{number}-");
    let part = Part {
        level: 3,
        prefix: &prefix,
    };
    not_evaluated(out, report, part);
    suppressed(out, report, context, part);
    fixed(out, report, part);
    source_errors(out, report, part);
    out.push_str("</section>\n");
}

/// A rule's message, help or reason, escaped as [`escape`] does, with each pair of backticks
/// (`` `Get-CMSite` ``) a `<code>` element: the rule files write commands and names so. A
/// backtick without its pair, and an empty pair, stay as they are.
pub fn rich(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len());
    for (index, part) in parts.iter().enumerate() {
        let in_code = index % 2 == 1;
        let closed = index + 1 < parts.len();
        match (in_code, closed && !part.is_empty()) {
            (false, _) => out.push_str(&escape(part)),
            (true, true) => {
                let _ = write!(out, "<code>{}</code>", escape(part));
            }
            (true, false) => {
                out.push('`');
                out.push_str(&escape(part));
                if closed {
                    out.push('`');
                }
            }
        }
    }
    out
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
