//! Output that is not a terminal never cuts a line (issue 36): an excerpt of a long log line
//! piped or redirected keeps its end (a Japanese destination folder, an error code), which a
//! reader of the file could not otherwise see; a terminal, or a width asked for with
//! `COLUMNS`, still clips it to fit. `sitelint config` wraps at the width.

use std::process::{Command, Output};

use crate::{path_str, stdout};

/// A failed redistributable whose line ends, past 80 columns, in a Japanese folder.
const FOLDER: &str = r"D:\ソフト\ConfigMgr\UpdatePacks\Redist\最後のフォルダー";

fn snapshot(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(
        dir.join("snapshot.yaml"),
        "sitelint_snapshot: 1\nlogs:\n  ServiceConnectionTool.log: logs/ServiceConnectionTool.log\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("logs/ServiceConnectionTool.log"),
        format!(
            "ERROR:Failed to download redist for 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E into {FOLDER} after three attempts\n"
        ),
    )
    .unwrap();
}

const RULES: &str = r"ruleset: whole
rules:
  - id: redist
    title: Every redistributable downloads
    severity: error
    kind: forbidden-log-pattern
    log: ServiceConnectionTool.log
    pattern: 'ERROR:Failed to download redist for'
";

fn check(dir: &std::path::Path, columns: Option<&str>) -> Output {
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let snap = dir.join("snap");
    snapshot(&snap);
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitelint"));
    command
        .args([
            "check",
            path_str(&snap),
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ])
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1");
    if let Some(columns) = columns {
        command.env("COLUMNS", columns);
    }
    command.output().expect("sitelint runs")
}

#[test]
fn a_piped_report_keeps_the_whole_excerpt_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(&check(dir.path(), None));
    assert!(text.contains(&format!("{FOLDER} after three attempts")), "{text}");
    assert!(!text.contains('…'), "{text}");
}

#[test]
fn a_width_asked_for_still_clips_the_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(&check(dir.path(), Some("80")));
    assert!(!text.contains("after three attempts"), "{text}");
    // Windows redirected output is ASCII: `...` for `…`.
    assert!(text.contains('…') || (cfg!(windows) && text.contains("...")), "{text}");
}

/// `sitelint config` at 80 columns: an origin too long for its line wraps below the value
/// instead of running past the edge.
#[test]
fn config_wraps_at_80_columns() {
    let out = Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .arg("config")
        .current_dir(crate::root())
        .env("COLUMNS", "80")
        .env("NO_COLOR", "1")
        .output()
        .expect("sitelint runs");
    let text = stdout(&out);
    assert!(text.contains("params.target_version = \"2409\""), "{text}");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}\n{text}",
            line.chars().count()
        );
    }
}
