//! Several snapshots in one check (each on its own, in the order given, named by its
//! directory; one that cannot be read named and the others still reported) and a check
//! against an earlier JSON report (`--baseline`, `--fail-on-new`).

use std::path::Path;

use crate::{copy_dir, json, path_str, root, stderr, stdout};

/// sitelint from the repository root, with the frozen rules: these tests are about several
/// snapshots and baselines, and count findings, so they must not count a new default rule's.
fn sitelint(args: &[&str]) -> std::process::Output {
    crate::sitelint(&[args, &crate::FROZEN_RULES[..]].concat())
}

const CLEAN: &str = "examples/snapshots/clean";
const FAILING: &str = "examples/snapshots/failed-download";
/// Named on the command line, never created: the snapshot that cannot be read.
const MISSING: &str = "examples/snapshots/no-such-site";
/// The failed download done again after the proxy was fixed: the `*.manage.microsoft.com`
/// endpoints now allowed (fixed), a line above the old failures (moved: updated), and one more
/// redistributable that failed (new).
const AFTER: &str = "tests/fixtures/fleet/after-proxy-fix";

fn version_free(text: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    text.replace(&format!("sitelint {version}"), "sitelint VERSION")
        .replace(&format!("\"version\": \"{version}\""), "\"version\": \"VERSION\"")
        .replace(&format!("value=\"{version}\""), "value=\"VERSION\"")
        .replace(&format!("<dd>{version}</dd>"), "<dd>VERSION</dd>")
}

#[test]
fn several_snapshots_are_reported_each_under_its_name_with_the_worst_exit_code() {
    let out = sitelint(&["check", CLEAN, FAILING, MISSING, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("snapshot no-such-site (examples/snapshots/no-such-site) cannot be checked"),
        "{}",
        stderr(&out)
    );
    let report = json(&out);
    let names: Vec<&str> = report["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["clean", "failed-download", "no-such-site"]);
    assert_eq!(report["snapshots"][0]["summary"]["errors"], 0);
    assert_eq!(report["snapshots"][1]["summary"]["errors"], 7);
    let rules = report["snapshots"][2]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| r["status"] == "not-evaluated"), "{rules:?}");
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for finding in findings.iter().filter(|f| f["outcome"] == "fail") {
        assert_eq!(finding["snapshot"]["name"], "failed-download", "{finding}");
        assert_eq!(
            finding["snapshot"]["path"],
            "examples/snapshots/failed-download/snapshot.yaml"
        );
    }
    assert_eq!(report["errors"][0]["snapshot"]["name"], "no-such-site");

    // Findings alone make it 1; a clean snapshot beside them changes nothing.
    assert_eq!(sitelint(&["check", CLEAN, FAILING, "-q"]).status.code(), Some(1));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join(CLEAN), &dir.path().join("clean-copy"));
    let clean_twice = sitelint(&["check", CLEAN, path_str(&dir.path().join("clean-copy")), "-q"]);
    assert_eq!(clean_twice.status.code(), Some(0));
}

#[test]
fn the_output_of_several_snapshots_is_in_the_order_given_every_time() {
    let args = ["check", FAILING, CLEAN, AFTER, "--format", "json"];
    let first = sitelint(&args);
    for _ in 0..3 {
        assert_eq!(sitelint(&args).stdout, first.stdout);
    }
    let report = json(&first);
    let names: Vec<&str> = report["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["failed-download", "clean", "after-proxy-fix"]);
}

#[test]
fn the_terminal_report_groups_by_snapshot_and_ends_with_a_line_each() {
    let out = sitelint(&["check", CLEAN, FAILING, MISSING]);
    let text = stdout(&out);
    // Redirected on Windows, the frames are drawn in ASCII.
    let rule = if cfg!(windows) { "==" } else { "━━" };
    let clean = text.find(&format!("{rule} snapshot clean (")).unwrap();
    let failing = text.find(&format!("{rule} snapshot failed-download (")).unwrap();
    assert!(clean < failing);
    let quiet = sitelint(&["check", CLEAN, FAILING, MISSING, "-q"]);
    insta::assert_snapshot!("fleet_human_quiet", stdout(&quiet));
    assert!(text.ends_with(&stdout(&quiet)), "{text}");
}

/// Issue 35 (M4): a name is the folder's alone, so two of one name are refused rather than
/// told apart by their parents (which made a name depend on the other snapshots given).
#[test]
fn snapshots_of_one_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for site in ["contoso", "fabrikam"] {
        copy_dir(&root().join(FAILING), &dir.path().join(site).join("snapshot"));
    }
    let a = dir.path().join("contoso/snapshot");
    let b = dir.path().join("fabrikam/snapshot");
    let out = sitelint(&["check", path_str(&a), path_str(&b), "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("two snapshots are named `snapshot`"),
        "{}",
        stderr(&out)
    );

    let twice = sitelint(&["check", path_str(&a), &format!("{}/snapshot.yaml", path_str(&a))]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains("is given twice"), "{}", stderr(&twice));
}

#[test]
fn sarif_of_several_snapshots_has_a_run_for_each_with_its_category() {
    let out = sitelint(&["check", CLEAN, FAILING, MISSING, "--format", "sarif"]);
    let sarif = json(&out);
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0]["automationDetails"]["id"], "sitelint/clean/");
    assert_eq!(runs[0]["results"].as_array().unwrap().len(), 0);
    assert_eq!(runs[1]["results"].as_array().unwrap().len(), 8);
    assert_eq!(runs[2]["invocations"][0]["executionSuccessful"], false);
    // A single snapshot keeps the run it always had, without a category of sitelint's.
    let one = json(&sitelint(&["check", FAILING, "--format", "sarif"]));
    assert!(one["runs"][0].get("automationDetails").is_none());
}

#[test]
fn markdown_html_and_junit_of_several_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let out = sitelint(&[
        "check",
        CLEAN,
        FAILING,
        MISSING,
        "--format",
        &format!("markdown={}", path_str(&file("r.md"))),
        "--format",
        &format!("html={}", path_str(&file("r.html"))),
        "--format",
        &format!("junit={}", path_str(&file("r.xml"))),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // The missing snapshot's reason ends in the system's own words, which Windows puts
    // its way.
    let read = |name: &str| {
        version_free(&std::fs::read_to_string(file(name)).unwrap())
            .replace("File not found. (os error 2)", "No such file or directory (os error 2)")
    };
    let html = read("r.html");
    assert!(html.contains("<table class=\"grid\">"), "{html}");
    insta::assert_snapshot!("fleet_markdown", read("r.md"));
    insta::assert_snapshot!("fleet_junit", read("r.xml"));
    insta::assert_snapshot!("fleet_html", html);
    let junit = read("r.xml");
    assert!(junit.contains("<testsuite name=\"failed-download/network\""), "{junit}");
    assert!(
        junit.contains("classname=\"sitelint.failed-download.download."),
        "{junit}"
    );
    assert!(junit.contains("<testsuite name=\"no-such-site/sources\""), "{junit}");
}

/// The JUnit report of several snapshots validates against the committed schema. xmllint is
/// a Linux tool beyond the Rust toolchain, so the test is ignored by a plain `cargo test`
/// (it shows as ignored, never as passed) and `.ci/run` installs xmllint and runs it.
#[cfg(not(windows))]
#[test]
#[ignore = "needs xmllint; .ci/run installs it and runs the ignored tests"]
fn fleet_junit_validates_against_the_committed_schema_with_xmllint() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.xml");
    let to = format!("junit={}", path_str(&report));
    let out = sitelint(&["check", CLEAN, FAILING, MISSING, "--format", &to]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    crate::xmllint_validates_junit(&[report]);
}

/// The JSON report of the failed download, as the admin kept it before downloading again.
fn baseline_of(dir: &Path, snapshots: &[&str]) -> String {
    let path = dir.join("before.json");
    let mut args = vec!["check"];
    args.extend(snapshots);
    let to = format!("json={}", path_str(&path));
    args.extend(["--format", &to, "-q"]);
    sitelint(&args);
    path_str(&path).to_owned()
}

#[test]
fn each_finding_is_new_unchanged_or_updated_and_the_fixed_ones_are_absent() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = baseline_of(dir.path(), &[FAILING]);
    let out = sitelint(&["check", AFTER, "--baseline", &baseline, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let states: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["outcome"] != "not-evaluated")
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["baseline"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let state_of = |rule: &str| {
        states
            .iter()
            .filter(|(r, _)| r == rule)
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>()
    };
    // The old redist failure moved down a line; the new one is new.
    assert_eq!(state_of("sct-redist-download-failed"), ["updated", "new"]);
    assert_eq!(state_of("setup-download-failed"), ["unchanged"]);
    assert_eq!(state_of("redist-zero-byte-file"), ["unchanged"]);
    let absent: Vec<&str> = report["absent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        absent,
        ["*.manage.microsoft.com", "configmgrbits.cdn.manage.microsoft.com"]
    );
    assert!(
        report["absent"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["baseline"] == "absent")
    );
    assert_eq!(report["baseline"]["new"], 1);
    assert_eq!(report["baseline"]["absent"], 2);

    let human = stdout(&sitelint(&["check", AFTER, "--baseline", &baseline, "-q"]));
    insta::assert_snapshot!("baseline_human_quiet", human);
    let full = stdout(&sitelint(&["check", AFTER, "--baseline", &baseline]));
    assert!(
        full.contains("fixed since the baseline:\n  updates-and-servicing-endpoints  *.manage.microsoft.com"),
        "{full}"
    );

    let sarif = json(&sitelint(&[
        "check",
        AFTER,
        "--baseline",
        &baseline,
        "--format",
        "sarif",
    ]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let of = |state: &str| results.iter().filter(|r| r["baselineState"] == state).count();
    assert_eq!((of("new"), of("absent")), (1, 2));
    assert!(results.iter().all(|r| r.get("baselineState").is_some()));
    let absent = results.iter().find(|r| r["baselineState"] == "absent").unwrap();
    assert_eq!((&absent["kind"], &absent["level"]), (&"pass".into(), &"none".into()));
}

#[test]
fn the_same_snapshot_against_its_own_report_is_all_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = baseline_of(dir.path(), &[FAILING]);
    let out = sitelint(&["check", FAILING, "--baseline", &baseline, "-q"]);
    assert!(
        stdout(&out).ends_with("\n0 new, 8 unchanged, 0 fixed since the baseline\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_problem_whose_rule_was_not_evaluated_again_is_not_called_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = baseline_of(dir.path(), &[FAILING]);
    let without_setup_log = format!("{AFTER}/no-setup-log.yaml");
    let report = json(&sitelint(&[
        "check",
        &without_setup_log,
        "--baseline",
        &baseline,
        "--format",
        "json",
    ]));
    let absent = report["absent"].as_array().unwrap();
    assert!(
        absent.iter().all(|f| f["rule_id"] != "setup-download-failed"),
        "{absent:?}"
    );
    assert_eq!(report["baseline"]["unchecked"], 1);
}

#[test]
fn fail_on_new_fails_only_on_findings_the_baseline_does_not_have() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = baseline_of(dir.path(), &[FAILING]);
    let same = ["check", FAILING, "--baseline", &baseline, "-q"];
    assert_eq!(sitelint(&same).status.code(), Some(1));
    let mut only_new = same.to_vec();
    only_new.push("--fail-on-new");
    assert_eq!(sitelint(&only_new).status.code(), Some(0));
    let after = ["check", AFTER, "--baseline", &baseline, "--fail-on-new", "-q"];
    assert_eq!(sitelint(&after).status.code(), Some(1));
    let alone = sitelint(&["check", FAILING, "--fail-on-new"]);
    assert_eq!(alone.status.code(), Some(2));
    assert!(stderr(&alone).contains("--baseline"), "{}", stderr(&alone));
}

#[test]
fn a_baseline_that_is_not_a_sitelint_json_report_is_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("before.sarif");
    std::fs::write(&sarif, stdout(&sitelint(&["check", FAILING, "--format", "sarif"]))).unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, "{\"findings\": []}").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a report").unwrap();
    let missing = dir.path().join("missing.json");
    for (file, why) in [
        (&sarif, "it is a SARIF log"),
        (&other, "it has no `sitelint_report` field"),
        (&text, "it is not JSON"),
        (&missing, "cannot read the baseline"),
    ] {
        let out = sitelint(&["check", FAILING, "--baseline", path_str(file)]);
        assert_eq!(out.status.code(), Some(2), "{}", path_str(file));
        let err = stderr(&out);
        assert!(err.contains(path_str(file)) && err.contains(why), "{err}");
        assert!(out.stdout.is_empty(), "no report without its baseline");
    }
}

#[test]
fn with_several_snapshots_the_baseline_is_matched_per_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = baseline_of(dir.path(), &[CLEAN, FAILING]);
    // The same sites in another order: each compared with its own earlier findings.
    let out = sitelint(&["check", FAILING, CLEAN, "--baseline", &baseline, "--format", "json"]);
    let report = json(&out);
    assert_eq!(report["snapshots"][0]["baseline"]["unchanged"], 8);
    assert_eq!(report["snapshots"][1]["baseline"]["unchanged"], 0);
    assert_eq!(report["baseline"]["new"], 0);
    assert_eq!(report["absent"].as_array().unwrap().len(), 0);
    // A site the baseline did not have: everything new, and the missing one is named.
    let renamed = sitelint(&["check", CLEAN, AFTER, "--baseline", &baseline, "--format", "json"]);
    let report = json(&renamed);
    assert_eq!(report["snapshots"][1]["baseline"]["new"], 7);
    assert!(
        stderr(&renamed).contains("has snapshot `failed-download`, which this run does not check"),
        "{}",
        stderr(&renamed)
    );
}

/// A check of several snapshots goes the one-snapshot path: each regression below was a
/// difference between the two.
#[test]
fn a_report_path_inside_one_of_several_snapshots_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (clean, failing) = (dir.path().join("clean"), dir.path().join("failed-download"));
    copy_dir(&root().join(CLEAN), &clean);
    copy_dir(&root().join(FAILING), &failing);
    let inside = failing.join("report.json");
    let manifest = failing.join("snapshot.yaml");
    let before = std::fs::read(&manifest).unwrap();
    for (report, why) in [
        (&inside, "it is inside the snapshot directory"),
        (&manifest, "it is the snapshot manifest this run reads"),
    ] {
        let format = format!("json={}", path_str(report));
        let out = sitelint(&["check", path_str(&clean), path_str(&failing), "--format", &format]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(why), "{}", stderr(&out));
    }
    assert!(!inside.exists());
    assert_eq!(
        std::fs::read(&manifest).unwrap(),
        before,
        "the manifest is left as it was"
    );
}

#[test]
fn verbose_names_the_rules_once_and_what_each_snapshot_loaded() {
    // The built-in rule files are the subject: the default rules, not the frozen ones.
    let out = crate::sitelint(&["check", CLEAN, FAILING, "-v", "--format", "json"]);
    let said = stderr(&out);
    let loaded = |what: &str| said.lines().filter(|l| l.starts_with(what)).count();
    assert_eq!(
        loaded("loaded rules: "),
        crate::default_rule_files().len(),
        "each built-in rule file once: {said}"
    );
    assert_eq!(loaded("loaded snapshot: "), 2, "{said}");
    assert_eq!(loaded("loaded log ServiceConnectionTool.log: "), 2, "{said}");
    for name in ["clean", "failed-download"] {
        assert!(said.contains(&format!("read {name}: ")), "{said}");
    }
    let first_snapshot = said.find("loaded snapshot: ").unwrap();
    assert!(
        said[first_snapshot..].lines().next().unwrap().contains("clean"),
        "{said}"
    );
}

#[test]
fn with_every_report_of_several_snapshots_in_a_file_the_summary_goes_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let format = format!("json={}", path_str(&report));
    let out = sitelint(&["check", CLEAN, FAILING, "--format", &format]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        stderr(&out),
        format!(
            "{}\nwrote the json report to {}\n",
            crate::fleet_summary_of(&written),
            report.display()
        )
    );
    let quiet = sitelint(&["check", CLEAN, FAILING, "--format", &format, "-q"]);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn a_strict_failure_of_several_snapshots_says_it_is_strict() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    copy_dir(&root().join(CLEAN), &one);
    copy_dir(&root().join(CLEAN), &two);
    // With the default rules, as the site config's `strict: true` below runs.
    let out = crate::sitelint(&["check", path_str(&one), path_str(&two), "--strict", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let report = crate::json(&crate::sitelint(&[
        "check",
        path_str(&one),
        path_str(&two),
        "--format",
        "json",
    ]));
    let not_evaluated: u64 = report["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["summary"]["not_evaluated"].as_u64().unwrap())
        .sum();
    assert!(not_evaluated > 1, "{report:#}");
    assert_eq!(
        stderr(&out),
        format!("failed: {not_evaluated} rules not evaluated (--strict)\n")
    );
    std::fs::write(dir.path().join("sitelint.yaml"), "strict: true\n").unwrap();
    let out = crate::sitelint_in(dir.path(), &["check", "one", "two", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("failed: {not_evaluated} rules not evaluated (strict: true in the site config)\n")
    );
    let out = crate::sitelint_in(dir.path(), &["check", "one", "two", "-q", "--no-strict"]);
    assert_eq!((out.status.code(), stderr(&out).as_str()), (Some(0), ""));
}
