//! `sitelint test`: the built-in ruleset's and the examples' own cases pass, and the runner
//! says what a user needs when one does not.

use std::fs;

use crate::{copy_dir, path_str, root, sitelint, stderr, stdout};

#[test]
fn the_built_in_rules_pass_their_own_cases_and_none_is_untested() {
    let out = sitelint(&["test", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    // Every case on disk ran and passed.
    let cases: usize = fs::read_dir(root().join("rules/tests"))
        .unwrap()
        .map(|e| fs::read_dir(e.unwrap().path()).unwrap().count())
        .sum();
    assert!(text.ends_with(&format!("{cases} passed, 0 failed\n")), "{text}");
    // Every default rule has a case where it fails and one where it passes.
    let ids: Vec<String> = fs::read_dir(root().join("rules/tests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids.len(), crate::default_rule_count());
    for id in ids {
        for case in ["fail", "pass"] {
            assert!(text.contains(&format!("ok    {id}/{case}\n")), "{id}/{case}: {text}");
        }
    }
    assert_eq!(stderr(&out), "", "no rule is untested");
}

#[test]
fn the_example_site_rules_pass_their_cases() {
    let out = sitelint(&["test", "examples/site-rules"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).ends_with("6 passed, 0 failed\n"), "{}", stdout(&out));
}

/// The example site rules and their cases, copied where a test may break them.
fn site_rules() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/site-rules"), dir.path());
    dir
}

#[test]
fn a_failing_case_shows_what_it_expected_beside_what_it_found() {
    let dir = site_rules();
    let case = dir.path().join("tests/contoso-odbc-redist-present/missing");
    fs::write(case.join("expect.yaml"), "outcome: pass\ncount: 0\n").unwrap();
    let out = sitelint(&["test", path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("FAIL  contoso-odbc-redist-present/missing\n"), "{text}");
    assert!(
        text.contains("      expected: pass, 0 findings\n      actual:   fail, 1 finding\n"),
        "{text}"
    );
    assert!(
        text.contains("        updatepack.jsonl: msodbcsql.msi is missing from the Redist folder (0 found)\n"),
        "the finding, with its place and message: {text}"
    );
    assert!(text.contains("      - outcome: expected pass, got fail\n"), "{text}");
    assert!(text.ends_with("5 passed, 1 failed\n"), "{text}");
}

#[test]
fn cases_are_matched_by_rule_id_and_a_stray_directory_is_an_error() {
    let dir = site_rules();
    let stray = dir.path().join("tests/contoso-odbc-redist-presnt/missing");
    fs::create_dir_all(&stray).unwrap();
    fs::write(stray.join("expect.yaml"), "outcome: fail\n").unwrap();
    let out = sitelint(&["test", path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no rule has the id `contoso-odbc-redist-presnt`"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("did you mean `contoso-odbc-redist-present`?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_case_at_all_is_exit_2_and_a_rule_without_a_failing_case_is_named() {
    let dir = site_rules();
    fs::remove_dir_all(dir.path().join("tests")).unwrap();
    let out = sitelint(&["test", path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no test case under"), "{}", stderr(&out));

    let dir = site_rules();
    fs::remove_dir_all(dir.path().join("tests/contoso-winhttp-send-failed/send-failed")).unwrap();
    let out = sitelint(&["test", path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "warning: no case shows these rules failing: contoso-winhttp-send-failed\n"
    );
}

#[test]
fn a_mistake_in_expect_yaml_is_reported_at_its_place() {
    let dir = site_rules();
    let case = dir.path().join("tests/contoso-odbc-redist-present/missing");
    fs::write(case.join("expect.yaml"), "outcome: failed\ncuont: 1\n").unwrap();
    let out = sitelint(&["test", path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for expected in [
        "unknown outcome `failed`",
        "did you mean `fail`?",
        "unknown field `cuont`",
        "did you mean `count`?",
    ] {
        assert!(err.contains(expected), "{expected:?} missing in:\n{err}");
    }
}

/// Every default rule carries the tag of one step of the procedure, so `--select tag:STEP`
/// checks one step, and `rules list` groups the rules by step (a rule's first step tag), in
/// the procedure's order. The one exception is ODBC Driver 18, which the site server needs
/// before its prerequisite check: issue 21 tags it `prerequisites` too.
#[test]
fn every_built_in_rule_has_one_step_and_rules_list_groups_by_step() {
    let steps: Vec<&str> = sitelint::report::steps::STEPS.iter().map(|s| s.tag).collect();
    let out = sitelint(&["rules", "list", "--format", "json", "--no-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rules: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut per_step = vec![0; steps.len()];
    // The built-in rules report on waivers, not on a step: `rules list` shows them last.
    for rule in rules.as_array().unwrap().iter().filter(|r| r["kind"] != "built-in") {
        let tags: Vec<&str> = rule["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let of_rule: Vec<usize> = (0..steps.len()).filter(|&i| tags.contains(&steps[i])).collect();
        // The pack-verification rules verify the pack before it is carried and again on the
        // site server after the copy: `download` and `import`.
        let two_steps = [
            "odbc-driver-18-missing",
            "pack-file-signature-invalid",
            "pack-manifest-hash-mismatch",
        ];
        let expected = if two_steps.contains(&rule["id"].as_str().unwrap()) {
            2
        } else {
            1
        };
        assert_eq!(of_rule.len(), expected, "{}: {tags:?}", rule["id"]);
        per_step[of_rule[0]] += 1;
    }
    assert_eq!(steps[0], "connect-machine");
    assert!(
        per_step.iter().all(|&rules| rules > 0),
        "a step without a rule: {per_step:?}"
    );

    let listed = stdout(&sitelint(&["rules", "list", "--no-config"]));
    let headings: Vec<&str> = listed.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        headings,
        [
            "connect-machine",
            "network",
            "download",
            "import",
            "console",
            "prerequisites",
            "backup",
            "upgrade",
            "post-upgrade",
            "built-in"
        ],
        "{listed}"
    );
    let under = |step: &str| {
        listed
            .lines()
            .skip_while(|l| *l != step)
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            // A title that does not fit goes on a line of its own, indented further.
            .filter(|l| !l.starts_with("   "))
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    for id in ["target-version-download-pending", "target-version-not-ready"] {
        assert!(under("console").contains(&id.to_owned()), "{listed}");
    }
    assert!(under("upgrade").contains(&"cmupdate-empty-file".to_owned()), "{listed}");
    assert!(
        under("connect-machine").contains(&"odbc-driver-18-missing".to_owned()),
        "{listed}"
    );
    assert!(
        !under("prerequisites").contains(&"odbc-driver-18-missing".to_owned()),
        "{listed}"
    );
}
