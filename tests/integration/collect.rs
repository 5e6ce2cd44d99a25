//! `sitelint collect` with real parts: a live tree rebuilt from the shipped example, an
//! existing target, sources of the wrong type, unreadable entries.

use std::fs;
use std::path::Path;
use std::thread;

use serde_json::Value;

use crate::{json, path_str, root, sitelint, stderr, stdout};

pub(crate) const EXAMPLE: &str = "examples/snapshots/failed-download";

/// The failed-download example as it was on the internet machine: a live update pack (files
/// of the listed sizes, sparse), the two logs, the allowlist and the registry export.
pub(crate) fn live_example(dir: &Path) -> Vec<String> {
    let example = root().join(EXAMPLE);
    let pack = dir.join("UpdatePacks");
    for line in fs::read_to_string(example.join("trees/updatepack.jsonl"))
        .unwrap()
        .lines()
    {
        let entry: Value = serde_json::from_str(line).unwrap();
        let path = pack.join(entry["path"].as_str().unwrap());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::File::create(&path)
            .unwrap()
            .set_len(entry["size"].as_u64().unwrap())
            .unwrap();
    }
    for file in [
        "logs/ServiceConnectionTool.log",
        "logs/ConfigMgrSetup.log",
        "network/allowlist.txt",
        "registry/connect-machine.reg",
    ] {
        fs::copy(example.join(file), dir.join(Path::new(file).file_name().unwrap())).unwrap();
    }
    let at = |name: &str| path_str(&dir.join(name)).to_owned();
    vec![
        "--updatepack".into(),
        at("UpdatePacks"),
        "--log".into(),
        at("ServiceConnectionTool.log"),
        "--log".into(),
        at("ConfigMgrSetup.log"),
        "--endpoints-allowlist".into(),
        at("allowlist.txt"),
        "--registry".into(),
        at("connect-machine.reg"),
    ]
}

pub(crate) fn run(args: &[String]) -> std::process::Output {
    sitelint(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

pub(crate) fn collect(out: &Path, sources: &[String], extra: &[&str]) -> std::process::Output {
    let mut args = vec!["collect".to_owned(), "--out".to_owned(), path_str(out).to_owned()];
    args.extend(sources.iter().cloned());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run(&args)
}

/// What a check found, without where: `(rule, outcome, subject, message)`, sorted.
pub(crate) fn found(report: &Value) -> Vec<(String, String, String, String)> {
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap().to_owned();
            // A rule not evaluated says what was missing as the run was given it: `no log
            // given (use --log)` live, `snapshot.yaml has no log` in a snapshot.
            let message = if f["outcome"] == "not-evaluated" {
                String::new()
            } else {
                text("message")
            };
            (text("rule_id"), text("outcome"), text("subject"), message)
        })
        .collect();
    found.sort();
    found
}

pub(crate) fn check_json(target: &[String]) -> (Option<i32>, Value) {
    let mut args = vec!["check".to_owned()];
    args.extend(target.iter().cloned());
    args.extend(["--format".to_owned(), "json".to_owned()]);
    let out = run(&args);
    (out.status.code(), json(&out))
}

#[test]
fn a_collected_snapshot_finds_what_the_live_check_finds_and_survives_a_move() {
    let dir = tempfile::tempdir().unwrap();
    let sources = live_example(dir.path());
    let out = dir.path().join("snapshots/INETPC01");
    let collected = collect(&out, &sources, &[]);
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    assert!(
        stdout(&collected).contains("tree updatepack (10 files, 1.1 GiB; listing 2"),
        "{}",
        stdout(&collected)
    );

    let (live_code, live) = check_json(&sources);
    let (snap_code, snap) = check_json(&[path_str(&out).to_owned()]);
    let (_, example) = check_json(&[EXAMPLE.to_owned()]);
    assert_eq!((live_code, snap_code), (Some(1), Some(1)));
    assert_eq!(found(&live), found(&snap));
    // The shipped example's files are placeholders whose signatures and manifests were never
    // recorded (its listing says so in not-evaluated findings); the rebuilt files, zeros, are
    // examined and found to be no PE, cabinet or manifest. Every other rule finds the same.
    let without_signatures = |report: &Value| {
        let mut all = found(report);
        all.retain(|f| f.0 != "pack-file-signature-invalid" && f.0 != "pack-manifest-hash-mismatch");
        all
    };
    assert_eq!(
        without_signatures(&snap),
        without_signatures(&example),
        "the rebuilt example checks like the shipped one"
    );
    // Paths are relative to the snapshot: the listing line, the copied log.
    let paths: Vec<&str> = snap["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"trees/updatepack.jsonl") && paths.contains(&"logs/ConfigMgrSetup.log"),
        "{paths:?}"
    );

    // The manifest says what came from where; the listing holds no payload, only metadata.
    let manifest = fs::read_to_string(out.join("snapshot.yaml")).unwrap();
    assert!(manifest.contains("sitelint_snapshot: 1") && manifest.contains("tree hashes: 'none'"));
    assert!(manifest.contains(path_str(&dir.path().join("UpdatePacks"))));
    let listing = fs::read_to_string(out.join("trees/updatepack.jsonl")).unwrap();
    let first: Value = serde_json::from_str(listing.lines().next().unwrap()).unwrap();
    assert!(first["mtime"].as_str().unwrap().ends_with('Z'));

    // Moved (and the sources gone): the same report, byte for byte, but for its own path.
    let moved = tempfile::tempdir().unwrap().keep().join("evidence");
    fs::rename(&out, &moved).unwrap();
    fs::remove_dir_all(dir.path().join("UpdatePacks")).unwrap();
    let (moved_code, mut moved_report) = check_json(&[path_str(&moved).to_owned()]);
    assert_eq!(moved_code, Some(1));
    let mut snap = snap;
    snap["snapshot"]["path"] = Value::Null;
    moved_report["snapshot"]["path"] = Value::Null;
    assert_eq!(snap, moved_report);
    fs::remove_dir_all(moved.parent().unwrap()).unwrap();
}

#[test]
fn an_existing_target_is_kept_unless_forced_and_never_if_it_is_not_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let sources = live_example(dir.path());
    let out = dir.path().join("snap");
    assert_eq!(collect(&out, &sources, &[]).status.code(), Some(0));
    fs::write(out.join("marker"), "first").unwrap();

    let again = collect(&out, &sources, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    assert!(out.join("marker").exists(), "untouched without --force");

    // The marker is not collect's: --force does not delete it.
    let kept = collect(&out, &sources, &["--force"]);
    assert_eq!(kept.status.code(), Some(2));
    assert!(
        stderr(&kept).contains("it holds what collect did not write: `marker`"),
        "{}",
        stderr(&kept)
    );
    assert!(out.join("marker").exists());
    fs::remove_file(out.join("marker")).unwrap();
    let manifest = out.join("snapshot.yaml");
    fs::write(&manifest, fs::read_to_string(&manifest).unwrap() + "# the first run\n").unwrap();
    assert_eq!(collect(&out, &sources, &["--force"]).status.code(), Some(0));
    assert!(
        !fs::read_to_string(&manifest).unwrap().contains("the first run"),
        "replaced whole"
    );

    let precious = dir.path().join("precious");
    fs::create_dir(&precious).unwrap();
    fs::write(precious.join("notes.txt"), "keep").unwrap();
    let refused = collect(&precious, &sources, &["--force"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("is not a snapshot that collect wrote"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(fs::read_to_string(precious.join("notes.txt")).unwrap(), "keep");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn force_never_deletes_what_collect_did_not_write_nor_a_source_inside_out() {
    let dir = tempfile::tempdir().unwrap();
    let sources = live_example(dir.path());
    // A USB stick that holds the update pack and, beside it, a snapshot from an earlier run.
    let usb = dir.path().join("usb");
    let snapshot_here = collect(&usb, &sources, &[]);
    assert_eq!(snapshot_here.status.code(), Some(0), "{}", stderr(&snapshot_here));
    fs::rename(dir.path().join("UpdatePacks"), usb.join("UpdatePacks")).unwrap();
    let pack = usb.join("UpdatePacks");
    let pack_files = walk(&pack);
    assert_eq!(pack_files.len(), 10);

    let from_inside = collect(
        &usb,
        &["--updatepack".to_owned(), path_str(&pack).to_owned()],
        &["--force"],
    );
    assert_eq!(from_inside.status.code(), Some(2));
    assert!(
        stderr(&from_inside).contains(&format!(
            "the source {} is inside --out {}: collect never writes where it reads",
            path_str(&pack),
            path_str(&usb)
        )),
        "{}",
        stderr(&from_inside)
    );
    assert_eq!(walk(&pack), pack_files, "the pack is untouched");

    // The same stick, with the sources elsewhere: still not only a snapshot.
    let elsewhere = collect(&usb, &sources[2..], &["--force"]);
    assert_eq!(elsewhere.status.code(), Some(2));
    assert!(
        stderr(&elsewhere).contains("is not a snapshot that collect wrote: not replacing it (it holds what collect did not write: `UpdatePacks/`)"),
        "{}",
        stderr(&elsewhere)
    );
    assert_eq!(walk(&pack), pack_files, "the pack is untouched");
    assert!(usb.join("snapshot.yaml").is_file());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

/// Temporary directories `collect` left beside its targets.
pub(crate) fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".sitelint-"))
        .collect()
}

#[test]
fn a_missing_source_fails_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut sources = live_example(dir.path());
    sources.extend([
        "--log".to_owned(),
        path_str(&dir.path().join("C-ConfigMgrSetup.log")).to_owned(),
    ]);
    let out = dir.path().join("snap");
    let failed = collect(&out, &sources, &[]);
    assert_eq!(failed.status.code(), Some(2));
    assert!(stderr(&failed).contains("C-ConfigMgrSetup.log"), "{}", stderr(&failed));
    assert!(!out.exists());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn a_source_that_is_not_a_regular_file_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut sources = live_example(dir.path());
    sources.extend(["--log".to_owned(), path_str(dir.path()).to_owned()]);
    let out = dir.path().join("snap");
    let refused = collect(&out, &sources, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("it is a directory, not a regular file"),
        "{}",
        stderr(&refused)
    );
    assert!(!out.exists());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn a_snapshot_written_inside_the_tree_it_lists_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let sources = live_example(dir.path());
    let out = dir.path().join("UpdatePacks/snap");
    let collected = collect(&out, &sources, &[]);
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    assert!(
        stderr(&collected).contains("is inside tree `updatepack`"),
        "{}",
        stderr(&collected)
    );
}

#[cfg(unix)]
#[test]
fn entries_that_cannot_be_read_are_recorded_in_the_listing_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    fs::create_dir_all(pack.join("3B7D/Redist")).unwrap();
    fs::write(pack.join("3B7D/Redist/ok.cab"), "MSCF").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", pack.join("3B7D/Redist/away.cab")).unwrap();
    let out = dir.path().join("snap");
    let collected = collect(
        &out,
        &["--updatepack".to_owned(), path_str(&pack).to_owned()],
        &["--hash"],
    );
    assert_eq!(collected.status.code(), Some(0));
    assert!(
        fs::read_to_string(out.join("snapshot.yaml"))
            .unwrap()
            .contains("tree hashes: 'sha256'")
    );
    assert!(stderr(&collected).contains("`3B7D/Redist/away.cab` in tree `updatepack` could not be read"));
    let listing = fs::read_to_string(out.join("trees/updatepack.jsonl")).unwrap();
    let lines: Vec<&str> = listing.lines().collect();
    assert!(lines[0].contains("\"error\":\"a symbolic link to"), "{listing}");
    assert!(
        lines[1].contains("\"sha256\":\"a34a1566e1439ec0ae05ccb3938f6f92505fb776180713aec3c7c85f8262749c\""),
        "{listing}"
    );

    let checked = sitelint(&["check", path_str(&out), "--select", "redist-zero-byte-file"]);
    assert_eq!(checked.status.code(), Some(2), "an incomplete tree is not a clean pass");
    assert!(
        stderr(&checked).contains("trees/updatepack.jsonl:1: `3B7D/Redist/away.cab`"),
        "{}",
        stderr(&checked)
    );
}

#[test]
fn a_check_while_collect_force_replaces_the_snapshot_reads_one_whole_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let sources = live_example(dir.path());
    // Two runs that name different parts: a check that read one's manifest and the other's
    // parts would not find the log its manifest names.
    let runs = [
        vec![
            sources[0].clone(),
            sources[1].clone(),
            sources[2].clone(),
            sources[3].clone(),
        ],
        vec![
            sources[4].clone(),
            sources[5].clone(),
            sources[8].clone(),
            sources[9].clone(),
        ],
    ];
    let out = dir.path().join("snap");
    assert_eq!(collect(&out, &runs[0], &[]).status.code(), Some(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (out, done, started) = (out.clone(), done.clone(), started.clone());
            thread::spawn(move || {
                let mut failures = Vec::new();
                let mut checks = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let checked = sitelint(&["check", path_str(&out), "--format", "json"]);
                    checks += 1;
                    if !matches!(checked.status.code(), Some(0 | 1)) {
                        failures.push(stderr(&checked));
                    }
                }
                (checks, failures)
            })
        })
        .collect();
    // At least 30 replacements, and on until the readers have started enough checks to
    // overlap them: a loaded machine runs fewer checks per replacement, not a weaker test.
    let mut round = 0;
    while round < 30 || (started.load(std::sync::atomic::Ordering::Relaxed) < 12 && round < 600) {
        let forced = collect(&out, &runs[round % 2], &["--force"]);
        assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
        round += 1;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut checks = 0;
    for reader in readers {
        let (count, failures) = reader.join().unwrap();
        assert_eq!(failures, Vec::<String>::new(), "of {count} checks");
        checks += count;
    }
    assert!(checks >= 10, "only {checks} checks ran");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

/// The files under `dir`, relative, with `/`.
pub(crate) fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            found.extend(walk(&path).into_iter().map(|f| format!("{name}/{f}")));
        } else {
            found.push(name);
        }
    }
    found
}
