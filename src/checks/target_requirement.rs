//! `target-requirement`: one finding when the site server's registry does not meet one item of
//! the target version's checklist, as the target's entry in [`crate::target`] gives it.
//!
//! - **What it checks**: one `requirement` of the target named by `target`:
//!   - `upgrade-path`: `Full Version` under `HKLM\SOFTWARE\Microsoft\SMS\Setup` is a version
//!     the target installs on;
//!   - `dotnet` / `dotnet-recommended`: the .NET Framework 4.x `Release` is at least the
//!     target's minimum (4.6.2) / recommended (4.8) release;
//!   - `windows-adk`: the Windows ADK listed under the Uninstall keys is not one the target
//!     does not support;
//!   - `sql-native-client`: SQL Server Native Client 11 (`HKLM\SOFTWARE\Microsoft\SQLNCLI11`
//!     `InstalledVersion`, what the prerequisite check reads, else its Uninstall entry) is
//!     recent enough, when the target needs it;
//!   - `odbc-driver-18`: ODBC Driver 18 (`HKLM\SOFTWARE\Microsoft\MSODBCSQL18`
//!     `InstalledVersion`, else its Uninstall entry) is installed, recent enough and not a
//!     version known to break the target;
//!   - `site-server-os`: `CurrentBuildNumber` is a Windows Server the target installs on;
//!   - `no-pending-restart`: none of the keys and values that mark a pending restart;
//!   - `site-version` (after the upgrade): `Full Version` is the target's build.
//! - **Why**: these are the machine-checkable items of Microsoft's checklist for installing
//!   the update; each fails the prerequisite check, or the upgrade, hours into it.
//! - **Example rule**: `requirement: upgrade-path`, `target: "{target_version}"`.
//! - **Options**: `requirement` (above), `target` (a version [`crate::target::TARGETS`] knows,
//!   usually the param). Built-in values: `{target}`, `{found}`, `{expected}`.
//!
//! Before and after (DESIGN 17): the checklist judges the site before its upgrade, so a site
//! whose `Full Version` is already the target's build passes every item but `site-version`,
//! saying so (the rule's reason in the report: the site already runs the target), and no item
//! before the upgrade says "not on the target yet".

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::finding::{Location, Outcome};
use crate::readers::registry::{Data, Read, Registry, Value, Version, spelled_out};
use crate::target::{self, Target};

const VALUES: [&str; 3] = ["target", "found", "expected"];

const SMS_SETUP: &str = "HKLM\\SOFTWARE\\Microsoft\\SMS\\Setup";
const FULL_VERSION: &str = "Full Version";
const NET_FULL: &str = "HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full";
const SQLNCLI11: &str = "HKLM\\SOFTWARE\\Microsoft\\SQLNCLI11";
const MSODBCSQL18: &str = "HKLM\\SOFTWARE\\Microsoft\\MSODBCSQL18";
const INSTALLED_VERSION: &str = "InstalledVersion";
const CURRENT_VERSION: &str = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";

/// The Uninstall entries' `DisplayName`s of the ADK and of ODBC Driver 18. The ADK's add-on
/// (`Windows Assessment and Deployment Kit Windows Preinstallation Environment Add-ons`) is
/// another entry, versioned with it, so the name is matched whole.
const ADK_NAME: &str = "Windows Assessment and Deployment Kit";
const ODBC_NAME: &str = "Microsoft ODBC Driver 18 for SQL Server";
/// SQL Server Native Client 11's name in the Uninstall keys (the 2012 client that 11.4 updates).
const SNAC_NAME: &str = "Microsoft SQL Server 2012 Native Client";

/// Where Windows records a restart it waits for: keys whose presence says so, and values.
const RESTART_KEYS: &[&str] = &[
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending",
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired",
];
const RESTART_VALUES: &[(&str, &str)] = &[
    (
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager",
        "PendingFileRenameOperations",
    ),
    ("HKLM\\SOFTWARE\\Microsoft\\ServerManager", "CurrentRebootAttempts"),
];

/// The requirements, as rules name them.
const REQUIREMENTS: [&str; 9] = [
    "upgrade-path",
    "dotnet",
    "dotnet-recommended",
    "windows-adk",
    "sql-native-client",
    "odbc-driver-18",
    "site-server-os",
    "no-pending-restart",
    "site-version",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requirement {
    UpgradePath,
    Dotnet,
    DotnetRecommended,
    WindowsAdk,
    SqlNativeClient,
    OdbcDriver18,
    SiteServerOs,
    NoPendingRestart,
    SiteVersion,
}

impl Requirement {
    fn parse(name: &str) -> Option<(&'static str, Requirement)> {
        let all = [
            Requirement::UpgradePath,
            Requirement::Dotnet,
            Requirement::DotnetRecommended,
            Requirement::WindowsAdk,
            Requirement::SqlNativeClient,
            Requirement::OdbcDriver18,
            Requirement::SiteServerOs,
            Requirement::NoPendingRestart,
            Requirement::SiteVersion,
        ];
        REQUIREMENTS
            .iter()
            .position(|r| *r == name)
            .map(|i| (REQUIREMENTS[i], all[i]))
    }

    /// What the requirement reads, for `collect --read-registry`.
    fn reads(self) -> Vec<Read> {
        let value = |key: &str, value: &str| Read::Value {
            key: spelled_out(key),
            value: value.to_owned(),
        };
        let uninstall = || {
            super::required_installed_program::UNINSTALL_KEYS
                .iter()
                .map(|parent| Read::Subkeys {
                    parent: spelled_out(parent),
                    values: ["DisplayName", "DisplayVersion"].map(str::to_owned).to_vec(),
                })
                .collect::<Vec<_>>()
        };
        // Every item but the site's own version is judged against it: a site already on the
        // target has nothing left to check.
        let mut reads = vec![value(SMS_SETUP, FULL_VERSION)];
        match self {
            Requirement::UpgradePath | Requirement::SiteVersion => {}
            Requirement::Dotnet | Requirement::DotnetRecommended => reads.push(value(NET_FULL, "Release")),
            Requirement::WindowsAdk => reads.extend(uninstall()),
            Requirement::SqlNativeClient => {
                reads.push(value(SQLNCLI11, INSTALLED_VERSION));
                reads.extend(uninstall());
            }
            Requirement::OdbcDriver18 => {
                reads.push(value(MSODBCSQL18, INSTALLED_VERSION));
                reads.extend(uninstall());
            }
            Requirement::SiteServerOs => reads.push(value(CURRENT_VERSION, "CurrentBuildNumber")),
            Requirement::NoPendingRestart => {
                reads.extend(RESTART_KEYS.iter().map(|key| value(key, "")));
                reads.extend(RESTART_VALUES.iter().map(|(key, name)| value(key, name)));
            }
        }
        reads
    }
}

#[derive(Debug)]
struct TargetRequirement {
    /// As the rule names it.
    name: &'static str,
    requirement: Requirement,
    target: &'static Target,
    reads: Vec<Read>,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let requirement = f.required_string(
        "requirement",
        "The checklist item, e.g. `requirement: upgrade-path`: one of upgrade-path, dotnet, dotnet-recommended, windows-adk, sql-native-client, odbc-driver-18, site-server-os, no-pending-restart, site-version.",
    );
    f.values("requirement", REQUIREMENTS);
    let target = f.required_string(
        "target",
        "The version the site is updated to, usually the param: `target: \"{target_version}\"`.",
    );
    let requirement = requirement.and_then(|r| match Requirement::parse(r.value.trim()) {
        Some(requirement) => Some(requirement),
        None => {
            f.problem_with_help(
                r.span,
                format!("unknown requirement `{}`", r.value),
                "not a requirement",
                format!("use one of {}", REQUIREMENTS.join(", ")),
            );
            None
        }
    });
    let target = target.and_then(|t| {
        let version = f.with_params(&t)?;
        let found = target::find(&version);
        if found.is_none() {
            f.problem_with_help(
                t.span,
                format!("unknown target version `{version}`"),
                "no checklist for it",
                format!("known target versions: {}", target::known()),
            );
        }
        found
    });
    let (name, requirement) = requirement?;
    Some(Box::new(TargetRequirement {
        name,
        requirement,
        target: target?,
        reads: requirement.reads(),
    }))
}

/// The first value `name` under `key` that is given (not deleted), with its key's absence
/// told apart from the value's.
fn value<'r>(registry: &'r Registry, key: &str, name: &str) -> Option<&'r Value> {
    registry
        .values(key, name)
        .map(|(_, v)| v)
        .find(|v| v.data != Data::Deleted)
}

/// A value's text: a number as digits, text as written.
fn text(value: &Value) -> String {
    value
        .data
        .text()
        .map_or_else(|| value.data.to_string(), |t| t.trim().to_owned())
}

/// The `DisplayVersion` of the program of the Uninstall keys whose `DisplayName` is `name`
/// (`Some(None)` when it has none).
fn program<'r>(registry: &'r Registry, name: &str) -> Option<Option<&'r Value>> {
    super::required_installed_program::UNINSTALL_KEYS
        .iter()
        .flat_map(|parent| registry.subkeys(parent))
        .filter(|key| !key.absent)
        .find_map(|key| {
            let field = |n: &str| key.values.iter().find(|v| v.name.eq_ignore_ascii_case(n));
            let display = field("DisplayName")?;
            (display.data.text()?.trim().eq_ignore_ascii_case(name)).then(|| field("DisplayVersion"))
        })
}

/// What one item found wrong: its message, the value found, what was expected, and where.
struct Problem {
    message: String,
    found: String,
    expected: String,
    location: Location,
}

impl Problem {
    fn fail(message: String, found: String, expected: String, location: Location) -> Problem {
        Problem {
            message,
            found,
            expected,
            location,
        }
    }
}

impl TargetRequirement {
    fn whole(registry: &Registry) -> Location {
        registry
            .files
            .first()
            .cloned()
            .unwrap_or_else(|| Location::artifact("registry"))
    }

    /// A value the item needs that the export does not give.
    fn missing(&self, registry: &Registry, key: &str, name: &str, expected: String) -> Problem {
        let location = registry
            .keys(key)
            .next()
            .map_or_else(|| Self::whole(registry), |k| k.location.clone());
        let why = if registry.keys(key).any(|k| !k.absent) {
            format!("{} has no value {name}", spelled_out(key))
        } else {
            format!("key {} is not in the registry export", spelled_out(key))
        };
        Problem::fail(
            format!("{why}; {}", self.what_for(&expected)),
            "missing".to_owned(),
            expected,
            location,
        )
    }

    fn what_for(&self, expected: &str) -> String {
        format!("{} needs {expected}", self.target_name())
    }

    fn target_name(&self) -> String {
        format!("Configuration Manager {}", self.target.version)
    }

    /// A version value compared with a minimum and the versions that are not acceptable.
    fn version_at_least(&self, found: &Value, what: &str, min: Option<&str>, bad: &[&str]) -> Option<Problem> {
        let mut expected = what.to_owned();
        if let Some(min) = min {
            expected.push_str(&format!(" {min} or later"));
        }
        if !bad.is_empty() {
            expected.push_str(&format!(" other than {}", bad.join(" and ")));
        }
        let shown = text(found);
        let Some(version) = Version::of(&found.data) else {
            return Some(Problem::fail(
                format!(
                    "{what} is `{shown}`, which is not a version; {}",
                    self.what_for(&expected)
                ),
                shown,
                expected,
                found.location.clone(),
            ));
        };
        let too_old = min.and_then(Version::parse).is_some_and(|min| version < min);
        let broken = bad.iter().filter_map(|b| Version::parse(b)).any(|b| b == version);
        (too_old || broken).then(|| {
            let why = if broken {
                "a version known to break it"
            } else {
                "too old"
            };
            Problem::fail(
                format!("{what} is {shown} ({why}); {}", self.what_for(&expected)),
                shown,
                expected,
                found.location.clone(),
            )
        })
    }

    /// Why the export cannot answer for this item, if it cannot.
    fn unjudged(&self, registry: &Registry) -> Option<String> {
        // The Connect machine's export is given with `--registry` too, and the site server's
        // checklist says nothing of it: only an export with the site's Setup key is judged.
        if !registry.keys(SMS_SETUP).any(|k| !k.absent) {
            return Some(format!(
                "the registry export has no {SMS_SETUP}: it is not the site server's (export that key there with the others docs/guide.md lists)"
            ));
        }
        let uninstall = super::required_installed_program::UNINSTALL_KEYS;
        match self.requirement {
            Requirement::SiteVersion if self.target.build.is_none() => Some(format!(
                "the build of {} is not in sitelint's data yet (see {}): the site's Full Version cannot be compared with it",
                self.target.version, self.target.source
            )),
            // An export without the Uninstall keys says nothing about what is installed.
            Requirement::WindowsAdk
                if uninstall
                    .iter()
                    .all(|k| registry.keys(k).chain(registry.subkeys(k)).next().is_none()) =>
            {
                Some(format!(
                    "the registry export has no Uninstall key; export {} and {}",
                    spelled_out(uninstall[0]),
                    spelled_out(uninstall[1])
                ))
            }
            _ => None,
        }
    }

    /// What is wrong with the item, once [`Self::unjudged`] found the export can tell.
    fn judge(&self, registry: &Registry) -> Option<Problem> {
        let target = self.target;
        let full_version = value(registry, SMS_SETUP, FULL_VERSION);
        match self.requirement {
            // A site already on the target was passed before this, saying so (`on_target`).
            Requirement::SiteVersion => self.site_version(registry, full_version),
            Requirement::UpgradePath => self.upgrade_path(registry, full_version),
            Requirement::Dotnet | Requirement::DotnetRecommended => {
                let min = if self.requirement == Requirement::Dotnet {
                    target.dotnet_error
                } else {
                    target.dotnet_warning
                };
                let expected = format!(".NET Framework Release {min} or later");
                let Some(release) = value(registry, NET_FULL, "Release") else {
                    return Some(self.missing(registry, NET_FULL, "Release", expected));
                };
                let ok = release.data.number().is_some_and(|n| n >= u64::from(min));
                (!ok).then(|| {
                    Problem::fail(
                        format!(
                            ".NET Framework Release is {} (4.6.2 is 394802, 4.8 is 528040); {}",
                            text(release),
                            self.what_for(&expected)
                        ),
                        text(release),
                        expected,
                        release.location.clone(),
                    )
                })
            }
            Requirement::WindowsAdk => self.windows_adk(registry),
            Requirement::SqlNativeClient => {
                let min = target.sqlncli_min?;
                let expected = format!("SQL Server Native Client {min} or later");
                // What the prerequisite check reads, else the Uninstall entry, as for ODBC.
                let installed =
                    value(registry, SQLNCLI11, INSTALLED_VERSION).or_else(|| program(registry, SNAC_NAME).flatten());
                let Some(installed) = installed else {
                    return Some(self.missing(registry, SQLNCLI11, INSTALLED_VERSION, expected));
                };
                self.version_at_least(installed, "SQL Server Native Client", Some(min), &[])
            }
            Requirement::OdbcDriver18 => {
                let installed =
                    value(registry, MSODBCSQL18, INSTALLED_VERSION).or_else(|| program(registry, ODBC_NAME).flatten());
                let Some(installed) = installed else {
                    let expected = "ODBC Driver 18 for SQL Server".to_owned();
                    return Some(self.missing(registry, MSODBCSQL18, INSTALLED_VERSION, expected));
                };
                self.version_at_least(installed, "ODBC Driver 18", target.odbc_min, target.odbc_bad)
            }
            Requirement::SiteServerOs => {
                let min = target.min_os_build;
                let expected = format!("Windows Server build {min} or later");
                let Some(build) = value(registry, CURRENT_VERSION, "CurrentBuildNumber") else {
                    return Some(self.missing(registry, CURRENT_VERSION, "CurrentBuildNumber", expected));
                };
                let found = text(build);
                let ok = found.parse::<u32>().is_ok_and(|b| b >= min);
                (!ok).then(|| {
                    Problem::fail(
                        format!(
                            "the site server's CurrentBuildNumber is {found} ({}); {}",
                            windows_server(&found),
                            self.what_for(&expected)
                        ),
                        found,
                        expected,
                        build.location.clone(),
                    )
                })
            }
            Requirement::NoPendingRestart => Self::pending_restart(registry),
        }
    }

    /// The site's `Full Version` in words, when it is already the target's build or later:
    /// every checklist item but the site's own version has nothing left to judge.
    fn on_target(&self, registry: &Registry) -> Option<String> {
        let shown = value(registry, SMS_SETUP, FULL_VERSION).map(text)?;
        let build = target::build_of(&shown)?;
        let on_target = self.requirement != Requirement::SiteVersion && self.target.build.is_some_and(|t| build >= t);
        on_target.then(|| target::describe_full_version(&shown))
    }

    fn upgrade_path(&self, registry: &Registry, full_version: Option<&Value>) -> Option<Problem> {
        let (oldest, oldest_build) = self.target.installs_on;
        let expected = format!("{oldest} (5.00.{oldest_build}) or later");
        let Some(full_version) = full_version else {
            return Some(self.missing(registry, SMS_SETUP, FULL_VERSION, expected));
        };
        let shown = text(full_version);
        let ok = target::build_of(&shown).is_some_and(|b| b >= oldest_build);
        (!ok).then(|| {
            Problem::fail(
                format!(
                    "the site runs {}; {} installs only on {oldest} or later: update to {oldest} or later first",
                    target::describe_full_version(&shown),
                    self.target_name()
                ),
                shown,
                expected,
                full_version.location.clone(),
            )
        })
    }

    fn site_version(&self, registry: &Registry, full_version: Option<&Value>) -> Option<Problem> {
        let target = self.target;
        // `unjudged` leaves the rule not evaluated when the build is not known.
        let build = target.build?;
        let expected = format!("5.00.{build} ({})", target.version);
        let Some(full_version) = full_version else {
            return Some(self.missing(registry, SMS_SETUP, FULL_VERSION, expected));
        };
        let shown = text(full_version);
        let ok = target::build_of(&shown) == Some(build);
        (!ok).then(|| {
            Problem::fail(
                format!(
                    "the site server's Full Version is {}, not {}'s build 5.00.{build}",
                    target::describe_full_version(&shown),
                    target.version
                ),
                shown,
                expected,
                full_version.location.clone(),
            )
        })
    }

    fn windows_adk(&self, registry: &Registry) -> Option<Problem> {
        let unsupported = self.target.adk_unsupported;
        let expected = if unsupported.is_empty() {
            "a Windows ADK".to_owned()
        } else {
            format!("a Windows ADK other than {}", unsupported.join(", "))
        };
        let uninstall = super::required_installed_program::UNINSTALL_KEYS;
        // `unjudged` leaves the rule not evaluated without the Uninstall keys.
        let listed = uninstall
            .iter()
            .find_map(|k| registry.keys(k).chain(registry.subkeys(k)).next())?;
        let Some(version) = program(registry, ADK_NAME) else {
            return Some(Problem::fail(
                format!("no `{ADK_NAME}` in the Uninstall keys; {}", self.what_for(&expected)),
                "not installed".to_owned(),
                expected,
                listed.location.clone(),
            ));
        };
        let version = version?;
        let shown = text(version);
        // `10.1.19041` stands for every build of that release: compared part by part, not
        // as text, so `10.1.190410.1` is not taken for it.
        let matches = |prefix: &str| {
            let prefix: Vec<&str> = prefix.split('.').collect();
            let parts: Vec<&str> = shown.split('.').collect();
            parts.len() >= prefix.len() && parts.iter().zip(&prefix).all(|(a, b)| a.trim() == *b)
        };
        unsupported.iter().any(|p| matches(p)).then(|| {
            Problem::fail(
                format!(
                    "Windows ADK {shown} is installed, which {} does not support; install a supported ADK (see {})",
                    self.target_name(),
                    self.target.source
                ),
                shown.clone(),
                expected,
                version.location.clone(),
            )
        })
    }

    fn pending_restart(registry: &Registry) -> Option<Problem> {
        let expected = "no restart pending".to_owned();
        let key = RESTART_KEYS
            .iter()
            .find_map(|path| registry.keys(path).find(|k| !k.absent))
            .map(|k| (k.path.clone(), k.location.clone()));
        let value = RESTART_VALUES.iter().find_map(|(key, name)| {
            let value = value(registry, key, name)?;
            let pending = match &value.data {
                Data::Multi(items) => items.iter().any(|s| !s.trim().is_empty()),
                Data::Dword(_) | Data::Qword(_) => value.data.number() != Some(0),
                _ => true,
            };
            pending.then(|| (format!("{}\\{name}", spelled_out(key)), value.location.clone()))
        });
        let (found, location) = key.or(value)?;
        Some(Problem::fail(
            format!("{found} is present: a restart is pending; restart the site server before the upgrade"),
            found,
            expected,
            location,
        ))
    }
}

/// The Windows Server a `CurrentBuildNumber` is.
fn windows_server(build: &str) -> &'static str {
    match build {
        "9200" => "Windows Server 2012",
        "9600" => "Windows Server 2012 R2",
        "14393" => "Windows Server 2016",
        "17763" => "Windows Server 2019",
        "20348" => "Windows Server 2022",
        "26100" => "Windows Server 2025",
        _ => "an unknown build",
    }
}

impl Check for TargetRequirement {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Registry(&self.reads)
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        format!(
            "Fails unless the site server meets `{}` of the checklist for Configuration Manager {} ({}).",
            self.name, self.target.version, self.target.source
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Registry(registry) = input else {
            return Err(Mismatch::new("a registry export", input));
        };
        if let Some(reason) = self.unjudged(registry) {
            out.rule_not_evaluated(reason);
        } else if let Some(version) = self.on_target(registry) {
            // Passed, but never in silence: the upgrade this checklist prepares has happened.
            out.note(format!(
                "the site already runs {version}, at or past the target {}: nothing left to upgrade, so this checklist has nothing to judge",
                self.target.version
            ));
        } else if let Some(problem) = self.judge(registry) {
            out.push(Emission {
                outcome: Outcome::Fail,
                subject: format!("{} {}", self.target.version, problem.found),
                message: problem.message,
                values: values(
                    &VALUES,
                    [self.target.version.to_owned(), problem.found, problem.expected],
                ),
                location: problem.location,
                excerpt: None,
            });
        }
        Ok(())
    }
}
