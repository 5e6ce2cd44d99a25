//! Text as a person is shown it: inputs made safe for a terminal ([`visible`]), counts in
//! words ([`plural`]) and digests in hexadecimal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

/// `1 error`, `2 errors`.
pub fn plural(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n = n.try_into().unwrap_or(u64::MAX);
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Lowercase hexadecimal, for digests (SARIF fingerprints, listing hashes).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a character would act on a terminal instead of showing: C0 and C1 controls (ESC
/// starts colour, cursor, title and hyperlink sequences), DEL, and the bidirectional controls
/// that make text read differently than it is stored (U+202E). Tab and line feed are text; a
/// carriage return is text only as part of CRLF.
fn acts_on_terminal(c: char, next: Option<char>) -> bool {
    match c {
        '\t' | '\n' => false,
        '\r' => next != Some('\n'),
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// Text from an input made safe for a terminal: every character that would act on it is
/// written as an escape (`\x1b`, `\u{202e}`). JSON and SARIF keep the text as it was.
pub fn visible(text: &str) -> Cow<'_, str> {
    let needs = text
        .char_indices()
        .any(|(i, c)| acts_on_terminal(c, text[i + c.len_utf8()..].chars().next()));
    if needs {
        Cow::Owned(VisibleText::new(text).text)
    } else {
        Cow::Borrowed(text)
    }
}

/// [`visible`] for text that must stay on one line (a snapshot's name in a table of them, a
/// stderr line it starts): a line feed is written `\n` as well, so a name cannot end its row
/// and forge the next one.
pub fn visible_line(text: &str) -> Cow<'_, str> {
    if text.contains('\n') {
        Cow::Owned(visible(&text.replace('\n', "\\n")).into_owned())
    } else {
        visible(text)
    }
}

/// [`visible`] text that remembers where each byte of the original went, so that a span in the
/// original (a match, a caret under a rule-file value) can be drawn under the visible text.
#[derive(Debug, Clone)]
pub struct VisibleText {
    pub text: String,
    /// For each escaped character: its offset in the original, and the bytes added by the
    /// escapes up to and including it.
    shifts: Vec<(usize, usize)>,
}

impl VisibleText {
    pub fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut shifts = Vec::new();
        let mut added = 0;
        let mut chars = original.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if !acts_on_terminal(c, chars.peek().map(|&(_, next)| next)) {
                text.push(c);
                continue;
            }
            let before = text.len();
            if c.is_ascii() {
                let _ = write!(text, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(text, "\\u{{{:x}}}", c as u32);
            }
            added += text.len() - before - c.len_utf8();
            shifts.push((at, added));
        }
        VisibleText { text, shifts }
    }

    /// Where an offset of the original lands in the visible text.
    pub fn offset(&self, original: usize) -> usize {
        let escaped_before = self.shifts.partition_point(|&(at, _)| at < original);
        original + escaped_before.checked_sub(1).map_or(0, |i| self.shifts[i].1)
    }

    pub fn range(&self, original: Range<usize>) -> Range<usize> {
        self.offset(original.start)..self.offset(original.end)
    }
}
