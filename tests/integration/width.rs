//! 80 columns: what the report, `--help`, `config` and `rules list` look like in a terminal
//! that wide, and that nothing a user copies (a code span, a state name, a URL) is broken.

use std::process::{Command, Output};

use crate::{root, stdout};

fn at_80_columns(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env("COLUMNS", "80")
        .output()
        .expect("sitelint runs")
}

/// No line past 80 columns but a URL alone on its line; no code span, no state name split.
fn assert_fits(what: &str, text: &str) {
    for line in text.lines() {
        let width = line.chars().count();
        assert!(
            width <= 80 || line.starts_with("https://"),
            "{what}: {width} columns: {line}\n{text}"
        );
        // Prose only: an excerpt holds log text, and ASCII frames (Windows) draw with `.
        let frame_or_excerpt = line
            .trim_start()
            .starts_with(|c: char| "`|:,·│╭╰".contains(c) || c.is_ascii_digit());
        let code_marks = line.matches('`').count();
        assert!(
            frame_or_excerpt || code_marks % 2 == 0,
            "{what}: a code span is broken at: {line}"
        );
        assert!(
            frame_or_excerpt || !line.trim_end().ends_with('-') || line.trim().starts_with('-'),
            "{what}: a word is broken at its hyphen: {line}"
        );
    }
}

#[test]
fn the_failed_download_report_fits_80_columns() {
    let out = at_80_columns(&crate::frozen(&[
        "check",
        "examples/snapshots/failed-download",
        "--no-config",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_fits("check", &text);
    if !cfg!(windows) {
        insta::assert_snapshot!("failed_download_human_80", text);
    }
    // The site server's console export after the import: the state names and the export
    // command stay whole, for copy and paste.
    let out = at_80_columns(&crate::frozen(&[
        "check",
        "examples/snapshots/site-server-after-import",
        "--no-config",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_fits("check", &text);
    assert!(text.contains("download-failed (327679)"), "{text}");
    assert!(
        text.contains("`Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json`"),
        "{text}"
    );
}

#[test]
fn the_not_evaluated_block_fits_80_columns() {
    let out = at_80_columns(&[
        "check",
        "--log",
        "examples/snapshots/failed-download/logs/ConfigMgrSetup.log",
        "--no-config",
        crate::FROZEN_RULES[0],
        crate::FROZEN_RULES[1],
        crate::FROZEN_RULES[2],
    ]);
    let text = stdout(&out);
    assert_fits("not evaluated", &text);
    let block = &text[text.find("not evaluated (-v lists the rules):\n").expect("the block")..];
    insta::assert_snapshot!("not_evaluated_80", block);
}

#[test]
fn help_wraps_at_80_columns() {
    for command in [
        &[][..],
        &["check"],
        &["collect"],
        &["rules", "list"],
        &["rules", "show"],
        &["config"],
        &["test"],
        &["schema"],
        &["completions"],
        &["man"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let out = at_80_columns(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_fits(&format!("{args:?}"), &stdout(&out));
    }
    // Windows names the program sitelint.exe in the usage line.
    if !cfg!(windows) {
        insta::assert_snapshot!("check_help_80", stdout(&at_80_columns(&["check", "--help"])));
    }
}

#[test]
fn config_and_rules_list_fit_80_columns() {
    let config = at_80_columns(&["config", "--config", "examples/sitelint.yaml"]);
    assert_eq!(config.status.code(), Some(0));
    assert_fits("config", &stdout(&config));
    let list = at_80_columns(&["rules", "list", "--no-config"]);
    assert_eq!(list.status.code(), Some(0));
    assert_fits("rules list", &stdout(&list));
}
