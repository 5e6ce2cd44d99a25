//! `sitelint collect` with real parts: a live tree rebuilt from the shipped example, loopback
//! listeners that accept and refuse, a CONNECT proxy in the test that answers 200, 403, 407,
//! 502 or nothing, an interrupted run, an existing target.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::{check_with_rules, json, path_str, root, sitelint, stderr, stdout};

const EXAMPLE: &str = "examples/snapshots/failed-download";

/// The failed-download example as it was on the internet machine: a live update pack (files
/// of the listed sizes, sparse), the two logs, the console export and the allowlist.
fn live_example(dir: &Path) -> Vec<String> {
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
        "console/updates.json",
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
        "--console-updates".into(),
        at("updates.json"),
        "--endpoints-allowlist".into(),
        at("allowlist.txt"),
        "--registry".into(),
        at("connect-machine.reg"),
    ]
}

fn run(args: &[String]) -> std::process::Output {
    sitelint(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn collect(out: &Path, sources: &[String], extra: &[&str]) -> std::process::Output {
    let mut args = vec!["collect".to_owned(), "--out".to_owned(), path_str(out).to_owned()];
    args.extend(sources.iter().cloned());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run(&args)
}

/// What a check found, without where: `(rule, outcome, subject, message)`, sorted.
fn found(report: &Value) -> Vec<(String, String, String, String)> {
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

fn check_json(target: &[String]) -> (Option<i32>, Value) {
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
        stdout(&collected).contains("tree updatepack (10 files, 1.1 GiB; listing 1"),
        "{}",
        stdout(&collected)
    );

    let (live_code, live) = check_json(&sources);
    let (snap_code, snap) = check_json(&[path_str(&out).to_owned()]);
    let (_, example) = check_json(&[EXAMPLE.to_owned()]);
    assert_eq!((live_code, snap_code), (Some(1), Some(1)));
    assert_eq!(found(&live), found(&snap));
    assert_eq!(
        found(&snap),
        found(&example),
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
fn leftovers(dir: &Path) -> Vec<String> {
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

#[cfg(unix)]
/// Starts `collect --hash` on a 4 GiB sparse file, so it is busy for seconds, with a bare
/// `--out snap` relative to `dir`, and waits until the partial snapshot exists.
fn start_long_collect(dir: &Path) -> std::process::Child {
    let pack = dir.join("pack/3B7D/Redist");
    fs::create_dir_all(&pack).unwrap();
    fs::File::create(pack.join("big.cab"))
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(["collect", "--out", "snap", "--hash", "--updatepack", "pack"])
        .current_dir(dir)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if leftovers(dir).iter().any(|n| n.starts_with(".snap.sitelint-partial-")) {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    thread::sleep(Duration::from_millis(200));
    child
}

#[cfg(unix)]
#[test]
fn a_killed_collect_leaves_no_snapshot_and_the_next_run_clears_what_it_left() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start_long_collect(dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    let out = dir.path().join("snap");
    assert!(!out.exists(), "no half snapshot at the target");
    let left = leftovers(dir.path());
    let partial = left
        .iter()
        .find(|n| n.starts_with(".snap.sitelint-partial-"))
        .expect("a partial snapshot");
    assert!(
        !dir.path().join(partial).join("snapshot.yaml").exists(),
        "and it is not a snapshot"
    );

    // The next run, with a bare --out like the killed one, clears what it left.
    let small = dir.path().join("small");
    fs::create_dir_all(&small).unwrap();
    fs::write(small.join("a.cab"), "MSCF").unwrap();
    let next = std::process::Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(["collect", "--out", "snap", "--updatepack", "small"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(next.status.code(), Some(0), "{}", stderr(&next));
    assert!(
        stderr(&next).contains(&format!("note: removed ./{partial}, left by an interrupted collect")),
        "{}",
        stderr(&next)
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_remove_the_partial_snapshot_before_exiting() {
    for signal in ["-INT", "-TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let child = start_long_collect(dir.path());
        let sent = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "{signal}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("interrupted: nothing was written"),
            "{}",
            stderr(&out)
        );
        assert!(!dir.path().join("snap").exists());
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "{signal}");
    }
}

/// A snapshot as `collect` writes it, at `at`, telling itself apart by its host.
fn fake_snapshot(at: &Path, host: &str) {
    fs::create_dir_all(at).unwrap();
    fs::write(
        at.join("snapshot.yaml"),
        format!("sitelint_snapshot: 1\nhost: {host}\n"),
    )
    .unwrap();
}

#[test]
fn a_force_run_killed_between_its_renames_is_put_right_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let sources = live_example(dir.path());
    let out = dir.path().join("snap");
    // Killed between the renames: the old snapshot is aside and the target is missing.
    fake_snapshot(&dir.path().join(".snap.sitelint-old-4000000-0"), "OLD");
    let restored = collect(&out, &sources, &[]);
    assert_eq!(
        restored.status.code(),
        Some(2),
        "the restored snapshot is not replaced without --force"
    );
    assert!(stderr(&restored).contains("note: restored"), "{}", stderr(&restored));
    assert!(stderr(&restored).contains("a collect --force that was replacing it was interrupted"));
    assert!(fs::read_to_string(out.join("snapshot.yaml")).unwrap().contains("OLD"));

    // Killed after the renames: the new snapshot is in place, the old one is removed.
    fake_snapshot(&dir.path().join(".snap.sitelint-old-4000001-0"), "OLDER");
    let forced = collect(&out, &sources, &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(stderr(&forced).contains("the snapshot an interrupted collect --force had already replaced"));
    assert!(!fs::read_to_string(out.join("snapshot.yaml")).unwrap().contains("OLD"));
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn the_files_of_a_run_still_going_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let sources = live_example(dir.path());
    let partial = dir.path().join(".snap.sitelint-partial-4000002-0");
    fs::create_dir_all(&partial).unwrap();
    let lock = fs::File::create(dir.path().join(".snap.sitelint-4000002-0.lock")).unwrap();
    lock.try_lock().unwrap();
    let out = collect(&dir.path().join("snap"), &sources, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(partial.is_dir(), "a live run's partial snapshot is not touched");
    drop(lock);
    let next = collect(&dir.path().join("snap"), &sources, &["--force"]);
    assert_eq!(next.status.code(), Some(0));
    assert!(!partial.exists(), "once its run has ended, it is cleared");
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

/// A loopback port that accepts connections, and one that refuses them.
fn open_and_closed_ports() -> (TcpListener, u16) {
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    (open, closed)
}

fn rules_file(dir: &Path, endpoints: &[String], probe_hosts: &str) -> PathBuf {
    let list: Vec<String> = endpoints.iter().map(|e| format!("'{e}'")).collect();
    let path = dir.join("endpoints.yaml");
    fs::write(
        &path,
        format!(
            "ruleset: probe-test\nrules:\n  - id: test-endpoints\n    title: Test endpoints\n    severity: error\n    kind: required-endpoints\n    endpoints: [{}]\n{probe_hosts}",
            list.join(", ")
        ),
    )
    .unwrap();
    path
}

fn probes(out: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&fs::read_to_string(out.join("network/probes.json")).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// `(endpoint, reachable, detail)` of each probe.
fn outcomes(out: &Path) -> Vec<(String, Value, String)> {
    probes(out)
        .iter()
        .map(|p| {
            let endpoint = p
                .get("endpoint")
                .or(p.get("host"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned();
            (
                endpoint,
                p["reachable"].clone(),
                p["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn direct_probes_tell_reached_refused_unresolved_and_unprobed_wildcards_apart() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("ServiceConnectionTool.log"),
        "Successfully downloaded redists for x\r\n",
    )
    .unwrap();
    let (open, closed) = open_and_closed_ports();
    let open_port = open.local_addr().unwrap().port();
    let endpoints = [
        format!("127.0.0.1:{open_port}"),
        format!("https://localhost:{closed}/"),
        "no-such-host.invalid".to_owned(),
        "*.example.test".to_owned(),
    ];
    let rules = rules_file(dir.path(), &endpoints, "");
    let out = dir.path().join("snap");
    let sources = [
        "--log".to_owned(),
        path_str(&dir.path().join("ServiceConnectionTool.log")).to_owned(),
    ];
    let collected = collect(
        &out,
        &sources,
        &[
            "--probe-endpoints",
            // TCP-level outcomes: these listeners speak no TLS (tests/integration/tls.rs does).
            "--no-tls",
            "--timeout",
            "3",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    assert!(
        stdout(&collected).contains("4 endpoint probes (1 reachable, 2 not, 1 not probed)"),
        "{}",
        stdout(&collected)
    );
    let results = outcomes(&out);
    assert_eq!(results[0].1, true);
    assert!(results[0].2.starts_with("connected to 127.0.0.1:"));
    assert_eq!(results[1].1, false);
    assert!(results[1].2.starts_with("connection refused"), "{}", results[1].2);
    assert!(
        results[2].2.starts_with("name not resolved: no-such-host.invalid"),
        "{}",
        results[2].2
    );
    assert_eq!(results[3].1, Value::Null);

    // The probes feed required-endpoints: two failures, the wildcard not evaluated.
    let report = json(&check_with_rules(&root(), path_str(&rules), &[path_str(&out)]));
    let outcomes: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["subject"].as_str().unwrap(), f["outcome"].as_str().unwrap()))
        .collect();
    let refused = format!("localhost:{closed}");
    assert_eq!(
        outcomes,
        [
            (refused.as_str(), "fail"),
            ("no-such-host.invalid", "fail"),
            ("*.example.test", "not-evaluated")
        ]
    );
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("its probe failed: connection refused")
    );
    drop(open);
}

/// A CONNECT proxy on loopback that answers by the host asked for, and wants a password for
/// `private.test`. Returns its port.
fn test_proxy() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || answer(stream));
        }
    });
    port
}

fn answer(mut stream: TcpStream) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request).into_owned();
    let target = request.split_whitespace().nth(1).unwrap_or("").to_owned();
    // "svc:s3cret!" in base64.
    let authorized = request.contains("Proxy-Authorization: Basic c3ZjOnMzY3JldCE=");
    let reply = match target.as_str() {
        "allowed.test:443" => "HTTP/1.1 200 Connection established\r\n\r\n",
        "blocked.test:443" => "HTTP/1.1 403 Forbidden\r\n\r\n",
        "down.test:443" => "HTTP/1.1 502 Bad Gateway\r\n\r\n",
        // Numbers in the right place, but not HTTP: not a tunnel.
        "garbage.test:443" => "garbage 200 yes\r\n\r\n",
        "cm.private.test:443" if authorized => "HTTP/1.1 200 Connection established\r\n\r\n",
        "cm.private.test:443" => "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
        _ => {
            // Silence: hold the connection without a word.
            thread::sleep(Duration::from_secs(10));
            return;
        }
    };
    let _ = stream.write_all(reply.as_bytes());
    thread::sleep(Duration::from_millis(200));
}

#[test]
fn probes_through_a_proxy_report_what_it_answered_and_never_write_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = format!("http://127.0.0.1:{}", test_proxy());
    let endpoints = [
        "allowed.test",
        "blocked.test",
        "down.test",
        "silent.test",
        "*.private.test",
        "garbage.test",
    ]
    .map(str::to_owned);
    let rules = rules_file(
        dir.path(),
        &endpoints,
        "    probe-hosts: {'*.private.test': cm.private.test}\n",
    );
    fs::write(dir.path().join("ServiceConnectionTool.log"), "x\r\n").unwrap();
    let sources = [
        "--log".to_owned(),
        path_str(&dir.path().join("ServiceConnectionTool.log")).to_owned(),
    ];
    let common = [
        "--probe-endpoints",
        // TCP-level outcomes: these listeners speak no TLS (tests/integration/tls.rs does).
        "--no-tls",
        "--proxy",
        &proxy,
        "--timeout",
        "1.5",
        "--no-default-rules",
        "--rules",
        path_str(&rules),
    ];

    let out = dir.path().join("anonymous");
    let started = std::time::Instant::now();
    assert_eq!(collect(&out, &sources, &common).status.code(), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "probes run at once, each bounded"
    );
    let details: Vec<(Value, String)> = outcomes(&out).into_iter().map(|(_, r, d)| (r, d)).collect();
    assert_eq!(details[0], (true.into(), "the proxy opened a tunnel (200)".to_owned()));
    assert!(details[1].1.starts_with("proxy answered 403 Forbidden"));
    assert!(details[2].1.starts_with("proxy answered 502 Bad Gateway"));
    assert_eq!(
        details[3],
        (false.into(), "timed out waiting for the proxy's answer".to_owned())
    );
    assert!(
        details[4]
            .1
            .starts_with("proxy answered 407 Proxy Authentication Required")
    );
    assert_eq!(probes(&out)[4]["host"], "cm.private.test");
    assert_eq!(
        details[5],
        (
            false.into(),
            "the proxy did not answer in HTTP: `garbage 200 yes`".to_owned()
        )
    );
    assert_eq!(probes(&out)[0]["route"], format!("proxy 127.0.0.1:{}", &proxy[17..]));

    let out = dir.path().join("authenticated");
    let mut args = vec!["collect", "--out", path_str(&out)];
    args.extend(sources.iter().map(String::as_str));
    args.extend(common);
    args.extend(["--proxy-user", "svc"]);
    let authenticated = std::process::Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(&args)
        .env("SITELINT_PROXY_PASSWORD", "s3cret!")
        .output()
        .unwrap();
    assert_eq!(authenticated.status.code(), Some(0), "{}", stderr(&authenticated));
    assert_eq!(outcomes(&out)[4].1, true);
    let mut written = String::from_utf8_lossy(&authenticated.stdout).into_owned() + &stderr(&authenticated);
    for file in ["snapshot.yaml", "network/probes.json"] {
        written += &fs::read_to_string(out.join(file)).unwrap();
    }
    assert!(
        !written.contains("s3cret") && !written.contains("c3ZjOnMzY3JldCE="),
        "{written}"
    );

    let without = collect(
        &dir.path().join("x"),
        &sources,
        &[&common[..], &["--proxy-user", "svc"]].concat(),
    );
    assert_eq!(without.status.code(), Some(2));
    assert!(stderr(&without).contains("SITELINT_PROXY_PASSWORD"));
}

#[test]
fn probing_alone_is_a_snapshot_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (open, _closed) = open_and_closed_ports();
    let endpoints = [format!("127.0.0.1:{}", open.local_addr().unwrap().port())];
    let rules = rules_file(dir.path(), &endpoints, "");
    let out = dir.path().join("probe-snap");
    let collected = collect(
        &out,
        &[],
        &[
            "--probe-endpoints",
            // TCP-level outcomes: these listeners speak no TLS (tests/integration/tls.rs does).
            "--no-tls",
            "--timeout",
            "3",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let mut files: Vec<String> = walk(&out);
    files.sort();
    assert_eq!(files, ["network/probes.json", "snapshot.yaml"]);
    assert_eq!(outcomes(&out)[0].1, true);
    drop(open);
}

/// The files under `dir`, relative, with `/`.
fn walk(dir: &Path) -> Vec<String> {
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

/// `check --format json` on a snapshot with the rules of `rules` alone: exit code and report.
fn check_with(out: &Path, rules: &Path) -> (Option<i32>, Value) {
    let checked = check_with_rules(&root(), path_str(rules), &[path_str(out)]);
    (checked.status.code(), json(&checked))
}

/// `(subject, outcome, message)` of each finding.
fn endpoint_findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap().to_owned();
            (text("subject"), text("outcome"), text("message"))
        })
        .collect()
}

#[test]
fn a_failed_probe_fails_an_endpoint_that_the_allowlist_allows_and_says_both() {
    let dir = tempfile::tempdir().unwrap();
    let (_, closed) = open_and_closed_ports();
    let allowlist = dir.path().join("allowlist.txt");
    fs::write(
        &allowlist,
        "# the proxy's list\ngo.microsoft.com\n*.manage.microsoft.com\n",
    )
    .unwrap();
    let rules = rules_file(
        dir.path(),
        &["go.microsoft.com".to_owned(), "*.manage.microsoft.com".to_owned()],
        "",
    );
    let out = dir.path().join("snap");
    // A proxy that is not there: nothing was reached, whatever the list claims.
    let proxy = format!("http://127.0.0.1:{closed}");
    let collected = collect(
        &out,
        &["--endpoints-allowlist".to_owned(), path_str(&allowlist).to_owned()],
        &[
            "--probe-endpoints",
            "--no-tls",
            "--proxy",
            &proxy,
            "--timeout",
            "3",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let (code, report) = check_with(&out, &rules);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        endpoint_findings(&report),
        [(
            "go.microsoft.com".to_owned(),
            "fail".to_owned(),
            format!(
                "go.microsoft.com is not reachable: the allowlist allows it (line 2), but its probe failed: cannot reach the proxy: connection refused (127.0.0.1:{closed}) (proxy 127.0.0.1:{closed})"
            )
        )],
        "the wildcard had no host to probe, so the allowlist's claim stands for it"
    );
}

#[test]
fn a_probe_counts_for_the_port_it_probed_and_messages_keep_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let (open, closed) = open_and_closed_ports();
    let open_port = open.local_addr().unwrap().port();
    let endpoints = [format!("localhost:{open_port}"), format!("localhost:{closed}")];
    let rules = rules_file(dir.path(), &endpoints, "");
    let out = dir.path().join("snap");
    let collected = collect(
        &out,
        &[],
        &[
            "--probe-endpoints",
            "--no-tls",
            "--timeout",
            "3",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let (code, report) = check_with(&out, &rules);
    assert_eq!(code, Some(1), "{report}");
    let findings = endpoint_findings(&report);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].0, format!("localhost:{closed}"));
    assert!(
        findings[0].2.starts_with(&format!(
            "localhost:{closed} is not reachable: its probe failed: connection refused"
        )),
        "{}",
        findings[0].2
    );
    drop(open);
}

/// Runs `collect` with at most `open_files` file descriptors (`ulimit -n`).
#[cfg(unix)]
fn collect_with_open_files(open_files: u32, out: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("sh")
        .args(["-c", "ulimit -n \"$0\" && exec \"$@\""])
        .arg(open_files.to_string())
        .arg(env!("CARGO_BIN_EXE_sitelint"))
        .args(["collect", "--out", path_str(out)])
        .args(args)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_probe_that_ran_out_of_file_descriptors_is_made_again_or_fails_the_collect() {
    let dir = tempfile::tempdir().unwrap();
    // They accept and never answer the handshake: each probe holds its socket for --timeout.
    let listeners: Vec<TcpListener> = (0..100).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let endpoints: Vec<String> = listeners
        .iter()
        .map(|l| format!("127.0.0.1:{}", l.local_addr().unwrap().port()))
        .collect();
    let rules = rules_file(dir.path(), &endpoints, "");
    let args = [
        "--probe-endpoints",
        "--timeout",
        "0.5",
        "--no-default-rules",
        "--rules",
        path_str(&rules),
    ];

    let out = dir.path().join("snap");
    let collected = collect_with_open_files(20, &out, &args);
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    assert!(
        stdout(&collected).contains("100 endpoint probes (100 reachable, 0 not, 0 not probed)"),
        "a local limit is no network result: {}",
        stdout(&collected)
    );
    assert!(
        stderr(&collected).contains("failed on this machine (Too many open files"),
        "{}",
        stderr(&collected)
    );

    // Not even one probe fits: the collect fails, naming the cause, and leaves nothing.
    let starved = dir.path().join("starved");
    let failed = collect_with_open_files(4, &starved, &args);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("failed on this machine, not on the network: Too many open files"),
        "{}",
        stderr(&failed)
    );
    assert!(!starved.exists());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    drop(listeners);
}

/// A server on loopback that, to a CONNECT, answers 200 and then, to anyone, sends the start
/// of a TLS record and one more byte of it every half second, for at most 30 s: a handshake
/// that never ends and never goes quiet. Returns its port.
fn trickling_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut first = [0u8; 7];
                if stream.read_exact(&mut first).is_err() {
                    return;
                }
                if &first == b"CONNECT" {
                    let mut request = Vec::new();
                    let mut byte = [0u8; 1];
                    while !request.ends_with(b"\r\n\r\n") && stream.read_exact(&mut byte).is_ok() {
                        request.push(byte[0]);
                    }
                    let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                }
                // A handshake record of 16 KB, of which one byte comes at a time.
                if stream.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]).is_err() {
                    return;
                }
                for _ in 0..60 {
                    thread::sleep(Duration::from_millis(500));
                    if stream.write_all(&[0x02]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn the_timeout_covers_the_whole_probe_even_a_handshake_that_trickles() {
    let dir = tempfile::tempdir().unwrap();
    let port = trickling_server();
    let rules = rules_file(dir.path(), &[format!("localhost:{port}")], "");
    let proxy = format!("http://127.0.0.1:{port}");
    for (name, extra) in [("direct", vec![]), ("tunnel", vec!["--proxy", proxy.as_str()])] {
        let out = dir.path().join(name);
        let mut args = vec![
            "--probe-endpoints",
            "--timeout",
            "2",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ];
        args.extend(extra);
        let started = std::time::Instant::now();
        let collected = collect(&out, &[], &args);
        let took = started.elapsed();
        assert_eq!(collected.status.code(), Some(0), "{name}: {}", stderr(&collected));
        assert!(
            took < Duration::from_secs(7),
            "{name}: the probe took {took:?} with --timeout 2"
        );
        let probe = &probes(&out)[0];
        assert_eq!(probe["reachable"], true, "{name}: {probe}");
        assert_eq!(
            probe["tls"]["handshake_error"], "timed out during the handshake",
            "{name}: {probe}"
        );
    }
}

/// Starts `collect --probe-endpoints --timeout 60` against a server that accepts and never
/// answers, with `--out snap` in `dir`, and waits until it is probing.
#[cfg(unix)]
fn start_long_probe(dir: &Path) -> std::process::Child {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    // Kept open (not accepted) until the test process ends.
    std::mem::forget(silent);
    let rules = rules_file(dir, &[format!("127.0.0.1:{port}")], "");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(["collect", "--out", "snap", "--probe-endpoints", "--timeout", "60"])
        .args(["--no-default-rules", "--rules", path_str(&rules)])
        .current_dir(dir)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if leftovers(dir).iter().any(|n| n.starts_with(".snap.sitelint-partial-")) {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    thread::sleep(Duration::from_millis(300));
    child
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_probing_at_once_and_clean_up() {
    // One signal, and two at once: either way nothing is left behind.
    for signals in [&["-INT"][..], &["-TERM"], &["-INT", "-INT"]] {
        let dir = tempfile::tempdir().unwrap();
        let child = start_long_probe(dir.path());
        let started = std::time::Instant::now();
        for signal in signals {
            let sent = std::process::Command::new("kill")
                .args([*signal, &child.id().to_string()])
                .status()
                .unwrap();
            assert!(sent.success());
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{signals:?}: took {:?}",
            started.elapsed()
        );
        assert_eq!(out.status.code(), Some(130), "{signals:?}: {}", stderr(&out));
        assert!(!dir.path().join("snap").exists());
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "{signals:?}");
    }
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
