//! The summary line, the wrapping, and excerpts clipped to the width.

use std::path::Path;

use super::diagnostic::FindingDiagnostic;
use super::*;
use crate::finding::{Severity, SnapshotInfo};

#[test]
fn summary_counts_and_pluralises() {
    let t = Totals {
        errors: 2,
        warnings: 1,
        notes: 0,
        omitted: 0,
        not_evaluated: 1,
        passed: 31,
        suppressed: 0,
    };
    assert_eq!(summary(t), "2 errors, 1 warning, 1 rule not evaluated, 31 rules passed");
    let capped = Totals {
        errors: 33_401,
        omitted: 32_400,
        ..t
    };
    assert_eq!(
        summary(capped),
        "33401 errors, 1 warning, 1 rule not evaluated, 31 rules passed (1002 of 33402 problems shown)"
    );
}

#[test]
fn wrapping_keeps_code_spans_identifiers_and_urls_whole() {
    let text = "Export the view with `Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json`: \
                the state prerequisite-check-warning, see https://learn.microsoft.com/intune/configmgr/core/x";
    let wrapped = wrap(text, 60, "", "");
    let lines: Vec<&str> = wrapped.lines().collect();
    assert!(
        lines.contains(&"`Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json`:"),
        "{wrapped}"
    );
    assert!(wrapped.contains("prerequisite-check-warning"), "{wrapped}");
    assert!(
        lines.contains(&"https://learn.microsoft.com/intune/configmgr/core/x"),
        "{wrapped}"
    );
    // A span too long for any line is wrapped at its spaces after all.
    let long = format!("`{}`", ["word"; 20].join(" "));
    assert!(wrap(&long, 40, "", "").lines().all(|l| l.len() <= 40));
}

fn long_entry_finding() -> Finding {
    let text = "ERROR: Download() failed with 0x80072ee2  $$<Configuration Manager Setup><12-17-2024 \
                19:42:32.128+300><thread=4580 (0x11E4)> and a long tail that goes on and on";
    let start = 7 + 200;
    let text = format!("{}{text}", "x".repeat(200));
    Finding {
        rule_id: "setup-download-failed".to_owned(),
        severity: Severity::Error,
        message: "a download failed".to_owned(),
        subject: String::new(),
        location: Some(crate::finding::Location::at_line("logs/ConfigMgrSetup.log", 15)),
        excerpt: Some(crate::finding::Excerpt {
            highlight: start..start + "Download() failed with 0x80072ee2".len(),
            text,
            first_line: 15,
            label: "Configuration Manager Setup · 12-17-2024 19:42:32.128+300".to_owned(),
        }),
        help: None,
        url: Some("https://learn.microsoft.com/troubleshoot/mem/configmgr/setup-migrate-backup-recovery/x".to_owned()),
        gap: None,
        suppression: None,
        fingerprint: String::new(),
        baseline: None,
    }
}

#[test]
fn a_long_excerpt_is_clipped_to_the_width_with_the_match_in_view() {
    for (width, ascii) in [(80, false), (80, true), (60, false), (120, false)] {
        let style = Style {
            color: false,
            width,
            ascii,
            clip: true,
        };
        let finding = long_entry_finding();
        let shown = render_diagnostic(
            &FindingDiagnostic::new(&finding, &SnapshotInfo::default(), Path::new("/"), style),
            style,
        );
        for line in shown.lines().filter(|l| !l.starts_with("https://")) {
            assert!(line.chars().count() <= width, "{width}: {line}\n{shown}");
        }
        let line = shown
            .lines()
            .find(|l| l.contains("Download()"))
            .expect("the match is shown");
        let marks = shown.lines().skip_while(|l| !l.contains("Download()")).nth(1).unwrap();
        let underline = marks.find(['─', '^']).unwrap_or(0);
        assert_eq!(
            line[..line.find("Download()").unwrap()].chars().count(),
            marks[..underline].chars().count(),
            "the underline starts under the match: {shown}"
        );
        assert!(shown.contains("Configuration Manager Setup"), "{shown}");
        assert!(shown.contains("12-17-2024 19:42:32.128+300"), "{shown}");
    }
}

#[test]
fn the_ascii_style_draws_clipped_text_and_labels_in_ascii() {
    let excerpt_text = "…ERROR: Download() failed with 0x80072ee2 $$<Setup>…";
    let finding = Finding {
        rule_id: "setup-download-failed".to_owned(),
        severity: Severity::Error,
        message: "a download failed: Download() fa…".to_owned(),
        subject: "ConfigMgrSetup.log: code=0x80072ee2".to_owned(),
        location: Some(crate::finding::Location::at_line("logs/ConfigMgrSetup.log", 15)),
        excerpt: Some(crate::finding::Excerpt {
            text: excerpt_text.to_owned(),
            first_line: 15,
            highlight: excerpt_text.find("Download").unwrap()..excerpt_text.find(" with").unwrap(),
            label: "Configuration Manager Setup · 12-17-2024 15:04:00".to_owned(),
        }),
        help: None,
        url: None,
        gap: None,
        suppression: None,
        fingerprint: String::new(),
        baseline: None,
    };
    let style = Style {
        color: false,
        width: 100,
        ascii: true,
        clip: true,
    };
    let shown = render_diagnostic(
        &FindingDiagnostic::new(&finding, &SnapshotInfo::default(), Path::new("/"), style),
        style,
    );
    assert!(shown.is_ascii(), "{shown}");
    assert!(shown.contains("...ERROR: Download() failed"), "{shown}");
    assert!(shown.contains("Configuration Manager Setup - 12-17-2024"), "{shown}");
    // The underline is still under the match.
    let line = shown.lines().find(|l| l.contains("...ERROR")).unwrap();
    let marks = shown.lines().skip_while(|l| !l.contains("...ERROR")).nth(1).unwrap();
    assert_eq!(
        line.find("Download"),
        marks.find(|c: char| c != ' ' && c != ':' && c != '|'),
        "{shown}"
    );
}
