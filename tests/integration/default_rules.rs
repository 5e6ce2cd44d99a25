//! Every rule of the default ruleset fails on its `fail` fixture and passes on its `pass`
//! fixture (`tests/fixtures/default-rules/<rule-id>/{fail,pass}/`).

use std::collections::BTreeSet;

use crate::{json, root, sitelint, status};

fn default_rule_ids() -> Vec<String> {
    let out = sitelint(&["rules", "list"]);
    assert!(out.status.success());
    crate::stdout(&out)
        .lines()
        .filter(|l| l.split_whitespace().nth(2) != Some("built-in"))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect()
}

#[test]
fn every_default_rule_has_a_failing_and_a_passing_fixture() {
    let ids: BTreeSet<String> = default_rule_ids().into_iter().collect();
    let dir = root().join("tests/fixtures/default-rules");
    let fixtures: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids, fixtures, "fixtures and default rules differ");
    for id in &ids {
        for (case, expected) in [("fail", "failed"), ("pass", "passed")] {
            let snapshot = format!("tests/fixtures/default-rules/{id}/{case}");
            let out = sitelint(&["check", &snapshot, "--select", id, "--format", "json"]);
            let report = json(&out);
            assert_eq!(status(&report, id), expected, "{id} on {case}: {}", crate::stderr(&out));
            let code = out.status.code();
            assert_eq!(
                code,
                Some(if case == "fail" && report["findings"][0]["severity"] == "error" {
                    1
                } else {
                    0
                }),
                "{id} {case}"
            );
            if case == "fail" {
                let findings = report["findings"].as_array().unwrap();
                assert!(
                    findings
                        .iter()
                        .all(|f| f["rule_id"] == id.as_str() && f["outcome"] == "fail")
                );
            }
        }
    }
}
