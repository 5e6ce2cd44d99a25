//! What each target version of Configuration Manager requires of the site server, as data:
//! one entry per version `target_version` may name, each with the Microsoft page it is read
//! from. The checklist rules (`target-requirement`) judge a registry export against the entry
//! of the run's target; nothing else in sitelint knows these values.
//!
//! Values our sources do not give are left out (`None`), never guessed: a rule that needs one
//! is not evaluated, saying which value is missing.

use crate::document::diag::SetupError;

/// One target version's requirements.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// As `target_version` names it: `2409`.
    pub version: &'static str,
    /// The build its `Full Version` carries (`5.00.<build>.1000`); `None` while Microsoft's
    /// pages we read do not give it.
    pub build: Option<u32>,
    /// The oldest version it installs on, and that version's build.
    pub installs_on: (&'static str, u32),
    /// .NET Framework 4.x `Release` below which the prerequisite check fails (4.6.2).
    pub dotnet_error: u32,
    /// `Release` below which it warns (4.8).
    pub dotnet_warning: u32,
    /// Windows ADK versions it does not support, as version prefixes (`10.1.19041` stands for
    /// every build of that release).
    pub adk_unsupported: &'static [&'static str],
    /// The SQL Server Native Client 11 `InstalledVersion` it needs, or `None` when it no longer
    /// needs the client.
    pub sqlncli_min: Option<&'static str>,
    /// The oldest ODBC Driver 18 it accepts, when its checklist names one.
    pub odbc_min: Option<&'static str>,
    /// ODBC Driver 18 versions known to break it.
    pub odbc_bad: &'static [&'static str],
    /// The oldest site server OS build it installs on (`CurrentBuildNumber`).
    pub min_os_build: u32,
    /// Redistributables its pack no longer carries.
    pub drops_redists: &'static [&'static str],
    /// Where these values are read.
    pub source: &'static str,
}

/// .NET Framework 4.6.2 and 4.8 as the `Release` value gives them.
/// <https://learn.microsoft.com/dotnet/framework/migration-guide/how-to-determine-which-versions-are-installed>
const NET_462: u32 = 394_802;
const NET_48: u32 = 528_040;

/// Windows ADK releases 2503 and later do not support (the ADK support page:
/// <https://learn.microsoft.com/intune/configmgr/core/plan-design/configs/support-for-windows-adk>).
const ADK_UNSUPPORTED_FROM_2503: &[&str] = &["10.1.28000.1", "10.1.25398.1", "10.1.19041"];

/// ODBC Driver 18 versions that break a site: 18.6.1.1 always, and 18.7.1.1 on 2603 and
/// earlier (a known issue of the 2603 checklist), so for every target a site runs it on
/// after the upgrade up to 2603.
const ODBC_BAD_TO_2603: &[&str] = &["18.6.1.1", "18.7.1.1"];

/// Windows Server 2016: 2012 and 2012 R2 site servers block the upgrade to 2509 and later.
const SERVER_2016: u32 = 14_393;
/// Windows Server 2012, the oldest site server OS before that.
const SERVER_2012: u32 = 9_200;

/// Every target sitelint knows, oldest first.
pub const TARGETS: &[Target] = &[
    Target {
        version: "2409",
        build: Some(9132),
        installs_on: ("2303", 9106),
        dotnet_error: NET_462,
        dotnet_warning: NET_48,
        adk_unsupported: &[],
        sqlncli_min: Some("11.4.7001.0"),
        odbc_min: None,
        odbc_bad: ODBC_BAD_TO_2603,
        min_os_build: SERVER_2012,
        drops_redists: &[],
        source: "https://learn.microsoft.com/intune/configmgr/core/servers/manage/checklist-for-installing-update-2409",
    },
    Target {
        version: "2503",
        build: Some(9135),
        installs_on: ("2303", 9106),
        dotnet_error: NET_462,
        dotnet_warning: NET_48,
        adk_unsupported: ADK_UNSUPPORTED_FROM_2503,
        sqlncli_min: Some("11.4.7001.0"),
        odbc_min: Some("18.4.1.1"),
        odbc_bad: ODBC_BAD_TO_2603,
        min_os_build: SERVER_2012,
        drops_redists: &[],
        source: "https://learn.microsoft.com/intune/configmgr/core/servers/manage/checklist-for-installing-update-2503",
    },
    Target {
        version: "2509",
        build: Some(9141),
        // The newest revision of the checklist: from 2403 (an earlier one said 2303).
        installs_on: ("2403", 9128),
        dotnet_error: NET_462,
        dotnet_warning: NET_48,
        adk_unsupported: ADK_UNSUPPORTED_FROM_2503,
        sqlncli_min: Some("11.4.7001.0"),
        odbc_min: Some("18.4.1.1"),
        odbc_bad: ODBC_BAD_TO_2603,
        min_os_build: SERVER_2016,
        drops_redists: &[],
        source: "https://learn.microsoft.com/intune/configmgr/core/servers/manage/checklist-for-installing-update-2509",
    },
    Target {
        version: "2603",
        // Not published where we looked (2026-12-07): "What's new in version 2603" (revision
        // of 2026-08-05, https://learn.microsoft.com/intune/configmgr/core/plan-design/changes/whats-new-in-version-2603),
        // its checklist, KB 37426535 (the summary of changes) and the 2603 hotfix pages give
        // only the console's version (5.2603.1035.1200, KB 37942646), not the site's; the
        // version table of https://learn.microsoft.com/intune/configmgr/core/servers/manage/updates
        // as stored stops at 2503. The console's middle number is no site build: left unknown.
        // The same pages confirm the rest of this entry: "Apply this update on sites that run
        // version 2409 or later"; sqlncli.msi, SQLSysClrTypes.msi and SharedManagementObjects.msi
        // are no longer in the redistributables.
        build: None,
        installs_on: ("2409", 9132),
        dotnet_error: NET_462,
        dotnet_warning: NET_48,
        adk_unsupported: ADK_UNSUPPORTED_FROM_2503,
        sqlncli_min: None,
        odbc_min: None,
        odbc_bad: ODBC_BAD_TO_2603,
        min_os_build: SERVER_2016,
        drops_redists: &["sqlncli.msi", "SQLSysClrTypes.msi", "SharedManagementObjects.msi"],
        source: "https://learn.microsoft.com/intune/configmgr/core/servers/manage/checklist-for-installing-update-2603",
    },
    Target {
        version: "2609",
        // No page of Microsoft's for 2609 (What's new, checklist, hotfixes) was published where
        // we looked (2026-12-07): its build is unknown.
        build: None,
        installs_on: ("2503", 9135),
        dotnet_error: NET_462,
        dotnet_warning: NET_48,
        adk_unsupported: ADK_UNSUPPORTED_FROM_2503,
        // It installs the Microsoft OLE DB Driver itself.
        sqlncli_min: None,
        odbc_min: None,
        odbc_bad: &["18.6.1.1"],
        min_os_build: SERVER_2016,
        drops_redists: &["sqlncli.msi", "SQLSysClrTypes.msi", "SharedManagementObjects.msi"],
        source: "https://learn.microsoft.com/intune/configmgr/core/servers/manage/checklist-for-installing-update-2609",
    },
];

/// Site versions by build, to name a `Full Version` in words (from public build maps that
/// cite Microsoft's hotfix pages; `reference/target-versions.md`).
const VERSIONS: &[(u32, &str)] = &[
    (9078, "2203"),
    (9088, "2207"),
    (9096, "2211"),
    (9106, "2303"),
    (9122, "2309"),
    (9128, "2403"),
    (9132, "2409"),
    (9135, "2503"),
    (9141, "2509"),
];

/// The version a build is, when known: `9106` is `2303`.
pub fn version_of(build: u32) -> Option<&'static str> {
    VERSIONS.iter().find(|(b, _)| *b == build).map(|(_, v)| *v)
}

/// The build in a `Full Version` (`5.00.9106.1000` → 9106).
pub fn build_of(full_version: &str) -> Option<u32> {
    full_version.trim().split('.').nth(2)?.parse().ok()
}

/// `5.00.9106.1000 (2303)`, or the text alone for a build not in the map.
pub fn describe_full_version(full_version: &str) -> String {
    match build_of(full_version).and_then(version_of) {
        Some(version) => format!("{} ({version})", full_version.trim()),
        None => full_version.trim().to_owned(),
    }
}

/// The known target versions, comma-separated.
pub fn known() -> String {
    TARGETS.iter().map(|t| t.version).collect::<Vec<_>>().join(", ")
}

/// The entry of a target version.
pub fn find(version: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.version == version.trim())
}

/// The entry of the run's `target_version`; an unknown one is a usage error that lists the
/// known ones (a checklist judged against no data would pass without a word).
pub fn lookup(version: &str) -> Result<&'static Target, SetupError> {
    find(version).ok_or_else(|| {
        SetupError::with_help(
            format!("unknown target_version `{version}`: sitelint has no checklist for it"),
            format!("known target versions: {}", known()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_installs_on_a_version_with_a_known_build() {
        for target in TARGETS {
            let (version, build) = target.installs_on;
            assert_eq!(version_of(build), Some(version), "{}", target.version);
            if let Some(build) = target.build {
                assert_eq!(version_of(build), Some(target.version));
            }
            assert!(target.source.ends_with(target.version), "{}", target.source);
        }
    }

    /// From 2603 the pack no longer carries the SQL Native Client and its companions: no
    /// default rule may expect them, or every pack of 2603 would fail.
    #[test]
    fn no_default_rule_expects_a_redistributable_the_target_dropped() {
        for target in TARGETS.iter().filter(|t| !t.drops_redists.is_empty()) {
            let rules = crate::rules::load(&crate::rules::default_sources(), &[]).expect("the default rules load");
            // A rule expects a file by requiring it (`required-files`); a help naming the
            // files for older targets is no expectation.
            for rule in rules.rules.iter().filter(|r| r.kind == "required-files") {
                let required = &rule.definition;
                for dropped in target.drops_redists {
                    assert!(
                        !required.to_lowercase().contains(&dropped.to_lowercase()),
                        "{} expects {dropped}, which {} no longer ships",
                        rule.id,
                        target.version
                    );
                }
            }
        }
    }

    #[test]
    fn full_versions_read_as_builds_and_versions() {
        assert_eq!(build_of("5.00.9106.1000"), Some(9106));
        assert_eq!(describe_full_version("5.00.9132.1009"), "5.00.9132.1009 (2409)");
        assert_eq!(describe_full_version("garbage"), "garbage");
        let Err(SetupError::Message { message, help }) = lookup("2410") else {
            panic!("2410 is not a target");
        };
        assert!(message.contains("`2410`"), "{message}");
        assert_eq!(
            help.as_deref(),
            Some("known target versions: 2409, 2503, 2509, 2603, 2609")
        );
        assert_eq!(lookup(" 2603 ").unwrap().sqlncli_min, None);
    }
}
