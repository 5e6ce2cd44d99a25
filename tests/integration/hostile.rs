//! Hostile and broken input: logs cut mid-write, snapshots from strangers that try to hang the
//! run, fill its memory, reach outside themselves or write to the terminal. Each test is a
//! regression test for something that once went wrong.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{json, path_str, root, sitelint, stderr, stdout};

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// A copy of the failed-download example to spoil.
fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&root().join("examples/snapshots/failed-download"), &snap);
    (dir, snap)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_utf16_log_cut_inside_a_character_is_checked_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let example =
        fs::read_to_string(root().join("examples/snapshots/failed-download/logs/ConfigMgrSetup.log")).unwrap();
    let mut le = utf16le_bom(&example);
    le.pop();
    let mut be = vec![0xFE, 0xFF];
    be.extend(example.encode_utf16().flat_map(u16::to_be_bytes));
    be.pop();
    let mut lone_surrogate: Vec<u8> = example.encode_utf16().flat_map(u16::to_le_bytes).collect();
    lone_surrogate.extend([0x3D, 0xD8]);
    let cases: [(&str, &[u8]); 4] = [
        ("le.log", &le),
        ("be.log", &be),
        ("surrogate.log", &lone_surrogate),
        ("one-byte.log", b"\xff\xfeA"),
    ];
    for (name, bytes) in cases {
        let log = dir.path().join(name);
        fs::write(&log, bytes).unwrap();
        let sarif = dir.path().join(format!("{name}.sarif"));
        let out = sitelint(&[
            "check",
            "--log",
            &format!("ConfigMgrSetup.log={}", path_str(&log)),
            "--format",
            "json",
            "--format",
            &format!("sarif={}", path_str(&sarif)),
        ]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{name}: {}", stderr(&out));
        let report = json(&out);
        let setup_failed = report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "setup-download-failed")
            .unwrap();
        let expected = if name == "one-byte.log" { "passed" } else { "failed" };
        assert_eq!(setup_failed["status"], expected, "{name}");
        assert!(sarif.is_file(), "{name}: the SARIF report is written");
    }
}

#[test]
fn parts_read_whole_are_refused_over_their_limit_before_reading() {
    let (_dir, snap) = example_copy();
    for part in ["network/allowlist.txt", "console/updates.json"] {
        let file = fs::File::create(snap.join(part)).unwrap();
        file.set_len(2 << 30).unwrap();
    }
    let out = sitelint(&["check", path_str(&snap), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read network/allowlist.txt: it is 2.0 GiB, more than the 64.0 MiB such a file may have"),
        "{err}"
    );
    assert!(err.contains("cannot read console/updates.json: it is 2.0 GiB"), "{err}");
    // The rest of the snapshot is still checked.
    let report = json(&out);
    assert_eq!(crate::status(&report, "sct-redist-download-failed"), "failed");
    assert_eq!(crate::status(&report, "target-version-not-ready"), "not-evaluated");
}

#[test]
fn a_listing_of_one_endless_line_is_refused_with_its_line() {
    let (_dir, snap) = example_copy();
    let listing = snap.join("trees/updatepack.jsonl");
    let file = fs::OpenOptions::new().append(true).open(&listing).unwrap();
    let lines = fs::read_to_string(&listing).unwrap().lines().count();
    file.set_len(2 << 30).unwrap();
    let out = sitelint(&["check", path_str(&snap)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "trees/updatepack.jsonl:{}: the line is longer than 1.0 MiB; not a listing entry",
            lines + 1
        )),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_as_parts_are_refused_at_once() {
    let (_dir, snap) = example_copy();
    let log = snap.join("logs/ConfigMgrSetup.log");
    fs::remove_file(&log).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&log)
            .status()
            .unwrap()
            .success()
    );
    // A character device like /dev/zero, inside the snapshot (CI runs as root, as mknod needs).
    let console = snap.join("console/updates.json");
    fs::remove_file(&console).unwrap();
    let made = std::process::Command::new("mknod")
        .arg(&console)
        .args(["c", "1", "5"])
        .status()
        .unwrap();
    assert!(made.success(), "mknod needs root");
    let started = std::time::Instant::now();
    let out = sitelint(&["check", path_str(&snap)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read logs/ConfigMgrSetup.log: it is a FIFO, not a regular file"),
        "{err}"
    );
    assert!(
        err.contains("cannot read console/updates.json: it is a device, not a regular file"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn a_manifest_cannot_name_a_live_directory() {
    let (_dir, snap) = example_copy();
    let manifest = snap.join("snapshot.yaml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        text.replace("{listing: trees/updatepack.jsonl}", "{path: ../../..}"),
    )
    .unwrap();
    let out = sitelint(&["check", path_str(&snap)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("tree `updatepack` names a live directory; a snapshot only holds listings"),
        "{err}"
    );
    assert!(err.contains("snapshot.yaml:5:16"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[cfg(unix)]
#[test]
fn a_manifest_that_links_outside_the_snapshot_is_not_read() {
    let (dir, snap) = example_copy();
    let elsewhere = dir.path().join("elsewhere.yaml");
    fs::rename(snap.join("snapshot.yaml"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, snap.join("snapshot.yaml")).unwrap();
    let out = sitelint(&["check", path_str(&snap)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("snapshot.yaml is a link to a file outside the snapshot: not read"),
        "{}",
        stderr(&out)
    );
}
