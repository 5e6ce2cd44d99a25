//! `collect --read-registry`: the keys and values the loaded rules name, read live (read-only)
//! from the Windows registry and written as a `reg export` file, so the snapshot is checked
//! the same way anywhere. A key that is not there is written as [`ABSENT_MARK`].

use std::fmt::Write as _;

use crate::readers::registry::{ABSENT_MARK, Format, Read, spelled_out};

/// One key as read: its values by name, or absent.
pub(super) enum Found {
    Absent,
    Values(Vec<(String, String)>),
}

/// Renders what was read as `Windows Registry Editor Version 5.00`, UTF-16LE with a BOM and
/// CRLF, as `reg export` writes it. `data` is each value already in its export form.
pub(super) fn render(keys: &[(String, Found)]) -> Vec<u8> {
    let mut text = String::new();
    let _ = write!(text, "{}\r\n\r\n", Format::Version5.header());
    for (path, found) in keys {
        match found {
            Found::Absent => {
                let _ = write!(text, "{ABSENT_MARK}{path}\r\n\r\n");
            }
            Found::Values(values) => {
                let _ = write!(text, "[{path}]\r\n");
                for (name, data) in values {
                    if name.is_empty() {
                        let _ = write!(text, "@={data}\r\n");
                    } else {
                        let _ = write!(text, "\"{}\"={data}\r\n", escape(name));
                    }
                }
                text.push_str("\r\n");
            }
        }
    }
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `hex(N):2a,00` (or `hex:` for binary), as `reg export` writes data it has no literal for.
fn hex_data(kind: Option<u32>, bytes: &[u8]) -> String {
    let list: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match kind {
        None => format!("hex:{}", list.join(",")),
        Some(kind) => format!("hex({kind:x}):{}", list.join(",")),
    }
}

/// The keys to open, in order, each once: the ones the rules name, and for a [`Read::Subkeys`]
/// the parent (whose children are listed when it is read).
pub(super) fn plan(reads: &[Read]) -> Vec<(String, Vec<String>, bool)> {
    let mut plan: Vec<(String, Vec<String>, bool)> = Vec::new();
    for read in reads {
        let (key, values, children) = match read {
            Read::Value { key, value } => (spelled_out(key), vec![value.clone()], false),
            Read::Subkeys { parent, values } => (spelled_out(parent), values.clone(), true),
        };
        match plan
            .iter_mut()
            .find(|(k, _, c)| k.eq_ignore_ascii_case(&key) && *c == children)
        {
            Some((_, known, _)) => {
                for value in values {
                    if !known.iter().any(|v| v.eq_ignore_ascii_case(&value)) {
                        known.push(value);
                    }
                }
            }
            None => plan.push((key, values, children)),
        }
    }
    plan
}

/// Reads the plan from the live registry: 64-bit view for a path as it is, the 32-bit view
/// for a path through `WOW6432Node` (opened without it, as a 32-bit process sees it).
#[cfg(windows)]
pub(super) fn read(reads: &[Read]) -> Vec<u8> {
    use windows_registry::{Key, LOCAL_MACHINE, Type};
    const KEY_WOW64_64KEY: u32 = 0x0100;
    const KEY_WOW64_32KEY: u32 = 0x0200;

    fn open(path: &str) -> Option<Key> {
        let rest = path.split_once('\\').map_or("", |(_, rest)| rest);
        let (view, rest) = match rest.to_ascii_lowercase().find("\\wow6432node\\") {
            Some(at) => (
                KEY_WOW64_32KEY,
                format!("{}{}", &rest[..at], &rest[at + "\\wow6432node".len()..]),
            ),
            None => (KEY_WOW64_64KEY, rest.to_owned()),
        };
        LOCAL_MACHINE.options().read().access(view).open(rest).ok()
    }

    fn values(key: &Key, names: &[String]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for name in names {
            let Ok(value) = key.get_value(name) else { continue };
            let data = match value.ty() {
                Type::U32 if value.len() == 4 => {
                    format!(
                        "dword:{:08x}",
                        u32::from_le_bytes([value[0], value[1], value[2], value[3]])
                    )
                }
                Type::String => {
                    let text = String::from_utf16_lossy(value.as_wide());
                    format!("\"{}\"", escape(text.trim_end_matches('\0')))
                }
                Type::U32 => hex_data(Some(4), &value),
                Type::U64 => hex_data(Some(0xb), &value),
                Type::ExpandString => hex_data(Some(2), &value),
                Type::MultiString => hex_data(Some(7), &value),
                Type::Bytes => hex_data(None, &value),
                Type::Other(kind) => hex_data(Some(kind), &value),
            };
            out.push((name.clone(), data));
        }
        out
    }

    let mut keys = Vec::new();
    for (path, names, children) in plan(reads) {
        if !path.to_ascii_uppercase().starts_with("HKEY_LOCAL_MACHINE\\") {
            // Only the machine's hive is read: another user's view is not this machine's state.
            continue;
        }
        let Some(key) = open(&path) else {
            keys.push((path, Found::Absent));
            continue;
        };
        if !children {
            keys.push((path.clone(), Found::Values(values(&key, &names))));
            continue;
        }
        keys.push((path.clone(), Found::Values(Vec::new())));
        let mut subkeys: Vec<String> = key.keys().map(|k| k.collect()).unwrap_or_default();
        subkeys.sort();
        for name in subkeys {
            let child = format!("{path}\\{name}");
            if let Some(sub) = open(&child) {
                keys.push((child, Found::Values(values(&sub, &names))));
            }
        }
    }
    render(&keys)
}

#[cfg(test)]
mod tests {
    use super::super::LIVE_EXPORT;
    use super::*;
    use crate::readers::registry::{Data, Registry};

    #[test]
    fn what_is_read_is_written_as_an_export_the_parser_reads_back() {
        let keys = vec![
            (
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\A".to_owned(),
                Found::Values(vec![
                    ("X".to_owned(), "dword:00000001".to_owned()),
                    (String::new(), "\"a \\\"b\\\"\"".to_owned()),
                    ("M".to_owned(), hex_data(Some(7), &[0x61, 0, 0, 0, 0, 0])),
                ]),
            ),
            ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Gone".to_owned(), Found::Absent),
        ];
        let mut registry = Registry::default();
        registry.add(LIVE_EXPORT, &render(&keys), None).expect("an export");
        let x: Vec<&Data> = registry
            .values("HKLM\\SOFTWARE\\A", "X")
            .map(|(_, v)| &v.data)
            .collect();
        assert_eq!(x, [&Data::Dword(1)]);
        let default: Vec<&Data> = registry
            .values("HKLM\\SOFTWARE\\A", "@")
            .map(|(_, v)| &v.data)
            .collect();
        assert_eq!(default, [&Data::String("a \"b\"".into())]);
        let m: Vec<&Data> = registry
            .values("HKLM\\SOFTWARE\\A", "m")
            .map(|(_, v)| &v.data)
            .collect();
        assert_eq!(m, [&Data::Multi(vec!["a".into()])]);
        assert!(registry.keys("HKLM\\SOFTWARE\\Gone").all(|k| k.absent));
    }

    #[test]
    fn each_key_is_opened_once_with_every_value_the_rules_name() {
        let reads = [
            Read::Value {
                key: "HKLM\\SOFTWARE\\A".into(),
                value: "X".into(),
            },
            Read::Value {
                key: "hkey_local_machine\\SOFTWARE\\A".into(),
                value: "Y".into(),
            },
            Read::Value {
                key: "HKLM\\SOFTWARE\\A".into(),
                value: "x".into(),
            },
            Read::Subkeys {
                parent: "HKLM\\SOFTWARE\\U".into(),
                values: vec!["DisplayName".into()],
            },
        ];
        let plan = plan(&reads);
        assert_eq!(
            plan,
            [
                (
                    "HKEY_LOCAL_MACHINE\\SOFTWARE\\A".to_owned(),
                    vec!["X".to_owned(), "Y".to_owned()],
                    false
                ),
                (
                    "HKEY_LOCAL_MACHINE\\SOFTWARE\\U".to_owned(),
                    vec!["DisplayName".to_owned()],
                    true
                ),
            ]
        );
    }
}
