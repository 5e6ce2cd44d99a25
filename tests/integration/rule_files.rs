//! Rule files with mistakes: every problem at once, each with its place, exit 2.

use crate::{path_str, sitelint, stderr};

/// Loads one rule file of `text` (alone, without the default rules) that must be refused, and
/// returns what sitelint said about it.
fn refused(file_name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    std::fs::write(&path, text).unwrap();
    let out = sitelint(&["rules", "list", "--no-default-rules", "--rules", path_str(&path)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    stderr(&out)
}

#[test]
fn every_problem_of_a_bad_rule_file_is_reported_with_its_place() {
    let out = sitelint(&[
        "check",
        "examples/snapshots/clean",
        "--rules",
        "tests/fixtures/bad-rules/mistakes.yaml",
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no report when the rules are invalid");
    // Windows draws frames in ASCII when the output is redirected (PowerShell 5.1 would
    // re-encode box-drawing characters), so it has its own snapshot.
    let name = if cfg!(windows) {
        "bad_rule_file_windows"
    } else {
        "bad_rule_file"
    };
    insta::assert_snapshot!(name, stderr(&out));
}

#[test]
fn yaml_syntax_errors_point_at_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(
        &path,
        "ruleset: x\nrules:\n  - id: a\n    title: [unclosed\n    kind: zero-byte-files\n",
    )
    .unwrap();
    let out = sitelint(&["rules", "list", "--rules", path_str(&path)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("invalid YAML"), "{err}");
    assert!(err.contains("broken.yaml:"), "{err}");
}

#[test]
fn a_utf16_rule_file_with_crlf_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.yaml");
    let text = "ruleset: site\r\nrules:\r\n  - id: site-rule\r\n    title: Größe\r\n    severity: note\r\n    kind: zero-byte-files\r\n    tree: updatepack\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&path, bytes).unwrap();
    let out = sitelint(&["rules", "list", "--no-default-rules", "--rules", path_str(&path)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(crate::stdout(&out).contains("site-rule       note     zero-byte-files  Größe"));
}

#[test]
fn probe_hosts_must_name_a_wildcard_of_the_rule_and_a_host_under_it() {
    let text = refused(
        "endpoints.yaml",
        "ruleset: x\nrules:\n  - id: endpoints\n    title: Endpoints\n    severity: error\n    kind: required-endpoints\n    endpoints: ['*.manage.microsoft.com', go.microsoft.com]\n    probe-hosts:\n      '*.manage.microsoft.com': go.microsoft.com\n      go.microsoft.com: go.microsoft.com\n",
    );
    assert!(
        text.contains("`go.microsoft.com` is not a host that `*.manage.microsoft.com` stands for"),
        "{text}"
    );
    assert!(
        text.contains("`go.microsoft.com` is not a wildcard of this rule's `endpoints`"),
        "{text}"
    );
    assert!(
        text.contains("endpoints.yaml:9:") && text.contains("endpoints.yaml:10:"),
        "{text}"
    );
}

#[test]
fn past_200_problems_in_a_file_the_rest_are_counted() {
    let mut text = String::from("ruleset: generated\nrules: []\n");
    for i in 0..1000 {
        text.push_str(&format!("unknown_key_{i}: 1\n"));
    }
    let err = refused("generated.yaml", &text);
    assert_eq!(err.matches("unknown field `unknown_key_").count(), 200, "{err}");
    assert!(err.contains("unknown field `unknown_key_199`") && !err.contains("`unknown_key_200`"));
    assert!(err.contains("... and 800 more problems in "), "{err}");
    let last = err.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("error: 1000 problems in ") && last.ends_with("generated.yaml"),
        "{err}"
    );
}

#[test]
fn a_counted_repetition_that_would_crawl_is_refused_at_its_place() {
    let err = refused(
        "slow.yaml",
        "ruleset: slow\nrules:\n  - id: long-run\n    title: A long run\n    severity: error\n    kind: forbidden-log-pattern\n    log: big.log\n    pattern: 'ERROR (?:x{10}){2000}'\n",
    );
    assert!(
        err.contains("this repetition stands for 20000 characters, more than the 1000 a pattern may repeat"),
        "{err}"
    );
    assert!(err.contains("slow.yaml:8:21"), "{err}");
}

#[test]
fn an_empty_glob_is_refused_at_its_place() {
    let err = refused(
        "empty.yaml",
        "ruleset: empty\nrules:\n  - id: nothing-empty\n    title: Nothing empty\n    severity: error\n    kind: zero-byte-files\n    tree: updatepack\n    include: ['']\n",
    );
    assert!(err.contains("empty glob: it matches no file"), "{err}");
    assert!(err.contains("empty.yaml:8:15"), "{err}");
}

#[test]
fn a_misspelt_kind_does_not_hide_the_rules_other_mistakes() {
    let err = refused(
        "misspelt.yaml",
        "ruleset: misspelt\nrules:\n  - id: setup-failed\n    title: 'Setup failed at {pathh}'\n    severity: error\n    kind: forbiden-log-pattern\n    log: ConfigMgrSetup.log\n    pattern: 'Download\\(\\) failed with (0x'\n    mesage: 'failed'\n",
    );
    for expected in [
        "unknown rule kind `forbiden-log-pattern`",
        "did you mean `forbidden-log-pattern`?",
        "unknown placeholder `{pathh}`",
        "invalid regular expression",
        "unknown field `mesage` in a `forbidden-log-pattern` rule",
        "error: 4 problems in ",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

/// Issue 35 (H2): `type:` names a registry value type, and an unknown one is a rule error.
#[test]
fn a_registry_value_type_must_be_one_windows_has() {
    let text = refused(
        "registry.yaml",
        "ruleset: x\nrules:\n  - id: crypto\n    title: Crypto\n    severity: error\n    kind: required-registry-value\n    key: 'HKLM\\SOFTWARE\\X'\n    value: V\n    equals: 1\n    type: word\n",
    );
    assert!(text.contains("`word` is not a registry value type"), "{text}");
    assert!(text.contains("registry.yaml:10:"), "{text}");
}

/// Issue 35 (L): a rule's `url` must be an absolute URI, or SARIF's `helpUri` fails the SARIF
/// validator; the mistake is the rule file's, with its place.
#[test]
fn a_rule_url_must_be_an_absolute_uri() {
    let rule = |url: &str| {
        format!(
            "ruleset: x\nrules:\n  - id: r\n    title: R\n    severity: error\n    kind: zero-byte-files\n    tree: updatepack\n    url: '{url}'\n"
        )
    };
    let text = refused("url.yaml", &rule("https://example.com/a page"));
    assert!(text.contains("`url` is not an absolute URI: it holds ' '"), "{text}");
    assert!(text.contains("url.yaml:8:"), "{text}");
    assert!(refused("url.yaml", &rule("docs/help.html")).contains("it has no scheme"));
    assert!(refused("url.yaml", &rule("https://example.com/%zz")).contains("two hex digits"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.yaml");
    std::fs::write(&path, rule("https://learn.microsoft.com/a%20b?x=1#y")).unwrap();
    let out = sitelint(&["rules", "list", "--no-default-rules", "--rules", path_str(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A rule that names the log it waits for but not the entry (or the other way round) is
/// refused at the field it gives, never loaded as a rule that waits for nothing.
#[test]
fn half_of_the_when_log_pair_is_refused_at_its_place() {
    let err = refused(
        "half.yaml",
        "ruleset: half\nrules:\n  - id: waits\n    title: The site runs the target\n    severity: error\n    kind: forbidden-log-pattern\n    log: CMUpdate.log\n    pattern: 'ERROR'\n    when-log: CMUpdate.log\n",
    );
    assert!(err.contains("`when-log` and `when-entry` go together"), "{err}");
    assert!(err.contains("half.yaml:9:15"), "{err}");
}
