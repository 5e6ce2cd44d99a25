//! Hostile and broken input: logs cut mid-write, snapshots from strangers that try to hang the
//! run, fill its memory, reach outside themselves or write to the terminal. Each test is a
//! regression test for something that once went wrong.

use std::fs;

use crate::{example_copy, json, path_str, root, sitelint, stderr, stdout};

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
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
    // The allowlist, on the internet machine; the console export, on the site server. Each
    // with the rule it feeds, and a rule of the rest of the snapshot and its result.
    for (example, part, said, its_rule, other) in [
        (
            "failed-download",
            "network/allowlist.txt",
            "it is 2.0 GiB, more than the 64.0 MiB such a file may have",
            "updates-and-servicing-endpoints",
            ("sct-redist-download-failed", "failed"),
        ),
        (
            "site-server-after-import",
            "console/updates.json",
            "it is 2.0 GiB",
            "target-version-not-ready",
            ("hman-manifest-not-trusted", "passed"),
        ),
    ] {
        let (_dir, snap) = crate::copy_of_example(example);
        let file = fs::File::create(snap.join(part)).unwrap();
        file.set_len(2 << 30).unwrap();
        let out = sitelint(&["check", path_str(&snap), "--format", "json"]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.contains(&format!("cannot read {part}: {said}")), "{err}");
        // The rest of the snapshot is still checked.
        let report = json(&out);
        assert_eq!(crate::status(&report, other.0), other.1, "{example}");
        assert_eq!(crate::status(&report, its_rule), "not-evaluated", "{example}");
    }
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
    let (_dir, snap) = crate::copy_of_example("site-server-after-import");
    let log = snap.join("logs/hman.log");
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
        err.contains("cannot read logs/hman.log: it is a FIFO, not a regular file"),
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

/// What must never reach a terminal raw: ESC (colours, clear screen, OSC 0 titles, OSC 8
/// links), BEL, backspace, DEL, the right-to-left override and the C1 CSI.
const RAW_CONTROLS: [char; 7] = ['\x1b', '\x07', '\x08', '\x7f', '\u{202e}', '\u{9b}', '\r'];

fn assert_no_raw_controls(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|c| RAW_CONTROLS.contains(c)) {
        panic!("{what} holds a raw {c:?}:\n{text}");
    }
}

const HOSTILE: &str =
    "\x1b[2J\x1b[31mPWNED\x1b]0;title\x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\x08\x7f\u{202e}gpj.exe\u{9b}1m\r";

#[test]
fn text_from_inputs_reaches_the_terminal_with_control_characters_made_visible() {
    let dir = tempfile::tempdir().unwrap();
    // A log line.
    let log = dir.path().join("ServiceConnectionTool.log");
    fs::write(
        &log,
        format!("ERROR:Failed to download redist for 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E {HOSTILE}\n"),
    )
    .unwrap();
    // A file name in a live tree, empty under Redist (a finding) and unreadable (an error).
    let pack = dir.path().join("pack");
    let redist = pack.join("3B7D/Redist");
    fs::create_dir_all(&redist).unwrap();
    fs::write(pack.join("ConfigMgr.Update.Manifest.cab"), b"MSCF").unwrap();
    // Windows refuses control characters in names, but takes the right-to-left override.
    let name = if cfg!(windows) {
        "\u{202e}gpj.exe".to_owned()
    } else {
        HOSTILE.replace(['/', '\\'], "_")
    };
    fs::write(redist.join(format!("{name}.msi")), b"").unwrap();
    // A proxy's status line, as collect stored it.
    let probes_snap = dir.path().join("probed");
    fs::create_dir_all(probes_snap.join("network")).unwrap();
    let probe = serde_json::json!([{
        "endpoint": "download.windowsupdate.com", "host": "download.windowsupdate.com", "port": 443,
        "reachable": false, "route": "proxy 127.0.0.1:3128",
        "detail": format!("proxy answered `418 {HOSTILE}`")
    }]);
    fs::write(probes_snap.join("network/probes.json"), probe.to_string()).unwrap();
    fs::write(
        probes_snap.join("snapshot.yaml"),
        "sitelint_snapshot: 1\nendpoints:\n  probes: network/probes.json\n",
    )
    .unwrap();

    let live = sitelint(&["check", "--log", path_str(&log), "--updatepack", path_str(&pack)]);
    let probed = sitelint(&["check", path_str(&probes_snap)]);
    for (what, out) in [("live check", &live), ("probes check", &probed)] {
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(out));
        assert_no_raw_controls(&format!("{what} stdout"), &stdout(out));
        assert_no_raw_controls(&format!("{what} stderr"), &stderr(out));
    }
    let shown = stdout(&live);
    // The log excerpt is clipped to the width: its start is enough to see the escapes shown.
    assert!(shown.contains(r"\x1b[2J\x1b[31m"), "{shown}");
    assert!(shown.contains(r"\u{202e}gpj.exe"), "{shown}");
    // The proxy's answer is longer than a line: wrapped at its spaces (the gutter, `|` in
    // ASCII, between), it is still all there.
    let answer = stdout(&probed)
        .split_whitespace()
        .filter(|w| *w != "│" && *w != "|")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(answer.contains(r"proxy answered `418 \x1b[2J"), "{answer}");

    // Machine-readable reports keep the text as it was.
    let out = sitelint(&[
        "check",
        "--log",
        path_str(&log),
        "--updatepack",
        path_str(&pack),
        "--format",
        "json",
    ]);
    let report = json(&out);
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains(&format!("{name}.msi"))),
        "{messages:?}"
    );

    // collect's warnings name the files it could not read.
    #[cfg(unix)]
    {
        let fifo = redist.join(format!("{name}.cab"));
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let out = sitelint(&[
            "collect",
            "--out",
            path_str(&dir.path().join("snap")),
            "--updatepack",
            path_str(&pack),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(r"\u{202e}gpj.exe\u{9b}1m\x0d.cab"),
            "{}",
            stderr(&out)
        );
        assert_no_raw_controls("collect stderr", &stderr(&out));
        assert_no_raw_controls("collect stdout", &stdout(&out));
    }
}

#[test]
fn a_manifest_with_control_characters_is_quoted_visibly_with_its_caret_in_place() {
    let dir = tempfile::tempdir().unwrap();
    // Raw escape sequences before the value the manifest refuses, on the same line.
    fs::write(
        dir.path().join("snapshot.yaml"),
        "sitelint_snapshot: 1\nlogs:\n  \"\x1b[2J\x1b]0;t\x07\": \"/etc/passwd\"\n",
    )
    .unwrap();
    let out = sitelint(&["check", path_str(dir.path()), "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_no_raw_controls("stderr", &err);
    assert!(err.contains(r"\x1b[2J\x1b]0;t\x07"), "{err}");
    // YAML refuses the raw ESC; the caret sits under it as shown (`\x1b`, four columns wide),
    // not shifted by the escapes.
    let lines: Vec<&str> = err.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("/etc/passwd\""))
        .expect("the quoted line");
    let chars_before = |line: &str, text: &str| line.find(text).map(|b| line[..b].chars().count());
    // Windows draws the underline in ASCII (`^^|^`) when stderr is redirected.
    let underline = lines[at + 1].chars().position(|c| c == '─' || c == '^');
    assert_eq!(underline, chars_before(lines[at], r"\x1b"), "{err}");
}
