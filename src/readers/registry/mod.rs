//! Registry exports as `reg export` and regedit write them (`Windows Registry Editor Version
//! 5.00` in UTF-16LE with a BOM, or `REGEDIT4` in the ANSI code page), read into keys and
//! values that remember the line they came from, so a finding can point at it. Several files
//! merge, and what they say must agree: a value given twice with different data (in two
//! files, or twice in one key), or a key recorded absent in one place and present in another,
//! is a [`Conflict`] that stops the check of the registry rather than letting one be picked.
//! Key and value names compare as Windows compares them: [`windows_name`].

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use crate::finding::Location;

mod parse;

pub use parse::{ABSENT_MARK, DataError, Decoding, Format, LineError, Named, ParseError, parse};

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

/// A value's type, as a rule names it (`type: dword`) and as Windows calls it (REG_DWORD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    ExpandString,
    MultiString,
    Dword,
    Qword,
    Binary,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::String,
        Kind::ExpandString,
        Kind::MultiString,
        Kind::Dword,
        Kind::Qword,
        Kind::Binary,
    ];

    /// The name a rule gives it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::ExpandString => "expand-string",
            Kind::MultiString => "multi-string",
            Kind::Dword => "dword",
            Kind::Qword => "qword",
            Kind::Binary => "binary",
        }
    }

    /// The name Windows (`reg query`, regedit) gives it.
    pub fn registry_name(self) -> &'static str {
        match self {
            Kind::String => "REG_SZ",
            Kind::ExpandString => "REG_EXPAND_SZ",
            Kind::MultiString => "REG_MULTI_SZ",
            Kind::Dword => "REG_DWORD",
            Kind::Qword => "REG_QWORD",
            Kind::Binary => "REG_BINARY",
        }
    }

    /// The type of a value's data; none for a deleted value. `hex(N):` types other than the
    /// string and number types count as binary only when N is 3 (REG_BINARY).
    pub fn of(data: &Data) -> Option<Kind> {
        match data {
            Data::String(_) => Some(Kind::String),
            Data::Expandable(_) => Some(Kind::ExpandString),
            Data::Multi(_) => Some(Kind::MultiString),
            Data::Dword(_) => Some(Kind::Dword),
            Data::Qword(_) => Some(Kind::Qword),
            Data::Binary { kind: 3, .. } => Some(Kind::Binary),
            Data::Binary { .. } | Data::Deleted => None,
        }
    }

    /// The type of a value's data in words, for a message.
    pub fn describe(data: &Data) -> String {
        match (Kind::of(data), data) {
            (Some(kind), _) => kind.registry_name().to_owned(),
            (None, Data::Binary { kind, .. }) => format!("hex({kind:x})"),
            (None, _) => "none (deleted)".to_owned(),
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
        let name = windows_name(name);
        self.keys(path)
            .flat_map(|k| k.values.iter().map(move |v| (k, v)))
            .filter(move |(_, v)| windows_name(&v.name) == name)
    }

    /// The first disagreement between the exports read so far: a key absent in one place and
    /// present in another, or a value given twice with different data.
    pub fn conflict(&self) -> Option<Conflict> {
        let mut keys: HashMap<String, &Key> = HashMap::new();
        let mut values: HashMap<(String, String), &Value> = HashMap::new();
        for key in &self.keys {
            let path = normalize(&key.path);
            match keys.get(&path) {
                Some(earlier) if earlier.absent != key.absent => {
                    let (absent, present) = if earlier.absent {
                        (*earlier, key)
                    } else {
                        (key, *earlier)
                    };
                    return Some(Conflict::Key {
                        key: key.path.clone(),
                        absent: absent.location.clone(),
                        present: present.location.clone(),
                    });
                }
                Some(_) => {}
                None => {
                    keys.insert(path.clone(), key);
                }
            }
            for value in &key.values {
                match values.entry((path.clone(), windows_name(&value.name))) {
                    Entry::Occupied(earlier) if earlier.get().data != value.data => {
                        return Some(Conflict::Value {
                            key: key.path.clone(),
                            name: value.name.clone(),
                            first: Box::new((*earlier.get()).clone()),
                            second: Box::new(value.clone()),
                        });
                    }
                    Entry::Occupied(_) => {}
                    Entry::Vacant(slot) => {
                        slot.insert(value);
                    }
                }
            }
        }
        None
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
    /// it was decoded, whether every byte decoded, and whether the text is full of control
    /// characters.
    pub fn add(&mut self, display: &str, bytes: &[u8], named: Named) -> Result<Decoding, ParseError> {
        let (keys, read_as) = parse(display, bytes, named)?;
        self.keys.extend(keys);
        self.files.push(Location::whole(display, bytes.len() as u64));
        Ok(read_as)
    }
}

/// Two exports that disagree, so that neither can be believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error(
        "the registry exports disagree: key {key} is recorded absent at {} and present at {}; export it again, once",
        place(absent),
        place(present)
    )]
    Key {
        key: String,
        absent: Location,
        present: Location,
    },
    #[error(
        "the registry exports disagree: {key}: value {} is {} at {} and {} at {}; export it again, once",
        if name.is_empty() { "@" } else { name },
        first.data,
        place(&first.location),
        second.data,
        place(&second.location)
    )]
    Value {
        key: String,
        name: String,
        first: Box<Value>,
        second: Box<Value>,
    },
}

impl Conflict {
    /// A file where the disagreement shows: the one of the key present, or of the second value.
    pub fn path(&self) -> &str {
        match self {
            Conflict::Key { present, .. } => &present.path,
            Conflict::Value { second, .. } => &second.location.path,
        }
    }
}

/// `file:line` of a place.
fn place(location: &Location) -> String {
    match location.line {
        Some(line) => format!("{}:{line}", location.path),
        None => location.path.clone(),
    }
}

/// A key or value name as Windows compares it: without regard to case, by the simple
/// (one-to-one) uppercase mapping, as `RtlUpcaseUnicodeChar` does. Not Unicode case folding:
/// that would make the Kelvin sign (U+212A) the letter K and `ß` the letters `SS`, names that
/// Windows keeps apart; nor trimmed: a name with a trailing space is another name.
pub fn windows_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// A key path in one spelling: hive abbreviations spelled out, names as Windows compares them
/// ([`windows_name`]), no doubled or leading and trailing separators.
pub fn normalize(path: &str) -> String {
    let path = path.trim_matches('\\');
    let (hive, rest) = path.split_once('\\').unwrap_or((path, ""));
    let hive = match hive.to_ascii_uppercase().as_str() {
        "HKLM" => "HKEY_LOCAL_MACHINE".to_owned(),
        "HKCU" => "HKEY_CURRENT_USER".to_owned(),
        "HKCR" => "HKEY_CLASSES_ROOT".to_owned(),
        "HKU" => "HKEY_USERS".to_owned(),
        "HKCC" => "HKEY_CURRENT_CONFIG".to_owned(),
        other => other.to_owned(),
    };
    let mut out = hive;
    for part in rest.split('\\').filter(|p| !p.is_empty()) {
        out.push('\\');
        out.push_str(&windows_name(part));
    }
    out
}

/// The path as `reg export` writes it: the hive spelled out, the rest as given (not trimmed:
/// a trailing space is part of a key's name).
pub fn spelled_out(path: &str) -> String {
    let path = path.trim_matches('\\');
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
mod tests;
