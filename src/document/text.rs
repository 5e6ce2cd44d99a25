//! Text as Windows writes it, decoded once before anything splits it: the encoding a BOM
//! names, else UTF-8 when the bytes are valid UTF-8, else the legacy code page of the Windows
//! that wrote it (CP932 on Japanese Windows, 1252 on Western), detected or named. Everything
//! leaves this module as UTF-8, and goes back to a terminal only through [`visible`];
//! [`plural`] words the counts messages give.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Read};
use std::ops::Range;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{CoderResult, Decoder, SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE};

/// `1 error`, `2 errors`.
pub fn plural(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n = n.try_into().unwrap_or(u64::MAX);
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How much of a file the encoding is judged from (a BOM, UTF-16 without one, the legacy code
/// page a detector names), and how much is looked at ahead when a stream that was ASCII until
/// then turns out not to be UTF-8.
const PREFIX: usize = 64 * 1024;

/// UTF-16 without a BOM is taken only on strong evidence: at least this many code units at
/// the start, nine in ten of them ASCII beside a zero byte.
const MIN_UTF16_UNITS: usize = 4;

/// How a file's bytes were read: a character set, and whether a BOM named it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub charset: &'static encoding_rs::Encoding,
    pub bom: bool,
}

impl Encoding {
    pub const UTF8: Encoding = Encoding {
        charset: UTF_8,
        bom: false,
    };

    /// What the first bytes of a file say for certain: a BOM, or UTF-16 that cannot be anything
    /// else (ASCII beside a zero byte through the whole prefix). A UTF-8 log that happens to
    /// start `a\0b\0` is not that: its next characters have no zero bytes.
    fn sniff(prefix: &[u8]) -> Option<Encoding> {
        if let Some((charset, _)) = encoding_rs::Encoding::for_bom(prefix) {
            return Some(Encoding { charset, bom: true });
        }
        let units = &prefix[..prefix.len().min(PREFIX) & !1];
        let total = units.len() / 2;
        if total < MIN_UTF16_UNITS {
            return None;
        }
        let count = |zero_at: usize| {
            units
                .chunks_exact(2)
                .filter(|unit| unit[zero_at] == 0 && unit[1 - zero_at] != 0)
                .count()
        };
        let strong = |ascii: usize| ascii * 10 >= total * 9;
        let charset = if strong(count(1)) {
            UTF_16LE
        } else if strong(count(0)) {
            UTF_16BE
        } else {
            return None;
        };
        Some(Encoding { charset, bom: false })
    }

    pub fn bom_len(self) -> usize {
        match (self.bom, self.charset == UTF_8) {
            (false, _) => 0,
            (true, true) => 3,
            (true, false) => 2,
        }
    }

    pub fn is_utf8(self) -> bool {
        self.charset == UTF_8
    }

    /// How many bytes of the original file some decoded text took, for the encodings where
    /// each character's width is fixed by the character (UTF-8, UTF-16, single-byte code
    /// pages, CP932); `None` for the others, whose byte spans are then not given.
    pub fn original_len(self, decoded: &[u8]) -> Option<u64> {
        if self.is_utf8() || (self.charset.is_ascii_compatible() && decoded.is_ascii()) {
            return Some(decoded.len() as u64);
        }
        let text = std::str::from_utf8(decoded).ok()?;
        let width: fn(char) -> u64 = if self.charset == UTF_16LE || self.charset == UTF_16BE {
            |c| 2 * c.len_utf16() as u64
        } else if self.charset.is_single_byte() {
            |_| 1
        } else if self.charset == SHIFT_JIS {
            // ASCII, 0x80 and the half-width katakana are one byte; everything else two.
            |c| {
                if c <= '\u{80}' || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                    1
                } else {
                    2
                }
            }
        } else {
            return None;
        };
        Some(text.chars().map(width).sum())
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.charset == SHIFT_JIS {
            return f.write_str("Shift_JIS (Windows code page 932)");
        }
        f.write_str(self.charset.name())?;
        if self.bom {
            f.write_str(" with a BOM")?;
        } else if self.charset == UTF_16LE || self.charset == UTF_16BE {
            f.write_str(" without a BOM")?;
        }
        Ok(())
    }
}

/// The legacy code page `--encoding` or `encoding:` names: any WHATWG label (`shift_jis`,
/// `windows-1252`, `latin1`), and Windows' own names for code pages (`cp932`, `932`,
/// `ms932`).
pub fn encoding_named(name: &str) -> Option<&'static encoding_rs::Encoding> {
    let name = name.trim().to_ascii_lowercase();
    let number = name.strip_prefix("cp").unwrap_or(&name);
    let label = match number {
        "932" => "shift_jis".to_owned(),
        _ if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => format!("windows-{number}"),
        _ => name.clone(),
    };
    encoding_rs::Encoding::for_label_no_replacement(label.as_bytes())
}

/// Whether bytes that are not valid UTF-8 are UTF-8 all the same, with a few bytes damaged:
/// more of their non-ASCII characters are well-formed UTF-8 than not. Text in a legacy code
/// page almost never forms a UTF-8 sequence by chance (CP932's `修正` does not, nor 1252's
/// `é` before a space).
fn looks_like_damaged_utf8(mut bytes: &[u8]) -> bool {
    let leads = |valid: &[u8]| valid.iter().filter(|&&b| b >= 0xC0).count();
    let (mut well_formed, mut malformed) = (0, 0);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(_) => {
                well_formed += leads(bytes);
                break;
            }
            Err(e) => {
                well_formed += leads(&bytes[..e.valid_up_to()]);
                let Some(bad) = e.error_len() else { break };
                malformed += 1;
                bytes = &bytes[e.valid_up_to() + bad..];
            }
        }
    }
    well_formed > malformed
}

/// The encoding of bytes that are not valid UTF-8 (`window` is where that shows): UTF-8 still
/// if they look like damaged UTF-8, else the code page named by `--encoding`/`encoding:`, else
/// the one chardetng (the detector by the author of encoding_rs, made for unlabelled legacy
/// text) finds likeliest. The window is never given as the end of the text: a file copied
/// while it was written ends inside a character, which must not rule its code page out.
fn legacy_encoding(window: &[u8], named: Option<&'static encoding_rs::Encoding>) -> Encoding {
    if looks_like_damaged_utf8(window) {
        return Encoding::UTF8;
    }
    let charset = named.unwrap_or_else(|| {
        let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
        detector.feed(window, false);
        detector.guess(None, Utf8Detection::Deny)
    });
    Encoding { charset, bom: false }
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

/// A whole file's text, and how it was read.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    /// Every byte decoded; otherwise the text holds U+FFFD where one did not.
    pub clean: bool,
}

/// Decodes a whole small file (a console export, an allowlist, probe results, a manifest):
/// in the encoding its BOM names, else UTF-8 when it is valid UTF-8, else the legacy code page
/// (`named` by `--encoding`, or detected). Bytes that do not decode become U+FFFD rather than
/// errors: a stray byte must not hide the rest.
pub fn decode(bytes: &[u8], named: Option<&'static encoding_rs::Encoding>) -> Decoded {
    let encoding = Encoding::sniff(bytes).unwrap_or_else(|| match std::str::from_utf8(bytes) {
        Ok(_) => Encoding::UTF8,
        Err(_) => legacy_encoding(bytes, named),
    });
    let (text, had_errors) = encoding
        .charset
        .decode_without_bom_handling(&bytes[encoding.bom_len()..]);
    Decoded {
        text: text.into_owned(),
        encoding,
        clean: !had_errors,
    }
}

/// Why a rule file or `sitelint.yaml` is refused: YAML is UTF-8 or UTF-16, and a file in a
/// legacy code page would be read one way here and another by every editor and YAML tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Where the first byte that is not UTF-8 is: 1-based line, and the byte.
    pub line: usize,
    pub byte: u8,
    /// What the file looks like instead.
    pub looks_like: Encoding,
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "it is not UTF-8 (byte 0x{:02X} on line {})", self.byte, self.line)?;
        if !self.looks_like.is_utf8() {
            write!(f, "; it looks like {}", self.looks_like)?;
        }
        f.write_str(
            ". Rule files and sitelint.yaml must be UTF-8: convert it once, for example in \
             PowerShell: `Get-Content -Encoding Default f.yaml | Set-Content -Encoding UTF8 f.yaml`",
        )
    }
}

/// Decodes a YAML file: UTF-8 or UTF-16 by its BOM (as the YAML spec allows), else UTF-8 that
/// must be valid. Anything else is refused with what it looks like and how to convert it.
pub fn decode_yaml(bytes: &[u8]) -> Result<String, NotUtf8> {
    if Encoding::sniff(bytes).is_some() {
        return Ok(decode(bytes, None).text);
    }
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| {
        let at = e.valid_up_to();
        let looks_like = legacy_encoding(bytes, None);
        NotUtf8 {
            line: bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1,
            byte: bytes[at],
            looks_like,
        }
    })
}

/// Reads a stream of any supported encoding as UTF-8 bytes, without holding the file in memory.
/// UTF-8 input passes through untouched (invalid bytes included) so that byte offsets in the
/// output are byte offsets in the file, shifted by the BOM. A stream that is ASCII until its
/// first byte that is not UTF-8 (a CP932 log whose first Japanese line comes after megabytes of
/// English) is decoded in the legacy code page from there on: ASCII reads the same in both.
pub struct Utf8Reader<R> {
    inner: R,
    /// The code page `--encoding` names, for bytes that are not UTF-8.
    named: Option<&'static encoding_rs::Encoding>,
    /// `None` while the bytes pass through as UTF-8.
    decoder: Option<Decoder>,
    /// Bytes read from `inner` but not yet handed out or decoded.
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
    /// Bytes of `raw` before this are handed out as they are (UTF-8, or the ASCII before a
    /// legacy code page took over).
    checked_to: usize,
    /// While UTF-8 passes through and is still checked, and whether all of it was ASCII so far
    /// (a legacy code page can then still take over).
    checking: bool,
    ascii_so_far: bool,
    pub encoding: Encoding,
    /// Some bytes did not decode: U+FFFD in the text, or invalid UTF-8 passed through.
    pub damaged: bool,
}

impl<R: Read> Utf8Reader<R> {
    /// Judges the encoding from the first bytes and skips the BOM. `named` is the legacy code
    /// page to use when the bytes are not UTF-8 (detected when `None`).
    pub fn new(mut inner: R, named: Option<&'static encoding_rs::Encoding>) -> io::Result<Self> {
        let mut raw = Vec::with_capacity(PREFIX);
        let eof = fill_to(&mut inner, &mut raw, PREFIX)?;
        let sniffed = Encoding::sniff(&raw);
        let encoding = sniffed.unwrap_or(Encoding::UTF8);
        let decoder = sniffed
            .filter(|e| !e.is_utf8())
            .map(|e| e.charset.new_decoder_without_bom_handling());
        Ok(Utf8Reader {
            inner,
            named,
            checking: decoder.is_none(),
            decoder,
            raw,
            raw_start: encoding.bom_len(),
            eof,
            finished: false,
            spill: [0; 4],
            spill_start: 0,
            spill_len: 0,
            ascii_so_far: true,
            checked_to: 0,
            encoding,
            damaged: false,
        })
    }

    /// Byte offsets into the file can be computed from the decoded text: it is UTF-8 as read,
    /// or was decoded cleanly in an encoding whose widths are known.
    pub fn offsets_exact(&self) -> bool {
        self.encoding.is_utf8() || !self.damaged
    }
}

/// Reads from `inner` until `raw` holds `len` bytes or the input ends; true at the end.
fn fill_to(inner: &mut impl Read, raw: &mut Vec<u8>, len: usize) -> io::Result<bool> {
    let mut filled = raw.len();
    raw.resize(len.max(filled), 0);
    while filled < raw.len() {
        match inner.read(&mut raw[filled..]) {
            Ok(0) => {
                raw.truncate(filled);
                return Ok(true);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.decoder.is_none() || self.raw_start < self.checked_to {
            return self.pass_through(out);
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
    /// UTF-8: handed out from `raw` once checked, so that where the first bad byte lies does
    /// not depend on the sizes of the reads.
    fn pass_through(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.raw_start < self.checked_to {
                let n = out.len().min(self.checked_to - self.raw_start);
                out[..n].copy_from_slice(&self.raw[self.raw_start..self.raw_start + n]);
                self.raw_start += n;
                return Ok(n);
            }
            if self.decoder.is_some() {
                return self.read(out);
            }
            // Keep what is not handed out yet (a character cut by the end of the buffer).
            self.raw.drain(..self.raw_start);
            self.raw_start = 0;
            if !self.eof {
                self.eof = fill_to(&mut self.inner, &mut self.raw, PREFIX)?;
            }
            if self.raw.is_empty() {
                return Ok(0);
            }
            if !self.checking {
                self.checked_to = self.raw.len();
                continue;
            }
            self.check_utf8()?;
        }
    }

    /// Checks the bytes in `raw` as UTF-8 and moves `checked_to` past what may be handed out.
    /// At the first bad byte it decides: UTF-8 with damage (a BOM said UTF-8, or real UTF-8
    /// came before), or the legacy code page from there on.
    fn check_utf8(&mut self) -> io::Result<()> {
        let bad = match std::str::from_utf8(&self.raw) {
            Ok(_) => {
                self.ascii_so_far &= self.raw.is_ascii();
                self.checked_to = self.raw.len();
                return Ok(());
            }
            Err(e) if e.error_len().is_none() && !self.eof => {
                // A character cut by the end of the buffer: the rest comes with the next fill.
                self.ascii_so_far &= self.raw[..e.valid_up_to()].is_ascii();
                self.checked_to = e.valid_up_to();
                return Ok(());
            }
            Err(e) => e.valid_up_to(),
        };
        self.checking = false;
        self.checked_to = self.raw.len();
        if self.encoding.bom || !(self.ascii_so_far && self.raw[..bad].is_ascii()) {
            self.damaged = true;
            return Ok(());
        }
        if !self.eof {
            self.eof = fill_to(&mut self.inner, &mut self.raw, bad + PREFIX)?;
        }
        self.encoding = legacy_encoding(&self.raw[bad..], self.named);
        if self.encoding.is_utf8() {
            self.damaged = true;
            self.checked_to = self.raw.len();
        } else {
            // What came before the bad byte is ASCII, the same in either; decoding starts there.
            self.checked_to = bad;
            self.decoder = Some(self.encoding.charset.new_decoder_without_bom_handling());
        }
        Ok(())
    }

    fn take_spill(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.spill_len - self.spill_start);
        out[..n].copy_from_slice(&self.spill[self.spill_start..self.spill_start + n]);
        self.spill_start += n;
        n
    }

    /// Decodes into `out` (at least 4 bytes); 0 only at the end.
    fn decode(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let Some(decoder) = &mut self.decoder else {
            return Ok(0);
        };
        loop {
            if self.finished {
                return Ok(0);
            }
            if self.raw_start == self.raw.len() && !self.eof {
                self.raw.clear();
                self.raw_start = 0;
                self.checked_to = 0;
                self.eof = fill_to(&mut self.inner, &mut self.raw, PREFIX)?;
            }
            // A file cut in the middle of a character (copied while being written) ends in half
            // a code unit or a lone surrogate: with `last`, the decoder turns it into U+FFFD.
            let (result, read, written, replaced) = decoder.decode_to_utf8(&self.raw[self.raw_start..], out, self.eof);
            self.raw_start += read;
            self.damaged |= replaced;
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

    fn text(bytes: &[u8]) -> String {
        decode(bytes, None).text
    }

    #[test]
    fn decodes_every_windows_encoding() {
        assert_eq!(text(b"\xEF\xBB\xBFabc"), "abc");
        assert_eq!(text(&utf16le_bom("Größe\r\n")), "Größe\r\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("ok".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(text(&be), "ok");
        let no_bom: Vec<u8> = "[{}]".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(text(&no_bom), "[{}]");
    }

    /// What Windows PowerShell 5.1's `Set-Content` writes on Japanese Windows.
    pub(crate) fn cp932(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = SHIFT_JIS.encode(text);
        assert!(!unmappable);
        bytes.into_owned()
    }

    /// Regression (issue 19): a CP932 export showed its Japanese as U+FFFD.
    #[test]
    fn legacy_code_pages_are_detected_when_the_bytes_are_not_utf8() {
        let name = "{\r\n    \"Name\":  \"Configuration Manager 2409 修正プログラム ロールアップ (KB30385346)\",\r\n    \"State\":  327679\r\n}";
        let decoded = decode(&cp932(name), None);
        assert_eq!(decoded.text, name);
        assert_eq!(decoded.encoding.to_string(), "Shift_JIS (Windows code page 932)");
        assert!(decoded.clean);
        let (western, _, _) = encoding_rs::WINDOWS_1252.encode("Größe: café, naïve résumé\r\n");
        let decoded = decode(&western, None);
        assert_eq!(decoded.text, "Größe: café, naïve résumé\r\n");
        assert_eq!(decoded.encoding.to_string(), "windows-1252");
        // Named on the command line, the code page is used without a guess.
        assert_eq!(decode(b"caf\xE9", encoding_named("cp1252")).text, "café");
        // UTF-8 with BOM and without stays as it is; UTF-8 with one stray byte stays UTF-8.
        assert_eq!(decode("修正プログラム".as_bytes(), None).encoding, Encoding::UTF8);
        let damaged = decode(b"\xE4\xBF\xAE\xE6\xAD\xA3 \xFF ok", None);
        assert_eq!(
            (damaged.text.as_str(), damaged.encoding, damaged.clean),
            ("修正 \u{FFFD} ok", Encoding::UTF8, false)
        );
    }

    /// CP932's `ソ` ends in 0x5C, the backslash: read byte by byte a path splits inside it.
    #[test]
    fn a_cp932_path_with_a_backslash_trail_byte_is_one_path() {
        let bytes = cp932("D:\\ソフト\\UpdatePacks\r\n");
        assert_eq!(bytes[3..5], [0x83, 0x5C]);
        assert_eq!(text(&bytes), "D:\\ソフト\\UpdatePacks\r\n");
        assert_eq!(text(&bytes).split('\\').count(), 3);
    }

    #[test]
    fn windows_names_for_code_pages_are_understood() {
        for name in ["cp932", "932", "Shift_JIS", "sjis", "ms932", "windows-31j"] {
            assert_eq!(encoding_named(name), Some(SHIFT_JIS), "{name}");
        }
        assert_eq!(encoding_named("CP1252"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(encoding_named("latin1"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(encoding_named("klingon"), None);
    }

    /// Regression (issue 17 item 6): a UTF-8 log starting `a\0b\0` was read as UTF-16.
    #[test]
    fn utf16_without_a_bom_needs_strong_evidence() {
        assert_eq!(
            text(b"a\0b\0INFO: Connecting to service\n"),
            "a\0b\0INFO: Connecting to service\n"
        );
        assert_eq!(
            read_all(b"a\0b\0INFO: Connecting to service\n"),
            "a\0b\0INFO: Connecting to service\n"
        );
        let no_bom: Vec<u8> = "INFO: Connecting\r\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(read_all(&no_bom), "INFO: Connecting\r\n");
    }

    #[test]
    fn yaml_in_a_legacy_code_page_is_refused_with_how_to_convert_it() {
        let rule = "rules:\n  - id: proxy\n    message: プロキシ認証が必要です\n";
        let err = decode_yaml(&cp932(rule)).unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(
            err.to_string(),
            "it is not UTF-8 (byte 0x83 on line 3); it looks like Shift_JIS (Windows code page 932). \
             Rule files and sitelint.yaml must be UTF-8: convert it once, for example in PowerShell: \
             `Get-Content -Encoding Default f.yaml | Set-Content -Encoding UTF8 f.yaml`"
        );
        assert_eq!(decode_yaml(rule.as_bytes()).unwrap(), rule);
        assert_eq!(decode_yaml(&utf16le_bom(rule)).unwrap(), rule);
    }

    /// A stream that is ASCII for longer than the prefix judged, then CP932.
    #[test]
    fn a_stream_ascii_until_late_switches_to_the_legacy_code_page_there() {
        let head = "INFO: Connecting to service\r\n".repeat(10_000);
        let tail = "ERROR:D:\\ソフト\\UpdatePacks 基になる接続が閉じられました\r\n";
        let mut bytes = head.clone().into_bytes();
        bytes.extend(cp932(tail));
        let mut reader = Utf8Reader::new(bytes.as_slice(), None).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), head + tail);
        assert_eq!(reader.encoding.charset, SHIFT_JIS);
        assert!(!reader.damaged);
        assert_eq!(
            reader.encoding.original_len(tail.as_bytes()),
            Some(cp932(tail).len() as u64)
        );
    }

    /// Found by the text_decode fuzz target's invariant: one-byte reads carried a cut lead byte
    /// out before it was judged (CP932's `錢` starts E8, a UTF-8 lead byte), so the same file
    /// was CP932 read in big reads and damaged UTF-8 read byte by byte.
    #[test]
    fn the_sizes_of_the_reads_do_not_change_the_text() {
        let bytes = cp932("INFO: ok\r\nERROR: 錢 接続が切断されました\r\n");
        let mut texts = Vec::new();
        for size in [1, 2, 3, 4096] {
            let mut reader = Utf8Reader::new(bytes.as_slice(), None).unwrap();
            let mut out = Vec::new();
            let mut buf = vec![0; size];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            texts.push((String::from_utf8(out).unwrap(), reader.encoding.charset.name()));
        }
        for text in &texts {
            assert_eq!(
                text,
                &("INFO: ok\r\nERROR: 錢 接続が切断されました\r\n".to_owned(), "Shift_JIS")
            );
        }
    }

    /// After real UTF-8, a bad byte is damage, not a code page: nothing already read changes.
    #[test]
    fn utf8_then_a_bad_byte_stays_utf8_and_is_marked_damaged() {
        let mut bytes = "修正プログラム\n".repeat(10_000).into_bytes();
        bytes.extend(b"\xFF\n");
        let mut reader = Utf8Reader::new(bytes.as_slice(), None).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, bytes);
        assert!(reader.encoding.is_utf8() && reader.damaged);
    }

    #[test]
    fn streaming_decoder_matches_whole_decode_across_small_reads() {
        let text = "INFO: é 😀 line\r\n".repeat(10_000);
        let bytes = utf16le_bom(&text);
        let mut reader = Utf8Reader::new(bytes.as_slice(), None).unwrap();
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
        Utf8Reader::new(bytes, None).unwrap().read_to_end(&mut out).unwrap();
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
        let mut lone: Vec<u8> = "abcdefghij".encode_utf16().flat_map(u16::to_le_bytes).collect();
        lone.extend([0x3D, 0xD8]);
        assert_eq!(read_all(&lone), "abcdefghij\u{FFFD}");
        // The end is flushed even when the caller's buffer is small.
        let mut reader = Utf8Reader::new(&b"\xff\xfeA\x00B"[..], None).unwrap();
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
        let mut reader = Utf8Reader::new(&bytes[..], None).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"a\xFFb");
        assert_eq!(
            reader.encoding,
            Encoding {
                charset: UTF_8,
                bom: true
            }
        );
    }
}
