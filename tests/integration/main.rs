//! End-to-end tests of the `sitelint` binary on fixture snapshots.

mod baseline_reports;
mod checklist;
mod cli;
mod cli_hardening;
mod cli_help;
mod collect;
mod collect_interrupted;
mod encodings;
mod first_runs;
mod first_screen;
mod first_steps;
mod fleet;

mod hostile;
mod inputs;
mod issue35;
mod kinds;
mod manifest_hashes;
mod named_sources;
mod one_cause;
mod probe_results;
mod probes;
mod readme;
mod real_corpus;
mod reports;
mod rule_files;
mod rule_tests;
mod sarif;
mod schema;
mod several_snapshots;
mod signed_files;
mod site_config_trust;
mod site_policy;
mod steps_keep;
mod tls;
mod whole_lines;
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
    copy_of_example("failed-download")
}

/// A copy of the example `examples/snapshots/NAME` to change, as `snap` in a new temporary
/// directory.
pub fn copy_of_example(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&root().join("examples/snapshots").join(name), &snap);
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

/// The built-in rule files and how many rules each holds, counted by the library: a test that
/// shows a count of the default ruleset takes it from here, so a new default rule changes no
/// test but its own.
pub fn default_rule_files() -> Vec<(String, usize)> {
    let rules = sitelint::rules::load(&sitelint::rules::default_sources(), &[]).expect("the default rules load");
    rules.files.iter().map(|f| (f.path.clone(), f.rules)).collect()
}

/// How many rules the default ruleset holds (the built-in waiver rules apart).
pub fn default_rule_count() -> usize {
    default_rule_files().iter().map(|(_, rules)| rules).sum()
}

/// The summary line a human report of the same run ends with, from the counts of its JSON
/// report (the JSON renderer counts what the human one does): a test of what a summary says
/// How many rules of `step` a JSON report leaves not evaluated for `reason`: what the terminal
/// counts on one line under the step, taken from the run itself rather than typed in.
pub fn not_evaluated_for(report: &serde_json::Value, step: &str, reason: &str) -> usize {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not-evaluated" && r["reason"] == reason)
        .filter(|r| {
            r["tags"]
                .as_array()
                .is_some_and(|t| t.first().is_some_and(|t| t == step))
        })
        .count()
}

/// compares with this, never with the totals of the default ruleset typed in.
pub fn summary_of(report: &serde_json::Value) -> String {
    let mut totals = sitelint::finding::Totals::default();
    for finding in report["findings"].as_array().unwrap() {
        let count = match (finding["outcome"].as_str(), finding["severity"].as_str()) {
            (Some("suppressed"), _) => &mut totals.suppressed,
            (Some("fail"), Some("error")) => &mut totals.errors,
            (Some("fail"), Some("warning")) => &mut totals.warnings,
            (Some("fail"), Some("note")) => &mut totals.notes,
            _ => continue,
        };
        *count += 1;
    }
    for rule in report["rules"].as_array().unwrap() {
        let omitted = usize::try_from(rule["omitted_findings"].as_u64().unwrap()).unwrap();
        let count = match (rule["omitted_suppressed"].as_bool(), rule["severity"].as_str()) {
            (Some(true), _) => &mut totals.suppressed,
            (_, Some("error")) => &mut totals.errors,
            (_, Some("warning")) => &mut totals.warnings,
            _ => &mut totals.notes,
        };
        *count += omitted;
        if rule["omitted_suppressed"] != true {
            totals.omitted += omitted;
        }
        match rule["status"].as_str() {
            Some("not-evaluated") => totals.not_evaluated += 1,
            Some("passed") if rule["kind"] != sitelint::finding::BUILT_IN_KIND => totals.passed += 1,
            _ => {}
        }
    }
    sitelint::report::human::summary(totals)
}

/// `summary_of` the same `check` run as JSON: the same arguments, `--format json` added.
pub fn summary_of_run(dir: &Path, args: &[&str]) -> String {
    let out = sitelint_in(dir, &[args, &["--format", "json"]].concat());
    summary_of(&json(&out))
}

/// The summary line of a check of several snapshots, from the counts each snapshot of its
/// JSON report holds.
pub fn fleet_summary_of(report: &serde_json::Value) -> String {
    let mut totals = sitelint::finding::Totals::default();
    for snapshot in report["snapshots"].as_array().unwrap() {
        let count = |key: &str| usize::try_from(snapshot["summary"][key].as_u64().unwrap()).unwrap();
        totals += sitelint::finding::Totals {
            errors: count("errors"),
            warnings: count("warnings"),
            notes: count("notes"),
            omitted: count("omitted"),
            not_evaluated: count("not_evaluated"),
            passed: count("passed"),
            suppressed: count("suppressed"),
        };
    }
    sitelint::report::human::summary(totals)
}

/// The rules of the snapshots of whole reports of the shipped examples: a frozen copy of a
/// few default rules instead of the default ruleset, so that a new default rule changes none
/// of them (a rule's own findings are judged by its cases under `rules/tests/`).
pub const FROZEN_RULES: [&str; 3] = [
    "--no-default-rules",
    "--rules",
    "tests/fixtures/reports/examples-rules.yaml",
];

/// `args` with [`FROZEN_RULES`] after them.
pub fn frozen(args: &[&'static str]) -> Vec<&'static str> {
    [args, &FROZEN_RULES[..]].concat()
}

/// Validates JUnit files against the committed schema (Jenkins' junit-10.xsd) with xmllint.
/// xmllint is beyond the Rust toolchain the README names, so its tests are `#[ignore]`d and
/// `.ci/run` installs it and runs them; run by hand without it, this says what is missing.
#[cfg(not(windows))]
pub fn xmllint_validates_junit(files: &[PathBuf]) {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(root().join("ci/junit/junit-10.xsd"))
        .args(files)
        .output()
        .expect("xmllint is not installed (Debian's libxml2-utils; .ci/run installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
