//! `--step` never drops a loaded rule without a word (issue 36): a rule without a step tag
//! runs under any `--step`, and `-v` says which loaded rules the steps left out.

use crate::{json, path_str, sitelint, status, stderr};

/// A site rule with no step tag, which the example failed download breaks.
const UNTAGGED: &str = r#"
ruleset: site
rules:
  - id: site-winhttp-send-failed
    title: WinHTTP sends its requests
    severity: error
    kind: forbidden-log-pattern
    log: ConfigMgrSetup.log
    pattern: 'WinHttpSendRequest failed'
    tags: [site]
"#;

/// `check` of the example failed download with the built-in rules and `UNTAGGED`.
fn check(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("site.yaml");
    std::fs::write(&rules, UNTAGGED).unwrap();
    let mut all = vec![
        "check",
        "examples/snapshots/failed-download",
        "--rules",
        path_str(&rules),
    ];
    all.extend_from_slice(args);
    sitelint(&all)
}

#[test]
fn a_rule_without_a_step_tag_runs_under_any_step() {
    let out = check(&["--step", "connect-machine,network,download", "--format", "json"]);
    assert_eq!(status(&json(&out), "site-winhttp-send-failed"), "failed");
}

#[test]
fn verbose_names_the_steps_whose_rules_step_left_out() {
    let out = check(&["--step", "download", "-v", "--format", "json"]);
    let err = stderr(&out);
    assert!(err.contains("--step left out "), "{err}");
    assert!(err.contains(" of steps not checked: connect-machine ("), "{err}");
    assert!(err.contains(", network ("), "{err}");
    assert!(err.contains(", console ("), "{err}");
    assert!(!err.contains("download ("), "{err}");
}

#[test]
fn the_example_site_rules_each_carry_a_step() {
    let text = std::fs::read_to_string(crate::root().join("examples/site-rules/contoso.yaml")).unwrap();
    let rules = text.matches("\n  - id: ").count();
    let tagged = text
        .lines()
        .filter(|l| l.trim_start().starts_with("tags:"))
        .filter(|l| ["network", "download"].iter().any(|s| l.contains(s)))
        .count();
    assert_eq!(rules, tagged, "{text}");
}
