//! What a match looks like in a report: its line and columns, captures, the clipped text,
//! and an excerpt of its entry with the match marked and the entry's component and time.

use std::ops::Range;

use regex::bytes::Regex;

use super::LogMatch;
use crate::finding::Excerpt;

/// Longest excerpt line shown before it is clipped around the match.
const EXCERPT_WIDTH: usize = 160;

pub(super) fn describe_match(
    entry: &[u8],
    entry_line: u64,
    regex: &Regex,
    captures: &regex::bytes::Captures<'_>,
) -> LogMatch {
    let whole = captures.get(0).map_or(0..0, |m| m.range());
    let line_start = memchr::memrchr(b'\n', &entry[..whole.start]).map_or(0, |i| i + 1);
    let line = entry_line + memchr::memchr_iter(b'\n', &entry[..line_start]).count() as u64 + 1;
    let column = char_count(&entry[line_start..whole.start]) + 1;
    let end_column = (!entry[whole.clone()].contains(&b'\n')).then(|| column + char_count(&entry[whole.clone()]));
    let named = regex
        .capture_names()
        .enumerate()
        .filter_map(|(i, name)| Some((name?, captures.get(i)?)))
        .map(|(name, m)| (name.to_owned(), clip_text(m.as_bytes())))
        .collect();
    LogMatch {
        line,
        column,
        end_column,
        // Set by the scanner, which knows how the text was decoded.
        byte_range: None,
        captures: named,
        matched: clip_text(&entry[whole.clone()]),
        excerpt: excerpt(entry, line_start, whole, line),
    }
}

/// Characters in UTF-8 bytes (invalid bytes count one each, as they render as U+FFFD).
fn char_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| !(0x80..0xC0).contains(&b)).count() as u64
}

/// Matched or captured text for messages: lossy, CR/LF-free, at most 200 characters.
fn clip_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\r', '\n']);
    let mut out: String = text.chars().take(200).collect();
    if text.chars().nth(200).is_some() {
        out.push('…');
    }
    out
}

/// The lines of the match, clipped around it when they are long, with the match highlighted.
fn excerpt(entry: &[u8], line_start: usize, whole: Range<usize>, line: u64) -> Excerpt {
    let line_end = memchr::memchr(b'\n', &entry[whole.end.max(line_start)..])
        .map_or(entry.len(), |i| whole.end.max(line_start) + i);
    let mut from = line_start;
    let mut to = line_end;
    while to > from && matches!(entry[to - 1], b'\r' | b'\n') {
        to -= 1;
    }
    // A match may lie in the line end that is not shown (`\z` or `x?$` after a final CR):
    // it is drawn as an empty mark where the shown line ends.
    let whole = whole.start.min(to)..whole.end.min(to).max(whole.start.min(to));
    let mut highlight_end = whole.end;
    let clipped_match = highlight_end - whole.start > EXCERPT_WIDTH;
    if clipped_match {
        highlight_end = char_floor(entry, whole.start + EXCERPT_WIDTH);
    }
    let clip_left = whole.start - from > EXCERPT_WIDTH / 2;
    if clip_left {
        from = char_floor(entry, whole.start - EXCERPT_WIDTH / 2);
    }
    let clip_right = to - highlight_end > EXCERPT_WIDTH / 2;
    if clip_right {
        to = char_floor(entry, highlight_end + EXCERPT_WIDTH / 2);
    }
    let mut text = String::new();
    if clip_left {
        text.push('…');
    }
    // Carriage returns go before the highlight is measured: one in the middle of a line
    // (`service.\r*ERROR`) used to shift the underline off the match.
    let push = |text: &mut String, bytes: &[u8]| text.push_str(&String::from_utf8_lossy(bytes).replace('\r', ""));
    push(&mut text, &entry[from..whole.start]);
    let start = text.len();
    push(&mut text, &entry[whole.start..highlight_end]);
    if clipped_match {
        text.push('…');
    }
    let end = text.len();
    if !clipped_match {
        push(&mut text, &entry[highlight_end..to.max(highlight_end)]);
    }
    if clip_right || (clipped_match && to < line_end) {
        text.push('…');
    }
    Excerpt {
        text,
        first_line: line,
        highlight: start..end,
        label: entry_context(entry),
    }
}

/// Moves a byte index back to the start of a UTF-8 character.
fn char_floor(bytes: &[u8], mut i: usize) -> usize {
    while i > 0 && i < bytes.len() && (0x80..0xC0).contains(&bytes[i]) {
        i -= 1;
    }
    i
}

/// The component and time an entry carries, in either ConfigMgr format:
/// `<![LOG[...]LOG]!><time="15:10:23.450+300" date="12-17-2024" component="X" ...>` or
/// `message  $$<Component><12-17-2024 15:03:13.201+300><thread=4580 (0x11E4)>`.
pub fn entry_context(entry: &[u8]) -> String {
    let text = String::from_utf8_lossy(entry);
    if let Some(attrs) = text.rfind("]LOG]!>").map(|i| &text[i..]) {
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            let start = attrs.find(&key)? + key.len();
            let len = attrs[start..].find('"')?;
            Some(attrs[start..start + len].to_owned()).filter(|v| !v.is_empty())
        };
        let time = match (attr("date"), attr("time")) {
            (Some(d), Some(t)) => Some(format!("{d} {t}")),
            (d, t) => d.or(t),
        };
        return join_context(attr("component"), time);
    }
    if let Some(tail) = text.rfind("$$<").map(|i| &text[i + 3..]) {
        let mut fields = tail.split("><").map(|f| f.trim_end_matches(['>', '\r', '\n']));
        let component = fields.next().map(str::to_owned).filter(|c| !c.is_empty());
        let time = fields
            .next()
            .map(str::to_owned)
            .filter(|t| !t.is_empty() && !t.starts_with("thread="));
        return join_context(component, time);
    }
    "matched here".to_owned()
}

fn join_context(component: Option<String>, time: Option<String>) -> String {
    match (component, time) {
        (Some(c), Some(t)) => format!("{c} · {t}"),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => "matched here".to_owned(),
    }
}
