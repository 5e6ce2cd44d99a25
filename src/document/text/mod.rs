//! Text as Windows writes it, decoded once before anything splits it: the encoding a BOM
//! names, else UTF-8 when the bytes are valid UTF-8, else the legacy code page of the Windows
//! that wrote it (CP932 on Japanese Windows, 1252 on Western), detected or named. Everything
//! leaves this module as UTF-8, and goes back to a terminal only through [`visible`];
//! [`plural`] words the counts messages give.

mod shown;
mod stream;
#[cfg(test)]
mod tests;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE};

pub use self::shown::{VisibleText, hex, plural, visible, visible_line};
pub use self::stream::Utf8Reader;

/// How much of a file the encoding is judged from (a BOM, UTF-16 without one, the legacy code
/// page a detector names), and how much is looked at ahead when a stream that was ASCII until
/// then turns out not to be UTF-8.
const PREFIX: usize = 64 * 1024;

/// UTF-16 without a BOM is taken only on strong evidence: at least this many zero bytes in
/// the prefix, at least one per [`UTF16_ZERO_EVERY`] code units, and nearly all of them on
/// the same side of their code unit ([`Encoding::sniff`]).
const MIN_UTF16_ZEROS: usize = 4;

/// See [`MIN_UTF16_ZEROS`]: a line of Japanese ends in CR LF, two zero bytes in a few dozen
/// code units; UTF-8 and the legacy code pages put no zero byte in text at all.
const UTF16_ZERO_EVERY: usize = 64;

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

    /// What the first bytes of a file say for certain: a BOM, or UTF-16 by where its zero
    /// bytes fall. Text in UTF-8 or a legacy code page has no zero byte; UTF-16 has one in
    /// every ASCII character (CR LF, digits, spaces: even a Japanese log is full of them), on
    /// the high side of the code unit: odd offsets in UTF-16LE, even in UTF-16BE. A CJK
    /// character can put one on the other side (U+3000 is `00 30` in UTF-16LE), so the side
    /// is the one with at least four times the zeros of the other, not all of them. Not the
    /// share of ASCII: a Japanese log is far from all ASCII, and was read as windows-1251. A
    /// UTF-8 log that happens to start `a\0b\0` is not UTF-16: too few zeros follow.
    fn sniff(prefix: &[u8]) -> Option<Encoding> {
        if let Some((charset, _)) = encoding_rs::Encoding::for_bom(prefix) {
            return Some(Encoding { charset, bom: true });
        }
        let units = &prefix[..prefix.len().min(PREFIX) & !1];
        let total = units.len() / 2;
        let zeros = |side: usize| units.chunks_exact(2).filter(|unit| unit[side] == 0).count();
        let (even, odd) = (zeros(0), zeros(1));
        let (side, other, charset) = if odd >= even {
            (odd, even, UTF_16LE)
        } else {
            (even, odd, UTF_16BE)
        };
        let enough = side >= MIN_UTF16_ZEROS && side * UTF16_ZERO_EVERY >= total;
        (enough && side >= 4 * other).then_some(Encoding { charset, bom: false })
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

/// A whole file's text, and how it was read.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    /// Every byte decoded; otherwise the text holds U+FFFD where one did not.
    pub clean: bool,
    /// The text is full of control characters ([`garbled`]).
    pub garbled: bool,
}

/// Whether decoded text is full of control characters (one in ten, not counting tab, line
/// feed, carriage return and form feed): text read in the wrong encoding, or not text at
/// all. Every byte may have decoded, and every rule may pass on it, so the run warns. Judged
/// on the first [`PREFIX`] bytes.
pub fn garbled(text: &str) -> bool {
    let (mut total, mut controls) = (0usize, 0usize);
    for c in text.chars().take(PREFIX) {
        total += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c') {
            controls += 1;
        }
    }
    total >= 16 && controls * 10 >= total
}

/// Decodes a whole small file (a source read whole, probe results, a manifest):
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
        garbled: garbled(&text),
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
