//! The SARIF report as review tools read it: locations for every result, rules metadata,
//! fingerprints that survive a moved snapshot and a longer log, honest notifications.

use std::fs;

use serde_json::Value;

use crate::{copy_dir, path_str, root, sitelint, stdout};

fn sarif(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "sarif"]);
    let out = sitelint(&all);
    let log = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)));
    (out.status.code(), log)
}

fn run(log: &Value) -> &Value {
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    &log["runs"][0]
}

fn results(log: &Value) -> &Vec<Value> {
    run(log)["results"].as_array().unwrap()
}

/// `(ruleId, uri, startLine)` of every result.
fn places(log: &Value) -> Vec<(String, String, Option<u64>)> {
    results(log)
        .iter()
        .map(|r| {
            let physical = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                physical["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                physical["region"]["startLine"].as_u64(),
            )
        })
        .collect()
}

fn fingerprints(log: &Value) -> Vec<(String, String)> {
    let mut prints: Vec<(String, String)> = results(log)
        .iter()
        .map(|r| {
            let print = r["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap();
            assert_eq!(r["partialFingerprints"]["sitelint/v1"], print);
            (r["ruleId"].as_str().unwrap().to_owned(), print.to_owned())
        })
        .collect();
    prints.sort();
    prints
}

/// Checks what GitHub needs of every result and rule, whatever the report.
fn assert_uploadable(log: &Value) {
    let run = run(log);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let bases = run["originalUriBaseIds"].as_object().unwrap();
    for rule in rules {
        for field in ["shortDescription", "fullDescription", "help"] {
            let text = rule[field]["text"].as_str().unwrap();
            assert!(
                !text.is_empty() && text.chars().count() <= 1024,
                "{field} of {}",
                rule["id"]
            );
        }
        assert!(rule["help"]["markdown"].as_str().is_some());
    }
    for result in results(log) {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let locations = result["locations"].as_array().unwrap();
        assert!(
            !locations.is_empty(),
            "a result without a location fails the whole upload"
        );
        let artifact = &locations[0]["physicalLocation"]["artifactLocation"];
        let uri = artifact["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains('\\') && !uri.contains("file:"),
            "{uri}"
        );
        let base = artifact["uriBaseId"].as_str().unwrap();
        assert!(bases.contains_key(base), "base {base} is not declared");
        assert!(result["locations"][0]["physicalLocation"]["region"].is_object());
    }
}

#[test]
fn failed_download_as_sarif() {
    let (code, mut log) = sarif(&crate::frozen(&["check", "examples/snapshots/failed-download"]));
    assert_eq!(code, Some(1));
    assert_uploadable(&log);
    let run = &mut log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    // The working directory differs between clones; everything else is fixed.
    let here = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(here.starts_with("file:///") && here.ends_with('/'));
    assert_eq!(run["invocations"][0]["workingDirectory"]["uri"], here);
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///WORKING-DIR/".into();
    run["invocations"][0]["workingDirectory"]["uri"] = "file:///WORKING-DIR/".into();
    run["tool"]["driver"]["version"] = "VERSION".into();
    run["tool"]["driver"]["semanticVersion"] = "VERSION".into();
    insta::assert_json_snapshot!("failed_download_sarif", log);
}

#[test]
fn absences_point_at_the_artifact_that_shows_them() {
    // The whole file a finding is about, in the report of `snapshot`.
    let whole = |snapshot: &str, rule: &str, file: &str| {
        let (_, log) = sarif(&["check", snapshot]);
        let result = results(&log).iter().find(|r| r["ruleId"] == rule).unwrap();
        let physical = &result["locations"][0]["physicalLocation"];
        let size = fs::metadata(root().join(snapshot).join(file)).unwrap().len();
        assert_eq!(physical["artifactLocation"]["uri"], format!("{snapshot}/{file}"));
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(physical["region"]["byteOffset"], 0);
        assert_eq!(physical["region"]["byteLength"], size, "{rule}: the whole file");
    };
    let internet_machine = "examples/snapshots/failed-download";
    whole(
        internet_machine,
        "sct-redists-not-confirmed",
        "logs/ServiceConnectionTool.log",
    );
    whole(
        internet_machine,
        "updates-and-servicing-endpoints",
        "network/allowlist.txt",
    );
    // The console export is the site server's, after the import.
    whole(
        "examples/snapshots/site-server-after-import",
        "target-version-not-ready",
        "console/updates.json",
    );

    let fixture = "rules/tests/update-manifest-missing/fail";
    let (_, log) = sarif(&["check", fixture, "--select", "update-manifest-missing"]);
    assert_uploadable(&log);
    assert_eq!(
        places(&log),
        [(
            "update-manifest-missing".to_owned(),
            format!("{fixture}/updatepack.jsonl"),
            None
        )]
    );
}

#[test]
fn rules_not_evaluated_become_notifications_not_results() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("logs")).unwrap();
    fs::copy(
        root().join("examples/snapshots/failed-download/logs/ServiceConnectionTool.log"),
        dir.path().join("logs/ServiceConnectionTool.log"),
    )
    .unwrap();
    fs::write(
        dir.path().join("snapshot.yaml"),
        "sitelint_snapshot: 1\nlogs:\n  ServiceConnectionTool.log: logs/ServiceConnectionTool.log\n",
    )
    .unwrap();
    let (code, log) = sarif(&["check", path_str(dir.path())]);
    assert_eq!(code, Some(1));
    assert_uploadable(&log);
    let run = run(&log);
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert!(
        results(&log)
            .iter()
            .all(|r| r["ruleId"].as_str().unwrap().starts_with("sct-"))
    );

    // The snapshot is outside the working directory: its own base, declared absolutely.
    let snapshot_base = run["originalUriBaseIds"]["SNAPSHOT"]["uri"].as_str().unwrap();
    assert_eq!(snapshot_base, crate::directory_uri(dir.path()));
    assert_eq!(
        results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "logs/ServiceConnectionTool.log"
    );

    let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
    let not_evaluated: Vec<&str> = notes
        .iter()
        .filter(|n| n["descriptor"]["id"] == "rule-not-evaluated")
        .map(|n| n["associatedRule"]["id"].as_str().unwrap())
        .collect();
    // Every rule the JSON report of the same run calls not evaluated, and only those.
    let report = crate::json(&sitelint(&["check", path_str(dir.path()), "--format", "json"]));
    let expected: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not-evaluated")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(not_evaluated, expected);
    assert!(not_evaluated.contains(&"setup-download-failed"), "{not_evaluated:?}");
    let tree_note = notes
        .iter()
        .find(|n| n["associatedRule"]["id"] == "redist-zero-byte-file")
        .unwrap();
    assert_eq!(tree_note["level"], "warning");
    assert!(
        tree_note["message"]["text"]
            .as_str()
            .unwrap()
            .contains("has no tree `updatepack`"),
        "{tree_note}"
    );
    assert_eq!(
        tree_note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "snapshot.yaml"
    );
}

#[test]
fn a_clean_run_lists_every_rule_and_no_results() {
    let (code, log) = sarif(&["check", "examples/snapshots/clean", "--rules", "examples/site-rules"]);
    assert_eq!(code, Some(0));
    assert_eq!(results(&log).len(), 0);
    // The default rules and the example's two site rules.
    let rules = run(&log)["tool"]["driver"]["rules"].as_array().unwrap().len();
    assert_eq!(rules, crate::default_rule_count() + 2);
    // Only the site server's steps, whose logs an internet machine's snapshot lacks, are not
    // evaluated.
    let notes = run(&log)["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .clone();
    let report = crate::json(&sitelint(&[
        "check",
        "examples/snapshots/clean",
        "--rules",
        "examples/site-rules",
        "--format",
        "json",
    ]));
    let not_evaluated = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not-evaluated");
    assert_eq!(notes.len(), not_evaluated.count());
    assert!(notes.iter().all(|n| n["descriptor"]["id"] == "rule-not-evaluated"));
}

#[test]
fn an_unreadable_source_marks_the_run_unsuccessful() {
    let (code, log) = sarif(&["check", "--log", "ServiceConnectionTool.log=no/such.log"]);
    assert_eq!(code, Some(2));
    let invocation = &run(&log)["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let error = invocation["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["level"] == "error")
        .expect("an error notification");
    assert_eq!(error["descriptor"]["id"], "source-unreadable");
    assert_eq!(
        error["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "no/such.log"
    );
}

/// Copies the failed-download example elsewhere, with `extra` lines put before the log's first.
fn moved_example(extra: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = root().join("examples/snapshots/failed-download");
    copy_dir(&from, dir.path());
    let log = dir.path().join("logs/ConfigMgrSetup.log");
    let text = fs::read_to_string(&log).unwrap();
    let before = "INFO: Preparing the download  $$<Configuration Manager Setup><12-17-2024 19:40:00.000+300><thread=4580 (0x11E4)>\r\n";
    fs::write(&log, before.repeat(extra) + &text).unwrap();
    dir
}

#[test]
fn fingerprints_survive_a_moved_snapshot_and_lines_added_above() {
    let (_, here) = sarif(&["check", "examples/snapshots/failed-download"]);
    let moved = moved_example(0);
    let (_, there) = sarif(&["check", path_str(moved.path())]);
    let longer = moved_example(25);
    let (_, longer_log) = sarif(&["check", path_str(longer.path())]);

    assert_eq!(fingerprints(&here), fingerprints(&there));
    assert_eq!(fingerprints(&here), fingerprints(&longer_log));
    // The places did change: the fingerprints held despite that, not for want of it.
    let line_of = |log: &Value| {
        places(log)
            .into_iter()
            .find(|(rule, _, _)| rule == "setup-download-failed")
            .and_then(|(_, _, line)| line)
    };
    assert_eq!(line_of(&longer_log), line_of(&here).map(|l| l + 25));
    assert_ne!(places(&here)[0].1, places(&there)[0].1);
}

#[test]
fn three_formats_in_one_run_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (json_path, sarif_path) = (dir.path().join("r.json"), dir.path().join("r.sarif"));
    let out = sitelint(&[
        "check",
        "examples/snapshots/failed-download",
        "--format",
        "human",
        "--format",
        &format!("sarif={}", sarif_path.display()),
        "--format",
        &format!("json={}", json_path.display()),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&fs::read(json_path).unwrap()).unwrap();
    assert!(stdout(&out).ends_with(&format!("{}\n", crate::summary_of(&json))));
    let log: Value = serde_json::from_slice(&fs::read(sarif_path).unwrap()).unwrap();
    // Rules not evaluated are SARIF notifications, not results.
    let from_json: Vec<(String, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["outcome"] != "not-evaluated")
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                message.trim_end_matches('.').to_owned(),
            )
        })
        .collect();
    let from_sarif: Vec<(String, String, String)> = results(&log)
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                r["level"].as_str().unwrap().to_owned(),
                r["message"]["text"].as_str().unwrap().trim_end_matches('.').to_owned(),
            )
        })
        .collect();
    assert!(!from_json.is_empty());
    assert_eq!(from_json, from_sarif);
}

#[test]
fn results_over_the_cap_are_counted_in_a_notification() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("ServiceConnectionTool.log");
    let lines: String = (0..1200)
        .map(|i| format!("ERROR:Failed to download redist for 3B7D84FA-ECCC-4EA0-B8AB-{i:012X}\r\n"))
        .collect();
    fs::write(&log_path, lines).unwrap();
    let (_, log) = sarif(&[
        "check",
        "--log",
        &format!("ServiceConnectionTool.log={}", log_path.display()),
        "--select",
        "sct-redist-download-failed",
    ]);
    assert_eq!(results(&log).len(), 1000);
    let note = &run(&log)["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(note["descriptor"]["id"], "results-capped");
    assert_eq!(
        note["message"]["text"],
        "Rule sct-redist-download-failed found 1200 problems; 1000 are reported and 200 were counted but left out."
    );
}
