//! What a new user trips over in the first minutes: a typo in a command, a command without its
//! argument, a quiet test run, a table out of line, a tag where a rule id belongs.

use std::fs;

use crate::{copy_dir, path_str, root, sitelint, sitelint_in, stderr, stdout};

#[test]
fn a_mistyped_command_suggests_the_closest_first() {
    let out = sitelint(&["chek"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("similar subcommands exist: 'check', 'schema'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn schema_without_an_argument_lists_what_it_prints() {
    let out = sitelint(&["schema"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains("rules") && said.contains("config"), "{said}");
    assert!(said.contains("possible values: rules, config"), "{said}");
}

#[test]
fn quiet_test_runs_print_the_failures_and_the_summary_only() {
    let out = sitelint(&["-q", "test", "examples/site-rules"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "6 passed, 0 failed\n");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/site-rules"), dir.path());
    let case = dir.path().join("tests/contoso-odbc-redist-present/missing/expect.yaml");
    fs::write(case, "outcome: pass\n").unwrap();
    let out = sitelint(&["test", "--quiet", path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("FAIL  contoso-odbc-redist-present/missing\n"),
        "{text}"
    );
    assert!(!text.contains("ok  "), "{text}");
    assert!(text.ends_with("5 passed, 1 failed\n"), "{text}");
}

#[test]
fn rules_list_columns_line_up_with_the_built_in_rules_too() {
    // Ids shorter than the built-in `waiver-expired`: they used to set the column alone.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("site.yaml");
    let rule = |id: &str| {
        format!("  - id: {id}\n    title: Short\n    severity: note\n    kind: zero-byte-files\n    tree: updatepack\n")
    };
    fs::write(
        &rules,
        format!("ruleset: site\nrules:\n{}{}", rule("x-rule"), rule("y-rule")),
    )
    .unwrap();
    let out = sitelint(&["rules", "list", "--no-default-rules", "--rules", path_str(&rules)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // The rows, under their headings (`other`, `built-in`).
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(rows.len(), 4, "two site rules and the two waiver rules: {text}");
    assert_eq!(
        text.lines().filter(|l| !l.starts_with(' ')).collect::<Vec<_>>(),
        ["other", "built-in"]
    );
    let severity = rows[0].find("note").unwrap();
    let kind = rows[0].find("zero-byte-files").unwrap();
    for row in &rows {
        assert_eq!(
            row.find("note").or_else(|| row.find("warning")),
            Some(severity),
            "{text}"
        );
        let found = row.find("zero-byte-files").or_else(|| row.find("built-in"));
        assert_eq!(found, Some(kind), "{text}");
    }
}

#[test]
fn a_tag_where_a_rule_id_belongs_is_named_as_a_tag() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sitelint.yaml"), "severity: {tag:download: note}\n").unwrap();
    let out = sitelint_in(dir.path(), &["config"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(
        said.contains("`tag:download` is a tag; tags are not allowed here, only rule ids"),
        "{said}"
    );
    assert!(
        said.contains("sct-redist-download-failed"),
        "the rules the tag holds: {said}"
    );
    assert!(said.contains("sitelint.yaml:1:12"), "{said}");
}
