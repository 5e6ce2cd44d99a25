//! The first runs of a new user: reports that all go to files, a file given where a
//! directory belongs, a strict run that fails, a site config beside the snapshot.

use std::fs;
use std::path::Path;

use crate::{path_str, root, sitelint, sitelint_in, stderr, stdout};

/// An update pack with its manifest: the one rule that reads only the tree passes.
fn update_pack(dir: &Path) -> String {
    let pack = dir.join("UpdatePacks");
    fs::create_dir_all(&pack).unwrap();
    // The encrypted form of the manifest: a cabinet of four bytes would be a damaged one.
    fs::write(pack.join("ConfigMgr.Update.Manifest.enc"), "manifest").unwrap();
    path_str(&pack).to_owned()
}

#[test]
fn with_every_report_in_a_file_the_summary_and_the_files_go_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("review.sarif");
    let text = dir.path().join("report.txt");
    let formats = [
        format!("sarif={}", path_str(&sarif)),
        format!("human={}", path_str(&text)),
    ];
    let out = sitelint(&[
        "check",
        "examples/snapshots/failed-download",
        "--format",
        &formats[0],
        "--format",
        &formats[1],
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let said = stderr(&out);
    let summary = crate::summary_of_run(&root(), &["check", "examples/snapshots/failed-download"]);
    assert!(said.starts_with(&format!("{summary}\n")), "{said}");
    assert!(
        said.contains(&format!("wrote the sarif report to {}\n", sarif.display())),
        "{said}"
    );
    assert!(
        said.contains(&format!("wrote the human report to {}\n", text.display())),
        "{said}"
    );
    assert!(sarif.is_file() && text.is_file());

    let quiet = sitelint(&[
        "-q",
        "check",
        "examples/snapshots/failed-download",
        "--format",
        &formats[0],
    ]);
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(stderr(&quiet), "");
    // A report on the terminal is its own summary: nothing more on stderr.
    let shown = sitelint(&[
        "check",
        "examples/snapshots/failed-download",
        "--format",
        "human",
        "--format",
        &formats[0],
    ]);
    assert_eq!(stderr(&shown), "");
}

#[test]
fn a_source_of_the_wrong_type_is_one_error_naming_the_flag_first() {
    let dir = tempfile::tempdir().unwrap();
    let cab = dir.path().join("ConfigMgr.Update.Manifest.cab");
    fs::write(&cab, "MSCF").unwrap();
    let json = dir.path().join("endpoints.json");
    fs::write(
        &json,
        "\u{feff}[\n  {\"host\": \"go.microsoft.com\", \"port\": 443}\n]\n",
    )
    .unwrap();
    let pack = update_pack(dir.path());

    let cases: [(Vec<&str>, &str); 4] = [
        (vec!["--updatepack", path_str(&cab)], "error: --updatepack "),
        (vec![path_str(&cab)], "error: SNAPSHOT "),
        (
            vec!["--updatepack", &pack, "--endpoints-allowlist", path_str(&json)],
            "error: --endpoints-allowlist ",
        ),
        (vec!["--updatepack", &pack, "--log", &pack], "error: --log "),
    ];
    for (args, first) in cases {
        let out = sitelint(&[&["check"][..], &args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&out), "", "{args:?}: nothing is evaluated");
        let said = stderr(&out);
        assert!(said.starts_with(first), "{args:?}: {said}");
        assert_eq!(said.lines().count(), 2, "{args:?}: one error and its help: {said}");
        assert!(said.contains("wants"), "{args:?}: {said}");
    }
}

#[test]
fn check_with_nothing_named_inside_a_snapshot_suggests_checking_it() {
    let out = sitelint_in(&root().join("examples/snapshots/clean"), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("sitelint check ."), "{}", stderr(&out));
}

#[test]
fn a_strict_failure_says_it_is_strict() {
    let dir = tempfile::tempdir().unwrap();
    let pack = update_pack(dir.path());
    let out = sitelint_in(dir.path(), &["check", "--updatepack", &pack, "--strict"]);
    assert_eq!(out.status.code(), Some(1));
    let report = crate::json(&sitelint_in(
        dir.path(),
        &["check", "--updatepack", &pack, "--format", "json"],
    ));
    let summary = crate::summary_of(&report);
    assert!(summary.starts_with("0 errors, 0 warnings, "), "{summary}");
    assert!(stdout(&out).ends_with(&format!("{summary}\n")), "{}", stdout(&out));
    let not_evaluated = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not-evaluated")
        .count();
    assert!(not_evaluated > 1, "{report:#}");
    assert_eq!(
        stderr(&out),
        format!("failed: {not_evaluated} rules not evaluated (--strict)\n")
    );
    fs::write(dir.path().join("sitelint.yaml"), "strict: true\n").unwrap();
    let out = sitelint_in(dir.path(), &["check", "--updatepack", &pack]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("failed: {not_evaluated} rules not evaluated (strict: true in the site config)\n")
    );
}

#[test]
fn rules_passed_is_the_same_with_a_site_config_as_without() {
    let dir = tempfile::tempdir().unwrap();
    let pack = update_pack(dir.path());
    let without = sitelint_in(dir.path(), &["check", "--updatepack", &pack]);
    fs::write(dir.path().join("sitelint.yaml"), "waivers: []\n").unwrap();
    let with = sitelint_in(dir.path(), &["check", "--updatepack", &pack]);
    let summary = |out: &std::process::Output| stdout(out).lines().last().unwrap_or_default().to_owned();
    // The built-in waiver rules pass in both and are counted in neither.
    let report = crate::json(&sitelint_in(
        dir.path(),
        &["check", "--updatepack", &pack, "--format", "json"],
    ));
    assert_eq!(summary(&without), crate::summary_of(&report));
    assert_eq!(summary(&with), format!("{}; config sitelint.yaml", summary(&without)));
}

#[test]
fn every_mistake_of_a_site_config_comes_in_one_round() {
    // An unknown param is judged while the rules load; the unknown ids used to wait for it.
    let dir = tempfile::tempdir().unwrap();
    let pack = update_pack(dir.path());
    fs::write(
        dir.path().join("sitelint.yaml"),
        "fail-on: sometimes\nparams:\n  target_verison: \"2409\"\nseverity:\n  no-such-rule: note\ndisable: [other-missing-rule]\n",
    )
    .unwrap();
    let out = sitelint_in(dir.path(), &["check", "--updatepack", &pack]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    for mistake in [
        "unknown `fail-on` value `sometimes`",
        "no ruleset declares a param `target_verison`",
        "no loaded rule is `no-such-rule`",
        "no loaded rule is `other-missing-rule`",
    ] {
        assert!(said.contains(mistake), "{mistake}: {said}");
    }
    assert!(said.ends_with("error: 4 problems in sitelint.yaml\n"), "{said}");
}

#[test]
fn the_internet_machine_checks_its_own_steps_without_being_asked_for_a_console_export() {
    let dir = tempfile::tempdir().unwrap();
    let pack = update_pack(dir.path());
    let all = sitelint_in(dir.path(), &["check", "--updatepack", &pack]);
    let text = stdout(&all);
    // Each rule not evaluated under its step and where that step's evidence is.
    // One line per missing input; `-v` lists the rules.
    let report = crate::json(&sitelint_in(
        dir.path(),
        &["check", "--updatepack", &pack, "--format", "json"],
    ));
    let reason = "no console export given (use --console-updates)";
    let count = crate::not_evaluated_for(&report, "console", reason);
    assert!(count > 1, "{report:#}");
    assert!(
        text.contains(&format!("\n  console (site server)\n    {count} rules: {reason}\n")),
        "{text}"
    );
    let verbose = stdout(&sitelint_in(dir.path(), &["check", "--updatepack", &pack, "-v"]));
    assert!(
        verbose.contains("\n  console (site server)\n    target-version-download-pending "),
        "{verbose}"
    );
    assert!(
        text.contains("\n  download (internet machine, after Connect)\n"),
        "{text}"
    );
    assert!(
        text.contains("add --step connect-machine,network,download to check only its steps"),
        "{text}"
    );

    let own = sitelint_in(
        dir.path(),
        &[
            "check",
            "--updatepack",
            &pack,
            "--step",
            "connect-machine,network,download",
        ],
    );
    let text = stdout(&own);
    assert!(!text.contains("target-version-not-ready"), "{text}");
    assert!(!text.contains("site server") && !text.contains("--step"), "{text}");
    let json = sitelint_in(
        dir.path(),
        &[
            "check",
            "--updatepack",
            &pack,
            "--step",
            "network",
            "--step",
            "download",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        crate::status(&crate::json(&json), "target-version-not-ready"),
        "disabled"
    );
    assert_eq!(crate::status(&crate::json(&json), "update-manifest-missing"), "passed");

    let wrong = sitelint_in(dir.path(), &["check", "--updatepack", &pack, "--step", "internet"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("connect-machine, network, download, import"),
        "{}",
        stderr(&wrong)
    );
}

#[test]
fn an_expired_waiver_is_named_from_the_working_directory_as_every_other_path() {
    let dir = tempfile::tempdir().unwrap();
    let pack = update_pack(dir.path());
    fs::write(
        dir.path().join("sitelint.yaml"),
        "waivers:\n  - rule: update-manifest-missing\n    reason: r\n    owner: o\n    expires: 2020-01-01\n",
    )
    .unwrap();
    let out = sitelint_in(dir.path(), &["check", "--updatepack", &pack]);
    let text = stdout(&out);
    assert!(text.contains("expired on 2020-01-01"), "{text}");
    assert!(text.contains("    at sitelint.yaml:2\n"), "{text}");
}
