//! Issue 33: the target version's checklist, read from the site server's registry export. The
//! admin's site server of the issue (2303 preparing 2603, .NET 4.6.1, SQL Server Native Client
//! 11.3, Windows ADK 10.1.28000.1, Windows Server 2012 R2, a restart pending) passed
//! `--select tag:prerequisites` with exit 0.

use crate::{json, sitelint, status, stderr};

const ADMIN: &str = "tests/fixtures/kinds/target-requirement/fail/registry/site-server.reg";

fn prerequisites(registry: &str, target: &str) -> (Option<i32>, serde_json::Value) {
    let target = format!("target_version={target}");
    let out = sitelint(&[
        "check",
        "--registry",
        registry,
        "--set",
        &target,
        "--select",
        "tag:prerequisites",
        "--format",
        "json",
        "--no-config",
    ]);
    (out.status.code(), json(&out))
}

#[test]
fn the_admins_site_server_fails_each_checklist_item_of_2603() {
    let (code, report) = prerequisites(ADMIN, "2603");
    assert_eq!(code, Some(1));
    for id in [
        "site-upgrade-path",
        "site-dotnet-too-old",
        "site-dotnet-below-48",
        "site-windows-adk-unsupported",
        "site-server-os-unsupported",
        "site-restart-pending",
    ] {
        assert_eq!(status(&report, id), "failed", "{id}");
    }
    // 2603 no longer needs the Native Client; 2409 does, at 11.4.7001.0.
    assert_eq!(status(&report, "site-sql-native-client-too-old"), "passed");
    let (_, report) = prerequisites(ADMIN, "2409");
    assert_eq!(status(&report, "site-sql-native-client-too-old"), "failed");
    // Windows Server 2012 R2 still takes 2409.
    assert_eq!(status(&report, "site-server-os-unsupported"), "passed");
}

#[test]
fn a_target_sitelint_has_no_data_for_is_a_usage_error_naming_the_known_ones() {
    let out = sitelint(&[
        "check",
        "--registry",
        ADMIN,
        "--set",
        "target_version=2610",
        "--no-config",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains("unknown target_version `2610`"), "{said}");
    assert!(said.contains("2409, 2503, 2509, 2603, 2609"), "{said}");
}

/// A site already on the target passed its checklist in silence, as if it had been judged
/// ready for an upgrade it has had: it passes, and each rule's reason says it runs the target.
#[test]
fn a_site_already_on_the_target_passes_the_checklist_saying_so_and_never_hears_it_is_not_there_yet() {
    let registry = "tests/fixtures/kinds/target-requirement/already-on-target/registry/site-server.reg";
    let (code, report) = prerequisites(registry, "2509");
    assert_eq!(code, Some(0), "{report:#}");
    for rule in report["rules"].as_array().unwrap() {
        if rule["id"].as_str().unwrap().starts_with("site-") && rule["status"] != "disabled" {
            assert_eq!(rule["status"], "passed", "{rule}");
        }
    }
    let path = rule_of(&report, "site-upgrade-path");
    let reason = path["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("the site already runs 5.00.9141"), "{path}");
    assert!(
        reason.contains("at or past the target 2509: nothing left to upgrade"),
        "{path}"
    );
}

fn rule_of<'r>(report: &'r serde_json::Value, id: &str) -> &'r serde_json::Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

const POST_UPGRADE: [&str; 5] = [
    "cmupdate-not-finished",
    "cmupdate-stage-failed",
    "target-version-not-installed",
    "site-version-not-target",
    "sites-not-on-target",
];

/// The post-upgrade rules ran only with `--step post-upgrade`: a plain check of a site server
/// whose CMUpdate.log shows the upgrade ran left them not evaluated. They now judge once
/// CMUpdate.log shows the target's CMUpdate running, and say so; before the upgrade they wait,
/// saying for what, and fail nothing.
#[test]
fn the_post_upgrade_rules_judge_by_themselves_once_cmupdate_log_shows_the_upgrade_ran() {
    let check = |snapshot: &str, extra: &[&str]| {
        let mut args = vec!["check", snapshot, "--format", "json", "--no-config"];
        args.extend(extra);
        json(&sitelint(&args))
    };
    let after = check("examples/snapshots/site-server-after-upgrade", &[]);
    for id in POST_UPGRADE {
        let rule = rule_of(&after, id);
        assert_ne!(rule["status"], "not-evaluated", "{rule}");
        let reason = rule["reason"].as_str().unwrap_or_default();
        assert!(
            reason
                .starts_with("judged because CMUpdate.log:12 matches `Configuration Manager v5\\.00 \\(Build 9132\\)`"),
            "{rule}"
        );
    }
    assert_eq!(status(&after, "sites-not-on-target"), "failed");
    let before = check("examples/snapshots/site-server-before-upgrade", &[]);
    for id in POST_UPGRADE {
        let rule = rule_of(&before, id);
        assert_eq!(rule["status"], "not-evaluated", "{rule}");
        let reason = rule["reason"].as_str().unwrap();
        assert!(
            reason.contains("has no entry matching `Configuration Manager v5\\.00 \\(Build 9132\\)`"),
            "{reason}"
        );
        assert!(
            reason.ends_with("ask for it with --step post-upgrade (or --select tag:post-upgrade)"),
            "{reason}"
        );
    }
    // Asked for, they judge whatever the log shows, and say why.
    let asked = check(
        "examples/snapshots/site-server-before-upgrade",
        &["--step", "post-upgrade"],
    );
    let rule = rule_of(&asked, "site-version-not-target");
    assert_eq!(rule["status"], "failed", "{rule}");
    assert_eq!(
        rule["reason"],
        "judged because the run asks for it (--step post-upgrade)"
    );
    // 2603's build is not in sitelint's data: its run cannot be told, and the rules say so
    // rather than wait for a line no log can have.
    let unknown = check(
        "examples/snapshots/site-server-after-upgrade",
        &["--set", "target_version=2603"],
    );
    let reason = rule_of(&unknown, "cmupdate-not-finished")["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("no value for `{target_build}`"), "{reason}");
}

#[test]
fn the_connect_machines_registry_leaves_the_site_servers_checklist_not_evaluated() {
    let registry = "examples/snapshots/clean/registry/connect-machine.reg";
    let (code, report) = prerequisites(registry, "2409");
    assert_eq!(code, Some(0));
    assert_eq!(status(&report, "site-upgrade-path"), "not-evaluated");
}

/// After the upgrade: a `Full Version` still 2403's build, a stage with `IsComplete=4` and a
/// CMUpdate.log cut before the post-installation monitor all passed, as no step read them.
#[test]
fn after_the_upgrade_each_sign_of_an_unfinished_upgrade_fails_post_upgrade() {
    let post_upgrade = |args: &[&str]| {
        let mut all = vec!["check", "--step", "post-upgrade", "--format", "json", "--no-config"];
        all.extend(args);
        let out = sitelint(&all);
        (out.status.code(), json(&out))
    };
    let (code, report) = post_upgrade(&[
        "--registry",
        "rules/tests/site-version-not-target/fail/registry.reg",
        "--set",
        "target_version=2409",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&report, "site-version-not-target"), "failed");
    let (_, report) = post_upgrade(&["--log", "rules/tests/cmupdate-stage-failed/fail/CMUpdate.log"]);
    assert_eq!(status(&report, "cmupdate-stage-failed"), "failed");
    let (_, report) = post_upgrade(&["--log", "rules/tests/cmupdate-not-finished/fail/CMUpdate.log"]);
    assert_eq!(status(&report, "cmupdate-not-finished"), "failed");
}

/// Before the upgrade the same evidence means nothing is finished yet: a run that does not ask
/// for the post-upgrade step leaves its rules not evaluated, saying how to ask, and never
/// fails a site for not being on the target yet.
#[test]
fn a_run_that_does_not_ask_for_post_upgrade_leaves_it_not_evaluated() {
    let out = sitelint(&[
        "check",
        "--registry",
        "rules/tests/site-version-not-target/fail/registry.reg",
        "--select",
        "site-upgrade-path",
        "--select",
        "tag:upgrade",
        "--format",
        "json",
        "--no-config",
    ]);
    let report = json(&out);
    assert_eq!(status(&report, "site-upgrade-path"), "passed");
    let out = sitelint(&[
        "check",
        "--registry",
        "rules/tests/site-version-not-target/fail/registry.reg",
        "--format",
        "json",
        "--no-config",
    ]);
    let report = json(&out);
    assert_eq!(status(&report, "site-version-not-target"), "not-evaluated");
    let rule = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "site-version-not-target")
        .unwrap();
    assert!(
        rule["reason"].as_str().unwrap().contains("--step post-upgrade"),
        "{rule}"
    );
}

/// smsbkup.log was read by no rule: a backup that failed (access denied cleaning the backup
/// location) or one four days old gave nothing, and `--select tag:backup` matched no rule.
#[test]
fn a_failed_or_old_backup_fails_the_backup_step() {
    let backup = |case: &str, extra: &[&str]| {
        let snapshot = format!("rules/tests/backup-not-recent/{case}");
        let mut args = vec![
            "check",
            snapshot.as_str(),
            "--select",
            "tag:backup",
            "--format",
            "json",
            "--no-config",
        ];
        args.extend(extra);
        let out = sitelint(&args);
        (out.status.code(), json(&out))
    };
    let (code, report) = backup("fail-access-denied", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&report, "backup-not-recent"), "failed");
    let (code, report) = backup("fail", &[]);
    assert_eq!(code, Some(1));
    let message = crate::finding(&report, "backup-not-recent")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("97 hours before the snapshot was collected"),
        "{message}"
    );
    // The param moves the limit: four days pass with 100 hours.
    let (code, _) = backup("fail", &["--set", "backup_max_age_hours=100"]);
    assert_eq!(code, Some(0));
    let (code, report) = backup("pass", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(status(&report, "backup-warning"), "passed");
}

/// A secondary site left on 2403 (`Get-CMSite`) passed after the upgrade: no source read the
/// hierarchy's sites. The site left behind is named by its code.
#[test]
fn a_secondary_site_left_behind_fails_post_upgrade_by_its_code() {
    let out = sitelint(&[
        "check",
        "--sites",
        "rules/tests/sites-not-on-target/fail/sites.json",
        "--set",
        "target_version=2409",
        "--step",
        "post-upgrade",
        "--format",
        "json",
        "--no-config",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let finding = crate::finding(&report, "sites-not-on-target");
    assert_eq!(finding["subject"], "S01");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("runs 5.00.9128.1000 (2403)"),
        "{finding}"
    );
}

/// The shipped snapshots of a site server on either side of the upgrade check as the README
/// shows: before it the checklist and the backup pass; after it the secondary site left on
/// 2403 is named, and nothing else fails.
#[test]
fn the_example_site_server_snapshots_check_as_the_readme_shows() {
    let before = sitelint(&[
        "check",
        "examples/snapshots/site-server-before-upgrade",
        "--step",
        "prerequisites,backup",
        "--format",
        "json",
    ]);
    assert_eq!(before.status.code(), Some(0));
    let report = json(&before);
    for id in [
        "site-upgrade-path",
        "sites-same-version",
        "backup-not-recent",
        "backup-warning",
    ] {
        assert_eq!(status(&report, id), "passed", "{id}");
    }
    // After it, the post-upgrade rules judge without being asked: CMUpdate.log shows the run.
    // (The Connect machine's TLS rules read any registry export: left out, as the README does.)
    let after = sitelint(&[
        "check",
        "examples/snapshots/site-server-after-upgrade",
        "--ignore",
        "tag:connect-machine",
        "--format",
        "json",
    ]);
    assert_eq!(after.status.code(), Some(1));
    let report = json(&after);
    let failed: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "failed")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // The secondary site left behind, named by both the post-upgrade rule and the checklist's
    // "every site on the same version" (the next update's prerequisite).
    assert_eq!(failed, ["sites-not-on-target", "sites-same-version"]);
    assert_eq!(crate::finding(&report, "sites-not-on-target")["subject"], "S01");
}
