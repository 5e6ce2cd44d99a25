//! Issue 35, "never a wrong answer, turn 4": each test reproduces one defect of the issue and
//! names it (H2 …, M1 …, L …), so a test that fails points at the attack it guards against.

use std::fs;
use std::path::Path;

use crate::{json, sitelint_in, stderr};

/// `check --updatepack up` of the zero-byte-files rule alone, in `dir`, with `args` after.
fn empty_redists(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "check",
        "--no-config",
        "--updatepack",
        "up",
        "--select",
        "redist-zero-byte-file",
    ];
    all.extend_from_slice(args);
    sitelint_in(dir, &all)
}

/// H3: the per-rule cap keeps 1,000 findings; what is past it cannot be compared with the
/// baseline, so `--fail-on-new` fails on it rather than calling it "0 new", and a baseline
/// finding pushed out of the kept thousand is not "fixed".
#[test]
fn h3_failures_past_the_cap_are_not_called_old_or_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let redist = dir.path().join("up/Redist");
    fs::create_dir_all(&redist).unwrap();
    for n in 0..1200 {
        fs::write(redist.join(format!("f{n:04}.cab")), "").unwrap();
    }
    let base = empty_redists(dir.path(), &["--format", "json=base.json"]);
    assert_eq!(base.status.code(), Some(1), "{}", stderr(&base));
    fs::write(redist.join("f1200.cab"), "").unwrap();
    // Sorted first: it pushes a baseline finding out of the kept thousand.
    fs::write(redist.join("a.cab"), "").unwrap();
    let after = empty_redists(
        dir.path(),
        &["--baseline", "base.json", "--fail-on-new", "--format", "json"],
    );
    assert_eq!(after.status.code(), Some(1), "{}", stderr(&after));
    assert!(
        stderr(&after).contains("redist-zero-byte-file: 202 failures past the 1000 kept were not compared"),
        "{}",
        stderr(&after)
    );
    let report = json(&after);
    assert_eq!(report["baseline"]["absent"], 0, "{}", report["baseline"]);
    assert_eq!(report["baseline"]["uncompared"], 202, "{}", report["baseline"]);
}

/// M2: a log that decodes without an error but is full of control characters is warned
/// about: every rule reading it may pass on nothing.
#[test]
fn m2_a_log_full_of_control_characters_is_warned_about() {
    let (_dir, snap) = crate::example_copy();
    let garbage: Vec<u8> = (0..4000u32)
        .map(|i| [1u8, 2, b'a', 0x1b, 7][(i % 5) as usize])
        .collect();
    fs::write(snap.join("logs/ConfigMgrSetup.log"), garbage).unwrap();
    let out = crate::sitelint(&["check", crate::path_str(&snap), "-q"]);
    assert!(
        stderr(&out).contains("ConfigMgrSetup.log: read as UTF-8, its text is full of control characters"),
        "{}",
        stderr(&out)
    );
    let clean = crate::sitelint(&["check", "examples/snapshots/failed-download", "-q"]);
    assert!(!stderr(&clean).contains("control characters"), "{}", stderr(&clean));
}

/// M3: a sitelint.yaml that is a link to nothing, a FIFO or a directory stops the run with a
/// clear error, rather than being passed over with the site's `fail-on` and rules.
#[cfg(unix)]
#[test]
fn m3_a_config_that_is_not_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sitelint.yaml");
    std::os::unix::fs::symlink("nowhere.yaml", &config).unwrap();
    let out = sitelint_in(dir.path(), &["config"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("it is a link to nowhere.yaml, which does not exist"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(&config).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&config).status();
    assert!(
        made.is_ok_and(|s| s.success()),
        "mkfifo (coreutils) is needed by this test"
    );
    let out = sitelint_in(dir.path(), &["check", "--updatepack", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("it is a FIFO, not a regular file"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(&config).unwrap();
    fs::create_dir(&config).unwrap();
    let out = sitelint_in(dir.path(), &["config"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("it is a directory"), "{}", stderr(&out));
}

/// M4: another site's snapshot of the same folder name is never compared with this one's
/// baseline as "0 new": the report recorded where the baseline's snapshot was.
#[test]
fn m4_another_sites_snapshot_of_one_name_is_not_compared_with_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    for site in ["x/snap", "w/snap", "z"] {
        crate::copy_dir(
            &crate::root().join("examples/snapshots/failed-download"),
            &dir.path().join(site),
        );
    }
    let base = sitelint_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "x/snap",
            "z",
            "--format",
            "json=base.json",
            "-q",
        ],
    );
    assert_eq!(base.status.code(), Some(1), "{}", stderr(&base));
    let same = sitelint_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "x/snap",
            "z",
            "--baseline",
            "base.json",
            "--fail-on-new",
            "-q",
        ],
    );
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    let other = sitelint_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "w/snap",
            "z",
            "--baseline",
            "base.json",
            "--fail-on-new",
            "-q",
        ],
    );
    assert_eq!(other.status.code(), Some(1), "{}", stderr(&other));
    // Windows joins the manifest's name with its own separator.
    let said = stderr(&other).replace('\\', "/");
    assert!(
        said.contains("snap: not compared with the baseline base.json: the baseline's snapshot `snap` was x/snap/snapshot.yaml, this one is w/snap/snapshot.yaml"),
        "{said}"
    );
}

/// The output rule, terminal: a line feed in a snapshot's folder name is shown as `\n`, so it
/// cannot end its row of the table of snapshots and forge another ("fabrikam 0 errors").
#[cfg(unix)]
#[test]
fn a_line_feed_in_a_snapshot_name_does_not_forge_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let forged = "contoso\n  fabrikam          0 errors, 0 warnings, 0 rules not evaluated, 0 suppressed";
    crate::copy_dir(
        &crate::root().join("examples/snapshots/failed-download"),
        &dir.path().join(forged),
    );
    crate::copy_dir(
        &crate::root().join("examples/snapshots/clean"),
        &dir.path().join("clean"),
    );
    let out = sitelint_in(dir.path(), &["check", "--no-config", forged, "clean", "-q"]);
    let text = crate::stdout(&out);
    assert!(!text.lines().any(|l| l.trim_start().starts_with("fabrikam")), "{text}");
    assert!(text.contains("contoso\\n  fabrikam"), "{text}");
}

/// L: a selection that leaves no rule to run checks nothing; under --strict that is exit 2,
/// not a clean run.
#[test]
fn a_selection_that_leaves_no_rule_fails_under_strict() {
    let args = [
        "check",
        "examples/snapshots/clean",
        "--select",
        "redist-zero-byte-file",
        "--ignore",
        "redist-zero-byte-file",
    ];
    let out = crate::sitelint(&[&args[..], &["--strict"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("leave no rule to run"), "{}", stderr(&out));
    let strict_step = crate::sitelint(&[
        "check",
        "examples/snapshots/clean",
        "--select",
        "tag:connect-machine",
        "--step",
        "upgrade",
        "--strict",
    ]);
    assert_eq!(strict_step.status.code(), Some(2), "{}", stderr(&strict_step));
}

/// L: 100,000 unknown placeholders on one line printed 158 MB: each problem quoted the whole
/// line. Now the first few are shown with their place, the rest counted, and a line too long
/// to quote is named by its place.
#[test]
fn a_hundred_thousand_unknown_placeholders_are_a_screenful() {
    let dir = tempfile::tempdir().unwrap();
    let message: String = (0..100_000).map(|i| format!("{{u{i}}}")).collect();
    let path = dir.path().join("ph.yaml");
    fs::write(
        &path,
        format!("ruleset: x\nrules:\n  - id: r\n    title: R\n    severity: error\n    kind: zero-byte-files\n    tree: updatepack\n    message: \"{message}\"\n"),
    )
    .unwrap();
    let out = crate::sitelint(&["rules", "list", "--no-default-rules", "--rules", crate::path_str(&path)]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.len() < 10_000, "{} bytes", text.len());
    assert!(
        text.contains("and 99995 more unknown placeholders in this text"),
        "{text}"
    );
    // The diagnostic wraps where the path's length puts it (a temporary folder is longer on
    // Windows): compare its words.
    let words = text
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("ph.yaml:8:15; the line is too long to show"), "{text}");
}

/// L: when the Markdown report is past GitHub's 65,536 characters, the warnings' rows go
/// before the errors' do, whatever step each is in, and the footer says where the rest is
/// without claiming SARIF has them all (it keeps 25,000 results).
#[test]
fn markdown_past_its_limit_keeps_the_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log: String = (0..1000)
        .map(|i| format!("WARN: a proxy note {i}\nERROR: a failed upgrade step {i}\n"))
        .collect();
    fs::write(dir.path().join("x.log"), log).unwrap();
    let rules = "ruleset: t\nrules:\n  - id: early-warning\n    title: W\n    severity: warning\n    kind: forbidden-log-pattern\n    log: x.log\n    pattern: 'WARN: .*'\n    tags: [download]\n  - id: late-error\n    title: E\n    severity: error\n    kind: forbidden-log-pattern\n    log: x.log\n    pattern: 'ERROR: .*'\n    tags: [upgrade]\n";
    fs::write(dir.path().join("rules.yaml"), rules).unwrap();
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--no-default-rules",
            "--rules",
            "rules.yaml",
            "--log",
            "x.log",
            "--format",
            "markdown",
        ],
    );
    let text = crate::stdout(&out);
    assert!(text.chars().count() <= 65_536);
    assert!(text.contains("| `late-error` | error |"), "no error row");
    assert!(
        !text.contains("| `early-warning` | warning |"),
        "a warning row before the errors"
    );
    assert!(
        text.contains("(every finding below error left out first)"),
        "{}",
        &text[text.len() - 400..]
    );
    assert!(!text.contains("SARIF"), "{}", &text[text.len() - 400..]);
}

/// L: long unbroken text (a path, a log line without spaces) ran off the HTML page; the body
/// now breaks it anywhere, and every element inherits that. (Whether a browser lays it out so
/// is what `scripts/html-in-browser` shows; here, that the rule is there for it.)
#[test]
fn html_breaks_long_unbroken_text() {
    let out = crate::sitelint(&["check", "examples/snapshots/failed-download", "--format", "html"]);
    let html = crate::stdout(&out);
    let body = html
        .lines()
        .find(|l| l.starts_with("body {"))
        .expect("the body's style");
    assert!(body.contains("overflow-wrap: anywhere"), "{body}");
}

/// L: a snapshot that could not be read is flagged in the fleet's Markdown and HTML tables,
/// not only shown as rules "not evaluated".
#[test]
fn an_unreadable_snapshot_is_flagged_in_the_fleet_tables() {
    for (format, flag) in [
        ("markdown", "**1 read error (exit 2)**"),
        ("html", "<strong>1 read error (exit 2)</strong>"),
    ] {
        let out = crate::sitelint(&[
            "check",
            "examples/snapshots/clean",
            "examples/snapshots/no-such-site",
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(2));
        let text = crate::stdout(&out);
        let row = text
            .lines()
            .find(|l| l.contains("no-such-site") && l.contains("rules passed"))
            .expect("its row");
        assert!(row.contains(flag), "{format}: {row}");
    }
}

/// L: the report files are one set: when one cannot be written, the others are left as the
/// last run wrote them (a new JSON report beside an old SARIF log answered two runs at once),
/// and no temporary file is left behind.
#[test]
fn report_files_are_written_as_a_set() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("r.json"), "old").unwrap();
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            crate::path_str(&crate::root().join("examples/snapshots/failed-download")),
            "--format",
            "json=r.json",
            "--format",
            "sarif=no-such-dir/r.sarif",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write the sarif report"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(dir.path().join("r.json")).unwrap(), "old");
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

/// M4: a baseline of one snapshot compares with a run of one whatever the folders are called,
/// but not with another host's snapshot (`host:` in both manifests): every finding is new.
#[test]
fn m4_a_baseline_of_another_host_is_not_compared() {
    let dir = tempfile::tempdir().unwrap();
    for site in ["a", "b"] {
        crate::copy_dir(
            &crate::root().join("examples/snapshots/failed-download"),
            &dir.path().join(site),
        );
    }
    let manifest = dir.path().join("b/snapshot.yaml");
    let text = fs::read_to_string(&manifest)
        .unwrap()
        .replace("host: INETPC01", "host: OTHERPC");
    fs::write(&manifest, text).unwrap();
    let base = sitelint_in(
        dir.path(),
        &["check", "--no-config", "a", "--format", "json=base.json", "-q"],
    );
    assert_eq!(base.status.code(), Some(1), "{}", stderr(&base));
    let other = sitelint_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "b",
            "--baseline",
            "base.json",
            "--fail-on-new",
            "-q",
        ],
    );
    assert_eq!(other.status.code(), Some(1), "{}", stderr(&other));
    assert!(
        stderr(&other).contains("the baseline's snapshot is of host `INETPC01`, this one of `OTHERPC`"),
        "{}",
        stderr(&other)
    );
}

/// L: in a line longer than the 64 MiB held whole, a match across the cut was lost, and a
/// match after it counted its columns from the cut. Both are found, once, at the line's own
/// column and byte offset.
#[test]
fn l_a_match_across_the_cut_of_a_line_over_64_mib_is_found_at_its_column() {
    const RULES: &str = r#"ruleset: long-lines
rules:
  - id: download-failed
    title: Every download succeeded
    severity: error
    kind: forbidden-log-pattern
    log: dmpdownloader.log
    pattern: 'Download\(\) failed with (?P<code>0x[0-9a-f]{8})'
    message: 'download failed with {code}'
"#;
    let dir = tempfile::tempdir().unwrap();
    let cut = 64 << 20;
    let failure = "Download() failed with 0x80072ee2";
    // The failure starts 10 bytes before the cut; the first line is one of 30 bytes.
    let first = "INFO: dmpdownloader started\r\n";
    let mut bytes = first.as_bytes().to_vec();
    bytes.resize(first.len() + cut - 10, b'x');
    bytes.extend_from_slice(failure.as_bytes());
    bytes.extend_from_slice(&vec![b'y'; 1 << 20]);
    bytes.extend_from_slice(b"\r\nINFO: done\r\n");
    fs::write(dir.path().join("dmpdownloader.log"), &bytes).unwrap();
    fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    let out = crate::check_with_rules(dir.path(), "rules.yaml", &["--log", "dmpdownloader.log"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let found: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "download-failed")
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let location = &found[0]["location"];
    assert_eq!(found[0]["message"], "download failed with 0x80072ee2");
    assert_eq!(
        (location["line"].as_u64(), location["column"].as_u64()),
        (Some(2), Some(cut as u64 - 9))
    );
    assert_eq!(location["byte_offset"].as_u64(), Some((first.len() + cut - 10) as u64));
}
