//! Problems in the files a user wrote (rule files, snapshot manifests, configs), each tied to
//! the exact bytes it is about so that the terminal can draw a caret under them.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SpanContents};

use crate::document::text::{VisibleText, visible};

/// A file the user wrote, kept whole so diagnostics can quote it.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it, shown in every diagnostic.
    pub name: String,
    pub text: String,
    /// The text as a terminal may show it, when it holds control characters (a snapshot
    /// manifest from a stranger may): what miette quotes, with spans mapped onto it.
    shown: Option<VisibleText>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        let text = text.into();
        let shown = matches!(visible(&text), Cow::Owned(_)).then(|| VisibleText::new(&text));
        Arc::new(SourceFile {
            name: name.into(),
            text,
            shown,
        })
    }

    /// A span of the text, as drawn under the text that is shown.
    fn shown_span(&self, span: Range<usize>) -> Range<usize> {
        match &self.shown {
            Some(shown) => shown.range(span),
            None => span,
        }
    }

    /// How long, in bytes, the line that holds `offset` is.
    fn line_len(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        let offset = offset.min(bytes.len());
        let start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |i| offset + i);
        end - start
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text.as_bytes()[..offset];
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        let line = memchr::memchr_iter(b'\n', before).count() + 1;
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        (line, column)
    }
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        read_named_span(
            self.shown.as_ref().map_or(&self.text, |s| &s.text),
            &visible(&self.name),
            1,
            span,
            context_lines_before,
            context_lines_after,
        )
    }
}

/// Reads a span of `text` for miette, named `name`, with `text` starting at line
/// `first_line` of its file (an excerpt of a log keeps the log's line numbers).
pub fn read_named_span<'a>(
    text: &'a str,
    name: &str,
    first_line: usize,
    span: &miette::SourceSpan,
    context_lines_before: usize,
    context_lines_after: usize,
) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
    let inner = text.read_span(span, context_lines_before, context_lines_after)?;
    Ok(Box::new(MietteSpanContents::new_named(
        name.to_owned(),
        inner.data(),
        *inner.span(),
        inner.line() + first_line.saturating_sub(1),
        inner.column(),
        inner.line_count(),
    )))
}

/// One problem at one place in a user's file.
#[derive(Debug, Clone)]
pub struct Problem {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
    pub message: String,
    /// Text under the caret.
    pub label: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(
        file: &Arc<SourceFile>,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Problem {
            file: Arc::clone(file),
            span,
            message: message.into(),
            label: label.into(),
            help: None,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:column`, for messages outside miette (tests, logs).
    pub fn position(&self) -> String {
        let (line, column) = self.file.line_column(self.span.start);
        format!("{}:{line}:{column}", self.file.name)
    }
}

/// A line longer than this is not quoted under a problem: each of its problems would print it
/// whole (100,000 mistakes on one 800 KB line printed 158 MB). Its place is given in words.
const MAX_QUOTED_LINE: usize = 2000;

impl Problem {
    /// Whether the problem's line is too long to quote.
    fn line_too_long(&self) -> bool {
        self.file.line_len(self.span.start) > MAX_QUOTED_LINE
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Messages quote values from the file, which may hold control characters.
        f.write_str(&visible(&self.message))?;
        if self.line_too_long() {
            write!(f, " (at {}; the line is too long to show)", visible(&self.position()))?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_deref()
            .map(|h| Box::new(visible(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        (!self.line_too_long()).then_some(&*self.file as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.line_too_long() {
            return None;
        }
        // An empty span still gets a caret: miette draws nothing for length 0 at end of input.
        let end = self
            .span
            .end
            .max(self.span.start + usize::from(self.span.start < self.file.text.len()));
        let span = self.file.shown_span(self.span.start..end);
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(
            Some(visible(&self.label).into_owned()),
            span,
        ))))
    }
}

/// Why a run could not start: problems in the user's files, or a plain message (a missing
/// path, contradictory flags). Both end the run with exit code 2.
#[derive(Debug)]
pub enum SetupError {
    Problems(Vec<Problem>),
    Message { message: String, help: Option<String> },
}

impl SetupError {
    /// A plain message: a string, or a reader's typed error in its own words.
    pub fn message(message: impl std::fmt::Display) -> Self {
        SetupError::Message {
            message: message.to_string(),
            help: None,
        }
    }

    pub fn with_help(message: impl Into<String>, help: impl Into<String>) -> Self {
        SetupError::Message {
            message: message.into(),
            help: Some(help.into()),
        }
    }
}

impl From<Vec<Problem>> for SetupError {
    fn from(problems: Vec<Problem>) -> Self {
        SetupError::Problems(problems)
    }
}

/// The closest of `candidates` to a misspelt `word`, if it is close enough to be a likely typo.
/// Distance is the optimal-string-alignment one: a swap of neighbours is one edit (`cuont` is
/// one edit from `count`).
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|&(d, c)| d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// The help for a word that names nothing: "did you mean `close`?" when one of `candidates` is
/// a likely typo of it, else `otherwise` (which usually lists what there is).
pub fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: impl FnOnce() -> String,
) -> String {
    match did_you_mean(word, candidates) {
        Some(close) => format!("did you mean `{close}`?"),
        None => otherwise(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_field_names_only() {
        let fields = ["pattern", "log", "scope", "run-start"];
        assert_eq!(did_you_mean("patern", fields), Some("pattern"));
        assert_eq!(did_you_mean("runstart", fields), Some("run-start"));
        assert_eq!(did_you_mean("severity", fields), None);
        // A swap of two neighbours is one typo.
        assert_eq!(did_you_mean("cuont", ["outcome", "count", "messages"]), Some("count"));
    }

    #[test]
    fn line_column_counts_characters() {
        let file = SourceFile::new("r.yaml", "a: 1\nié: x\n");
        assert_eq!(file.line_column(10), (2, 5));
    }
}
