//! The text a log pattern matches: the log's own characters, with the ones that copying and
//! localization vary folded to their ASCII forms.
//!
//! Real lines reach sitelint retyped by nobody but changed all the same: a line copied out of a
//! localized web page carries typographic quotes (`’` for `'`), a Japanese page full-width
//! punctuation and digits (`（４００）`), a page's layout non-breaking spaces. A pattern written
//! for the ASCII line must match them all, so both the text and the pattern are folded the same
//! way before matching (`Pattern::new` folds the pattern).
//!
//! Every change maps one character to one character and leaves line ends alone, so lines and
//! character columns are the same in the folded and the original text; byte offsets differ,
//! and [`Positions`] maps them back, so reports show and locate the original bytes.

use std::borrow::Cow;

/// The ASCII character `c` stands for, if it is one that copying or localization varies.
fn fold(c: char) -> Option<char> {
    Some(match c {
        // Typographic single quotes, the prime and the low-9 quote.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
        // No-break, figure, narrow no-break and the ideographic (full-width) space.
        '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{3000}' => ' ',
        // Hyphens a word processor puts in place of `-`.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2212}' => '-',
        // Full-width ASCII (U+FF01..U+FF5E) maps one to one onto `!`..`~`.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21)?,
        _ => return None,
    })
}

/// The length of the UTF-8 sequence at `bytes[i..]`, or 1 for a byte that does not start a
/// valid one (such a byte is kept as it is, and counts as one character).
fn char_len(bytes: &[u8], i: usize) -> usize {
    let width = match bytes[i] {
        0x00..=0x7F => return 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return 1,
    };
    match bytes.get(i..i + width) {
        Some(seq) if std::str::from_utf8(seq).is_ok() => width,
        _ => 1,
    }
}

/// Whether `text` may hold a character [`fold`] changes: every one of them is encoded with a
/// lead byte 0xC2 (U+00A0), 0xE2 (U+2010..U+2033, U+202F) or 0xE3/0xEF (U+3000, U+FFxx).
fn may_fold(text: &[u8]) -> bool {
    memchr::memchr3(0xC2, 0xE2, 0xEF, text).is_some() || memchr::memmem::find(text, "\u{3000}".as_bytes()).is_some()
}

/// `text` folded, or `None` when folding changes nothing (most logs: one scan for the lead
/// bytes, no copy).
pub(super) fn folded(text: &[u8]) -> Option<Vec<u8>> {
    if !may_fold(text) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < text.len() {
        let len = char_len(text, i);
        let c = (len > 1)
            .then(|| std::str::from_utf8(&text[i..i + len]).ok()?.chars().next())
            .flatten();
        match c.and_then(fold) {
            Some(ascii) => {
                out.push(ascii as u8);
                changed = true;
            }
            None => out.extend_from_slice(&text[i..i + len]),
        }
        i += len;
    }
    changed.then_some(out)
}

/// A pattern's text folded as [`folded`] folds a log: a character that folds becomes its ASCII
/// form, escaped where that is a regex metacharacter (a full-width `（` is a literal
/// parenthesis, never a group).
pub(super) fn folded_pattern(source: &str) -> Cow<'_, str> {
    if !source.chars().any(|c| fold(c).is_some()) {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    for c in source.chars() {
        match fold(c) {
            Some(ascii) if regex_syntax::is_meta_character(ascii) => {
                out.push('\\');
                out.push(ascii);
            }
            Some(ascii) => out.push(ascii),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Maps byte positions in folded text back to the original, walking both forwards: positions
/// must be asked in increasing order, and the whole walk costs one pass over the chunk.
pub(super) struct Positions<'t> {
    original: &'t [u8],
    folded: Option<&'t [u8]>,
    at_folded: usize,
    at_original: usize,
}

impl<'t> Positions<'t> {
    /// Positions in `folded` (the folded form of `original`, or `None` when nothing folded).
    pub(super) fn new(original: &'t [u8], folded: Option<&'t [u8]>) -> Self {
        Positions {
            original,
            folded,
            at_folded: 0,
            at_original: 0,
        }
    }

    /// The original position of folded position `target` (not before the last one asked).
    pub(super) fn original(&mut self, target: usize) -> usize {
        let Some(folded) = self.folded else {
            return target;
        };
        debug_assert!(target >= self.at_folded, "positions are asked in order");
        while self.at_folded < target && self.at_folded < folded.len() {
            self.at_folded += char_len(folded, self.at_folded);
            self.at_original += char_len(self.original, self.at_original);
        }
        self.at_original
    }
}

/// Maps positions inside one folded entry back to the entry's original bytes, in any order
/// (a match's captures are not ordered): each look-up walks the entry from its start.
pub(super) fn original_in(original: &[u8], folded: &[u8], target: usize) -> usize {
    Positions::new(original, Some(folded)).original(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typographic_quotes_full_width_ascii_and_odd_spaces_fold_to_ascii() {
        let line = "Error: failed to verify ’C:\\Redist\\sqlncli.msi’\u{00A0}（４００）：　OK";
        let folded = folded(line.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(folded).unwrap(),
            "Error: failed to verify 'C:\\Redist\\sqlncli.msi' (400): OK"
        );
    }

    #[test]
    fn text_without_such_characters_is_not_copied() {
        assert_eq!(folded(b"INFO:Successfully downloaded Redists"), None);
        // Japanese text that has nothing to fold (0xE3 lead bytes only) is not copied either.
        assert_eq!(folded("リモート名を解決できませんでした。".as_bytes()), None);
    }

    #[test]
    fn invalid_bytes_are_kept_and_positions_map_back() {
        let original = b"\xFF\xE2\x80\x99x\xEF\xBC\x88y";
        let folded = folded(original).unwrap();
        assert_eq!(folded, b"\xFF'x(y");
        let mut positions = Positions::new(original, Some(&folded));
        assert_eq!([0, 1, 2, 3, 4, 5].map(|p| positions.original(p)), [0, 1, 4, 5, 8, 9]);
        assert_eq!(original_in(original, &folded, 4), 8);
    }

    #[test]
    fn patterns_fold_with_metacharacters_escaped() {
        assert_eq!(folded_pattern("failed to verify ’"), "failed to verify '");
        assert_eq!(folded_pattern("（４００）"), r"\(400\)");
        assert!(matches!(folded_pattern("plain"), Cow::Borrowed(_)));
    }
}
