//! `required-registry-value`: one finding when a registry value is missing or wrong.
//!
//! - **What it checks**: that `value` under `key` in the registry export equals a number or
//!   text, is at least a number or dotted version, or is one of a list.
//! - **Why**: the Connect machine needs TLS 1.2 for .NET (`SchUseStrongCrypto`), .NET 4.6.2 and
//!   the Visual C++ runtime; without them a two-hour download ends in a closed connection.
//! - **Example rule**: `key: 'HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319'`,
//!   `value: SchUseStrongCrypto`, `equals: 1`.
//! - **Options**: exactly one of `equals`, `at-least`, `one-of`; `value: "@"` is the default
//!   value; `type` (`string`, `expand-string`, `multi-string`, `dword`, `qword`, `binary`)
//!   the value type the reader needs, for a program that ignores a value of another type (.NET
//!   reads `SchUseStrongCrypto` only as a DWORD: `reg add` without `/t` writes the text "1",
//!   which leaves TLS 1.2 off). Built-in values: `{key}`, `{value}`, `{found}`, `{expected}`.

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::finding::{Location, Outcome};
use crate::readers::registry::{Data, Kind, Read, Registry, Value, Version, spelled_out};

const VALUES: [&str; 4] = ["key", "value", "found", "expected"];

/// Hives a key may start with, spelled out or abbreviated.
const HIVES: &[&str] = &[
    "HKLM",
    "HKEY_LOCAL_MACHINE",
    "HKCU",
    "HKEY_CURRENT_USER",
    "HKCR",
    "HKEY_CLASSES_ROOT",
    "HKU",
    "HKEY_USERS",
    "HKCC",
    "HKEY_CURRENT_CONFIG",
];

#[derive(Debug)]
enum Expected {
    Equals(String),
    AtLeast(Version),
    OneOf(Vec<String>),
}

impl Expected {
    fn accepts(&self, data: &Data) -> bool {
        match self {
            Expected::Equals(text) => equals(data, text),
            Expected::AtLeast(min) => Version::of(data).is_some_and(|v| v >= *min),
            Expected::OneOf(items) => items.iter().any(|t| equals(data, t)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Expected::Equals(text) => text.clone(),
            Expected::AtLeast(min) => format!("at least {min}"),
            Expected::OneOf(items) => format!("one of {}", items.join(", ")),
        }
    }
}

/// A number compares as a number (`1`, `0x1`), text without regard to case, a multi-string
/// when any of its strings does.
fn equals(data: &Data, expected: &str) -> bool {
    let expected = expected.trim();
    match data {
        Data::Dword(_) | Data::Qword(_) => number(expected) == data.number(),
        Data::String(s) | Data::Expandable(s) => s.trim().eq_ignore_ascii_case(expected),
        Data::Multi(items) => items.iter().any(|s| s.trim().eq_ignore_ascii_case(expected)),
        Data::Binary { .. } | Data::Deleted => false,
    }
}

fn number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[derive(Debug)]
struct RequiredRegistryValue {
    key: String,
    /// As the rule names it; `@` for the default value.
    value: String,
    expected: Expected,
    /// The value type the reader needs, when the rule names one.
    kind: Option<Kind>,
    /// The one read, for `collect --read-registry`.
    read: [Read; 1],
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let key = f.required_string(
        "key",
        "The registry key, `HKLM\\...` or `HKEY_LOCAL_MACHINE\\...` (any case), e.g. 'HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319'.",
    );
    let value = f.required_string(
        "value",
        "The value's name under the key, e.g. `SchUseStrongCrypto`; \"@\" for the key's default value.",
    );
    let equals = f.string("equals", "The number or text the value must be, e.g. `equals: 1`.");
    let at_least = f.string(
        "at-least",
        "The smallest number, or dotted version compared part by part, the value may be, e.g. `at-least: 394802` or '14.28.29914'.",
    );
    let one_of = f.strings(
        "one-of",
        "The numbers or texts the value may be, e.g. `one-of: [1, 2]`.",
    );
    let key = key.and_then(|k| {
        let text = f.with_params(&k)?;
        let hive = text.trim().split('\\').next().unwrap_or("");
        if HIVES.iter().any(|h| h.eq_ignore_ascii_case(hive)) {
            Some(spelled_out(text.trim()))
        } else {
            f.problem_with_help(
                k.span,
                format!("`{hive}` is not a registry hive"),
                "not a hive",
                "start the key with HKLM\\ or HKEY_LOCAL_MACHINE\\ (or another hive: HKCU, HKCR, HKU, HKCC)",
            );
            None
        }
    });
    let kind_field = f.string(
        "type",
        "The value type the program that reads the value needs, e.g. `type: dword` (REG_DWORD): a value of another type fails even when its text matches.",
    );
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    f.values("type", kinds.iter().copied());
    let kind = match kind_field {
        None => Some(None),
        Some(text) => match Kind::ALL.into_iter().find(|k| k.name() == text.value) {
            Some(kind) => Some(Some(kind)),
            None => {
                f.problem_with_help(
                    text.span,
                    format!("`{}` is not a registry value type", text.value),
                    "not a type",
                    format!("write one of {}", kinds.join(", ")),
                );
                None
            }
        },
    };
    let value = value.and_then(|v| f.with_params(&v));
    let given = [&equals, &at_least].iter().filter(|e| e.is_some()).count() + usize::from(one_of.is_some());
    let expected = match (equals, at_least, one_of) {
        _ if given > 1 => {
            let span = ["equals", "at-least", "one-of"]
                .iter()
                .filter_map(|n| f.key_span(n))
                .nth(1)
                .unwrap_or(0..0);
            f.problem_with_help(
                span,
                "give only one of `equals`, `at-least` and `one-of`",
                "a second condition",
                "keep one condition per rule; write another rule for the other",
            );
            None
        }
        (Some(text), None, None) => f.with_params(&text).map(Expected::Equals),
        (None, Some(text), None) => {
            let version = f.with_params(&text)?;
            match Version::parse(&version) {
                Some(v) => Some(Expected::AtLeast(v)),
                None => {
                    f.problem_with_help(
                        text.span,
                        format!("`{version}` is not a number or dotted version"),
                        "not a version",
                        "write a number (394802) or a version (14.28.29914)",
                    );
                    None
                }
            }
        }
        (None, None, Some(items)) => {
            let items: Option<Vec<String>> = items.iter().map(|i| f.with_params(i)).collect();
            items.map(Expected::OneOf)
        }
        _ => {
            // Not `missing`: that would make `equals` itself required in the schema.
            let span = f.key_span("value").or_else(|| f.key_span("key")).unwrap_or(0..0);
            f.problem_with_help(
                span,
                "missing condition: `equals`, `at-least` or `one-of`",
                "no condition on this value",
                "give one of `equals: 1`, `at-least: 394802` or `one-of: [1, 2]`",
            );
            None
        }
    };
    let (key, value, kind) = (key?, value?, kind?);
    let read = [Read::Value {
        key: key.clone(),
        value: if value == "@" { String::new() } else { value.clone() },
    }];
    Some(Box::new(RequiredRegistryValue {
        key,
        value,
        expected: expected?,
        kind,
        read,
    }))
}

impl RequiredRegistryValue {
    /// The value's name as messages show it.
    fn value_name(&self) -> &str {
        if self.value.is_empty() { "@" } else { &self.value }
    }

    /// What the value must be, with the type when the rule names one: `1 (REG_DWORD)`.
    fn expected_text(&self) -> String {
        match self.kind {
            Some(kind) => format!("{} ({})", self.expected.describe(), kind.registry_name()),
            None => self.expected.describe(),
        }
    }

    fn emission(&self, message: String, found: String, location: Location) -> Emission {
        Emission {
            outcome: Outcome::Fail,
            subject: format!("{}\\{}", self.key, self.value_name()),
            message,
            values: values(
                &VALUES,
                [
                    self.key.clone(),
                    self.value_name().to_owned(),
                    found,
                    self.expected_text(),
                ],
            ),
            location,
            excerpt: None,
        }
    }
}

fn missing_key_location(registry: &Registry, key: &str) -> Location {
    registry
        .keys(key)
        .next()
        .map(|k| k.location.clone())
        .or_else(|| registry.files.first().cloned())
        .unwrap_or_else(|| Location::artifact("registry"))
}

impl Check for RequiredRegistryValue {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Registry(&self.read)
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        format!(
            "Fails unless registry value {} under {} is {}.",
            self.value_name(),
            self.key,
            self.expected_text()
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Registry(registry) = input else {
            return Err(Mismatch::new("a registry export", input));
        };
        let expected = self.expected_text();
        let present = registry.keys(&self.key).find(|k| !k.absent);
        let Some(key) = present else {
            let absent = registry.keys(&self.key).next().is_some();
            let why = if absent {
                "is absent"
            } else {
                "is not in the registry export"
            };
            out.push(self.emission(
                format!("key {} {why}; value {} must be {expected}", self.key, self.value_name()),
                "missing (no key)".to_owned(),
                missing_key_location(registry, &self.key),
            ));
            return Ok(());
        };
        let given: Vec<&Value> = registry.values(&self.key, &self.value).map(|(_, v)| v).collect();
        let Some(first) = given.first() else {
            out.push(self.emission(
                format!("{} has no value {}; it must be {expected}", self.key, self.value_name()),
                "missing".to_owned(),
                key.location.clone(),
            ));
            return Ok(());
        };
        if let Some(kind) = self.kind
            && Kind::of(&first.data) != Some(kind)
        {
            let found = format!("{} ({})", first.data, Kind::describe(&first.data));
            let message = format!(
                "{}: {} is {found}, of the wrong type: it must be {expected}, and the program that reads it ignores a value of another type",
                self.key,
                self.value_name(),
            );
            out.push(self.emission(message, found, first.location.clone()));
            return Ok(());
        }
        // The exports agree (a disagreement stops the registry's load), so the first says it.
        if self.expected.accepts(&first.data) {
            return Ok(());
        }
        let found = first.data.to_string();
        let message = format!("{}: {} is {found}; it must be {expected}", self.key, self.value_name());
        out.push(self.emission(message, found, first.location.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_text_and_versions_compare_as_their_kind() {
        assert!(equals(&Data::Dword(1), "1"));
        assert!(equals(&Data::Dword(42), "0x2A"));
        assert!(!equals(&Data::Dword(0), "1"));
        assert!(!equals(&Data::String("1".into()), "01"));
        assert!(equals(&Data::String("Yes".into()), "yes"));
        let min = Expected::AtLeast(Version::parse("14.28.29914").unwrap());
        assert!(min.accepts(&Data::String("v14.40.33810.00".into())));
        assert!(!min.accepts(&Data::String("v14.16.27012.00".into())));
        assert!(!min.accepts(&Data::String("not a version".into())));
        let release = Expected::AtLeast(Version::parse("394802").unwrap());
        assert!(release.accepts(&Data::Dword(528_040)));
        assert!(!release.accepts(&Data::Dword(394_254)));
        assert!(Expected::OneOf(vec!["1".into(), "2".into()]).accepts(&Data::Dword(2)));
    }
}
