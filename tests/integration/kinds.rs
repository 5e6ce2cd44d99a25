//! Every rule kind on its own fixtures, in process through `cli::run`:
//! `tests/fixtures/kinds/<kind>/<case>/` is a snapshot, checked with the kind's
//! `rules.yaml` (or the case's own, for options the kind's rules do not use), and its JSON
//! report and exit code are kept beside it in `report.snap`. Each kind has at least a
//! passing, a failing and a not-evaluated case, and the cases its options call for.

use std::collections::BTreeSet;
use std::path::Path;

use clap::Parser;
use sitelint::checks::KINDS;
use sitelint::cli::{self, Cli, ColorChoice, Terminal};

const KINDS_DIR: &str = "tests/fixtures/kinds";

/// Runs sitelint in this process, as `main` would with output redirected.
fn run(args: &[&str]) -> (u8, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("sitelint").chain(args.iter().copied())).expect("valid arguments");
    let terminal = Terminal {
        stdout_is_tty: false,
        stderr_is_tty: false,
        env_color: ColorChoice::Never,
        escapes: false,
        width: 100,
        width_asked: true,
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = cli::run(cli, terminal, &mut stdout, &mut stderr).expect("writing to memory works");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (code, text(stdout), text(stderr))
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_kind_has_fixtures_that_pass_fail_and_go_unevaluated() {
    let kinds: BTreeSet<String> = KINDS.iter().map(|k| k.name.to_owned()).collect();
    assert_eq!(names_in(Path::new(KINDS_DIR)), kinds, "one fixture directory per kind");
    for kind in &kinds {
        let cases = names_in(&Path::new(KINDS_DIR).join(kind));
        for needed in ["pass", "fail", "not-evaluated"] {
            assert!(cases.contains(needed), "{kind} has no `{needed}` case");
        }
    }
}

#[test]
fn each_kind_on_each_of_its_cases() {
    for kind in KINDS.iter().map(|k| k.name) {
        let kind_dir = Path::new(KINDS_DIR).join(kind);
        for case in names_in(&kind_dir) {
            let case_dir = kind_dir.join(&case);
            let rules = if case_dir.join("rules.yaml").is_file() {
                case_dir.join("rules.yaml")
            } else {
                kind_dir.join("rules.yaml")
            };
            let (snapshot, rules) = (case_dir.to_str().unwrap(), rules.to_str().unwrap());
            let args = [
                "check",
                snapshot,
                "--no-default-rules",
                "--rules",
                rules,
                "--format",
                "json",
            ];
            let (code, stdout, stderr) = run(&args);
            let mut report: serde_json::Value =
                serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{kind}/{case}: not JSON ({e}): {stderr}"));
            let statuses: Vec<&str> = report["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["status"].as_str().unwrap())
                .collect();
            match case.as_str() {
                "pass" => assert!(statuses.iter().all(|s| *s == "passed"), "{kind}/{case}: {statuses:?}"),
                "fail" => assert!(statuses.iter().all(|s| *s == "failed"), "{kind}/{case}: {statuses:?}"),
                "not-evaluated" => {
                    assert!(
                        statuses.iter().all(|s| *s == "not-evaluated"),
                        "{kind}/{case}: {statuses:?}"
                    );
                }
                _ => {}
            }
            report["tool"]["version"] = "VERSION".into();
            insta::with_settings!({
                snapshot_path => std::path::absolute(&case_dir).unwrap(),
                prepend_module_to_snapshot => false,
                description => format!("sitelint {}", args.join(" ")),
                omit_expression => true,
            }, {
                insta::assert_json_snapshot!("report", serde_json::json!({"exit_code": code, "report": report}));
            });
        }
    }
}
