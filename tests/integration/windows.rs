//! What only Windows does: drive letters and `\` in paths, names that match in any case, and
//! logs held open by the process still writing them. Runs in CI under Wine.

use std::fs;

use crate::{json, path_str, root, sitelint, stderr, stdout};

const EXAMPLE_LOG: &str = r"examples\snapshots\failed-download\logs\ConfigMgrSetup.log";

#[test]
fn backslash_paths_and_drive_letters_are_read_and_reported_with_slashes() {
    let out = sitelint(&["check", "--log", EXAMPLE_LOG, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "setup-download-failed")
        .expect("the log is found by its file name");
    assert_eq!(
        finding["location"]["path"],
        "examples/snapshots/failed-download/logs/ConfigMgrSetup.log"
    );

    // A live tree named by a drive-letter path.
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("UpdatePacks");
    fs::create_dir_all(pack.join(r"3B7D\Redist")).unwrap();
    fs::write(pack.join(r"3B7D\Redist\SQLSysClrTypes.msi"), b"").unwrap();
    let pack_text = path_str(&pack);
    assert!(
        pack_text.as_bytes()[1] == b':' && pack_text.contains('\\'),
        "{pack_text}"
    );
    let out = sitelint(&["check", "--updatepack", pack_text, "--format", "json"]);
    let report = json(&out);
    let empty = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "redist-zero-byte-file")
        .unwrap();
    let expected = format!("{}/3B7D/Redist/SQLSysClrTypes.msi", pack_text.replace('\\', "/"));
    assert_eq!(empty["location"]["path"], expected.as_str());

    // SARIF names it by an absolute file:///C:/ URI or relative to a declared base.
    let out = sitelint(&["check", "--updatepack", pack_text, "--format", "sarif"]);
    let mut uris = Vec::new();
    collect_uris(&json(&out), &mut uris);
    assert!(uris.iter().all(|u| !u.contains('\\')), "{uris:?}");
    assert!(
        uris.iter().any(|u| u.starts_with("file:///") && u.contains(":/")),
        "{uris:?}"
    );

    // The human report writes the path as Windows does.
    let out = sitelint(&["check", "--updatepack", pack_text]);
    assert!(crate::stdout(&out).contains(r"3B7D\Redist\SQLSysClrTypes.msi"));
}

#[test]
fn file_names_match_in_any_case() {
    let upper = root().join(EXAMPLE_LOG.to_uppercase());
    let out = sitelint(&["check", "--log", path_str(&upper), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(crate::status(&json(&out), "setup-download-failed"), "failed");

    // A manifest that names its parts in another case than the disk.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("Logs")).unwrap();
    fs::copy(root().join(EXAMPLE_LOG), dir.path().join(r"Logs\ConfigMgrSetup.log")).unwrap();
    fs::write(
        dir.path().join("snapshot.yaml"),
        "sitelint_snapshot: 1\nlogs:\n  CONFIGMGRSETUP.LOG: logs\\configmgrsetup.log\n",
    )
    .unwrap();
    let out = sitelint(&["check", path_str(dir.path()), "--format", "json"]);
    assert_eq!(crate::status(&json(&out), "setup-download-failed"), "failed");
}

#[test]
fn a_log_held_open_by_its_writer_is_checked_and_collected() {
    use std::io::Write;
    use std::os::windows::fs::OpenOptionsExt;
    const FILE_SHARE_READ: u32 = 1;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ServiceConnectionTool.log");
    // The writer lets others read but not write, as a logging tool does.
    let mut writer = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .share_mode(FILE_SHARE_READ)
        .open(&log)
        .unwrap();
    writer
        .write_all(b"ERROR:Failed to download redist for 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E\r\n")
        .unwrap();
    writer.flush().unwrap();

    let out = sitelint(&["check", "--log", path_str(&log), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(crate::status(&json(&out), "sct-redist-download-failed"), "failed");

    let snap = dir.path().join("snap");
    let out = sitelint(&["collect", "--out", path_str(&snap), "--log", path_str(&log)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        fs::read_to_string(snap.join(r"logs\ServiceConnectionTool.log"))
            .unwrap()
            .contains("3B7D84FA")
    );
    drop(writer);
}

fn collect_uris(value: &serde_json::Value, uris: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("uri", serde_json::Value::String(uri)) => uris.push(uri.clone()),
                    _ => collect_uris(value, uris),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_uris(v, uris)),
        _ => {}
    }
}

/// Sets a value with `reg add`, as an administrator would.
fn reg_add(key: &str, name: &str, data: u32) {
    let out = std::process::Command::new("reg")
        .args(["add", key, "/v", name, "/t", "REG_DWORD", "/d", &data.to_string(), "/f"])
        .output()
        .expect("reg.exe runs");
    assert!(
        out.status.success(),
        "reg add {key}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `collect --read-registry` reads what the rules name from the live registry (both views),
/// writes it as an export with the absent key recorded, and `check` on the snapshot passes
/// when the values are right and fails when one is wrong.
#[test]
fn read_registry_reads_what_the_rules_name_and_check_judges_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    fs::write(
        &rules,
        r"ruleset: live-registry
rules:
  - {id: native, title: t, severity: error, kind: required-registry-value, key: 'HKLM\SOFTWARE\SitelintTest\Native', value: Strong, equals: 1}
  - {id: wow64, title: t, severity: error, kind: required-registry-value, key: 'HKLM\SOFTWARE\WOW6432Node\SitelintTest\Wow', value: Strong, equals: 1}
  - {id: absent, title: t, severity: warning, kind: required-registry-value, key: 'HKLM\SOFTWARE\SitelintTest\Absent', value: X, equals: 1}
",
    )
    .unwrap();
    reg_add(r"HKLM\SOFTWARE\SitelintTest\Native", "Strong", 1);
    reg_add(r"HKLM\SOFTWARE\WOW6432Node\SitelintTest\Wow", "Strong", 1);
    let collect = |out: &std::path::Path| {
        let args = [
            "collect",
            "--out",
            path_str(out),
            "--read-registry",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
            "--force",
        ];
        let run = sitelint(&args);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        // The closing line names the live read apart from any export copied.
        assert!(
            stdout(&run).contains(": the live registry (3 values or keys) in "),
            "{}",
            stdout(&run)
        );
    };
    let check = |snapshot: &std::path::Path| {
        let run = sitelint(&[
            "check",
            path_str(snapshot),
            "--no-default-rules",
            "--rules",
            path_str(&rules),
            "--format",
            "json",
        ]);
        (run.status.code(), json(&run))
    };
    let right = dir.path().join("right");
    collect(&right);
    let (code, report) = check(&right);
    assert_eq!(code, Some(0), "{report}");
    let statuses: Vec<(String, String)> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [("absent", "failed"), ("native", "passed"), ("wow64", "passed")].map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let absent = &report["findings"][0];
    assert!(absent["message"].as_str().unwrap().contains("is absent"), "{absent}");

    reg_add(r"HKLM\SOFTWARE\WOW6432Node\SitelintTest\Wow", "Strong", 0);
    let wrong = dir.path().join("wrong");
    collect(&wrong);
    let (code, report) = check(&wrong);
    assert_eq!(code, Some(1), "{report}");
    let failed: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        [r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\SitelintTest\Wow: Strong is 0; it must be 1"]
    );
}
