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
    assert_eq!(
        out.status.code(),
        Some(1),
        "the run's findings decide: {}",
        stderr(&out)
    );
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

/// One site rule of `id`, with the snapshot it runs on.
fn site_rule(dir: &Path, id: &str) -> PathBuf {
    let path = dir.join("site.yaml");
    fs::write(
        &path,
        format!("ruleset: site\nrules:\n  - id: {id}\n    title: t\n    severity: error\n    kind: zero-byte-files\n    tree: updatepack\n"),
    )
    .unwrap();
    path
}

#[test]
fn a_built_in_rule_id_is_reserved() {
    let dir = tempfile::tempdir().unwrap();
    let rules = site_rule(dir.path(), "waiver-unused");
    let out = sitelint_in(
        dir.path(),
        &["rules", "list", "--no-config", "--rules", path_str(&rules)],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("rule id `waiver-unused` is reserved"), "{err}");
    assert!(err.contains("site.yaml:3:9"), "at its place: {err}");
}

#[test]
fn a_rule_id_past_the_limit_is_a_rule_file_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let rules = site_rule(dir.path(), &"a".repeat(65_536));
    for args in [
        &["rules", "list", "--no-config", "--rules", path_str(&rules)][..],
        &["check", "--no-config", "--rules", path_str(&rules), "--updatepack", "."][..],
    ] {
        let out = sitelint_in(dir.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("rule id is 65536 bytes long"), "{err}");
        assert!(err.contains("at most 128 bytes"), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn a_rule_file_in_a_directory_that_cannot_be_read_is_an_error_as_when_named() {
    type Make = fn(&Path);
    let cases: [(&str, Make); 3] = [
        ("dangling.yaml", |p| {
            std::os::unix::fs::symlink("/nonexistent/site.yaml", p).unwrap()
        }),
        ("loop.yaml", |p| std::os::unix::fs::symlink(p, p).unwrap()),
        ("fifo.yaml", |p| {
            let made = Command::new("mkfifo").arg(p).status().unwrap();
            assert!(made.success());
        }),
    ];
    for (name, make) in cases {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        fs::create_dir(&rules).unwrap();
        site_rule(&rules, "site-rule");
        make(&rules.join(name));
        let out = sitelint_in(dir.path(), &["rules", "list", "--no-config", "--rules", "rules"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stdout(&out));
        assert!(err.contains(&format!("cannot read rule file rules/{name}")), "{err}");
    }
    // A device, by a link to one.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/null", dir.path().join("null.yaml")).unwrap();
    let out = sitelint_in(dir.path(), &["rules", "list", "--no-config", "--rules", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("null.yaml: it is a device"), "{}", stderr(&out));
}

#[test]
fn a_message_that_would_repeat_a_whole_log_line_is_cut_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let snap = failing_snapshot(dir.path(), 0);
    let line = format!("ERROR:Failed to download {}\n", "x".repeat(300_000));
    fs::write(snap.join("logs/ServiceConnectionTool.log"), line).unwrap();
    let rule = FORBIDDEN_RULE.replace("(?P<package>\\w+)'", "(?P<package>\\w+)'\n    message: '{}'\n");
    fs::write(
        dir.path().join("rules.yaml"),
        rule.replace("{}", &"{package}".repeat(100)),
    )
    .unwrap();
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            "snap",
            "--no-default-rules",
            "--no-config",
            "--rules",
            "rules.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = json(&out)["findings"][0]["message"].as_str().unwrap().to_owned();
    assert!(message.len() < 9 * 1024, "{} bytes", message.len());
    assert!(
        message.ends_with("xxx [message cut at 8 KiB]"),
        "{}",
        &message[message.len() - 40..]
    );
}

// Windows file names hold no control characters.
#[cfg(unix)]
#[test]
fn a_case_directory_named_with_a_newline_cannot_forge_an_ok_line() {
    let dir = tempfile::tempdir().unwrap();
    crate::copy_dir(&crate::root().join("examples/site-rules"), dir.path());
    let cases = dir.path().join("tests/contoso-odbc-redist-present");
    // The case fails (it expects a pass); its name tries to print an `ok` line after its own.
    fs::write(cases.join("missing/expect.yaml"), "outcome: pass\n").unwrap();
    let forged = "missing\nok    every-rule-passed";
    fs::rename(cases.join("missing"), cases.join(forged)).unwrap();
    let out = sitelint_in(dir.path(), &["test", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("FAIL  contoso-odbc-redist-present/missing\\nok    every-rule-passed\n"),
        "{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("ok    every-rule-passed")),
        "{text}"
    );
    assert!(text.ends_with("5 passed, 1 failed\n"), "{text}");
}

/// `count` waivers in force of the clean example's zero-byte rule, none of which can match.
fn unused_waivers(count: usize) -> String {
    let mut config = String::from("waivers:\n");
    for i in 0..count {
        config.push_str(&format!(
            "  - {{rule: redist-zero-byte-file, subject: 'nothing-{i}', reason: r, owner: o, expires: 2099-12-31}}\n"
        ));
    }
    config
}

#[test]
fn unused_waivers_obey_the_per_rule_cap() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sitelint.yaml"), unused_waivers(1500)).unwrap();
    crate::copy_dir(
        &crate::root().join("examples/snapshots/clean"),
        &dir.path().join("snap"),
    );
    let out = sitelint_in(dir.path(), &["check", "snap", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let unused = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "waiver-unused");
    assert_eq!(unused.count(), 1000);
    let rule = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "waiver-unused")
        .unwrap();
    assert_eq!(rule["omitted_findings"], 500, "{rule:#}");
    let out = sitelint_in(dir.path(), &["check", "snap", "-q"]);
    assert_eq!(
        stdout(&out),
        "0 errors, 1500 warnings, 15 rules not evaluated, 30 rules passed (1000 of 1500 problems shown); config sitelint.yaml\n"
    );
}

#[test]
fn a_waiver_finding_names_no_absolute_path_and_keeps_its_fingerprint_wherever_sitelint_runs() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    fs::create_dir_all(site.join("below")).unwrap();
    fs::write(site.join("sitelint.yaml"), unused_waivers(1)).unwrap();
    crate::copy_dir(&crate::root().join("examples/snapshots/clean"), &site.join("snap"));
    let finding = |cwd: &Path, snap: &str| {
        let out = sitelint_in(cwd, &["check", snap, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = json(&out);
        let finding = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "waiver-unused")
            .cloned();
        finding.unwrap_or_else(|| panic!("{report:#}"))
    };
    let here = finding(&site, "snap");
    let below = finding(&site.join("below"), "../snap");
    let subject = here["subject"].as_str().unwrap();
    assert!(!subject.contains(path_str(dir.path())), "{subject}");
    assert!(subject.starts_with("sitelint.yaml: "), "{subject}");
    assert_eq!(here["subject"], below["subject"]);
    assert_eq!(here["fingerprint"], below["fingerprint"]);
}

#[test]
fn a_report_is_never_written_over_a_file_the_run_reads_or_into_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    failing_snapshot(dir.path(), 3);
    fs::write(dir.path().join("sitelint.yaml"), "fail-on: never\n").unwrap();
    let log = "snap/logs/ServiceConnectionTool.log";
    // A registry export was not among the inputs: a report given its path replaced it.
    fs::write(dir.path().join("machine.reg"), "REGEDIT4\r\n").unwrap();
    let check = |source: &[&str], format: &str| -> Vec<String> {
        let mut args = vec![
            "check",
            "--no-default-rules",
            "--rules",
            "rules.yaml",
            "--format",
            format,
        ];
        args.extend(source);
        args.into_iter().map(str::to_owned).collect()
    };
    let cases = [
        (
            check(&["--log", log], &format!("sarif={log}")),
            log,
            "it is the log ServiceConnectionTool.log this run reads",
        ),
        (
            check(&["--log", log, "--registry", "machine.reg"], "sarif=machine.reg"),
            "machine.reg",
            "it is the registry export this run reads",
        ),
        (
            check(&["snap"], "json=snap/snapshot.yaml"),
            "snap/snapshot.yaml",
            "it is the snapshot manifest this run reads",
        ),
        (
            check(&["snap"], "json=snap/logs/../report.json"),
            "snap/report.json",
            "inside the snapshot directory",
        ),
        (
            check(&["snap"], "json=rules.yaml"),
            "rules.yaml",
            "it is a rule file this run reads",
        ),
        (
            check(&["snap"], "json=./sitelint.yaml"),
            "sitelint.yaml",
            "it is the site config this run reads",
        ),
    ];
    for (args, file, why) in cases {
        let before = fs::read(dir.path().join(file)).ok();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sitelint_in(dir.path(), &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
        assert_eq!(fs::read(dir.path().join(file)).ok(), before, "{file} is as it was");
    }
}

#[cfg(unix)]
#[test]
fn a_report_replaces_a_link_at_its_path_not_what_the_link_points_to() {
    let dir = tempfile::tempdir().unwrap();
    failing_snapshot(dir.path(), 3);
    fs::write(dir.path().join("precious.txt"), "keep me").unwrap();
    std::os::unix::fs::symlink("precious.txt", dir.path().join("report.json")).unwrap();
    let args = [
        "check",
        "snap",
        "--no-config",
        "--no-default-rules",
        "--rules",
        "rules.yaml",
        "--format",
        "json=report.json",
    ];
    let out = sitelint_in(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(dir.path().join("precious.txt")).unwrap(), "keep me");
    let report = dir.path().join("report.json");
    assert!(
        fs::symlink_metadata(&report).unwrap().is_file(),
        "the link itself is replaced"
    );
    let report: serde_json::Value = serde_json::from_slice(&fs::read(report).unwrap()).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 3);
    // No file at all (a FIFO here; `/dev/stdout` alike): written to as it is, not renamed over.
    let fifo = dir.path().join("report.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = std::thread::spawn({
        let fifo = fifo.clone();
        move || fs::read(fifo).unwrap()
    });
    let out = sitelint_in(dir.path(), &[&args[..7], &["json=report.fifo"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 3);
    fs::remove_file(&fifo).unwrap();
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["precious.txt", "report.json", "rules.yaml", "snap"],
        "no temporary file is left"
    );
}
