//! The report for a person at a terminal: one miette diagnostic per failure, with the log
//! excerpt and the match underlined, then the rules not evaluated in one compact block (a
//! check of one source should not bury its result under a diagnostic per rule it could not
//! run), then a one-line summary.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::path::Path;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, SourceCode, SpanContents};

use crate::document::diag::read_named_span;

use super::{Render, RenderContext};
use crate::document::text::{VisibleText, plural, visible};
use crate::files::native_path;
use crate::finding::{Finding, Outcome, Report, Severity, Totals};

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
    /// Draw frames with ASCII only. Windows PowerShell 5.1 decodes a redirected program's
    /// output in the console's code page, which turns box-drawing characters into noise.
    pub ascii: bool,
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
    fn render(&self, report: &Report, context: &RenderContext<'_>) -> String {
        let style = if context.to_file {
            // A file is written as UTF-8 bytes, whatever the console's code page.
            Style {
                color: false,
                ascii: false,
                ..context.style
            }
        } else {
            context.style
        };
        render(report, style, context)
    }
}

/// The whole report; with `quiet`, only the summary line.
fn render(report: &Report, style: Style, context: &RenderContext<'_>) -> String {
    let (quiet, show_suppressed) = (context.quiet, context.show_suppressed);
    let mut out = String::new();
    if !quiet {
        let shown = |f: &&Finding| match f.outcome() {
            Outcome::Fail => true,
            Outcome::Suppressed => show_suppressed,
            Outcome::NotEvaluated => false,
        };
        for finding in report.findings.iter().filter(shown) {
            let diagnostic = FindingDiagnostic::new(finding, context.working_dir, style.ascii);
            out.push_str(&render_diagnostic(&diagnostic, style));
            out.push('\n');
        }
        out.push_str(&not_evaluated_block(report));
        for rule in report.rules.iter().filter(|r| r.omitted > 0 && !r.omitted_suppressed) {
            let _ = writeln!(
                out,
                "note: {} found {} more than the {} shown; the JSON report counts them as omitted_findings\n",
                rule.id,
                plural(rule.omitted, "finding", "findings"),
                crate::finding::MAX_FINDINGS_PER_RULE
            );
        }
    }
    out.push_str(&summary(report.totals()));
    out.push('\n');
    out
}

/// One line per rule, or part of a rule, that was not evaluated, with the reason (which names
/// the source it lacks), ids aligned.
fn not_evaluated_block(report: &Report) -> String {
    let gaps: Vec<(&str, &str)> = report
        .findings
        .iter()
        .filter_map(|f| Some((f.rule_id.as_str(), f.gap.as_ref()?.reason.as_str())))
        .collect();
    if gaps.is_empty() {
        return String::new();
    }
    let width = gaps.iter().map(|(id, _)| id.chars().count()).max().unwrap_or(0);
    let mut block = String::from("not evaluated:\n");
    for (id, reason) in gaps {
        let _ = writeln!(block, "  {id:<width$}  {}", visible(reason));
    }
    block.push('\n');
    block
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

/// Adapts a failure to miette. Everything that came from an input (the message with its
/// captured values, the path, the excerpt and its label) is shown with control characters
/// made visible: a log line must not be able to clear the screen or retitle the window.
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    message: Cow<'a, str>,
    source: Option<ExcerptSource>,
    /// For a suppressed finding: the waiver, its reason and who owns it.
    waiver: Option<String>,
}

impl<'a> FindingDiagnostic<'a> {
    /// With `ascii`, sitelint's own marks are drawn in ASCII too (`...` for a clipped text,
    /// `-` between an entry's component and time), as the frames are.
    fn new(finding: &'a Finding, working_dir: &Path, ascii: bool) -> Self {
        let marks = |text: String| if ascii { ascii_marks(&text) } else { text };
        // The waiver's config is named absolutely in the model; a person reads it from here.
        let waiver = finding.suppression.as_ref().map(|waiver| {
            let config = Path::new(&waiver.location.path);
            let config = config.strip_prefix(working_dir).unwrap_or(config);
            let ticket = waiver.ticket.as_deref().map_or_else(String::new, |t| format!(", {t}"));
            let text = format!(
                "suppressed by the waiver at {}:{}: {} (owner {}, until {}{ticket})",
                config.display(),
                waiver.location.line.unwrap_or(1),
                waiver.reason,
                waiver.owner,
                waiver.expires,
            );
            visible(&text).into_owned()
        });
        let source = finding.excerpt.as_ref().map(|excerpt| {
            let shown = VisibleText::new(&excerpt.text);
            ExcerptSource {
                name: finding
                    .location
                    .as_ref()
                    .map_or_else(String::new, |l| visible(&native_path(&l.path)).into_owned()),
                highlight: shown.range(excerpt.highlight.clone()),
                // `…` and `...` are both three bytes: the highlight stays where it was.
                text: marks(shown.text),
                label: marks(visible(&excerpt.label).into_owned()),
                first_line: excerpt.first_line,
            }
        });
        let message = visible(&finding.message);
        FindingDiagnostic {
            finding,
            message: if ascii {
                Cow::Owned(ascii_marks(&message))
            } else {
                message
            },
            source,
            waiver,
        }
    }
}

/// sitelint's own non-ASCII marks, in ASCII of the same byte length where offsets depend on
/// it. Text from the inputs keeps whatever it holds.
fn ascii_marks(text: &str) -> String {
    text.replace('…', "...").replace(" · ", " - ")
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finding = self.finding;
        f.write_str(&self.message)?;
        // Without an excerpt, miette shows no place; name it in the message instead.
        if finding.excerpt.is_none()
            && let Some(location) = &finding.location
        {
            write!(f, "\n    at {}", visible(&native_path(&location.path)))?;
            if let Some(line) = location.line {
                write!(f, ":{line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.rule_id))
    }

    fn severity(&self) -> Option<miette::Severity> {
        if self.finding.suppression.is_some() {
            return Some(miette::Severity::Advice);
        }
        Some(match self.finding.severity {
            Severity::Note => miette::Severity::Advice,
            Severity::Warning => miette::Severity::Warning,
            Severity::Error => miette::Severity::Error,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        // A suppressed finding shows why it was accepted, and by whom, instead of how to fix it.
        if let Some(waiver) = &self.waiver {
            return Some(Box::new(waiver));
        }
        self.finding
            .help
            .as_deref()
            .map(|h| Box::new(visible(h)) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.finding
            .url
            .as_deref()
            .map(|u| Box::new(visible(u)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source = self.source.as_ref()?;
        let span = source.highlight.start..source.highlight.end.max(source.highlight.start);
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(
            Some(source.label.clone()),
            span,
        ))))
    }
}

/// An excerpt as shown: made visible, with the line numbers it has in the log, not from 1.
struct ExcerptSource {
    name: String,
    text: String,
    highlight: Range<usize>,
    label: String,
    first_line: u64,
}

impl SourceCode for ExcerptSource {
    fn read_span<'b>(
        &'b self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let first_line = usize::try_from(self.first_line).unwrap_or(1);
        read_named_span(
            &self.text,
            &self.name,
            first_line,
            span,
            context_lines_before,
            context_lines_after,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_and_pluralises() {
        let t = Totals {
            errors: 2,
            warnings: 1,
            notes: 0,
            omitted: 0,
            not_evaluated: 1,
            passed: 31,
            suppressed: 0,
        };
        assert_eq!(summary(t), "2 errors, 1 warning, 1 rule not evaluated, 31 rules passed");
        let capped = Totals {
            errors: 33_401,
            omitted: 32_400,
            ..t
        };
        assert_eq!(
            summary(capped),
            "33401 errors, 1 warning, 1 rule not evaluated, 31 rules passed (1002 of 33402 problems shown)"
        );
    }

    #[test]
    fn the_ascii_style_draws_clipped_text_and_labels_in_ascii() {
        let excerpt_text = "…ERROR: Download() failed with 0x80072ee2 $$<Setup>…";
        let finding = Finding {
            rule_id: "setup-download-failed".to_owned(),
            severity: Severity::Error,
            message: "a download failed: Download() fa…".to_owned(),
            subject: "ConfigMgrSetup.log: code=0x80072ee2".to_owned(),
            location: Some(crate::finding::Location::at_line("logs/ConfigMgrSetup.log", 15)),
            excerpt: Some(crate::finding::Excerpt {
                text: excerpt_text.to_owned(),
                first_line: 15,
                highlight: excerpt_text.find("Download").unwrap()..excerpt_text.find(" with").unwrap(),
                label: "Configuration Manager Setup · 12-17-2024 15:04:00".to_owned(),
            }),
            help: None,
            url: None,
            gap: None,
            suppression: None,
            fingerprint: String::new(),
        };
        let style = Style {
            color: false,
            width: 100,
            ascii: true,
        };
        let shown = render_diagnostic(&FindingDiagnostic::new(&finding, Path::new("/"), true), style);
        assert!(shown.is_ascii(), "{shown}");
        assert!(shown.contains("...ERROR: Download() failed"), "{shown}");
        assert!(shown.contains("Configuration Manager Setup - 12-17-2024"), "{shown}");
        // The underline is still under the match.
        let line = shown.lines().find(|l| l.contains("...ERROR")).unwrap();
        let marks = shown.lines().skip_while(|l| !l.contains("...ERROR")).nth(1).unwrap();
        assert_eq!(
            line.find("Download"),
            marks.find(|c: char| c != ' ' && c != ':' && c != '|'),
            "{shown}"
        );
    }
}
