//! The commands a user runs first: exit codes, rendered output, JSON, formats and selection.

use crate::{json, sitelint, status, stderr, stdout};

#[test]
fn failed_download_example_fails_with_a_readable_report() {
    let out = sitelint(&crate::frozen(&["check", "examples/snapshots/failed-download"]));
    assert_eq!(out.status.code(), Some(1));
    if cfg!(windows) {
        // Redirected, as PowerShell 5.1 re-encodes it: frames in ASCII.
        let text = stdout(&out);
        assert!(text.contains(r",-[logs\ConfigMgrSetup.log:15:8]"), "{text}");
        assert!(!text.contains('╭'), "{text}");
    }
    // Written to a file by sitelint itself: UTF-8 on every platform, and whole lines (a file
    // is not a terminal), so one snapshot serves both.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.txt");
    let to_file = format!("human={}", crate::path_str(&report));
    let args = [
        &crate::frozen(&["check", "examples/snapshots/failed-download"])[..],
        &["--format", &to_file],
    ]
    .concat();
    let out = sitelint(&args);
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&report).unwrap();
    // People read paths as their platform writes them; the rest is the same everywhere.
    let text = if cfg!(windows) {
        assert!(text.contains(r"╭─[logs\ConfigMgrSetup.log:15:8]"), "{text}");
        assert!(!text.contains("logs/"), "{text}");
        // Only the snapshot's own paths: the help quotes Windows paths (`C:\ConfigMgrPrereq.log`)
        // the same on every platform.
        ["logs", "console", "trees", "network"]
            .iter()
            .fold(text, |text, dir| text.replace(&format!("{dir}\\"), &format!("{dir}/")))
    } else {
        text
    };
    insta::assert_snapshot!("failed_download_human", text);
}

#[test]
fn clean_example_passes_with_site_rules_too() {
    let args = ["check", "examples/snapshots/clean", "--rules", "examples/site-rules"];
    let out = sitelint(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let summary = crate::summary_of_run(&crate::root(), &args);
    assert!(summary.starts_with("0 errors, 0 warnings, "), "{summary}");
    assert!(stdout(&out).ends_with(&format!("{summary}\n")), "{}", stdout(&out));
    // The site server's steps need its logs, which an internet machine's snapshot lacks.
    let report = json(&sitelint(&[&args[..], &["--format", "json"]].concat()));
    assert_eq!(crate::status(&report, "dmp-connection-closed"), "not-evaluated");
    assert_eq!(crate::status(&report, "contoso-odbc-redist-present"), "passed");
}

#[test]
fn json_report_of_failed_download() {
    let out = sitelint(&crate::frozen(&[
        "check",
        "examples/snapshots/failed-download",
        "--format",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let mut report = json(&out);
    report["tool"]["version"] = "VERSION".into();
    insta::assert_json_snapshot!("failed_download_json", report);
}

#[test]
fn output_is_byte_identical_across_runs() {
    let a = sitelint(&["check", "examples/snapshots/failed-download", "--format", "json"]);
    let b = sitelint(&["check", "examples/snapshots/failed-download", "--format", "json"]);
    assert_eq!(a.status.code(), Some(1));
    assert_eq!(b.status.code(), Some(1));
    // Two empty reports would be identical too: this one has its findings.
    assert!(json(&a)["findings"].as_array().is_some_and(|f| !f.is_empty()));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn one_run_writes_human_to_stdout_and_json_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let target = format!("json={}", path.display());
    let out = sitelint(&[
        "check",
        "examples/snapshots/failed-download",
        "--format",
        "human",
        "--format",
        &target,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(stdout(&out).ends_with(&format!("{}\n", crate::summary_of(&report))));
    // The file holds the report stdout would have shown.
    let on_stdout = sitelint(&["check", "examples/snapshots/failed-download", "--format", "json"]);
    assert_eq!(report, json(&on_stdout));
}

#[test]
fn two_formats_on_stdout_is_a_usage_error() {
    let out = sitelint(&[
        "check",
        "examples/snapshots/clean",
        "--format",
        "human",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("only one --format can write to standard output"));
}

#[test]
fn two_formats_to_one_file_and_an_empty_path_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("a.sarif");
    let sarif = format!("sarif={}", crate::path_str(&report));
    // The same file, named another way.
    let json = format!("json={}", crate::path_str(&dir.path().join(".").join("a.sarif")));
    let out = sitelint(&[
        "check",
        "examples/snapshots/clean",
        "--format",
        &sarif,
        "--format",
        &json,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--format sarif and --format json both write to"),
        "{}",
        stderr(&out)
    );
    assert!(!report.exists(), "nothing is written");

    let out = sitelint(&["check", "examples/snapshots/clean", "--format", "json="]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--format json=: the path is missing"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn fail_on_decides_the_exit_code() {
    // The only finding left is the warning `sct-redists-not-confirmed`.
    let args = [
        "check",
        "examples/snapshots/failed-download",
        "--select",
        "sct-redists-not-confirmed",
    ];
    assert_eq!(sitelint(&args).status.code(), Some(0));
    let mut warning = args.to_vec();
    warning.extend(["--fail-on", "warning"]);
    assert_eq!(sitelint(&warning).status.code(), Some(1));
    assert_eq!(
        sitelint(&["check", "examples/snapshots/failed-download", "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn select_and_ignore_take_ids_and_tags() {
    let out = sitelint(&[
        "check",
        "examples/snapshots/failed-download",
        "--select",
        "tag:network",
        "--format",
        "json",
    ]);
    let report = json(&out);
    assert_eq!(status(&report, "updates-and-servicing-endpoints"), "failed");
    assert_eq!(status(&report, "setup-download-failed"), "disabled");
    let out = sitelint(&[
        "check",
        "examples/snapshots/failed-download",
        "--ignore",
        "tag:download",
        "--ignore",
        "tag:network",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_selector_that_matches_nothing_is_an_error_with_a_suggestion() {
    let out = sitelint(&["check", "examples/snapshots/clean", "--select", "setup-download-fail"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `setup-download-failed`?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn set_overrides_the_target_version() {
    let out = sitelint(&[
        "check",
        "examples/snapshots/site-server-after-import",
        "--set",
        "target_version=2503",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(status(&report, "target-version-not-ready"), "failed");
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("version 2503 is not in the console export"),
        "{message}"
    );
    let out = sitelint(&[
        "check",
        "examples/snapshots/site-server-after-import",
        "--set",
        "target_versoin=2503",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `target_version`?"));
}

#[test]
fn config_file_sets_params_and_adds_rules() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sitelint.yaml");
    let site = crate::root().join("examples/site-rules");
    std::fs::write(
        &config,
        format!("params:\n  target_version: \"2503\"\nrules:\n  - {}\n", site.display()),
    )
    .unwrap();
    // The param on the site server's console export, the added rule on the internet
    // machine's pack: each snapshot holds one machine's evidence.
    let check = |snapshot: &str| {
        json(&sitelint(&[
            "check",
            snapshot,
            "--config",
            crate::path_str(&config),
            "--format",
            "json",
        ]))
    };
    let after_import = check("examples/snapshots/site-server-after-import");
    assert_eq!(status(&after_import, "target-version-not-ready"), "failed");
    let clean = check("examples/snapshots/clean");
    assert_eq!(status(&clean, "contoso-odbc-redist-present"), "passed");
}

#[test]
fn rules_show_prints_the_definition_and_suggests_ids() {
    let out = sitelint(&["rules", "show", "setup-download-failed"]);
    assert!(out.status.success());
    insta::assert_snapshot!("rules_show", stdout(&out));
    let out = sitelint(&["rules", "show", "setup-download"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `setup-download-failed`?"));
}

#[test]
fn nothing_to_check_explains_what_to_give() {
    let out = sitelint(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("nothing to check"), "{err}");
    // An installed binary has no examples/ beside it: suggest what works anywhere.
    assert!(!err.contains("examples/"), "{err}");
    assert!(
        err.contains("sitelint check --updatepack D:\\USB\\UpdatePacks"),
        "{err}"
    );
}

/// The README's first commands are pasted into cmd.exe, PowerShell and zsh: no `# comment`
/// may ride on them (cmd.exe passes `#` to sitelint as an argument).
#[test]
fn the_readme_commands_paste_into_any_shell() {
    let readme = std::fs::read_to_string(crate::root().join("README.md")).unwrap();
    let section = readme.split("## First two commands").nth(1).expect("the section");
    let section = section.split("\n## ").next().unwrap();
    let blocks: Vec<&str> = section.split("```").skip(1).step_by(2).collect();
    let commands: Vec<&str> = blocks
        .iter()
        .filter(|b| b.starts_with("bat\n") || b.starts_with("sh\n"))
        .flat_map(|b| b.lines().skip(1).filter(|l| !l.trim().is_empty()))
        .collect();
    assert_eq!(
        commands,
        [
            r"sitelint.exe check examples\snapshots\failed-download",
            r"sitelint.exe check examples\snapshots\clean",
            "cargo run --release -- check examples/snapshots/failed-download",
            "cargo test"
        ]
    );
}

#[test]
fn a_live_source_that_no_rule_reads_is_named_with_what_the_rules_read() {
    let out = sitelint(&[
        "check",
        "--log",
        "SCT.log=examples/snapshots/failed-download/logs/ServiceConnectionTool.log",
        "--tree",
        "updatepak=examples",
        "--quiet",
    ]);
    let err = stderr(&out);
    assert!(
        err.contains(
            "warning: no rule reads log `SCT.log`: the rules read the logs ServiceConnectionTool.log, ConfigMgrSetup.log"
        ),
        "{err}"
    );
    assert!(
        err.contains("no rule reads tree `updatepak`: the rules read the tree updatepack; did you mean `updatepack` (--tree updatepack=...)?"),
        "{err}"
    );
    // Logs first, then trees, as the engine loads them.
    assert!(err.find("no rule reads log") < err.find("no rule reads tree"), "{err}");
    // A source a rule reads is not mentioned.
    let out = sitelint(&[
        "check",
        "--log",
        "examples/snapshots/failed-download/logs/ServiceConnectionTool.log",
        "--quiet",
    ]);
    assert!(!stderr(&out).contains("no rule reads"), "{}", stderr(&out));
}

#[test]
fn the_summary_counts_every_problem_and_says_how_many_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ServiceConnectionTool.log");
    let lines: String = (0..1200)
        .map(|i| format!("ERROR:Failed to download redist for 3B7D84FA-ECCC-4EA0-B8AB-{i:012X}\r\n"))
        .collect();
    std::fs::write(&log, lines).unwrap();
    let out = sitelint(&[
        "check",
        "--log",
        crate::path_str(&log),
        "--select",
        "sct-redist-download-failed",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("note: sct-redist-download-failed found 200 findings more than the 1000 shown"),
        "{text}"
    );
    assert_eq!(
        text.lines().last().unwrap(),
        "1200 errors, 0 warnings, 0 rules not evaluated, 0 rules passed (1000 of 1200 problems shown)"
    );
}

#[test]
fn rules_list_has_a_json_form_for_scripts() {
    let out = sitelint(&["rules", "list", "--format", "json", "--rules", "examples/site-rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rules = json(&out);
    let rules = rules.as_array().unwrap();
    // The shipped and the site rules, and the two built-in ones about waivers.
    assert_eq!(rules.len(), crate::default_rule_count() + 2 + 2);
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"waiver-expired") && ids.contains(&"waiver-unused"),
        "{ids:?}"
    );
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    let rule = rules.iter().find(|r| r["id"] == "setup-download-failed").unwrap();
    assert_eq!(rule["kind"], "forbidden-log-pattern");
    assert_eq!(rule["severity"], "error");
    assert_eq!(rule["enabled"], true);
    assert!(
        rule["origin"]
            .as_str()
            .unwrap()
            .contains("rules/configmgr-offline-servicing.yaml:")
    );
}

#[test]
fn verbose_says_which_rule_files_params_and_sources_were_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sitelint.yaml");
    std::fs::write(&config, "params:\n  odbc_installer: msodbcsql.msi\n").unwrap();
    let out = sitelint(&[
        "check",
        "-v",
        "examples/snapshots/clean",
        "--rules",
        "examples/site-rules",
        "--config",
        crate::path_str(&config),
        "--set",
        "target_version=2409",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
    let config_line = format!(
        "loaded param: odbc_installer = \"msodbcsql.msi\" from {}:2",
        config.display()
    );
    let site_rules = format!(
        "loaded rules: {} (2 rules)",
        std::path::Path::new("examples/site-rules")
            .join("contoso.yaml")
            .display()
    );
    let snapshot_line = format!(
        "loaded snapshot: {}",
        std::path::Path::new("examples/snapshots/clean")
            .join("snapshot.yaml")
            .display()
    );
    let (file, count) = &crate::default_rule_files()[0];
    let built_in = format!("loaded rules: {file} ({count} rules)");
    let expected = [
        built_in.as_str(),
        &site_rules,
        &config_line,
        "loaded param: target_version = \"2409\" from --set",
        &snapshot_line,
        "loaded tree updatepack: listing trees/updatepack.jsonl",
    ];
    for line in expected {
        assert!(said.iter().any(|l| l == line), "missing {line:?} in {said:#?}");
    }
    assert!(
        said.iter()
            .any(|l| l.starts_with("loaded log ServiceConnectionTool.log: logs")),
        "{said:#?}"
    );
}

/// Forty failed prerequisite lines need forty messages, not forty copies of one paragraph:
/// the terminal shows a rule's help once, and JSON and SARIF keep it on every finding.
#[test]
fn a_rules_help_is_shown_once_in_the_terminal_and_kept_per_finding_in_json_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let (json_path, sarif_path) = (dir.path().join("r.json"), dir.path().join("r.sarif"));
    let out = sitelint(&[
        "check",
        "--log",
        "rules/tests/prereq-rule-failed/fail/ConfigMgrPrereq.log",
        "--select",
        "prereq-rule-failed",
        "--format",
        "human",
        "--format",
        &format!("json={}", json_path.display()),
        "--format",
        &format!("sarif={}", sarif_path.display()),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(
        text.matches("The upgrade cannot start until this rule passes").count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.matches("help: see the help of the first `prereq-rule-failed` finding above")
            .count(),
        1,
        "{text}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let helps: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["outcome"] == "fail")
        .map(|f| f["help"].as_str().unwrap())
        .collect();
    assert_eq!(helps.len(), 2);
    assert!(
        helps.iter().all(|h| h.starts_with("The upgrade cannot start")),
        "{helps:?}"
    );
    let sarif = std::fs::read_to_string(&sarif_path).unwrap();
    assert!(sarif.contains("The upgrade cannot start until this rule passes"));
    assert!(!sarif.contains("see the help of the first"));
}
