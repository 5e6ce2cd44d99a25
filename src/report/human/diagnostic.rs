//! One finding as a miette diagnostic: its message, waiver and place made visible, and its
//! excerpt clipped to the terminal with the match in view.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use miette::{Diagnostic, LabeledSpan, MietteError, SourceCode, SpanContents};

use super::Style;
use crate::document::diag::read_named_span;
use crate::document::text::{VisibleText, visible};
use crate::files::native_path;
use crate::finding::{BaselineState, Finding, Severity, SnapshotInfo};

/// Adapts a failure to miette. Everything that came from an input (the message with its
/// captured values, the path, the excerpt and its label) is shown with control characters
/// made visible: a log line must not be able to clear the screen or retitle the window.
pub(super) struct FindingDiagnostic<'a> {
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
    pub(super) help_above: bool,
}

impl<'a> FindingDiagnostic<'a> {
    /// With `ascii`, sitelint's own marks are drawn in ASCII too (`...` for a clipped text,
    /// `-` between an entry's component and time), as the frames are.
    pub(super) fn new(finding: &'a Finding, snapshot: &SnapshotInfo, working_dir: &Path, style: Style) -> Self {
        let ascii = style.ascii;
        let marks = |text: String| if ascii { ascii_marks(&text) } else { text };
        // The waiver's config is named from the snapshot in the model; a person reads it from here.
        let waiver = finding.suppression.as_ref().map(|waiver| {
            let ticket = waiver.ticket.as_deref().map_or_else(String::new, |t| format!(", {t}"));
            let text = format!(
                "suppressed by the waiver at {}: {} (owner {}, until {}{ticket})",
                native_path(&crate::report::waiver_place(waiver, snapshot, working_dir)),
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
            if style.clip {
                source.fit(style.width, ascii)
            } else {
                source
            }
        });
        // A waiver's line is named from the snapshot in the model, like its config; from
        // here, as a person typed the command.
        let place = finding
            .location
            .as_ref()
            .filter(|_| finding.excerpt.is_none())
            .map(|location| {
                let path = crate::report::for_people(&location.path, snapshot, working_dir);
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
        // With --baseline, a finding the baseline lacks says so beside its rule.
        let id = if self.finding.baseline == Some(BaselineState::New) {
            format!("{} (new since the baseline)", self.finding.rule_id)
        } else {
            self.finding.rule_id.clone()
        };
        match (&self.finding.url, self.url_below_id) {
            (Some(url), true) => Some(Box::new(format!("{id}\n{}", visible(url)))),
            _ => Some(Box::new(id)),
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
