//! Inputs as Windows writes them, live sources, absent and unreadable parts, and snapshots
//! that try to reach outside themselves.

use std::fs;

use crate::{json, path_str, sitelint, status, stderr, stdout};

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn live_sources_with_a_powershell_51_export_and_a_real_tree() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("UpdatePacks");
    let redist = pack.join("3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E/Redist");
    fs::create_dir_all(&redist).unwrap();
    fs::write(redist.join("SQLSysClrTypes.msi"), b"").unwrap();
    fs::write(redist.join("msodbcsql.msi"), b"MSI").unwrap();
    fs::write(pack.join("ConfigMgr.Update.Manifest.cab"), b"MSCF").unwrap();
    // One update: PowerShell 5.1 writes a bare object, UTF-16LE with a BOM, /Date()/ dates.
    let export = dir.path().join("updates.json");
    fs::write(&export, utf16le_bom("{\r\n    \"Name\":  \"Configuration Manager 2409\",\r\n    \"State\":  262146,\r\n    \"DateReleased\":  \"\\/Date(1733270400000)\\/\"\r\n}\r\n")).unwrap();
    let out = sitelint(&[
        "check",
        "--updatepack",
        path_str(&pack),
        "--console-updates",
        path_str(&export),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(status(&report, "target-version-not-ready"), "passed");
    assert_eq!(status(&report, "update-manifest-missing"), "passed");
    assert_eq!(status(&report, "redist-zero-byte-file"), "failed");
    assert_eq!(status(&report, "sct-redist-download-failed"), "not-evaluated");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "redist-zero-byte-file")
        .unwrap();
    assert_eq!(
        finding["subject"],
        "updatepack: 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E/Redist/SQLSysClrTypes.msi"
    );
}

#[test]
fn absent_parts_are_not_evaluated_never_passed_and_strict_fails_on_them() {
    let args = [
        "check",
        "--log",
        "rules/tests/sct-cab-no-telemetry/pass/ServiceConnectionTool.log",
        "--format",
        "json",
    ];
    let out = sitelint(&args);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(status(&report, "sct-cab-no-telemetry"), "passed");
    assert_eq!(status(&report, "setup-download-failed"), "not-evaluated");
    let not_evaluated: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["outcome"] == "not-evaluated")
        .collect();
    // One finding for each rule not evaluated.
    let rules_not_evaluated = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not-evaluated")
        .count();
    assert_eq!(not_evaluated.len(), rules_not_evaluated);
    assert!(
        not_evaluated
            .iter()
            .any(|f| f["message"] == "not evaluated: no log `ConfigMgrSetup.log` given (use --log)")
    );
    assert!(
        not_evaluated.iter().any(|f| f["message"]
            == "not evaluated: no endpoint allowlist or probe results given (use --endpoints-allowlist)")
    );
    let mut strict = args.to_vec();
    strict.push("--strict");
    assert_eq!(sitelint(&strict).status.code(), Some(1));
    let human = sitelint(&args[..3]);
    let summary = crate::summary_of(&report);
    assert!(summary.starts_with("0 errors, 1 warning, "), "{summary}");
    assert!(stdout(&human).ends_with(&format!("{summary}\n")), "{}", stdout(&human));
}

#[test]
fn an_unreadable_named_source_is_an_error_but_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("snapshot.yaml"),
        "sitelint_snapshot: 1\nlogs:\n  ConfigMgrSetup.log: logs/missing.log\n  ServiceConnectionTool.log: sct.log\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("sct.log"),
        "ERROR:CAB does not contain telemetry data.\r\n",
    )
    .unwrap();
    let out = sitelint(&["check", path_str(dir.path()), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read logs/missing.log"),
        "{}",
        stderr(&out)
    );
    let report = json(&out);
    assert_eq!(status(&report, "sct-cab-no-telemetry"), "failed");
    assert_eq!(status(&report, "setup-download-failed"), "not-evaluated");
}

#[test]
fn snapshot_paths_that_leave_the_snapshot_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("snapshot.yaml"), "sitelint_snapshot: 1\nlogs:\n  ConfigMgrSetup.log: ../../etc/passwd\nconsole:\n  updates: C:\\Users\\x\\updates.json\n").unwrap();
    let out = sitelint(&["check", path_str(dir.path()), "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("path `../../etc/passwd` points outside the snapshot"),
        "{err}"
    );
    assert!(err.contains("is absolute"), "{err}");
    assert!(err.contains("snapshot.yaml:3:"), "{err}");
}

#[test]
fn a_log_of_one_40_mb_line_and_multi_line_cmtrace_records() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("ServiceConnectionTool.log");
    let mut line = "x".repeat(20 << 20);
    line.push_str("ERROR:Failed to download Redists for 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E");
    line.push_str(&"y".repeat(20 << 20));
    fs::write(&big, line).unwrap();
    let cmtrace = dir.path().join("setup.log");
    fs::write(&cmtrace, "<![LOG[Setup downloader setupdl.exe: STARTED]LOG]!><time=\"15:10:00.000+300\" date=\"12-17-2024\" component=\"setupdl\" context=\"\" type=\"1\" thread=\"1\" file=\"\">\r\n<![LOG[retrying\r\nDownload() failed with 0x80072ee7]LOG]!><time=\"15:10:23.450+300\" date=\"12-17-2024\" component=\"setupdl\" context=\"\" type=\"3\" thread=\"1\" file=\"\">\r\n").unwrap();
    let log_arg = format!("ConfigMgrSetup.log={}", cmtrace.display());
    let out = sitelint(&[
        "check",
        "--log",
        path_str(&big),
        "--log",
        &log_arg,
        "--select",
        "tag:download",
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.len() < 20_000,
        "a long line is clipped, not printed whole ({} bytes)",
        text.len()
    );
    assert!(text.contains("the redistributables of update 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E did not download"));
    assert!(text.contains("0x80072EE7 (ERROR_WINHTTP_NAME_NOT_RESOLVED"), "{text}");
    // Redirected on Windows the report is drawn in ASCII, its own marks included.
    let separator = if cfg!(windows) { "-" } else { "·" };
    assert!(
        text.contains(&format!("setupdl {separator} 12-17-2024 15:10:23.450+300")),
        "{text}"
    );
    assert!(text.contains("setup.log:3:1]"), "{text}");
}

/// README step 5: a check of the console export alone shows its one result first and the
/// rules it could not run in one block, not as a diagnostic each; with `-v` rule by rule.
#[test]
fn rules_not_evaluated_are_listed_in_one_block_after_the_findings() {
    let args = [
        "check",
        "--console-updates",
        "examples/snapshots/site-server-after-import/console/updates.json",
        "--set",
        "target_version=2409",
    ];
    let out = sitelint(&[&args[..], &["-v"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let report = json(&sitelint(&[&args[..], &["--format", "json"]].concat()));
    let not_evaluated = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not-evaluated")
        .count();
    let diagnostic = text.find("target-version-not-ready").expect("the failure is shown");
    let block = text.find("not evaluated:\n").expect("one block of rules not evaluated");
    assert!(diagnostic < block, "{text}");
    let listed: Vec<&str> = text[block..].lines().skip(1).take_while(|l| !l.is_empty()).collect();
    // Rules under their step's heading; a reason wider than the terminal wraps onto lines of
    // its own, under the reasons.
    let rules = listed
        .iter()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .count();
    assert_eq!(rules, not_evaluated, "{text}");
    assert!(
        listed.contains(&"  download (internet machine, after Connect)"),
        "{text}"
    );
    assert!(
        listed.contains(&"    setup-download-failed               no log `ConfigMgrSetup.log` given (use --log)"),
        "{text}"
    );
    assert_eq!(
        text.matches("not evaluated").count(),
        2,
        "the block and the summary only: {text}"
    );
    assert!(text.ends_with(&format!("{}\n", crate::summary_of(&report))), "{text}");
}

/// The field reader once spoke of rules whatever it read: a manifest said "this rule has no".
#[test]
fn a_manifest_without_its_format_line_says_the_manifest_has_no_field() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("snapshot.yaml"),
        "logs:\n  ConfigMgrSetup.log: logs/ConfigMgrSetup.log\n",
    )
    .unwrap();
    let out = sitelint(&["check", path_str(dir.path()), "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("missing field `sitelint_snapshot`"), "{err}");
    assert!(err.contains("this manifest has no `sitelint_snapshot`"), "{err}");
    assert!(!err.contains("this rule"), "{err}");
}
