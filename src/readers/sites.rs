//! The sites of the hierarchy as `Get-CMSite | ConvertTo-Json > sites.json` exports them.
//!
//! PowerShell 5.1 writes UTF-16LE with a BOM, PowerShell 7 UTF-8 (with or without one); a
//! hierarchy of one site is written as a bare object instead of a list. Only `SiteCode`,
//! `SiteName`, `Type`, `Version`, `BuildNumber`, `Status` and `Mode` are read; a value of
//! another type is an export that is not what it claims, and is refused with its place.

use serde::Deserialize;

use crate::finding::Location;

/// One site, as `SMS_Site` describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Site {
    #[serde(rename = "SiteCode")]
    pub code: Option<String>,
    #[serde(rename = "SiteName")]
    pub name: Option<String>,
    /// 1 secondary, 2 primary, 4 central administration site.
    #[serde(rename = "Type")]
    pub site_type: Option<i64>,
    /// `5.00.9132.1000`.
    #[serde(rename = "Version")]
    pub version: Option<String>,
    #[serde(rename = "BuildNumber")]
    pub build: Option<i64>,
    /// 1 active, 2 pending, 3 failed, 5 upgrade, ...
    #[serde(rename = "Status")]
    pub status: Option<i64>,
    /// 3 while an upgrade is in progress.
    #[serde(rename = "Mode")]
    pub mode: Option<i64>,
}

/// `Status` of a site that is active.
pub const STATUS_ACTIVE: i64 = 1;
/// `Mode` of a site in the middle of an upgrade.
pub const MODE_UPGRADING: i64 = 3;

impl Site {
    /// The site's build: `BuildNumber`, else the third part of `Version`.
    pub fn build(&self) -> Option<i64> {
        self.build
            .or_else(|| self.version.as_deref().and_then(crate::target::build_of).map(i64::from))
    }

    /// How findings name it: `CS1 (Contoso Primary)`, or its place in the export.
    pub fn label(&self, position: usize) -> String {
        match (&self.code, &self.name) {
            (Some(code), Some(name)) => format!("{code} ({name})"),
            (Some(code), None) => code.clone(),
            _ => format!("site {position} (no SiteCode)"),
        }
    }
}

/// Parses an export (already decoded to text); a mistake is reported at its line and column.
pub fn parse(text: &str) -> Result<Vec<Site>, serde_json::Error> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('[') {
        serde_json::from_str(text)
    } else {
        // One site: PowerShell writes the object itself, not a list of one.
        serde_json::from_str(text).map(|site| vec![site])
    }
}

/// A loaded export and the path findings point at.
#[derive(Debug, Clone)]
pub struct SitesExport {
    /// The whole export file.
    pub location: Location,
    pub sites: Vec<Site>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_and_a_bare_object_read_alike() {
        let list = r#"[{"SiteCode": "CAS", "Type": 4, "Version": "5.00.9132.1000", "BuildNumber": 9132, "Status": 1, "Mode": 0},
                      {"SiteCode": "S01", "Type": 1, "Version": "5.00.9128.1000", "Status": 1, "Mode": 0}]"#;
        let sites = parse(list).unwrap();
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[1].build(), Some(9128));
        let one = "\u{feff}{\"SiteCode\": \"CS1\", \"BuildNumber\": 9132, \"Extra\": [1, 2]}";
        assert_eq!(parse(one).unwrap()[0].code.as_deref(), Some("CS1"));
        let wrong = parse("[\n  {\"SiteCode\": 5}\n]").unwrap_err().to_string();
        assert!(wrong.contains("line 2"), "{wrong}");
        assert!(parse("42").is_err());
    }
}
