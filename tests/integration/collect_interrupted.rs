//! `sitelint collect` stopped part way: killed, interrupted by SIGINT or SIGTERM, or killed
//! between the two renames of `--force`, and the run after it, which puts right what was left.
//! Killing by signal is tried on Unix only; a run left behind is put right everywhere.

use std::fs;
use std::path::Path;
#[cfg(unix)]
use std::thread;
#[cfg(unix)]
use std::time::Duration;

use crate::collect::{collect, leftovers, live_example};
use crate::stderr;

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
