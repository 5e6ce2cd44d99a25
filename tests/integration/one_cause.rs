//! One cause, said once (issue 36): the reports for people show a rule's help once for all
//! its findings, not under each one; HTML renders a rule's code spans as code, escaped; a
//! printed HTML report starts a page only for a step with findings; Markdown shows each
//! finding's log line.

use std::fs;

use crate::{sitelint_in, stdout};

/// A rule whose two findings share one cause, with a help of code spans, one of them markup.
const RULES: &str = r#"ruleset: one-cause
rules:
  - id: redist-failed
    title: Every redistributable downloads
    severity: error
    kind: forbidden-log-pattern
    log: ServiceConnectionTool.log
    pattern: 'ERROR:Failed to download Redists for (?P<package>\S+)'
    message: "the redistributables of `{package}` did not download"
    help: "Run `ServiceConnectionTool.exe -connect` again, not `<b>bold</b>`; a lone ` stays."
    tags: [download]
"#;

/// The log the rule reads: two failed downloads, one with markup and a mention in its line.
const LOG: &str = "Connecting to the service\n\
ERROR:Failed to download Redists for 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E\n\
ERROR:Failed to download Redists for <script>@octocat\n";

/// `check` of the log by [`RULES`] alone, as `format`.
fn report(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    fs::write(dir.path().join("ServiceConnectionTool.log"), LOG).unwrap();
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--log",
            "ServiceConnectionTool.log",
            "--no-default-rules",
            "--rules",
            "rules.yaml",
            "--format",
            format,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", crate::stderr(&out));
    stdout(&out)
}

#[test]
fn html_shows_a_causes_help_once_and_each_of_its_findings() {
    let html = report("html");
    assert_eq!(html.matches("<p class=\"help\">").count(), 1, "{html}");
    assert!(html.contains("2 findings, one cause"), "{html}");
    assert_eq!(html.matches("<p class=\"message\">").count(), 2, "{html}");
}

#[test]
fn html_renders_code_spans_as_code_and_escapes_them() {
    let html = report("html");
    assert!(
        html.contains(
            "Run <code>ServiceConnectionTool.exe -connect</code> again, not <code>&lt;b&gt;bold&lt;/b&gt;</code>; a lone ` stays."
        ),
        "{html}"
    );
    // A value from the log in a code span of the message: code, and escaped all the same.
    assert!(
        html.contains("the redistributables of <code>&lt;script&gt;@octocat</code> did not download"),
        "{html}"
    );
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
}

#[test]
fn html_starts_a_printed_page_only_for_a_step_with_findings() {
    let html = report("html");
    let paged: Vec<&str> = html
        .split("<section class=\"step ")
        .skip(1)
        .filter(|s| s.split('"').next().unwrap_or_default().contains("paged"))
        .map(|s| {
            s.split("id=\"step-")
                .nth(1)
                .unwrap_or_default()
                .split('"')
                .next()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(paged, ["download"], "{html}");
    assert!(html.contains(".step.paged { break-before: page; }"), "{html}");
}

#[test]
fn markdown_shows_each_findings_log_line_and_the_help_once() {
    let markdown = report("markdown");
    assert!(
        markdown.contains("`ERROR:Failed to download Redists for 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E`"),
        "{markdown}"
    );
    // The log line is data: in a code span, where GitHub makes no mention and no HTML.
    assert!(
        markdown.contains("`ERROR:Failed to download Redists for <script>@octocat`"),
        "{markdown}"
    );
    assert_eq!(
        markdown.matches("ServiceConnectionTool.exe -connect").count(),
        1,
        "{markdown}"
    );
    assert!(markdown.contains("**What to do**"), "{markdown}");
}
