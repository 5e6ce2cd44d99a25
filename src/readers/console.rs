//! The "Updates and Servicing" view as exported by
//! `Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json`, and what its numbers mean.
//!
//! PowerShell 5.1 writes that file as UTF-16LE with a BOM, writes a bare object instead of an
//! array when there is one update, and writes dates as `/Date(1733270400000)/`; PowerShell 7
//! writes UTF-8 and ISO dates. Only `Name`, `FullVersion`, `State`, `UpdateType` and
//! `PackageGuid` are read, so the date formats never matter.

use serde_json::Value;

use crate::finding::Location;

/// `State` codes of `SMS_CM_UpdatePackages`, with the names rule files use. The first names
/// are the console's own labels; the rest follow Microsoft's state table.
pub const STATES: &[(&str, i64)] = &[
    ("available-to-download", 327_682),
    ("downloading", 262_145),
    ("download-failed", 327_679),
    ("ready-to-install", 262_146),
    ("checking-prerequisites", 131_073),
    ("prerequisite-check-passed", 131_074),
    ("prerequisite-check-warning", 131_075),
    ("prerequisite-check-failed", 196_607),
    ("installing", 196_609),
    ("installed", 196_612),
    ("install-failed", 262_143),
    ("unknown", 0),
    ("enabled", 2),
    ("content-replicating", 65_537),
    ("content-replication-succeeded", 65_538),
    ("content-replication-failed", 131_071),
    ("waiting-for-service-window", 196_610),
    ("waiting-for-parent", 196_611),
    ("install-pending-reboot", 196_613),
    ("install-cmu-failed", 262_142),
    ("checking-applicability", 327_681),
    ("hidden", 393_213),
    ("not-applicable", 393_214),
    ("applicability-failed", 393_215),
];

pub fn state_code(name: &str) -> Option<i64> {
    let name = name.trim();
    name.parse().ok().or_else(|| {
        STATES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, c)| c)
    })
}

/// `installed (196612)`, or the bare code for one the table does not name (the installing
/// sub-stages 196614 to 196629 among them).
pub fn describe_state(code: i64) -> String {
    match STATES.iter().find(|&&(_, c)| c == code) {
        Some((name, _)) => format!("{name} ({code})"),
        None if (196_614..=196_629).contains(&code) => format!("installing ({code})"),
        None => format!("state {code}"),
    }
}

/// Release to build number (`5.00.<build>.xxxx`), from Microsoft's version table.
const RELEASES: &[(&str, u32)] = &[
    ("1511", 8325),
    ("1602", 8355),
    ("1606", 8412),
    ("1610", 8458),
    ("1702", 8498),
    ("1706", 8540),
    ("1710", 8577),
    ("1802", 8634),
    ("1806", 8692),
    ("1810", 8740),
    ("1902", 8790),
    ("1906", 8853),
    ("1910", 8913),
    ("2002", 8968),
    ("2006", 9012),
    ("2010", 9040),
    ("2103", 9049),
    ("2107", 9058),
    ("2111", 9068),
    ("2203", 9078),
    ("2207", 9088),
    ("2211", 9096),
    ("2303", 9106),
    ("2309", 9122),
    ("2403", 9128),
    ("2409", 9132),
    ("2503", 9135),
    ("2509", 9141),
    ("2603", 9146),
];

/// `UpdateType` of a hotfix (QFE): its name carries the release it fixes, not a release.
const UPDATE_TYPE_HOTFIX: i64 = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleUpdate {
    pub name: Option<String>,
    pub full_version: Option<String>,
    pub state: Option<i64>,
    pub update_type: Option<i64>,
    pub package_guid: Option<String>,
}

impl ConsoleUpdate {
    /// Whether this update is release `version` ("2409") or build `version` ("5.00.9132.1000").
    /// The release is read from the name ("Configuration Manager 2409") or, failing that,
    /// from the build number through the release table. Hotfixes never count as the release.
    pub fn is_version(&self, version: &str) -> bool {
        let version = version.trim();
        if version.contains('.') {
            return self.full_version.as_deref().is_some_and(|v| same_build(v, version));
        }
        if self.update_type == Some(UPDATE_TYPE_HOTFIX) {
            return false;
        }
        self.release().is_some_and(|r| r == version)
    }

    pub fn release(&self) -> Option<String> {
        let from_name = self.name.as_deref().and_then(|name| {
            name.split(|c: char| !c.is_ascii_digit())
                .find(|t| t.len() == 4)
                .map(str::to_owned)
        });
        from_name.or_else(|| {
            let build: u32 = self.full_version.as_deref()?.split('.').nth(2)?.parse().ok()?;
            RELEASES
                .iter()
                .find(|&&(_, b)| b == build)
                .map(|(r, _)| (*r).to_owned())
        })
    }

    /// How the update is named in messages.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.full_version.clone())
            .or_else(|| self.package_guid.clone())
            .unwrap_or_else(|| "an unnamed update".to_owned())
    }
}

/// `5.0.9132.1000` and `5.00.9132.1000` are the same build; fewer parts compare as a prefix.
fn same_build(have: &str, want: &str) -> bool {
    let parse = |s: &str| s.split('.').map(|p| p.trim().parse::<u32>().ok()).collect::<Vec<_>>();
    let (have, want) = (parse(have), parse(want));
    want.len() <= have.len() && want.iter().zip(&have).all(|(w, h)| w.is_some() && w == h)
}

/// Why a file is not a console export. Items count from 1, as people count them.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("not valid JSON at line {line}, column {column}: {source}", line = .source.line(), column = .source.column())]
    Json {
        #[from]
        source: serde_json::Error,
    },
    #[error("expected an object or a list of objects, found {found}")]
    NotObjects { found: &'static str },
    #[error("item {item} is {found}, not an object")]
    NotAnObject { item: usize, found: &'static str },
    /// A value of the wrong type is an export that is not what it claims: saying so beats
    /// checking a version that was never there.
    #[error("item {item}: `{field}` is {found}, not {expected}")]
    WrongType {
        item: usize,
        field: &'static str,
        found: &'static str,
        expected: &'static str,
    },
}

/// Parses an export (already decoded to text).
pub fn parse(text: &str) -> Result<Vec<ConsoleUpdate>, ConsoleError> {
    let text = text.trim_start_matches('\u{feff}');
    let value: Value = serde_json::from_str(text)?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        other => {
            return Err(ConsoleError::NotObjects {
                found: json_type(&other),
            });
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Object(map) = item else {
                return Err(ConsoleError::NotAnObject {
                    item: i + 1,
                    found: json_type(item),
                });
            };
            // Property names are matched without regard to case, as PowerShell does.
            let field = |name: &'static str| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
                    .filter(|v| !v.is_null())
            };
            let wrong = |field: &'static str, value: &Value, expected: &'static str| ConsoleError::WrongType {
                item: i + 1,
                field,
                found: json_type(value),
                expected,
            };
            let text = |name: &'static str| match field(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(wrong(name, other, "a string")),
            };
            let number = |name: &'static str| match field(name) {
                None => Ok(None),
                Some(value) => value
                    .as_i64()
                    .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                    .map(Some)
                    .ok_or_else(|| wrong(name, value, "a whole number")),
            };
            Ok(ConsoleUpdate {
                name: text("Name")?,
                full_version: text("FullVersion")?,
                state: number("State")?,
                update_type: number("UpdateType")?,
                package_guid: text("PackageGuid")?,
            })
        })
        .collect()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A loaded export and the path findings point at.
#[derive(Debug, Clone)]
pub struct ConsoleExport {
    /// The whole export file.
    pub location: Location,
    pub updates: Vec<ConsoleUpdate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_the_wrong_type_are_refused_not_passed_over() {
        assert_eq!(
            parse(r#"[{"Name":"Configuration Manager 2409","FullVersion":5,"State":262146}]"#)
                .unwrap_err()
                .to_string(),
            "item 1: `FullVersion` is a number, not a string"
        );
        assert_eq!(
            parse(r#"{"Name":"Configuration Manager 2409","State":true}"#)
                .unwrap_err()
                .to_string(),
            "item 1: `State` is a boolean, not a whole number"
        );
        assert!(parse(r#"{"Name":"Configuration Manager 2409","FullVersion":null,"State":"262146"}"#).is_ok());
    }

    #[test]
    fn reads_a_bare_object_as_powershell_5_writes_one_update() {
        let text = r#"{"Name":"Configuration Manager 2409","FullVersion":"5.00.9132.1000","State":262146,"UpdateType":0,"DateReleased":"\/Date(1733270400000)\/"}"#;
        let updates = parse(text).unwrap();
        assert_eq!(updates.len(), 1);
        assert!(updates[0].is_version("2409"));
        assert!(updates[0].is_version("5.0.9132"));
        assert_eq!(updates[0].state, Some(262_146));
    }

    #[test]
    fn finds_the_release_by_build_when_the_name_is_missing_and_skips_hotfixes() {
        let updates = parse(r#"[{"FullVersion":"5.00.9135.1000","State":"196612"},{"Name":"Configuration Manager 2503 Hotfix Rollup (KB32150398)","UpdateType":2}]"#).unwrap();
        assert!(updates[0].is_version("2503"));
        assert_eq!(updates[0].state, Some(196_612));
        assert!(!updates[1].is_version("2503"));
    }

    #[test]
    fn states_by_name_or_code() {
        assert_eq!(state_code("ready-to-install"), Some(262_146));
        assert_eq!(state_code("Download-Failed"), Some(327_679));
        assert_eq!(state_code("196612"), Some(196_612));
        assert_eq!(state_code("done"), None);
        assert_eq!(describe_state(327_682), "available-to-download (327682)");
        assert_eq!(describe_state(196_620), "installing (196620)");
    }

    #[test]
    fn rejects_what_is_not_an_export() {
        assert!(parse("[1]").unwrap_err().to_string().contains("item 1 is a number"));
        assert!(parse("{").unwrap_err().to_string().contains("line 1"));
    }
}
