//! Text as Windows writes it: UTF-8 with or without BOM, UTF-16LE/BE (PowerShell 5.1's `>`),
//! and bytes that are valid in neither. Everything leaves this module as UTF-8, and goes back
//! to a terminal only through [`visible`]; [`plural`] words the counts messages give.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Read};
use std::ops::Range;

use encoding_rs::{CoderResult, Decoder, UTF_16BE, UTF_16LE};

/// `1 error`, `2 errors`.
pub fn plural(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n = n.try_into().unwrap_or(u64::MAX);
    format!("{n} {}", if n == 1 { one } else { many })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, or bytes treated as such (Windows-1252 text keeps its ASCII intact).
    Utf8 {
        bom: bool,
    },
    Utf16Le {
        bom: bool,
    },
    Utf16Be {
        bom: bool,
    },
}

impl Encoding {
    /// Decides from the first bytes of a file. Without a BOM, UTF-16 is recognised by its
    /// zero bytes around ASCII text, which no UTF-8 log has.
    pub fn sniff(prefix: &[u8]) -> Encoding {
        match prefix {
            [0xEF, 0xBB, 0xBF, ..] => Encoding::Utf8 { bom: true },
            [0xFF, 0xFE, ..] => Encoding::Utf16Le { bom: true },
            [0xFE, 0xFF, ..] => Encoding::Utf16Be { bom: true },
            [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Encoding::Utf16Le { bom: false },
            [0, a, 0, b, ..] if *a != 0 && *b != 0 => Encoding::Utf16Be { bom: false },
            _ => Encoding::Utf8 { bom: false },
        }
    }

    pub fn bom_len(self) -> usize {
        match self {
            Encoding::Utf8 { bom: true } => 3,
            Encoding::Utf16Le { bom: true } | Encoding::Utf16Be { bom: true } => 2,
            _ => 0,
        }
    }

    pub fn is_utf8(self) -> bool {
        matches!(self, Encoding::Utf8 { .. })
    }

    fn decoder(self) -> Option<Decoder> {
        match self {
            Encoding::Utf8 { .. } => None,
            Encoding::Utf16Le { .. } => Some(UTF_16LE.new_decoder_without_bom_handling()),
            Encoding::Utf16Be { .. } => Some(UTF_16BE.new_decoder_without_bom_handling()),
        }
    }
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

/// Decodes a whole small file (a rule file, a console export, an allowlist) to a `String`.
/// Invalid sequences become U+FFFD rather than errors: a stray byte must not hide the rest.
pub fn decode(bytes: &[u8]) -> String {
    let encoding = Encoding::sniff(bytes);
    let body = &bytes[encoding.bom_len()..];
    match encoding.decoder() {
        None => String::from_utf8_lossy(body).into_owned(),
        Some(mut decoder) => {
            let capacity = decoder.max_utf8_buffer_length(body.len()).unwrap_or(body.len() * 3);
            let mut out = String::with_capacity(capacity);
            let _ = decoder.decode_to_string(body, &mut out, true);
            out
        }
    }
}

/// Reads a stream of any supported encoding as UTF-8 bytes, without holding the file in memory.
/// UTF-8 input passes through untouched (invalid bytes included) so that byte offsets in the
/// output are byte offsets in the file, shifted by the BOM.
pub struct Utf8Reader<R> {
    inner: R,
    decoder: Option<Decoder>,
    /// Raw bytes read from `inner` but not yet decoded (UTF-16 only).
    raw: Vec<u8>,
    raw_start: usize,
    eof: bool,
    /// The decoder has flushed its last partial character after the end of input; encoding_rs
    /// panics if it is used again, so further reads return 0 without touching it.
    finished: bool,
    /// One decoded character waiting for a caller whose buffer was too small for it.
    spill: [u8; 4],
    spill_start: usize,
    spill_len: usize,
    pub encoding: Encoding,
}

impl<R: Read> Utf8Reader<R> {
    /// Sniffs the encoding from the first bytes and skips the BOM.
    pub fn new(mut inner: R) -> io::Result<Self> {
        let mut raw = vec![0; 4];
        let mut filled = 0;
        while filled < raw.len() {
            let n = inner.read(&mut raw[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        raw.truncate(filled);
        let encoding = Encoding::sniff(&raw);
        Ok(Utf8Reader {
            inner,
            decoder: encoding.decoder(),
            raw,
            raw_start: encoding.bom_len(),
            eof: false,
            finished: false,
            spill: [0; 4],
            spill_start: 0,
            spill_len: 0,
            encoding,
        })
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.decoder.is_none() {
            // UTF-8: first hand out what the sniffing read, then read straight through.
            if self.raw_start < self.raw.len() {
                let n = out.len().min(self.raw.len() - self.raw_start);
                out[..n].copy_from_slice(&self.raw[self.raw_start..self.raw_start + n]);
                self.raw_start += n;
                return Ok(n);
            }
            return self.inner.read(out);
        }
        if self.spill_start < self.spill_len {
            return Ok(self.take_spill(out));
        }
        // decode_to_utf8 never writes part of a character, and one takes up to 4 bytes: a
        // smaller buffer (`read_to_end` probes with one) is served from a character decoded
        // aside.
        if out.len() < 4 {
            let mut spill = [0; 4];
            self.spill_len = self.decode(&mut spill)?;
            self.spill = spill;
            self.spill_start = 0;
            return Ok(self.take_spill(out));
        }
        self.decode(out)
    }
}

impl<R: Read> Utf8Reader<R> {
    fn take_spill(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.spill_len - self.spill_start);
        out[..n].copy_from_slice(&self.spill[self.spill_start..self.spill_start + n]);
        self.spill_start += n;
        n
    }

    /// Decodes UTF-16 into `out` (at least 4 bytes); 0 only at the end.
    fn decode(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let Some(decoder) = &mut self.decoder else {
            return Ok(0);
        };
        loop {
            if self.finished {
                return Ok(0);
            }
            if self.raw_start == self.raw.len() && !self.eof {
                self.raw.resize(64 * 1024, 0);
                let n = self.inner.read(&mut self.raw)?;
                self.raw.truncate(n);
                self.raw_start = 0;
                self.eof = n == 0;
            }
            // A file cut in the middle of a character (copied while being written) ends in half
            // a code unit or a lone surrogate: with `last`, the decoder turns it into U+FFFD.
            let (result, read, written, _) = decoder.decode_to_utf8(&self.raw[self.raw_start..], out, self.eof);
            self.raw_start += read;
            self.finished = self.eof && result == CoderResult::InputEmpty;
            if written > 0 || self.finished {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    #[test]
    fn decodes_every_windows_encoding() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc"), "abc");
        assert_eq!(decode(&utf16le_bom("Größe\r\n")), "Größe\r\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("ok".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be), "ok");
        assert_eq!(decode(b"caf\xE9"), "caf\u{FFFD}");
        let no_bom: Vec<u8> = "[{}]".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&no_bom), "[{}]");
    }

    #[test]
    fn streaming_decoder_matches_whole_decode_across_small_reads() {
        let text = "INFO: é 😀 line\r\n".repeat(10_000);
        let bytes = utf16le_bom(&text);
        let mut reader = Utf8Reader::new(bytes.as_slice()).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    fn read_all(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        Utf8Reader::new(bytes).unwrap().read_to_end(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Regression: a UTF-16 log copied while it was being written ends inside a character; the
    /// reader used to call the finished decoder again and panic.
    #[test]
    fn utf16_cut_inside_a_character_ends_with_a_replacement_character() {
        assert_eq!(read_all(b"\xff\xfeA"), "\u{FFFD}");
        assert_eq!(read_all(b"\xfe\xff\x00A\x00"), "A\u{FFFD}");
        let mut cut = utf16le_bom("ERROR: Download() failed\r\n");
        cut.pop();
        assert_eq!(read_all(&cut), "ERROR: Download() failed\r\u{FFFD}");
        // A lone high surrogate at the end, without a BOM.
        let mut lone: Vec<u8> = "ab".encode_utf16().flat_map(u16::to_le_bytes).collect();
        lone.extend([0x3D, 0xD8]);
        assert_eq!(read_all(&lone), "ab\u{FFFD}");
        // The end is flushed even when the caller's buffer is small.
        let mut reader = Utf8Reader::new(&b"\xff\xfeA\x00B"[..]).unwrap();
        let mut buf = [0u8; 4];
        let mut out = Vec::new();
        for _ in 0..10 {
            let n = reader.read(&mut buf).unwrap();
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), "A\u{FFFD}");
    }

    #[test]
    fn characters_that_act_on_a_terminal_are_made_visible() {
        let hostile = "418 \x1b[2J\x1b[31mPWNED\x1b]0;title\x07 \u{202e}txt.exe\u{9b}\x08\x7f a\rb\r\n";
        assert_eq!(
            visible(hostile),
            "418 \\x1b[2J\\x1b[31mPWNED\\x1b]0;title\\x07 \\u{202e}txt.exe\\u{9b}\\x08\\x7f a\\x0db\r\n"
        );
        assert!(matches!(visible("Größe\tok\r\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn spans_of_the_original_map_onto_the_visible_text() {
        let original = "a\x1bb \u{202e}ERROR x";
        let shown = VisibleText::new(original);
        let error = original.find("ERROR").unwrap();
        let range = shown.range(error..error + 5);
        assert_eq!(&shown.text[range], "ERROR");
        assert_eq!(shown.offset(0), 0);
        assert_eq!(&shown.text[shown.range(1..2)], "\\x1b");
    }

    #[test]
    fn utf8_passes_through_with_invalid_bytes() {
        let bytes = b"\xEF\xBB\xBFa\xFFb";
        let mut reader = Utf8Reader::new(&bytes[..]).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"a\xFFb");
        assert_eq!(reader.encoding, Encoding::Utf8 { bom: true });
    }
}
