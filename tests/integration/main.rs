//! End-to-end tests of the `sitelint` binary on fixture snapshots.

mod cli;
mod cli_hardening;
mod cli_help;
mod collect;
mod collect_interrupted;
mod encodings;
mod first_runs;
mod first_steps;
mod fleet;

mod hostile;
mod inputs;
mod issue35;
mod kinds;
mod probe_results;
mod probes;
mod readme;
mod reports;
mod rule_files;
mod rule_tests;
mod sarif;
mod schema;
mod site_config_trust;
mod site_policy;
mod tls;
mod width;
#[cfg(windows)]
mod windows;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository, as the platform the tests run on names it: a cross-built Windows test
/// sees the Linux path it was built from as a path on the current drive.
pub fn root() -> PathBuf {
    std::path::absolute(env!("CARGO_MANIFEST_DIR")).expect("the repository has an absolute path")
}

/// `file:///home/a/`, `file:///C:/a/`: the URI of a directory, as SARIF bases are written.
pub fn directory_uri(dir: &Path) -> String {
    let path = dir.display().to_string().replace('\\', "/");
    let path = path.trim_end_matches('/');
    if path.starts_with('/') {
        format!("file://{path}/")
    } else {
        format!("file:///{path}/")
    }
}

/// Runs sitelint from the repository root, as a user would from a fresh clone.
pub fn sitelint(args: &[&str]) -> Output {
    sitelint_in(&root(), args)
}

/// Runs sitelint in `dir`, where a site keeps its sitelint.yaml.
pub fn sitelint_in(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitelint"));
    command
        .args(args)
        .current_dir(dir)
        // The reports must not depend on how the machine running the tests likes its colours.
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env_remove("TERM")
        .env("COLUMNS", "100");
    // Wine's CreateProcess now and then fails with ERROR_INTERNAL_ERROR (1359) on a loaded
    // machine, before sitelint has run at all: that start, and only that, is tried again.
    // What sitelint does once started is never retried.
    let mut attempt = 0;
    loop {
        match command.output() {
            Err(e) if e.raw_os_error() == Some(1359) && cfg!(windows) && attempt < 3 => attempt += 1,
            result => return result.expect("sitelint runs"),
        }
    }
}

/// `check ARGS --no-default-rules --rules RULES --format json` in `dir`: a check by the rules
/// of one file alone, as a site tries its own rules.
pub fn check_with_rules(dir: &Path, rules: &str, args: &[&str]) -> Output {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend(["--no-default-rules", "--rules", rules, "--format", "json"]);
    sitelint_in(dir, &all)
}

/// A copy of the failed-download example to change, as `snap` in a new temporary directory.
pub fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&root().join("examples/snapshots/failed-download"), &snap);
    (dir, snap)
}

/// Copies a directory tree, as a user copies a snapshot or a rules folder to change it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

/// The first finding of rule `id` in a JSON report.
pub fn finding<'r>(report: &'r serde_json::Value, id: &str) -> &'r serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == id)
        .unwrap_or_else(|| panic!("no finding of {id}: {report:#}"))
}

/// The status of one rule in a JSON report.
pub fn status(report: &serde_json::Value, id: &str) -> String {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("rule {id} not in report"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}
