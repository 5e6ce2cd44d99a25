//! Every report of a check against a baseline marks the new findings and lists the fixed
//! ones (issue 36): the counts alone ("1 new") left the reader to find which.

use std::path::Path;

use crate::{path_str, sitelint, stdout};

const FAILING: &str = "examples/snapshots/failed-download";
/// The failed download again after the proxy fix: two endpoints fixed, one new redist failure.
const AFTER: &str = "tests/fixtures/fleet/after-proxy-fix";

/// `check AFTER --baseline (FAILING's JSON report)` with `args`, frozen rules.
fn against_baseline(dir: &Path, args: &[&str]) -> std::process::Output {
    let baseline = dir.join("before.json");
    let to = format!("json={}", path_str(&baseline));
    sitelint(&[&["check", FAILING, "--format", &to, "-q"][..], &crate::FROZEN_RULES[..]].concat());
    let mut all = vec!["check", AFTER, "--baseline", path_str(&baseline)];
    all.extend_from_slice(args);
    sitelint(&[&all[..], &crate::FROZEN_RULES[..]].concat())
}

#[test]
fn the_terminal_marks_the_new_finding() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(&against_baseline(dir.path(), &[]));
    assert_eq!(text.matches("(new since the baseline)").count(), 1, "{text}");
    assert!(
        text.contains("sct-redist-download-failed (new since the baseline)"),
        "{text}"
    );
    assert!(text.contains("fixed since the baseline:\n"), "{text}");
}

#[test]
fn markdown_marks_the_new_finding_and_lists_the_fixed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(&against_baseline(dir.path(), &["--format", "markdown"]));
    let new: Vec<&str> = text.lines().filter(|l| l.contains("| **new** · ")).collect();
    assert_eq!(new.len(), 1, "{text}");
    assert!(new[0].starts_with("| `sct-redist-download-failed` |"), "{text}");
    assert!(text.contains("**Fixed since the baseline:** 2 findings:"), "{text}");
    assert!(
        text.contains("| `updates-and-servicing-endpoints` | `*.manage.microsoft.com` |"),
        "{text}"
    );
}

#[test]
fn html_marks_the_new_finding_and_lists_the_fixed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(&against_baseline(dir.path(), &["--format", "html"]));
    assert_eq!(
        text.matches("<span class=\"new\">new since the baseline</span>")
            .count(),
        1,
        "{text}"
    );
    assert!(text.contains("<h2>Fixed since the baseline</h2>"), "{text}");
    assert!(
        text.contains("<tr><td><code>updates-and-servicing-endpoints</code></td><td>configmgrbits.cdn.manage.microsoft.com</td></tr>"),
        "{text}"
    );
}
