//! The report for a person at a terminal: one miette diagnostic per failure, with the log
//! excerpt and the match underlined, then the rules not evaluated in one compact block (a
//! check of one source should not bury its result under a diagnostic per rule it could not
//! run), then a one-line summary.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::path::Path;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, SourceCode, SpanContents};

use crate::document::diag::read_named_span;

use super::steps::{self, OTHER, STEPS, Step};
use super::{Render, RenderContext};
use crate::document::text::{VisibleText, plural, visible};
use crate::files::native_path;
use crate::finding::{BaselineTotals, Finding, Outcome, Report, Severity, Site, Totals};

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
        .with_break_words(false)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_word_separator(textwrap::WordSeparator::Custom(words_keeping_code_spans))
}

/// A code span longer than this is wrapped at its spaces after all: kept whole, it would run
/// past the edge of any terminal narrower than about 70 columns.
const LONGEST_UNBROKEN_CODE_SPAN: usize = 60;

/// Words for wrapping, as textwrap wants them: split at spaces, except inside a `code span`
/// (a command or a state name a user copies). With hyphenation off and long words never
/// broken, identifiers (`prerequisite-check-warning`) and URLs stay whole too.
fn words_keeping_code_spans(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    let mut code_start = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' if !in_code => {
                // Only a span that closes, and is short enough, is kept whole.
                let close = line[i + 1..].find('`').map(|n| i + 1 + n);
                if close.is_some_and(|c| c - i <= LONGEST_UNBROKEN_CODE_SPAN) {
                    in_code = true;
                    code_start = i;
                }
            }
            b'`' if in_code && i > code_start => in_code = false,
            b' ' if !in_code => {
                let mut end = i;
                while end < bytes.len() && bytes[end] == b' ' {
                    end += 1;
                }
                words.push(textwrap::core::Word::from(&line[start..end]));
                start = end;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

/// `text` wrapped to `width` by the rules of the diagnostics (code spans, identifiers and URLs
/// whole), the first line after `initial`, the others after `subsequent`.
pub fn wrap(text: &str, width: usize, initial: &str, subsequent: &str) -> String {
    let options = textwrap::Options::new(width)
        .initial_indent(initial)
        .subsequent_indent(subsequent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .word_separator(textwrap::WordSeparator::Custom(words_keeping_code_spans));
    textwrap::fill(text, options)
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
        render(report, file_style(context), context)
    }

    /// Each snapshot's findings under its name, with its summary, then one line per snapshot
    /// and the totals of the run.
    fn render_sites(&self, sites: &[Site], context: &RenderContext<'_>) -> String {
        let style = file_style(context);
        let mut out = String::new();
        if !context.quiet {
            for site in sites {
                let rule = if style.ascii { "==" } else { "━━" };
                let path = site.report.snapshot.path.as_deref().map(native_path);
                let _ = writeln!(
                    out,
                    "{rule} snapshot {} ({}) {rule}\n",
                    visible(&site.name),
                    visible(path.as_deref().unwrap_or("live sources"))
                );
                body(&mut out, &site.report, style, context);
                let _ = writeln!(out, "{}: {}", visible(&site.name), summary(site.report.totals()));
                if let Some(t) = site.report.baseline_totals() {
                    let _ = writeln!(out, "{}: {}", visible(&site.name), baseline_summary(t));
                }
                out.push('\n');
            }
        }
        out.push_str(&plural(sites.len(), "snapshot", "snapshots"));
        out.push_str(":\n");
        let width = sites
            .iter()
            .map(|s| visible(&s.name).chars().count())
            .max()
            .unwrap_or(0);
        for site in sites {
            let t = site.report.totals();
            let _ = write!(
                out,
                "  {:<width$}  {}, {}, {} not evaluated, {} suppressed",
                visible(&site.name),
                plural(t.errors, "error", "errors"),
                plural(t.warnings, "warning", "warnings"),
                plural(t.not_evaluated, "rule", "rules"),
                t.suppressed
            );
            if !site.report.errors.is_empty() {
                let _ = write!(
                    out,
                    ", {} (exit 2)",
                    plural(site.report.errors.len(), "read error", "read errors")
                );
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
}

/// A report written to a file is UTF-8 bytes, whatever the console's code page.
fn file_style(context: &RenderContext<'_>) -> Style {
    if context.to_file {
        Style {
            color: false,
            ascii: false,
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
    for finding in report.findings.iter().filter(shown) {
        let mut diagnostic = FindingDiagnostic::new(finding, context.working_dir, style);
        if let Some(help) = finding.help.as_deref()
            && !helped.insert((finding.rule_id.as_str(), help))
        {
            diagnostic.help_above = true;
        }
        out.push_str(&render_diagnostic(&diagnostic, style));
        out.push('\n');
    }
    out.push_str(&not_evaluated_block(report, style.width));
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
            " ({} not checked again: their rules were not evaluated)",
            t.unchecked
        );
    }
    line
}

/// One line per rule, or part of a rule, that was not evaluated, with the reason (which names
/// the source it lacks), ids aligned, reasons wrapped to `width`. Under the step each rule
/// belongs to and where that step's evidence lives, so that a run on one machine can tell the
/// evidence it lacks from the evidence that is on the other machine; with the `--step` that
/// checks only the internet machine's steps when a site server's step is listed.
fn not_evaluated_block(report: &Report, width: usize) -> String {
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
    let id_width = groups
        .iter()
        .flat_map(|(_, gaps)| gaps.iter().map(|(id, _)| id.chars().count()))
        .max()
        .unwrap_or(0)
        .min(crate::rules::MAX_ID_LEN);
    // Reasons wrap beside the ids; when that leaves too narrow a column, below them.
    let beside = margin.len() + id_width + 2 + MIN_REASON_COLUMN <= width;
    let mut block = String::from("not evaluated:\n");
    for (step, gaps) in &groups {
        if headed {
            let _ = writeln!(block, "  {} ({})", step.tag, step.place);
        }
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
    let on_internet_machine = |step: &Step| step.place.starts_with("internet machine");
    // The site server's evidence is missing, as it is on every internet-machine run.
    if groups
        .iter()
        .any(|(step, _)| step.tag != OTHER.tag && !on_internet_machine(step))
    {
        let internet: Vec<&str> = STEPS.iter().filter(|s| on_internet_machine(s)).map(|s| s.tag).collect();
        let note = format!(
            "on the internet machine, add --step {} to check only its steps",
            internet.join(",")
        );
        let _ = writeln!(block, "{}", wrap(&note, width, "  ", "  "));
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
    /// Where the finding is when it has no excerpt to show it: `FILE` or `FILE:LINE`.
    place: Option<String>,
    /// The header `rule-id (url)` is wider than the terminal: the URL goes on a line of its
    /// own under the id, where it can overflow without pushing the id out of sight.
    url_below_id: bool,
    /// The help was shown at an earlier finding of the same rule: this one refers to it.
    help_above: bool,
}

impl<'a> FindingDiagnostic<'a> {
    /// With `ascii`, sitelint's own marks are drawn in ASCII too (`...` for a clipped text,
    /// `-` between an entry's component and time), as the frames are.
    fn new(finding: &'a Finding, working_dir: &Path, style: Style) -> Self {
        let ascii = style.ascii;
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
            let source = ExcerptSource {
                name: finding
                    .location
                    .as_ref()
                    .map_or_else(String::new, |l| visible(&native_path(&l.path)).into_owned()),
                highlight: shown.range(excerpt.highlight.clone()),
                // `…` and `...` are both three bytes: the highlight stays where it was.
                text: marks(shown.text),
                label: marks(visible(&excerpt.label).into_owned()),
                first_line: excerpt.first_line,
            };
            source.fit(style.width, ascii)
        });
        // A waiver's line is named absolutely in the model, like its config; from here, as
        // every other path is shown.
        let place = finding
            .location
            .as_ref()
            .filter(|_| finding.excerpt.is_none())
            .map(|location| {
                let path = Path::new(&location.path);
                let path = path.strip_prefix(working_dir).unwrap_or(path).display().to_string();
                let path = visible(&native_path(&path)).into_owned();
                location
                    .line
                    .map_or_else(|| path.clone(), |line| format!("{path}:{line}"))
            });
        let url_below_id = finding
            .url
            .as_ref()
            .is_some_and(|url| finding.rule_id.chars().count() + url.chars().count() + 3 > style.width);
        let message = visible(&finding.message);
        FindingDiagnostic {
            url_below_id,
            finding,
            message: if ascii {
                Cow::Owned(ascii_marks(&message))
            } else {
                message
            },
            source,
            waiver,
            help_above: false,
            place,
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
        f.write_str(&self.message)?;
        // Without an excerpt, miette shows no place; name it in the message instead.
        match &self.place {
            Some(place) => write!(f, "\n    at {place}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        match (&self.finding.url, self.url_below_id) {
            (Some(url), true) => Some(Box::new(format!("{}\n{}", self.finding.rule_id, visible(url)))),
            _ => Some(Box::new(&self.finding.rule_id)),
        }
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
        if self.help_above {
            let text = format!("see the help of the first `{}` finding above", self.finding.rule_id);
            return Some(Box::new(text));
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
            .filter(|_| !self.url_below_id)
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

/// Fewest columns an excerpt line is given, however narrow the terminal.
const MIN_EXCERPT_COLUMNS: usize = 20;
/// Fewest columns of the match kept in view when a long label needs the room.
const MIN_MATCH_COLUMNS: usize = 10;
/// Context before the match that is worth splitting the label over two lines for.
const MIN_CONTEXT_COLUMNS: usize = 10;

/// Columns a terminal gives `text`; a tab counts as the widest miette draws it (4).
fn columns(text: &str) -> usize {
    text.chars().map(char_columns).sum()
}

fn char_columns(c: char) -> usize {
    match c {
        '\t' => 4,
        c => textwrap::core::display_width(c.encode_utf8(&mut [0; 4])),
    }
}

/// Where the longest start of `text` at most `max` columns wide ends.
fn prefix_within(text: &str, max: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += char_columns(c);
        if used > max {
            return i;
        }
    }
    text.len()
}

/// Where the longest end of `text` at most `max` columns wide starts.
fn suffix_within(text: &str, max: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices().rev() {
        used += char_columns(c);
        if used > max {
            return i + c.len_utf8();
        }
    }
    0
}

/// What of one excerpt line is drawn: `line[keep]`, after an ellipsis when `lead`, before
/// one when `trail`.
struct Kept {
    keep: Range<usize>,
    lead: bool,
    trail: bool,
}

impl ExcerptSource {
    /// The excerpt clipped so that no row of its drawing (the line, the underline, the label)
    /// runs past `width`: the match stays in view with what comes just before it, a match
    /// too long for the row is cut with an ellipsis inside the highlight, and a label that
    /// does not fit beside the underline goes on two rows (component, then time).
    fn fit(mut self, width: usize, ascii: bool) -> Self {
        let (ellipsis, separator) = if ascii { ("...", " - ") } else { ("…", " · ") };
        let dots = columns(ellipsis);
        let lines = self.text.split('\n').count() as u64;
        let multi_line = self.text[self.highlight.clone()].contains('\n');
        // ` 15 │ ` before each line, and the arrows of a span over several lines.
        let gutter = (self.first_line + lines - 1).to_string().len() + 4 + if multi_line { 4 } else { 0 };
        let room = width.saturating_sub(gutter).max(MIN_EXCERPT_COLUMNS);
        let mut text = String::new();
        let mut highlight = self.highlight.clone();
        let mut line_start = 0;
        for line in self.text.split('\n') {
            let line_end = line_start + line.len();
            let holds_match = (line_start..=line_end).contains(&self.highlight.start);
            let kept = if holds_match && !multi_line {
                let (kept, label) = self.fit_match_line(line, self.highlight.start - line_start, room, dots, separator);
                self.label = label;
                kept
            } else if columns(line) > room {
                Kept {
                    keep: 0..prefix_within(line, room.saturating_sub(dots)),
                    lead: false,
                    trail: true,
                }
            } else {
                Kept {
                    keep: 0..line.len(),
                    lead: false,
                    trail: false,
                }
            };
            if line_start > 0 {
                text.push('\n');
            }
            let new_start = text.len();
            let lead = if kept.lead { ellipsis.len() } else { 0 };
            let trail = if kept.trail { ellipsis.len() } else { 0 };
            // An offset in this line, moved to where it is drawn; one past what is kept lands
            // after the trailing ellipsis, so a clipped match keeps it inside its highlight.
            let moved = |old: usize| {
                let at = (old - line_start).clamp(kept.keep.start, kept.keep.end) - kept.keep.start;
                let past_end = old - line_start > kept.keep.end;
                new_start + lead + at + if past_end { trail } else { 0 }
            };
            if (line_start..=line_end).contains(&self.highlight.start) {
                highlight.start = moved(self.highlight.start);
            }
            if (line_start..=line_end).contains(&self.highlight.end) {
                highlight.end = moved(self.highlight.end);
            }
            if kept.lead {
                text.push_str(ellipsis);
            }
            text.push_str(&line[kept.keep.clone()]);
            if kept.trail {
                text.push_str(ellipsis);
            }
            line_start = line_end + 1;
        }
        self.text = text;
        self.highlight = highlight;
        self
    }

    /// The part of the match's line that fits `room`, and the label as it is then drawn.
    fn fit_match_line(&self, line: &str, start: usize, room: usize, dots: usize, separator: &str) -> (Kept, String) {
        let end = (start + self.highlight.len()).min(line.len());
        let (before, matched, after) = (&line[..start], &line[start..end], &line[end..]);
        let before_columns = columns(before);
        let mut label = self.label.clone();
        let label_columns = |label: &str| label.lines().map(columns).max().unwrap_or(0);
        // miette writes the label after `╰── `, from the middle of the underline.
        let fits = |left: usize, matched: usize, label: &str| left + matched / 2 + 4 + label_columns(label) <= room;
        let mut match_limit = room.saturating_sub(2 * dots);
        let context = before_columns.min(MIN_CONTEXT_COLUMNS);
        if !fits(context, columns(matched).min(match_limit), &label) && label.contains(separator) {
            label = label.replacen(separator, "\n", 1);
        }
        let for_label = 2 * room.saturating_sub(4 + label_columns(&label) + dots);
        match_limit = match_limit.min(for_label.max(MIN_MATCH_COLUMNS));
        let clipped_match = columns(matched) > match_limit;
        let match_end = if clipped_match {
            start + prefix_within(matched, match_limit.saturating_sub(dots))
        } else {
            end
        };
        let match_columns = columns(&line[start..match_end]) + if clipped_match { dots } else { 0 };
        let left = before_columns
            .min(room.saturating_sub(match_columns))
            .min(room.saturating_sub(match_columns / 2 + 4 + label_columns(&label)));
        let (keep_start, lead) = if before_columns <= left {
            (0, false)
        } else {
            (suffix_within(before, left.saturating_sub(dots)), true)
        };
        let used = if lead { dots } else { 0 } + columns(&before[keep_start..]) + match_columns;
        let (keep_end, trail) = if clipped_match {
            (match_end, true)
        } else if columns(after) > room.saturating_sub(used) {
            (end + prefix_within(after, room.saturating_sub(used + dots)), true)
        } else {
            (line.len(), false)
        };
        let kept = Kept {
            keep: keep_start..keep_end,
            lead,
            trail,
        };
        (kept, label)
    }
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
    fn wrapping_keeps_code_spans_identifiers_and_urls_whole() {
        let text = "Export the view with `Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json`: \
                    the state prerequisite-check-warning, see https://learn.microsoft.com/intune/configmgr/core/x";
        let wrapped = wrap(text, 60, "", "");
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(
            lines.contains(&"`Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json`:"),
            "{wrapped}"
        );
        assert!(wrapped.contains("prerequisite-check-warning"), "{wrapped}");
        assert!(
            lines.contains(&"https://learn.microsoft.com/intune/configmgr/core/x"),
            "{wrapped}"
        );
        // A span too long for any line is wrapped at its spaces after all.
        let long = format!("`{}`", ["word"; 20].join(" "));
        assert!(wrap(&long, 40, "", "").lines().all(|l| l.len() <= 40));
    }

    fn long_entry_finding() -> Finding {
        let text = "ERROR: Download() failed with 0x80072ee2  $$<Configuration Manager Setup><12-17-2024 \
                    19:42:32.128+300><thread=4580 (0x11E4)> and a long tail that goes on and on";
        let start = 7 + 200;
        let text = format!("{}{text}", "x".repeat(200));
        Finding {
            rule_id: "setup-download-failed".to_owned(),
            severity: Severity::Error,
            message: "a download failed".to_owned(),
            subject: String::new(),
            location: Some(crate::finding::Location::at_line("logs/ConfigMgrSetup.log", 15)),
            excerpt: Some(crate::finding::Excerpt {
                highlight: start..start + "Download() failed with 0x80072ee2".len(),
                text,
                first_line: 15,
                label: "Configuration Manager Setup · 12-17-2024 19:42:32.128+300".to_owned(),
            }),
            help: None,
            url: Some(
                "https://learn.microsoft.com/troubleshoot/mem/configmgr/setup-migrate-backup-recovery/x".to_owned(),
            ),
            gap: None,
            suppression: None,
            fingerprint: String::new(),
            baseline: None,
        }
    }

    #[test]
    fn a_long_excerpt_is_clipped_to_the_width_with_the_match_in_view() {
        for (width, ascii) in [(80, false), (80, true), (60, false), (120, false)] {
            let style = Style {
                color: false,
                width,
                ascii,
            };
            let finding = long_entry_finding();
            let shown = render_diagnostic(&FindingDiagnostic::new(&finding, Path::new("/"), style), style);
            for line in shown.lines().filter(|l| !l.starts_with("https://")) {
                assert!(line.chars().count() <= width, "{width}: {line}\n{shown}");
            }
            let line = shown
                .lines()
                .find(|l| l.contains("Download()"))
                .expect("the match is shown");
            let marks = shown.lines().skip_while(|l| !l.contains("Download()")).nth(1).unwrap();
            let underline = marks.find(['─', '^']).unwrap_or(0);
            assert_eq!(
                line[..line.find("Download()").unwrap()].chars().count(),
                marks[..underline].chars().count(),
                "the underline starts under the match: {shown}"
            );
            assert!(shown.contains("Configuration Manager Setup"), "{shown}");
            assert!(shown.contains("12-17-2024 19:42:32.128+300"), "{shown}");
        }
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
            baseline: None,
        };
        let style = Style {
            color: false,
            width: 100,
            ascii: true,
        };
        let shown = render_diagnostic(&FindingDiagnostic::new(&finding, Path::new("/"), style), style);
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
