//! `site-versions`: one finding per site of the hierarchy (`Get-CMSite`) left behind.
//!
//! - **What it checks**: with `expect: same-version` (before the upgrade), that every site
//!   runs the build of the newest one and none is failed (`Status` 3) or mid-upgrade (`Mode`
//!   3); with `expect: target` (after it), that every site runs the target's build, is active
//!   (`Status` 1) and not mid-upgrade.
//! - **Why**: an update installs at the top-level site and its child primaries; secondary
//!   sites are updated by hand, and a hierarchy left on two versions is unsupported.
//! - **Example rule**: `expect: target`, `target: "{target_version}"`.
//! - **Options**: `expect` (`same-version` or `target`), `target` (with `expect: target`).
//!   Built-in values: `{site}`, `{found}`, `{expected}`.

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::finding::Outcome;
use crate::readers::sites::{MODE_UPGRADING, STATUS_ACTIVE, Site};
use crate::target::{self, Target};

const VALUES: [&str; 3] = ["site", "found", "expected"];

const STATUS_FAILED: i64 = 3;

#[derive(Debug)]
enum Expect {
    SameVersion,
    Target(&'static Target),
}

#[derive(Debug)]
struct SiteVersions {
    expect: Expect,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let expect = f.required_string(
        "expect",
        "`same-version` (before the upgrade: every site on one build) or `target` (after it: every site on the target's build).",
    );
    f.values("expect", ["same-version", "target"]);
    let target = f.string(
        "target",
        "With `expect: target`, the version the sites must run, usually `target: \"{target_version}\"`.",
    );
    let expect = expect?;
    match expect.value.trim() {
        "same-version" => Some(Box::new(SiteVersions {
            expect: Expect::SameVersion,
        })),
        "target" => {
            let Some(text) = target else {
                f.missing("target", "give the version, e.g. `target: \"{target_version}\"`");
                return None;
            };
            let version = f.with_params(&text)?;
            match target::find(&version) {
                Some(found) => Some(Box::new(SiteVersions {
                    expect: Expect::Target(found),
                })),
                None => {
                    f.problem_with_help(
                        text.span,
                        format!("unknown target version `{version}`"),
                        "no data for it",
                        format!("known target versions: {}", target::known()),
                    );
                    None
                }
            }
        }
        other => {
            f.problem_with_help(
                expect.span.clone(),
                format!("unknown expectation `{other}`"),
                "not an expectation",
                "use `same-version` or `target`",
            );
            None
        }
    }
}

/// `5.00.9128.1000 (2403)`, or the build alone.
fn version_of(site: &Site) -> String {
    match (&site.version, site.build()) {
        (Some(version), _) => target::describe_full_version(version),
        (None, Some(build)) => format!("build {build}"),
        (None, None) => "no version".to_owned(),
    }
}

/// What is wrong with a site's state, whatever its version.
fn unsettled(site: &Site) -> Option<String> {
    if site.mode == Some(MODE_UPGRADING) {
        Some("is in the middle of an upgrade (Mode 3)".to_owned())
    } else if site.status == Some(STATUS_FAILED) {
        Some("has failed (Status 3)".to_owned())
    } else {
        None
    }
}

impl Check for SiteVersions {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Sites
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        match self.expect {
            Expect::SameVersion => {
                "Fails for each site of the hierarchy not on the newest site's build, failed or mid-upgrade.".to_owned()
            }
            Expect::Target(t) => format!(
                "Fails for each site of the hierarchy not on {}'s build, not active or mid-upgrade.",
                t.version
            ),
        }
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Sites(export) = input else {
            return Err(Mismatch::new("a sites export", input));
        };
        let (expected_build, expected) = match self.expect {
            Expect::SameVersion => {
                let newest = export.sites.iter().filter_map(Site::build).max();
                (
                    newest,
                    newest.map_or_else(String::new, |b| format!("build {b}, as the newest site")),
                )
            }
            Expect::Target(t) => {
                let Some(build) = t.build else {
                    out.rule_not_evaluated(format!(
                        "the build of {} is not in sitelint's data yet (see {}): the sites cannot be compared with it",
                        t.version, t.source
                    ));
                    return Ok(());
                };
                (Some(i64::from(build)), format!("build {build} ({}), active", t.version))
            }
        };
        for (position, site) in export.sites.iter().enumerate() {
            let label = site.label(position + 1);
            let behind = expected_build.is_some_and(|b| site.build().is_none_or(|s| s < b));
            let mut problems = Vec::new();
            if behind {
                problems.push(format!("runs {}", version_of(site)));
            }
            problems.extend(unsettled(site));
            if matches!(self.expect, Expect::Target(_))
                && site.status.is_some_and(|s| s != STATUS_ACTIVE && s != STATUS_FAILED)
            {
                problems.push(format!("is not active (Status {})", site.status.unwrap_or_default()));
            }
            if problems.is_empty() {
                continue;
            }
            let found = problems.join(", ");
            out.push(Emission {
                outcome: Outcome::Fail,
                subject: site.code.clone().unwrap_or_else(|| label.clone()),
                message: format!("site {label} {found}; expected {expected}"),
                values: values(&VALUES, [label, found, expected.clone()]),
                location: export.location.clone(),
                excerpt: None,
            });
        }
        Ok(())
    }
}
