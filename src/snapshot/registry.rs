//! Registry exports as `reg export` and regedit write them (`Windows Registry Editor Version
//! 5.00` in UTF-16LE with a BOM, or `REGEDIT4` in the ANSI code page), read into keys and
//! values that remember the line they came from, so a finding can point at it. Several files
//! merge; a value given more than once is kept every time, so a check sees the disagreement.

use std::cmp::Ordering;
use std::fmt;

use crate::document::text::{Encoding, decode};

/// The code page `--encoding` names for exports without a BOM (REGEDIT4), or none to detect it.
pub type Named = Option<&'static encoding_rs::Encoding>;
use crate::finding::Location;

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

/// A value's data, decoded from the form `reg export` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// `"text"` (REG_SZ), or `hex(1):` bytes.
    String(String),
    /// `hex(2):` (REG_EXPAND_SZ), unexpanded.
    Expandable(String),
    /// `hex(7):` (REG_MULTI_SZ).
    Multi(Vec<String>),
    /// `dword:` (REG_DWORD).
    Dword(u32),
    /// `hex(b):` (REG_QWORD).
    Qword(u64),
    /// `hex:` (REG_BINARY) and every other `hex(N):` type, with N.
    Binary { kind: u32, bytes: Vec<u8> },
    /// `"name"=-`: the value is deleted when the file is imported.
    Deleted,
}

impl Data {
    /// The number a DWORD or QWORD holds.
    pub fn number(&self) -> Option<u64> {
        match self {
            Data::Dword(n) => Some(u64::from(*n)),
            Data::Qword(n) => Some(*n),
            _ => None,
        }
    }

    /// The text a string value holds.
    pub fn text(&self) -> Option<&str> {
        match self {
            Data::String(s) | Data::Expandable(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Data {
    /// How messages show the data: numbers in decimal, text as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::String(s) | Data::Expandable(s) => write!(f, "\"{s}\""),
            Data::Multi(items) => write!(f, "[{}]", items.join(", ")),
            Data::Dword(n) => write!(f, "{n}"),
            Data::Qword(n) => write!(f, "{n}"),
            Data::Binary { bytes, .. } => write!(f, "hex:{}", crate::document::text::hex(bytes)),
            Data::Deleted => f.write_str("deleted"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The name as written; empty for the default value (`@`).
    pub name: String,
    pub data: Data,
    /// The value's line, its name to the end of its data.
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The path as written, with the hive spelled out (`HKEY_LOCAL_MACHINE\...`).
    pub path: String,
    /// The `[...]` line, or the line that records the key as absent.
    pub location: Location,
    /// Recorded as absent (`[-KEY]`, or [`ABSENT_MARK`]) rather than exported.
    pub absent: bool,
    pub values: Vec<Value>,
}

/// Every key of every file given, in the order they were read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    pub keys: Vec<Key>,
    /// Each file as a whole: where an absence shows when no line does.
    pub files: Vec<Location>,
}

impl Registry {
    /// Every key recorded under `path` (in any file, present or absent), whatever its case
    /// or hive abbreviation.
    pub fn keys<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a Key> {
        let wanted = normalize(path);
        self.keys.iter().filter(move |k| normalize(&k.path) == wanted)
    }

    /// Every value named `name` (`@` or "" for the default) under `path`, in every file.
    pub fn values<'a>(&'a self, path: &str, name: &str) -> impl Iterator<Item = (&'a Key, &'a Value)> {
        let name = if name == "@" { "" } else { name };
        let name = name.to_owned();
        self.keys(path)
            .flat_map(|k| k.values.iter().map(move |v| (k, v)))
            .filter(move |(_, v)| v.name.eq_ignore_ascii_case(&name))
    }

    /// The keys directly under `parent` (the programs under an Uninstall key).
    pub fn subkeys<'a>(&'a self, parent: &str) -> impl Iterator<Item = &'a Key> {
        let prefix = format!("{}\\", normalize(parent));
        self.keys.iter().filter(move |k| {
            let path = normalize(&k.path);
            path.strip_prefix(&prefix)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('\\'))
        })
    }

    /// Adds one export's keys; `display` is the name findings use for the file. Returns how
    /// it was decoded, and whether every byte decoded.
    pub fn add(&mut self, display: &str, bytes: &[u8], named: Named) -> Result<(Encoding, bool), ParseError> {
        let (keys, read_as) = parse(display, bytes, named)?;
        self.keys.extend(keys);
        self.files.push(Location::whole(display, bytes.len() as u64));
        Ok(read_as)
    }
}

/// A key path in one spelling: hive abbreviations spelled out, lower case, no doubled or
/// trailing separators.
pub fn normalize(path: &str) -> String {
    let path = path.trim().trim_matches('\\');
    let (hive, rest) = path.split_once('\\').unwrap_or((path, ""));
    let hive = match hive.to_ascii_uppercase().as_str() {
        "HKLM" => "HKEY_LOCAL_MACHINE".to_owned(),
        "HKCU" => "HKEY_CURRENT_USER".to_owned(),
        "HKCR" => "HKEY_CLASSES_ROOT".to_owned(),
        "HKU" => "HKEY_USERS".to_owned(),
        "HKCC" => "HKEY_CURRENT_CONFIG".to_owned(),
        other => other.to_owned(),
    };
    let mut out = hive.to_ascii_lowercase();
    for part in rest.split('\\').filter(|p| !p.is_empty()) {
        out.push('\\');
        out.push_str(&part.to_lowercase());
    }
    out
}

/// The path as `reg export` writes it: the hive spelled out, the rest as given.
pub fn spelled_out(path: &str) -> String {
    let path = path.trim().trim_matches('\\');
    let (hive, rest) = path.split_once('\\').unwrap_or((path, ""));
    let hive = normalize(hive).to_ascii_uppercase();
    if rest.is_empty() {
        hive
    } else {
        format!("{hive}\\{rest}")
    }
}

/// What a rule reads, so that `collect --read-registry` reads exactly that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// One value of one key; "" is the default value.
    Value { key: String, value: String },
    /// These values of every key directly under `parent` (the programs of an Uninstall key).
    Subkeys { parent: String, values: Vec<String> },
}

/// A file that is not a registry export, or a line of it that is not one of its forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// One logical line: continuation lines (`\` at the end, two spaces before the next) joined.
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
            continuing = joined.ends_with('\\');
            continue;
        }
        continuing = physical.ends_with('\\');
        out.push(Line {
            number: index as u64 + 1,
            text: physical.into(),
            offset: start,
            first_len: physical.chars().count(),
        });
    }
    out
}

/// Reads one export: UTF-16 by its BOM, else UTF-8, else the ANSI code page (`named`, or
/// detected), as every small file is decoded.
pub fn parse(display: &str, bytes: &[u8], named: Named) -> Result<(Vec<Key>, (Encoding, bool)), ParseError> {
    let decoded = decode(bytes, named);
    let read_as = (decoded.encoding, decoded.clean);
    let text = decoded.text;
    // Byte offsets in locations are only byte offsets in the file when decoding kept them.
    let same_bytes = text.as_bytes() == bytes;
    let error = |line: u64, message: String| ParseError {
        file: display.to_owned(),
        line,
        message,
    };
    let all = lines(&text);
    let mut lines = all.iter().filter(|l| !l.text.trim().is_empty());
    let format = match lines.next() {
        Some(l) if l.text.trim() == Format::Version5.header() => Format::Version5,
        Some(l) if l.text.trim() == Format::Regedit4.header() => Format::Regedit4,
        Some(l) => {
            return Err(error(
                l.number,
                format!(
                    "not a registry export: the first line is `{}`, not `{}` or `{}`",
                    crate::document::text::visible(&clip(&l.text)),
                    Format::Version5.header(),
                    Format::Regedit4.header()
                ),
            ));
        }
        None => return Err(error(1, "not a registry export: the file is empty".to_owned())),
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
                return Err(error(line.number, "a key line must end with `]`".to_owned()));
            };
            let (absent, path) = match path.strip_prefix('-') {
                Some(path) => (true, path),
                None => (false, path),
            };
            if path.trim().is_empty() {
                return Err(error(line.number, "a key line names no key".to_owned()));
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
                    format!(
                        "`{}` is not under a `[KEY]` line",
                        crate::document::text::visible(&clip(text))
                    ),
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
fn value_line(text: &str, format: Format, named: Named) -> Result<(String, Data), String> {
    let (name, rest) = if let Some(rest) = text.strip_prefix('@') {
        (String::new(), rest)
    } else if let Some(quoted) = text.strip_prefix('"') {
        quoted_text(quoted).ok_or("a value name must end with `\"`")?
    } else {
        return Err(format!(
            "`{}` is not a value line (`\"name\"=data` or `@=data`) or a `[KEY]` line",
            crate::document::text::visible(&clip(text))
        ));
    };
    let data = rest
        .trim_start()
        .strip_prefix('=')
        .ok_or_else(|| format!("value `{name}` has no `=`"))?
        .trim();
    Ok((
        name.clone(),
        data_of(data, format, named).map_err(|m| format!("value `{name}`: {m}"))?,
    ))
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

fn data_of(data: &str, format: Format, named: Named) -> Result<Data, String> {
    if data == "-" {
        return Ok(Data::Deleted);
    }
    if let Some(quoted) = data.strip_prefix('"') {
        let (text, rest) = quoted_text(quoted).ok_or("the text must end with `\"`")?;
        if !rest.trim().is_empty() {
            return Err(format!("unexpected `{}` after the text", clip(rest.trim())));
        }
        return Ok(Data::String(text));
    }
    let lower = data.to_ascii_lowercase();
    if let Some(digits) = lower.strip_prefix("dword:") {
        return u32::from_str_radix(digits.trim(), 16)
            .ok()
            .filter(|_| digits.trim().len() <= 8)
            .map(Data::Dword)
            .ok_or_else(|| format!("`{}` is not a dword (up to 8 hex digits)", clip(data)));
    }
    let (kind, bytes) = if let Some(bytes) = lower.strip_prefix("hex:") {
        (3, bytes)
    } else if let Some(rest) = lower.strip_prefix("hex(") {
        let (kind, bytes) = rest
            .split_once("):")
            .ok_or_else(|| format!("`{}` is not `hex(N):`", clip(data)))?;
        let kind = u32::from_str_radix(kind, 16).map_err(|_| format!("`hex({kind})` is not a value type"))?;
        (kind, bytes)
    } else {
        return Err(format!(
            "`{}` is not a value (`\"text\"`, `dword:`, `hex:`, `hex(N):` or `-`)",
            clip(data)
        ));
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
        0xb => return Err(format!("a qword has 8 bytes, not {}", bytes.len())),
        kind => Data::Binary { kind, bytes },
    })
}

/// `2a,00,ff` (continuations already joined).
fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|b| {
            let b = b.trim();
            u8::from_str_radix(b, 16)
                .ok()
                .filter(|_| b.len() <= 2)
                .ok_or_else(|| format!("`{}` is not a hex byte", clip(b)))
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

/// A dotted version (`14.40.33810.0`, `v14.40.33810.00`, `394802`), compared part by part
/// with missing parts as 0, so `14.28.29914` equals `14.28.29914.0`.
#[derive(Debug, Clone)]
pub struct Version(Vec<u64>);

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let parts: Option<Vec<u64>> = text.split('.').map(|p| p.trim().parse().ok()).collect();
        parts.filter(|p| !p.is_empty()).map(Version)
    }

    /// The version a value holds: a number, or text that reads as a version.
    pub fn of(data: &Data) -> Option<Version> {
        match data {
            Data::Dword(_) | Data::Qword(_) => data.number().map(|n| Version(vec![n])),
            _ => data.text().and_then(Version::parse),
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.0.len().max(other.0.len());
        (0..len)
            .map(|i| self.0.get(i).unwrap_or(&0).cmp(other.0.get(i).unwrap_or(&0)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `reg export` writes: UTF-16LE with a BOM and CRLF.
    fn utf16(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.replace('\n', "\r\n").encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        bytes
    }

    const EXPORT: &str = r#"Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\X64]
"Installed"=dword:00000001
"Version"="v14.40.33810.00"
"Path"="C:\\Program Files\\a \"b\""
@="default"
"Expand"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,\
  25,00,00,00
"Multi"=hex(7):61,00,00,00,62,00,00,00,00,00
"Q"=hex(b):2a,00,00,00,00,00,00,00
"Bin"=hex:01,02
"None"=hex(0):
"Gone"=-

[-HKEY_LOCAL_MACHINE\SOFTWARE\Old]
"#;

    #[test]
    fn every_value_type_reg_export_writes_is_read_at_its_line() {
        let keys = parse("vc.reg", &utf16(EXPORT), None)
            .map(|(keys, _)| keys)
            .expect("an export");
        assert_eq!(keys.len(), 2);
        let key = &keys[0];
        assert_eq!(key.location.line, Some(3));
        let data: Vec<(&str, &Data)> = key.values.iter().map(|v| (v.name.as_str(), &v.data)).collect();
        assert_eq!(
            data,
            [
                ("Installed", &Data::Dword(1)),
                ("Version", &Data::String("v14.40.33810.00".into())),
                ("Path", &Data::String(r#"C:\Program Files\a "b""#.into())),
                ("", &Data::String("default".into())),
                ("Expand", &Data::Expandable("%SystemRoot%".into())),
                ("Multi", &Data::Multi(vec!["a".into(), "b".into()])),
                ("Q", &Data::Qword(42)),
                (
                    "Bin",
                    &Data::Binary {
                        kind: 3,
                        bytes: vec![1, 2]
                    }
                ),
                ("None", &Data::Binary { kind: 0, bytes: vec![] }),
                ("Gone", &Data::Deleted),
            ]
        );
        let lines: Vec<Option<u64>> = key.values.iter().map(|v| v.location.line).collect();
        assert_eq!(lines, [4, 5, 6, 7, 8, 10, 11, 12, 13, 14].map(Some));
        assert!(keys[1].absent);
        // Decoding from UTF-16 moves bytes: no byte span is claimed.
        assert_eq!(key.location.byte_offset, None);
    }

    #[test]
    fn regedit4_in_ansi_with_abbreviated_keys_in_any_case_is_looked_up() {
        let text = "REGEDIT4\r\n\r\n[hklm\\Software\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full]\r\n\"Release\"=dword:00060636\r\n\"Name\"=hex(2):41,42,00\r\n";
        let mut registry = Registry::default();
        registry.add("site.reg", text.as_bytes(), None).expect("an export");
        let found: Vec<_> = registry
            .values(
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\MICROSOFT\\NET Framework Setup\\NDP\\v4\\Full",
                "release",
            )
            .map(|(_, v)| (&v.data, v.location.line, v.location.byte_offset))
            .collect();
        assert_eq!(found, [(&Data::Dword(394_806), Some(4), Some(71))]);
        let (_, name) = registry
            .values("HKLM\\Software\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full", "Name")
            .next()
            .unwrap();
        assert_eq!(name.data, Data::Expandable("AB".into()));
        assert_eq!(
            registry.keys[0].path,
            "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full"
        );
    }

    #[test]
    fn a_file_that_is_not_an_export_names_its_first_bad_line() {
        let err = parse("notes.txt", b"\r\nhello\r\n", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "notes.txt:2: not a registry export: the first line is `hello`, not `Windows Registry Editor Version 5.00` or `REGEDIT4`"
        );
        let err = parse("x.reg", b"REGEDIT4\n\n[HKLM\\A]\n\"A\"=dword:1\n\"B\"=word:1\n", None).unwrap_err();
        assert_eq!(err.line, 5);
        assert!(err.message.contains("value `B`"), "{err}");
        let err = parse("x.reg", b"REGEDIT4\n\"A\"=dword:1\n", None).unwrap_err();
        assert_eq!((err.line, err.message.contains("not under a `[KEY]`")), (2, true));
        for bad in [
            "\"A\"=hex(b):01",
            "\"A\"=dword:123456789",
            "\"A\"=\"open",
            "\"A\"=hex:zz",
            "\"A",
            "[HKLM\\A",
        ] {
            let text = format!("REGEDIT4\n[HKLM\\A]\n{bad}\n");
            assert!(parse("x.reg", text.as_bytes(), None).is_err(), "{bad}");
        }
        assert_eq!(parse("x.reg", b"", None).unwrap_err().line, 1);
    }

    #[test]
    fn files_merge_and_a_value_given_twice_is_kept_twice() {
        let mut registry = Registry::default();
        registry
            .add("a.reg", b"REGEDIT4\n[HKLM\\A]\n\"X\"=dword:1\n", None)
            .unwrap();
        registry
            .add(
                "b.reg",
                &utf16("Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\a]\n\"x\"=dword:0\n"),
                None,
            )
            .unwrap();
        let found: Vec<(&str, &Data)> = registry
            .values("hklm\\a", "X")
            .map(|(_, v)| (v.location.path.as_str(), &v.data))
            .collect();
        assert_eq!(found, [("a.reg", &Data::Dword(1)), ("b.reg", &Data::Dword(0))]);
    }

    #[test]
    fn subkeys_are_the_children_only_and_absent_marks_are_keys() {
        let text = format!(
            "REGEDIT4\n[HKLM\\U]\n[HKLM\\U\\one]\n\"DisplayName\"=\"One\"\n[HKLM\\U\\one\\deeper]\n{ABSENT_MARK}HKLM\\Gone\n"
        );
        let mut registry = Registry::default();
        registry.add("u.reg", text.as_bytes(), None).unwrap();
        let children: Vec<&str> = registry
            .subkeys("HKEY_LOCAL_MACHINE\\u")
            .map(|k| k.path.as_str())
            .collect();
        assert_eq!(children, ["HKEY_LOCAL_MACHINE\\U\\one"]);
        let gone: Vec<(bool, Option<u64>)> = registry
            .keys("hklm\\gone")
            .map(|k| (k.absent, k.location.line))
            .collect();
        assert_eq!(gone, [(true, Some(6))]);
    }

    #[test]
    fn versions_compare_part_by_part() {
        let v = |t| Version::parse(t).unwrap();
        assert!(v("v14.40.33810.00") > v("14.28.29914"));
        assert!(v("14.28.29914.0") == v("14.28.29914"));
        assert!(v("14.28.29913") < v("14.28.29914"));
        assert!(v("18.10.1.1") > v("18.6.1.1"));
        assert_eq!(Version::parse("abc"), None);
        assert_eq!(Version::of(&Data::Dword(394_802)), Some(v("394802")));
    }
}
