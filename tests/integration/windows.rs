//! What only Windows does: drive letters and `\` in paths, names that match in any case, and
//! logs held open by the process still writing them. Runs in CI under Wine.

use std::fs;

use crate::{json, path_str, root, sitelint, stderr};

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
