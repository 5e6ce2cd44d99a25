//! Site policy: sitelint.yaml found and applied, waivers with an owner and an expiry, and
//! `sitelint config` saying where every value came from.

use std::fs;

use crate::{copy_dir, json, path_str, root, sitelint_in, stderr, stdout};

/// The Watson endpoints, blocked on purpose at many sites, waived until 2099.
const WATSON_WAIVER: &str = "waivers:
  - rule: updates-and-servicing-endpoints
    subject: \"*umwatsonc.events.data.microsoft.com\"
    reason: Watson crash telemetry is blocked by policy SEC-112
    owner: ops@contoso.com
    expires: 2099-12-31
    ticket: CHG-4411
";

/// A site folder with the failed-download example beside its sitelint.yaml.
fn site(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sitelint.yaml"), config).unwrap();
    copy_dir(
        &root().join("examples/snapshots/failed-download"),
        &dir.path().join("snap"),
    );
    dir
}

fn findings_of<'r>(report: &'r serde_json::Value, rule: &str) -> Vec<&'r serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

#[test]
fn a_waiver_suppresses_the_blocked_endpoints_and_the_rule_still_fails_for_the_rest() {
    let dir = site(WATSON_WAIVER);
    let args = [
        "check",
        "snap",
        "--select",
        "updates-and-servicing-endpoints",
        "--format",
        "json",
    ];
    let out = sitelint_in(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let endpoint = findings_of(&report, "updates-and-servicing-endpoints");
    let outcome = |subject: &str| {
        endpoint
            .iter()
            .find(|f| f["subject"] == subject)
            .unwrap_or_else(|| panic!("{subject}: {endpoint:#?}"))["outcome"]
            .clone()
    };
    assert_eq!(outcome("umwatsonc.events.data.microsoft.com"), "suppressed");
    assert_eq!(outcome("*-umwatsonc.events.data.microsoft.com"), "suppressed");
    assert_eq!(outcome("*.manage.microsoft.com"), "fail");
    let suppressed = endpoint.iter().find(|f| f["outcome"] == "suppressed").unwrap();
    let waiver = &suppressed["suppression"];
    assert_eq!(waiver["reason"], "Watson crash telemetry is blocked by policy SEC-112");
    assert_eq!(
        (waiver["owner"].as_str(), waiver["expires"].as_str()),
        (Some("ops@contoso.com"), Some("2099-12-31"))
    );
    assert_eq!(waiver["ticket"], "CHG-4411");
    assert_eq!(waiver["location"]["line"], 2);
    assert!(
        waiver["location"]["path"].as_str().unwrap().ends_with("sitelint.yaml"),
        "{waiver}"
    );

    let human = sitelint_in(dir.path(), &args[..4]);
    assert!(
        stdout(&human).ends_with(
            "2 errors, 0 warnings, 0 rules not evaluated, 0 rules passed, 2 suppressed; config sitelint.yaml\n"
        ),
        "{}",
        stdout(&human)
    );
    assert!(
        !stdout(&human).contains("SEC-112"),
        "suppressed findings are hidden by default"
    );
    let shown = sitelint_in(
        dir.path(),
        &[
            "check",
            "snap",
            "--select",
            "updates-and-servicing-endpoints",
            "--show-suppressed",
        ],
    );
    let text = stdout(&shown);
    assert_eq!(
        text.matches("suppressed by the waiver at sitelint.yaml:2: Watson crash")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("(owner ops@contoso.com, until 2099-12-31, CHG-4411)"),
        "{text}"
    );
}

#[test]
fn a_rule_whose_every_failure_is_waived_passes_and_the_run_exits_0() {
    let config = "waivers:
  - rule: redist-zero-byte-file
    reason: SQLSysClrTypes.msi is downloaded again on the site server (KB 123)
    owner: ops@contoso.com
    expires: 2099-12-31
";
    let dir = site(config);
    let out = sitelint_in(
        dir.path(),
        &["check", "snap", "--select", "redist-zero-byte-file", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report = json(&out);
    assert_eq!(crate::status(&report, "redist-zero-byte-file"), "passed");
    assert_eq!(crate::status(&report, "waiver-unused"), "passed");
}

#[test]
fn an_expired_waiver_suppresses_nothing_and_says_so_at_its_line() {
    let config = WATSON_WAIVER.replace("2099-12-31", "2024-01-31");
    let dir = site(&config);
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            "snap",
            "--select",
            "updates-and-servicing-endpoints",
            "--format",
            "json",
        ],
    );
    let report = json(&out);
    assert!(
        findings_of(&report, "updates-and-servicing-endpoints")
            .iter()
            .all(|f| f["outcome"] == "fail")
    );
    let [expired] = findings_of(&report, "waiver-expired")[..] else {
        panic!("one waiver-expired finding: {report:#}");
    };
    assert_eq!(expired["severity"], "warning");
    assert_eq!(expired["location"]["line"], 2);
    assert!(
        expired["message"].as_str().unwrap().contains("expired on 2024-01-31"),
        "{expired}"
    );
    // A warning like any other: --fail-on warning fails on it alone.
    let only_waivers = sitelint_in(
        dir.path(),
        &[
            "check",
            "snap",
            "--select",
            "sct-cab-no-telemetry",
            "--fail-on",
            "warning",
        ],
    );
    assert_eq!(only_waivers.status.code(), Some(1), "{}", stdout(&only_waivers));
}

#[test]
fn a_waiver_that_matched_nothing_is_reported_unused() {
    let config = WATSON_WAIVER.replace("*umwatsonc.events.data.microsoft.com", "*.example.com");
    let dir = site(&config);
    let out = sitelint_in(dir.path(), &["check", "snap", "--format", "json"]);
    let report = json(&out);
    let [unused] = findings_of(&report, "waiver-unused")[..] else {
        panic!("one waiver-unused finding: {report:#}");
    };
    assert_eq!(unused["location"]["line"], 2);
    assert!(
        unused["message"].as_str().unwrap().ends_with("matched no finding"),
        "{unused}"
    );
    // A waiver whose rule did not run is not judged unused.
    let skipped = sitelint_in(
        dir.path(),
        &["check", "snap", "--select", "redist-zero-byte-file", "--format", "json"],
    );
    assert!(findings_of(&json(&skipped), "waiver-unused").is_empty());
}

#[test]
fn every_mistake_in_a_config_is_reported_at_once_with_its_place() {
    let config = "defualt-rules: true
fail-on: errors
severity: {sct-redist-download-faild: warning}
waivers:
  - rule: updates-and-servicing-endpoint
    reason: blocked
    expires: 2027-02-30
";
    let dir = site(config);
    let out = sitelint_in(dir.path(), &["check", "snap"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for expected in [
        "unknown field `defualt-rules` in a config file",
        "did you mean `default-rules`?",
        "unknown `fail-on` value `errors`",
        "did you mean `error`?",
        "missing field `owner`",
        "`2027-02-30` is not a date",
        "sitelint.yaml:1:1",
        "sitelint.yaml:7:14",
        // Rule ids are judged in the same run, against the rules the file loads.
        "no loaded rule is `sct-redist-download-faild`",
        "did you mean `sct-redist-download-failed`?",
        "no loaded rule is `updates-and-servicing-endpoint`",
        "did you mean `updates-and-servicing-endpoints`?",
        "error: 6 problems in sitelint.yaml",
    ] {
        assert!(err.contains(expected), "{expected:?} missing in:\n{err}");
    }
}

/// The field reader once spoke of rules whatever it read: a waiver said "this rule has no".
#[test]
fn a_waiver_without_an_owner_says_the_waiver_has_no_owner() {
    let config =
        "waivers:\n  - rule: sct-cab-no-telemetry\n    reason: the CAB is rebuilt weekly\n    expires: 2099-01-01\n";
    let dir = site(config);
    let out = sitelint_in(dir.path(), &["check", "snap", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("missing field `owner`"), "{err}");
    assert!(err.contains("this waiver has no `owner`"), "{err}");
    assert!(!err.contains("this rule"), "{err}");
}

#[test]
fn the_config_is_found_in_a_parent_and_the_command_line_wins() {
    let config = "fail-on: never\nseverity: {redist-zero-byte-file: note}\ndisable: [update-manifest-missing]\n";
    let dir = site(config);
    let below = dir.path().join("snap/logs");
    let out = sitelint_in(&below, &["check", "..", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "fail-on: never from ../../sitelint.yaml");
    let report = json(&out);
    assert_eq!(findings_of(&report, "redist-zero-byte-file")[0]["severity"], "note");
    assert_eq!(crate::status(&report, "update-manifest-missing"), "disabled");
    let flag = sitelint_in(&below, &["check", "..", "--fail-on", "error"]);
    assert_eq!(flag.status.code(), Some(1));
    let skipped = sitelint_in(&below, &["check", "..", "--no-config"]);
    assert_eq!(skipped.status.code(), Some(1));

    // `strict: true` in the file, and --no-strict on the command line for one run.
    fs::write(dir.path().join("sitelint.yaml"), "strict: true\nfail-on: never\n").unwrap();
    let partial = ["check", "--log", "logs/ServiceConnectionTool.log"];
    assert_eq!(
        sitelint_in(&below.join(".."), &partial).status.code(),
        Some(1),
        "not evaluated fails"
    );
    let mut relaxed = partial.to_vec();
    relaxed.push("--no-strict");
    assert_eq!(sitelint_in(&below.join(".."), &relaxed).status.code(), Some(0));
}

#[test]
fn sources_in_the_config_make_a_bare_check_check_the_site() {
    let config = "sources:
  updatepack: snap/trees
  logs: [snap/logs/ServiceConnectionTool.log]
  endpoints-allowlist: snap/network/allowlist.txt
";
    let dir = site(config);
    // A tree listing is no live tree: make one with the example's 0-byte file.
    let redist = dir
        .path()
        .join("snap/trees/3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E/Redist");
    fs::create_dir_all(&redist).unwrap();
    fs::write(redist.join("SQLSysClrTypes.msi"), b"").unwrap();
    let out = sitelint_in(dir.path(), &["check", "--format", "json"]);
    let report = json(&out);
    assert_eq!(
        crate::status(&report, "redist-zero-byte-file"),
        "failed",
        "{}",
        stderr(&out)
    );
    assert_eq!(crate::status(&report, "sct-redist-download-failed"), "failed");
    assert_eq!(crate::status(&report, "setup-download-failed"), "not-evaluated");
}

#[test]
fn config_prints_each_value_with_where_it_came_from() {
    let config = format!("params:\n  target_version: \"2503\"\nstrict: true\n{WATSON_WAIVER}");
    let dir = site(&config);
    let out = sitelint_in(dir.path(), &["config", "--set", "target_version=2509"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // A row with the lines it wraps onto, which start with spaces.
    let line = |key: &str| {
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"));
        let wrapped = lines[at + 1..].iter().take_while(|l| l.starts_with(' ')).count();
        lines[at..=at + wrapped]
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("config"),
        "config = sitelint.yaml (found in the working directory or above)"
    );
    assert_eq!(
        line("params.target_version"),
        "params.target_version = \"2509\" (--set)"
    );
    assert_eq!(line("strict"), "strict = true (sitelint.yaml:3)");
    assert_eq!(line("fail-on"), "fail-on = error (default)");
    assert!(line("waiver").ends_with("(sitelint.yaml:5)"), "{text}");
    let given = sitelint_in(
        &root(),
        &["config", "--config", path_str(&dir.path().join("sitelint.yaml"))],
    );
    assert!(stdout(&given).contains("(--config)"), "{}", stdout(&given));
}

#[test]
fn a_waiver_of_the_whole_rule_accepts_the_findings_past_the_cap_too() {
    let dir = site(
        "waivers:
  - rule: sct-redist-download-failed
    reason: this test log fails on purpose
    owner: ops@contoso.com
    expires: 2099-12-31
",
    );
    let lines: String = (0..1200)
        .map(|i| format!("ERROR:Failed to download redist for 3B7D84FA-ECCC-4EA0-B8AB-{i:012X}\r\n"))
        .collect();
    fs::write(dir.path().join("ServiceConnectionTool.log"), lines).unwrap();
    let args = [
        "check",
        "--log",
        "ServiceConnectionTool.log",
        "--select",
        "sct-redist-download-failed",
    ];
    let out = sitelint_in(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out).lines().last().unwrap(),
        "0 errors, 0 warnings, 0 rules not evaluated, 1 rule passed, 1200 suppressed; config sitelint.yaml"
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let report = json(&sitelint_in(dir.path(), &json_args));
    let rule = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "sct-redist-download-failed")
        .unwrap();
    assert_eq!(
        (rule["status"].as_str(), rule["omitted_findings"].as_u64()),
        (Some("passed"), Some(200))
    );
    assert_eq!(rule["omitted_suppressed"], true);
    assert_eq!(crate::status(&report, "waiver-unused"), "passed");
}

/// The Watson waiver, expired: `waiver-expired` fails for it.
fn expired_watson_waiver() -> String {
    WATSON_WAIVER.replace("2099-12-31", "2024-01-31")
}

#[test]
fn rules_show_describes_a_built_in_rule() {
    let dir = site("{}\n");
    let out = sitelint_in(dir.path(), &["rules", "show", "waiver-expired"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("waiver-expired  (warning built-in)\nEvery waiver is within its expiry date\n"),
        "{text}"
    );
    assert!(text.contains("`expires` day has passed"), "{text}");
    assert!(text.contains("tags: waivers"), "{text}");
}

#[test]
fn select_names_a_built_in_rule_and_runs_only_it() {
    let dir = site(&expired_watson_waiver());
    let out = sitelint_in(
        dir.path(),
        &["check", "snap", "--select", "waiver-expired", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(crate::status(&report, "waiver-expired"), "failed");
    assert_eq!(crate::status(&report, "waiver-unused"), "disabled");
    assert_eq!(crate::status(&report, "updates-and-servicing-endpoints"), "disabled");
    assert_eq!(findings_of(&report, "waiver-expired").len(), 1, "{report:#}");
}

#[test]
fn ignore_turns_a_built_in_rule_off() {
    let dir = site(&expired_watson_waiver());
    let out = sitelint_in(
        dir.path(),
        &["check", "snap", "--ignore", "waiver-expired", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(crate::status(&report, "waiver-expired"), "disabled");
    assert!(findings_of(&report, "waiver-expired").is_empty(), "{report:#}");
}

#[test]
fn the_config_sets_a_built_in_rules_severity_and_sarif_says_so() {
    let config = format!("severity:\n  waiver-expired: error\n{}", expired_watson_waiver());
    let dir = site(&config);
    let args = [
        "check",
        "snap",
        "--select",
        "updates-and-servicing-endpoints",
        "--format",
    ];
    let out = sitelint_in(dir.path(), &[&args[..], &["json"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let [expired] = findings_of(&report, "waiver-expired")[..] else {
        panic!("one waiver-expired finding: {report:#}");
    };
    assert_eq!(expired["severity"], "error");

    let sarif = json(&sitelint_in(dir.path(), &[&args[..], &["sarif"]].concat()));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = rules.iter().find(|r| r["id"] == "waiver-expired").unwrap();
    assert_eq!(rule["defaultConfiguration"]["level"], "error", "{rule:#}");
    assert!(rules.iter().any(|r| r["id"] == "waiver-unused"), "{rules:#?}");
}

#[test]
fn the_config_disables_a_built_in_rule() {
    let config = format!(
        "disable: [waiver-unused]\n{}",
        WATSON_WAIVER.replace("*umwatsonc.events.data.microsoft.com", "nothing.example")
    );
    let dir = site(&config);
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            "snap",
            "--select",
            "updates-and-servicing-endpoints",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(crate::status(&report, "waiver-unused"), "disabled");
    assert!(findings_of(&report, "waiver-unused").is_empty(), "{report:#}");
}
