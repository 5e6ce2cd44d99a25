//! The reports for people and dashboards (HTML, Markdown, JUnit): snapshots of each on the
//! shipped examples and on a fixture with a waived finding, a rule not evaluated and a log
//! line full of markup; their counts against the JSON report's on every example and fixture;
//! the JUnit report against the committed schema.

use std::path::{Path, PathBuf};

use crate::{path_str, root, sitelint_in, stderr};

/// A run of sitelint: where it runs and what it checks.
struct Case {
    name: String,
    dir: PathBuf,
    args: Vec<String>,
}

impl Case {
    fn new(name: &str, dir: &str, args: &[&str]) -> Case {
        Case {
            name: name.to_owned(),
            dir: root().join(dir),
            args: args.iter().map(|&a| a.to_owned()).collect(),
        }
    }
}

/// Every format of one run, read back from the files it wrote.
struct Reports {
    json: serde_json::Value,
    sarif: serde_json::Value,
    html: String,
    markdown: String,
    junit: String,
}

fn reports(case: &Case) -> Reports {
    let out_dir = tempfile::tempdir().unwrap();
    let file = |name: &str| out_dir.path().join(name);
    let mut args: Vec<String> = case.args.clone();
    for (format, name) in [
        ("json", "r.json"),
        ("sarif", "r.sarif"),
        ("html", "r.html"),
        ("markdown", "r.md"),
        ("junit", "r.xml"),
    ] {
        args.push("--format".to_owned());
        args.push(format!("{format}={}", path_str(&file(name))));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sitelint_in(&case.dir, &args);
    // 2 with every report written: a source that could not be read (registry exports that
    // disagree) is reported in each format too.
    assert!(
        matches!(out.status.code(), Some(0..=2)) && !stderr(&out).contains("cannot write"),
        "{}: exit {:?}: {}",
        case.name,
        out.status.code(),
        stderr(&out)
    );
    let read = |name: &str| {
        std::fs::read_to_string(file(name)).unwrap_or_else(|e| panic!("{}: {name} not written: {e}", case.name))
    };
    let parse = |name: &str| serde_json::from_str(&read(name)).unwrap_or_else(|e| panic!("{}: {name}: {e}", case.name));
    Reports {
        json: parse("r.json"),
        sarif: parse("r.sarif"),
        html: read("r.html"),
        markdown: read("r.md"),
        junit: read("r.xml"),
    }
}

/// The shipped examples, as the README runs them, and the report fixture.
fn report_cases() -> Vec<Case> {
    vec![
        // From `examples/`, so Contoso's sitelint.yaml (rules and the Watson waiver) applies.
        Case::new(
            "failed_download_with_waiver",
            "examples",
            &[
                "check",
                "snapshots/failed-download",
                "--no-default-rules",
                "--rules",
                "../tests/fixtures/reports/examples-rules.yaml",
            ],
        ),
        Case::new(
            "clean_with_site_rules",
            ".",
            &crate::frozen(&["check", "examples/snapshots/clean", "--rules", "examples/site-rules"]),
        ),
        Case::new(
            "hostile_waived_not_evaluated",
            "tests/fixtures/reports/hostile",
            &["check", "snapshot"],
        ),
        // The site server after the import: the console export's finding, the import's logs.
        Case::new(
            "site_server_after_import",
            ".",
            &crate::frozen(&["check", "examples/snapshots/site-server-after-import"]),
        ),
    ]
}

/// The version is not part of what a snapshot checks.
fn scrub(text: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    text.replace(&format!("sitelint {version}"), "sitelint VERSION")
        .replace(&format!("<dd>{version}</dd>"), "<dd>VERSION</dd>")
        .replace(&format!("value=\"{version}\""), "value=\"VERSION\"")
}

#[test]
fn html_markdown_and_junit_of_the_examples_and_the_fixture() {
    for case in report_cases() {
        let reports = reports(&case);
        insta::assert_snapshot!(format!("{}_html", case.name), scrub(&reports.html));
        insta::assert_snapshot!(format!("{}_markdown", case.name), scrub(&reports.markdown));
        insta::assert_snapshot!(format!("{}_junit", case.name), scrub(&reports.junit));
    }
}

#[test]
fn markup_from_inputs_is_escaped_in_every_format() {
    let case = &report_cases()[2];
    let reports = reports(case);
    // The log line's markup is text, never markup; no script at all, and no `javascript:` link.
    assert!(!reports.html.contains("<script"), "{}", reports.html);
    assert!(
        reports
            .html
            .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
    );
    assert!(!reports.html.contains("href=\"javascript"), "{}", reports.html);
    assert!(
        reports
            .html
            .contains("<a href=\"https://example.com/help?a=1&amp;b=&#39;2&#39;\">")
    );
    // The escape sequence is shown, never sent.
    assert!(!reports.html.contains('\u{1b}') && !reports.junit.contains('\u{1b}'));
    assert!(reports.junit.contains("\\x1b[31m"));
    // A table row stays one row: its pipes are escaped, and the text is a code span with a
    // fence longer than its backticks.
    let row = reports
        .markdown
        .lines()
        .find(|l| l.starts_with("| `setup-error-line`"))
        .expect("the failing row");
    // Five cells (the log line's among them): six pipes that are not escaped.
    assert_eq!(row.matches('|').count() - row.matches("\\|").count(), 6, "{row}");
    assert_eq!(row.matches("\\|").count(), 4, "{row}");
    // What to do: the rule's help and its `javascript:` url are code, never markup or a link.
    assert!(
        reports.markdown.contains(
            "- `setup-error-line`: ``Read the <b>whole</b> line | then `download` again.`` `javascript:alert(1)`\n"
        ),
        "{}",
        reports.markdown
    );
    assert!(row.contains("| ``the setup log says: <script>"), "{row}");
    assert!(row.contains("`rm -rf /` & done`` |"), "{row}");
    // The matched text is marked in the excerpt.
    assert!(
        reports.html.contains("<pre><mark>ERROR: &lt;script&gt;"),
        "{}",
        reports.html
    );
}

/// Every shipped example and every fixture a report is made of.
fn every_case() -> Vec<Case> {
    let mut cases = report_cases();
    cases.push(Case::new(
        "failed_download",
        ".",
        &["check", "examples/snapshots/failed-download"],
    ));
    cases.push(Case::new("clean", ".", &["check", "examples/snapshots/clean"]));
    let kinds = root().join("tests/fixtures/kinds");
    for kind in dirs(&kinds) {
        for case in dirs(&kind) {
            let rules = if case.join("rules.yaml").is_file() {
                case.join("rules.yaml")
            } else {
                kind.join("rules.yaml")
            };
            cases.push(Case {
                name: case.strip_prefix(&kinds).unwrap().display().to_string(),
                dir: root(),
                args: [
                    "check",
                    path_str(&case),
                    "--no-default-rules",
                    "--rules",
                    path_str(&rules),
                ]
                .map(str::to_owned)
                .to_vec(),
            });
        }
    }
    cases
}

fn dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The counts every report must agree on, from the JSON report.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    errors: u64,
    warnings: u64,
    notes: u64,
    suppressed: u64,
    omitted: u64,
    findings_fail: u64,
    findings_suppressed: u64,
    findings_not_evaluated: u64,
    rules_passed: u64,
    rules_failed: u64,
    rules_not_evaluated: u64,
    rules_disabled: u64,
    /// Passed rules with no finding at all: JUnit's passing test cases.
    rules_clean: u64,
}

fn json_counts(json: &serde_json::Value) -> Counts {
    let mut counts = Counts::default();
    let findings = json["findings"].as_array().unwrap();
    for finding in findings {
        let severity = finding["severity"].as_str().unwrap();
        match finding["outcome"].as_str().unwrap() {
            "fail" => {
                counts.findings_fail += 1;
                match severity {
                    "error" => counts.errors += 1,
                    "warning" => counts.warnings += 1,
                    _ => counts.notes += 1,
                }
            }
            "suppressed" => {
                counts.findings_suppressed += 1;
                counts.suppressed += 1;
            }
            _ => counts.findings_not_evaluated += 1,
        }
    }
    for rule in json["rules"].as_array().unwrap() {
        let omitted = rule["omitted_findings"].as_u64().unwrap();
        if rule["omitted_suppressed"] == true {
            counts.suppressed += omitted;
        } else {
            counts.omitted += omitted;
            match rule["severity"].as_str().unwrap() {
                "error" => counts.errors += omitted,
                "warning" => counts.warnings += omitted,
                _ => counts.notes += omitted,
            }
        }
        match rule["status"].as_str().unwrap() {
            "passed" => {
                // The built-in waiver checks are never counted as rules passed.
                if rule["kind"] != "built-in" {
                    counts.rules_passed += 1;
                }
                if findings.iter().all(|f| f["rule_id"] != rule["id"]) {
                    counts.rules_clean += 1;
                }
            }
            "failed" => counts.rules_failed += 1,
            "not-evaluated" => counts.rules_not_evaluated += 1,
            _ => counts.rules_disabled += 1,
        }
    }
    counts
}

/// The `data-count` figures of the HTML report.
fn html_counts(html: &str) -> Counts {
    let count = |name: &str| -> u64 {
        let marker = format!("data-count=\"{name}\">");
        let at = html
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in the HTML report"))
            + marker.len();
        html[at..].split('<').next().unwrap().parse().unwrap()
    };
    Counts {
        errors: count("errors"),
        warnings: count("warnings"),
        notes: count("notes"),
        suppressed: count("suppressed"),
        omitted: count("omitted"),
        findings_fail: count("findings-fail"),
        findings_suppressed: count("findings-suppressed"),
        findings_not_evaluated: count("findings-not-evaluated"),
        rules_passed: count("rules-passed"),
        rules_failed: count("rules-failed"),
        rules_not_evaluated: count("rules-not-evaluated"),
        rules_disabled: count("rules-disabled"),
        rules_clean: 0,
    }
}

/// The summary line every report for people starts with, from the JSON counts.
fn summary(c: &Counts) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = vec![
        plural(c.errors, "error", "errors"),
        plural(c.warnings, "warning", "warnings"),
    ];
    if c.notes > 0 {
        parts.push(plural(c.notes, "note", "notes"));
    }
    parts.push(format!(
        "{} not evaluated",
        plural(c.rules_not_evaluated, "rule", "rules")
    ));
    parts.push(format!("{} passed", plural(c.rules_passed, "rule", "rules")));
    if c.suppressed > 0 {
        parts.push(format!("{} suppressed", c.suppressed));
    }
    parts.join(", ")
}

/// An attribute's value on the first element that starts with `element`.
fn attribute(xml: &str, element: &str, name: &str) -> u64 {
    let at = xml.find(element).unwrap_or_else(|| panic!("no {element}"));
    let tag = &xml[at..at + xml[at..].find('>').unwrap()];
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker).unwrap_or_else(|| panic!("{element} has no {name}")) + marker.len();
    tag[start..].split('"').next().unwrap().parse().unwrap()
}

#[test]
fn html_markdown_junit_and_sarif_count_what_json_counts_on_every_example_and_fixture() {
    let cases = every_case();
    assert!(cases.len() > 20, "the kinds' fixtures are all here: {}", cases.len());
    for case in cases {
        let reports = reports(&case);
        let expected = json_counts(&reports.json);
        let name = &case.name;

        let mut from_html = html_counts(&reports.html);
        from_html.rules_clean = expected.rules_clean;
        assert_eq!(from_html, expected, "{name}: HTML");
        let line = format!("sitelint: {}", summary(&expected));
        let verdict = reports.html.split("<p class=\"verdict ").nth(1).unwrap_or_default();
        assert!(
            verdict.contains(&format!("\">{}</p>", summary(&expected))),
            "{name}: HTML summary, expected {line}"
        );

        // Markdown escapes nothing in the summary line: it is made of words and numbers.
        let first = reports.markdown.lines().next().unwrap();
        assert_eq!(first, format!("### {line}"), "{name}: Markdown");
        let failing_rows = reports
            .markdown
            .lines()
            .filter(|l| l.starts_with("| `") && !l.contains(" more, past the "))
            .count() as u64;
        assert_eq!(failing_rows, expected.findings_fail, "{name}: Markdown rows");

        let junit = &reports.junit;
        let failures = attribute(junit, "<testsuites", "failures");
        let tests = attribute(junit, "<testsuites", "tests");
        let skipped: u64 = junit
            .match_indices("<testsuite ")
            .map(|(at, _)| attribute(&junit[at..], "<testsuite ", "skipped"))
            .sum();
        assert_eq!(failures, expected.findings_fail, "{name}: JUnit failures");
        assert_eq!(junit.matches("<failure ").count() as u64, failures, "{name}");
        assert_eq!(
            skipped,
            expected.findings_suppressed + expected.findings_not_evaluated,
            "{name}: JUnit skipped"
        );
        // Sources that could not be read are errors in a `sources` suite, so a broken snapshot
        // never shows as passing.
        let unreadable = reports.json["errors"].as_array().map_or(0, Vec::len) as u64;
        assert_eq!(
            attribute(junit, "<testsuites", "errors"),
            unreadable,
            "{name}: JUnit errors"
        );
        assert_eq!(junit.matches("<error ").count() as u64, unreadable, "{name}");
        assert_eq!(
            tests,
            failures + skipped + expected.rules_clean + unreadable,
            "{name}: JUnit tests"
        );

        // SARIF keeps failing and suppressed findings as results (these are all under its cap).
        let results = reports.sarif["runs"][0]["results"].as_array().unwrap().len() as u64;
        assert_eq!(
            results,
            expected.findings_fail + expected.findings_suppressed,
            "{name}: SARIF results"
        );
    }
}

/// The JUnit report of every example and fixture validates against the committed schema
/// (the shape Jenkins' junit-10.xsd gives, which Azure DevOps and GitLab read too). xmllint
/// is beyond the Rust toolchain: ignored by a plain `cargo test`, run by `.ci/run`.
#[cfg(not(windows))]
#[test]
#[ignore = "needs xmllint; .ci/run installs it and runs the ignored tests"]
fn junit_reports_validate_against_the_committed_schema_with_xmllint() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (n, case) in every_case().iter().enumerate() {
        let file = dir.path().join(format!("{n}.xml"));
        std::fs::write(&file, reports(case).junit).unwrap();
        files.push(file);
    }
    crate::xmllint_validates_junit(&files);
}

#[test]
fn markdown_past_githubs_limit_keeps_whole_rows_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot");
    std::fs::create_dir_all(snapshot.join("logs")).unwrap();
    std::fs::write(
        snapshot.join("snapshot.yaml"),
        "sitelint_snapshot: 1\nlogs:\n  ConfigMgrSetup.log: logs/ConfigMgrSetup.log\n",
    )
    .unwrap();
    // 900 failures of about 130 characters a row: far more than 65,536 characters.
    let log: String = (0..900)
        .map(|n| {
            format!("ERROR: Download() failed with 0x80072EE2 for package {n:05} | `cab` and a long tail of words\n")
        })
        .collect();
    std::fs::write(snapshot.join("logs/ConfigMgrSetup.log"), log).unwrap();
    let rules = root().join("tests/fixtures/reports/hostile/rules.yaml");
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            "snapshot",
            "--no-config",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
            "--format",
            "markdown",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = crate::stdout(&out);
    assert!(text.chars().count() <= 65_536, "{}", text.chars().count());
    let rows = text.lines().filter(|l| l.starts_with("| `setup-error-line`")).count();
    assert!(rows > 100 && rows < 900, "{rows}");
    // Every row shown is whole; the rest are counted.
    for row in text.lines().filter(|l| l.starts_with("| `")) {
        assert!(row.ends_with(" |"), "{row}");
    }
    let last = text.lines().last().unwrap();
    // The rows past the limit, the rule's line under "What to do" and the not-evaluated one.
    assert!(
        last.starts_with(&format!("_{} more rows not shown", 900 - rows + 2)),
        "{rows} rows shown; {last}"
    );
}

/// Regression: a run of one snapshot left the sources it could not read out of the JUnit
/// report (`errors="0"`), so a dashboard showed a snapshot missing its log as passing.
#[test]
fn junit_of_one_snapshot_reports_a_source_it_could_not_read() {
    let (_dir, snap) = crate::example_copy();
    std::fs::remove_file(snap.join("logs/ServiceConnectionTool.log")).unwrap();
    let out = sitelint_in(&root(), &["check", path_str(&snap), "--format", "junit"]);
    let junit = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(attribute(&junit, "<testsuites", "errors"), 1, "{junit}");
    assert!(
        junit.contains("<testsuite name=\"sources\" tests=\"1\" failures=\"0\" errors=\"1\""),
        "{junit}"
    );
    assert!(
        junit.contains("<testcase classname=\"sitelint.sources\" name=\"logs/ServiceConnectionTool.log\""),
        "{junit}"
    );
}
