//! Issue 17, the command line's part: a closed pipe, a report written over an input, a
//! stranger's sitelint.yaml, names that forge lines and ids that break layouts. Each test is a
//! regression test for something that once went wrong.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{json, path_str, sitelint_in, stderr, stdout};

const FORBIDDEN_RULE: &str = "ruleset: site
rules:
  - id: download-failed
    title: A download failed
    severity: error
    kind: forbidden-log-pattern
    log: ServiceConnectionTool.log
    pattern: 'ERROR:Failed to download (?P<package>\\w+)'
";

/// A snapshot whose one log fails `FORBIDDEN_RULE` on each of `lines` lines, with the rule
/// file beside it as `rules.yaml`.
fn failing_snapshot(dir: &Path, lines: usize) -> PathBuf {
    let snap = dir.join("snap");
    fs::create_dir_all(snap.join("logs")).unwrap();
    fs::write(
        snap.join("snapshot.yaml"),
        "sitelint_snapshot: 1\nlogs:\n  ServiceConnectionTool.log: logs/ServiceConnectionTool.log\n",
    )
    .unwrap();
    let log: String = (0..lines)
        .map(|i| format!("ERROR:Failed to download package{i:05} from the content delivery network\n"))
        .collect();
    fs::write(snap.join("logs/ServiceConnectionTool.log"), log).unwrap();
    fs::write(dir.join("rules.yaml"), FORBIDDEN_RULE).unwrap();
    snap
}

#[test]
fn a_closed_stdout_still_writes_every_report_file_and_keeps_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    failing_snapshot(dir.path(), 1000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .current_dir(dir.path())
        .args([
            "check",
            "snap",
            "--no-default-rules",
            "--no-config",
            "--rules",
            "rules.yaml",
            "--format",
            "human",
            "--format",
            "sarif=x.sarif",
            "--format",
            "json=x.json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -c 100`: read a little, then close the pipe while sitelint still writes.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the run's findings decide: {}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("x.json")).unwrap()).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1000);
    let sarif: serde_json::Value = serde_json::from_slice(&fs::read(dir.path().join("x.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1000);
}

#[test]
fn completions_into_a_closed_pipe_do_not_panic() {
    for _ in 0..20 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sitelint"))
            .args(["completions", "bash"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
    }
}
