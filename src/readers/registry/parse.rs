//! The reader of one export: its header, its keys and values with their lines, and what is
//! wrong with a line that is not one of the forms `reg export` writes.

use crate::document::text::{Encoding, decode, visible};
use crate::finding::Location;

use super::{Data, Key, Value, spelled_out};

/// The code page `--encoding` names for exports without a BOM (REGEDIT4), or none to detect it.
pub type Named = Option<&'static encoding_rs::Encoding>;

/// How an export was read: its encoding, whether every byte decoded, and whether its text is
/// full of control characters.
pub type Decoding = (Encoding, bool, bool);

/// The comment `collect --read-registry` writes for a key it looked for and did not find:
/// regedit ignores it, and this parser records the key as known to be absent.
pub const ABSENT_MARK: &str = "; sitelint: absent ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `Windows Registry Editor Version 5.00`: strings in `hex(2)`/`hex(7)` are UTF-16LE.
    Version5,
    /// `REGEDIT4`: strings in `hex(2)`/`hex(7)` are bytes of the ANSI code page.
    Regedit4,
}

impl Format {
    pub fn header(self) -> &'static str {
        match self {
            Format::Version5 => "Windows Registry Editor Version 5.00",
            Format::Regedit4 => "REGEDIT4",
        }
    }
}

/// A file that is not a registry export, or a line of it that is not one of its forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct ParseError {
    pub file: String,
    pub line: u64,
    pub problem: LineError,
}

/// What is wrong with one line of an export. Quoted text is shown clipped and made visible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("not a registry export: the first line is `{0}`, not `{v5}` or `{v4}`", v5 = Format::Version5.header(), v4 = Format::Regedit4.header())]
    NotAnExport(String),
    #[error("not a registry export: the file is empty")]
    Empty,
    #[error("a key line must end with `]`")]
    KeyNotClosed,
    #[error("a key line names no key")]
    NoKey,
    #[error("`{0}` is not under a `[KEY]` line")]
    NotUnderKey(String),
    #[error("a value name must end with `\"`")]
    NameNotClosed,
    #[error("`{0}` is not a value line (`\"name\"=data` or `@=data`) or a `[KEY]` line")]
    NotAValueLine(String),
    #[error("value `{0}` has no `=`")]
    NoEquals(String),
    #[error("value `{name}`: {problem}")]
    Data { name: String, problem: DataError },
}

/// What is wrong with a value's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("the text must end with `\"`")]
    TextNotClosed,
    #[error("unexpected `{0}` after the text")]
    AfterText(String),
    #[error("`{0}` is not a dword (up to 8 hex digits)")]
    NotADword(String),
    #[error("`{0}` is not `hex(N):`")]
    NotHexN(String),
    #[error("`hex({0})` is not a value type")]
    NotAType(String),
    #[error("`{0}` is not a value (`\"text\"`, `dword:`, `hex:`, `hex(N):` or `-`)")]
    NotAValue(String),
    #[error("`{0}` is not a hex byte")]
    NotAHexByte(String),
    #[error("a qword has 8 bytes, not {0}")]
    QwordLength(usize),
}

/// One logical line: continuation lines (`\` at the end, two spaces before the next) joined,
/// as regedit joins them: only in the hex data of a value, which is where `reg export` wraps.
/// A comment or a text value that ends in `\` ends there, and the next line is read on its
/// own (regedit imports a value on the line after such a comment).
struct Line<'t> {
    number: u64,
    text: std::borrow::Cow<'t, str>,
    /// Byte offset of the first physical line in the decoded text.
    offset: usize,
    /// Characters of the first physical line, for the location's end column.
    first_len: usize,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out: Vec<Line<'_>> = Vec::new();
    let mut offset = 0;
    let mut continuing = false;
    for (index, raw) in text.split('\n').enumerate() {
        let start = offset;
        offset += raw.len() + 1;
        let physical = raw.strip_suffix('\r').unwrap_or(raw);
        if continuing && let Some(last) = out.last_mut() {
            let joined = last.text.to_mut();
            joined.pop(); // the `\`
            joined.push_str(physical.trim_start());
            continuing = continues(joined);
            continue;
        }
        continuing = continues(physical);
        out.push(Line {
            number: index as u64 + 1,
            text: physical.into(),
            offset: start,
            first_len: physical.chars().count(),
        });
    }
    out
}

/// Whether a line goes on on the next: it ends in `\` inside a value's hex data.
fn continues(line: &str) -> bool {
    let line = line.trim_end();
    if !line.ends_with('\\') {
        return false;
    }
    let text = line.trim_start();
    let data = if let Some(rest) = text.strip_prefix('@') {
        rest.trim_start().strip_prefix('=')
    } else if let Some(quoted) = text.strip_prefix('"') {
        quoted_text(quoted).and_then(|(_, rest)| rest.trim_start().strip_prefix('='))
    } else {
        None
    };
    data.is_some_and(|d| d.trim_start().get(..3).is_some_and(|h| h.eq_ignore_ascii_case("hex")))
}

/// Reads one export: UTF-16 by its BOM, else UTF-8, else the ANSI code page (`named`, or
/// detected), as every small file is decoded.
pub fn parse(display: &str, bytes: &[u8], named: Named) -> Result<(Vec<Key>, Decoding), ParseError> {
    let decoded = decode(bytes, named);
    let read_as = (decoded.encoding, decoded.clean, decoded.garbled);
    let text = decoded.text;
    // Byte offsets in locations are only byte offsets in the file when decoding kept them.
    let same_bytes = text.as_bytes() == bytes;
    let error = |line: u64, problem: LineError| ParseError {
        file: display.to_owned(),
        line,
        problem,
    };
    let all = lines(&text);
    let mut lines = all.iter().filter(|l| !l.text.trim().is_empty());
    let format = match lines.next() {
        Some(l) if l.text.trim() == Format::Version5.header() => Format::Version5,
        Some(l) if l.text.trim() == Format::Regedit4.header() => Format::Regedit4,
        Some(l) => {
            return Err(error(
                l.number,
                LineError::NotAnExport(visible(&clip(&l.text)).into_owned()),
            ));
        }
        None => return Err(error(1, LineError::Empty)),
    };
    let location = |l: &Line<'_>| Location {
        line: Some(l.number),
        column: Some(1),
        end_column: Some(l.first_len as u64 + 1),
        byte_offset: same_bytes.then_some(l.offset as u64),
        byte_length: same_bytes.then_some(l.text.len().min(l.first_len) as u64),
        ..Location::artifact(display)
    };
    let mut keys: Vec<Key> = Vec::new();
    for line in lines {
        let text = line.text.trim_end();
        if let Some(path) = text.strip_prefix(ABSENT_MARK) {
            keys.push(Key {
                path: spelled_out(path.trim().trim_start_matches('[').trim_end_matches(']')),
                location: location(line),
                absent: true,
                values: Vec::new(),
            });
        } else if text.starts_with(';') {
            continue;
        } else if let Some(inner) = text.strip_prefix('[') {
            let Some(path) = inner.strip_suffix(']') else {
                return Err(error(line.number, LineError::KeyNotClosed));
            };
            let (absent, path) = match path.strip_prefix('-') {
                Some(path) => (true, path),
                None => (false, path),
            };
            if path.trim().is_empty() {
                return Err(error(line.number, LineError::NoKey));
            }
            keys.push(Key {
                path: spelled_out(path),
                location: location(line),
                absent,
                values: Vec::new(),
            });
        } else {
            let Some(key) = keys.last_mut().filter(|k| !k.absent) else {
                return Err(error(
                    line.number,
                    LineError::NotUnderKey(visible(&clip(text)).into_owned()),
                ));
            };
            let (name, data) = value_line(text.trim_start(), format, named).map_err(|m| error(line.number, m))?;
            key.values.push(Value {
                name,
                data,
                location: location(line),
            });
        }
    }
    Ok((keys, read_as))
}

/// The first 80 characters of a line, for a message.
fn clip(text: &str) -> String {
    let mut clipped: String = text.chars().take(80).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
}

/// `"name"=data` or `@=data`.
fn value_line(text: &str, format: Format, named: Named) -> Result<(String, Data), LineError> {
    let (name, rest) = if let Some(rest) = text.strip_prefix('@') {
        (String::new(), rest)
    } else if let Some(quoted) = text.strip_prefix('"') {
        quoted_text(quoted).ok_or(LineError::NameNotClosed)?
    } else {
        return Err(LineError::NotAValueLine(visible(&clip(text)).into_owned()));
    };
    let Some(data) = rest.trim_start().strip_prefix('=') else {
        return Err(LineError::NoEquals(name));
    };
    match data_of(data.trim(), format, named) {
        Ok(data) => Ok((name, data)),
        Err(problem) => Err(LineError::Data { name, problem }),
    }
}

/// The text of a quoted string whose opening quote is already read (`\\` and `\"` escaped),
/// and what follows its closing quote.
fn quoted_text(text: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[i + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) => out.push(escaped),
                None => return None,
            },
            c => out.push(c),
        }
    }
    None
}

fn data_of(data: &str, format: Format, named: Named) -> Result<Data, DataError> {
    if data == "-" {
        return Ok(Data::Deleted);
    }
    if let Some(quoted) = data.strip_prefix('"') {
        let (text, rest) = quoted_text(quoted).ok_or(DataError::TextNotClosed)?;
        if !rest.trim().is_empty() {
            return Err(DataError::AfterText(clip(rest.trim())));
        }
        return Ok(Data::String(text));
    }
    let lower = data.to_ascii_lowercase();
    if let Some(digits) = lower.strip_prefix("dword:") {
        // Hex digits only: `from_str_radix` also takes a sign (`dword:+1`), which regedit refuses.
        let digits = digits.trim();
        return u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| (1..=8).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(Data::Dword)
            .ok_or_else(|| DataError::NotADword(clip(data)));
    }
    let (kind, bytes) = if let Some(bytes) = lower.strip_prefix("hex:") {
        (3, bytes)
    } else if let Some(rest) = lower.strip_prefix("hex(") {
        let (kind, bytes) = rest.split_once("):").ok_or_else(|| DataError::NotHexN(clip(data)))?;
        let kind = u32::from_str_radix(kind, 16).map_err(|_| DataError::NotAType(kind.to_owned()))?;
        (kind, bytes)
    } else {
        return Err(DataError::NotAValue(clip(data)));
    };
    let bytes = hex_bytes(bytes)?;
    Ok(match kind {
        1 => Data::String(strings(&bytes, format, named).into_iter().next().unwrap_or_default()),
        2 => Data::Expandable(strings(&bytes, format, named).into_iter().next().unwrap_or_default()),
        7 => Data::Multi(strings(&bytes, format, named)),
        4 if bytes.len() == 4 => Data::Dword(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        0xb if bytes.len() == 8 => {
            let mut le = [0; 8];
            le.copy_from_slice(&bytes);
            Data::Qword(u64::from_le_bytes(le))
        }
        0xb => return Err(DataError::QwordLength(bytes.len())),
        kind => Data::Binary { kind, bytes },
    })
}

/// `2a,00,ff` (continuations already joined).
fn hex_bytes(text: &str) -> Result<Vec<u8>, DataError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|b| {
            let b = b.trim();
            u8::from_str_radix(b, 16)
                .ok()
                .filter(|_| b.len() <= 2 && b.bytes().all(|c| c.is_ascii_hexdigit()))
                .ok_or_else(|| DataError::NotAHexByte(clip(b)))
        })
        .collect()
}

/// The NUL-separated strings of a string value's bytes, without the empty ones the
/// terminators leave.
fn strings(bytes: &[u8], format: Format, named: Named) -> Vec<String> {
    let text = match format {
        Format::Version5 => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Format::Regedit4 => decode(bytes, named).text,
    };
    text.split('\0').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}
