//! What a new user sees first in the terminal (issue 36): the findings in the procedure's
//! order, errors first in each step; the rules not evaluated one line per missing input; a
//! closing hint for the machine the run is on.

use crate::{sitelint, stdout};

/// README step 5: the console export alone, on the site server after the import.
const CONSOLE_ONLY: [&str; 5] = [
    "check",
    "--console-updates",
    "examples/snapshots/site-server-after-import/console/updates.json",
    "--set",
    "target_version=2409",
];

#[test]
fn findings_come_in_the_procedures_order_with_errors_first() {
    // The failed download with the console export of the site server after its import: one
    // snapshot of steps on both machines, as a snapshot collected by hand may be.
    let (_dir, snap) = crate::example_copy();
    let console = "examples/snapshots/site-server-after-import/console/updates.json";
    std::fs::create_dir(snap.join("console")).unwrap();
    std::fs::copy(crate::root().join(console), snap.join("console/updates.json")).unwrap();
    let manifest = snap.join("snapshot.yaml");
    let yaml = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{yaml}console:\n  updates: console/updates.json\n")).unwrap();
    let args = ["check", crate::path_str(&snap), "--no-config"];
    let text = stdout(&sitelint(&[&args[..], &crate::FROZEN_RULES[..]].concat()));
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle}: {text}"));
    // The network step (the allowlist) before the download step (the logs and the pack),
    // before the console (the site server's export), whatever their files' names.
    let network = at("\nupdates-and-servicing-endpoints\n");
    let download = at("\nredist-zero-byte-file\n");
    let console = at("\ntarget-version-not-ready\n");
    assert!(network < download && download < console, "{text}");
    // In a step, the errors before the warnings: the pack's empty file (an error) before the
    // Service Connection Tool's log that never confirms the redistributables (a warning),
    // though the log's path sorts first.
    assert!(download < at("\nsct-redists-not-confirmed\n"), "{text}");
    assert!(at("\nsct-redists-not-confirmed\n") < console, "{text}");
}

#[test]
fn rules_not_evaluated_are_a_line_per_missing_input_and_listed_with_verbose() {
    let text = stdout(&sitelint(&CONSOLE_ONLY));
    assert!(text.contains("\nnot evaluated (-v lists the rules):\n"), "{text}");
    let report = crate::json(&sitelint(&[&CONSOLE_ONLY[..], &["--format", "json"]].concat()));
    let reason = "no registry export given (use --registry)";
    let count = crate::not_evaluated_for(&report, "connect-machine", reason);
    assert!(count > 1, "{report:#}");
    assert!(text.contains(&format!("\n    {count} rules: {reason}\n")), "{text}");
    assert!(!text.contains("dotnet-framework-too-old"), "{text}");
    let verbose = stdout(&sitelint(&[&CONSOLE_ONLY[..], &["-v"]].concat()));
    assert!(verbose.contains("\n    dotnet-framework-too-old "), "{verbose}");
}

#[test]
fn the_closing_hint_names_the_machine_the_run_is_on() {
    let site_server = stdout(&sitelint(&CONSOLE_ONLY));
    assert!(
        site_server.contains("on the site server, add --step import,console,"),
        "{site_server}"
    );
    assert!(!site_server.contains("on the internet machine"), "{site_server}");

    let internet = stdout(&sitelint(&[
        "check",
        "--log",
        "examples/snapshots/failed-download/logs/ConfigMgrSetup.log",
    ]));
    assert!(
        internet.contains("on the internet machine, add --step connect-machine,network,download"),
        "{internet}"
    );
    assert!(!internet.contains("on the site server"), "{internet}");
}

/// Each example holds one machine's evidence (issue 36): the internet machine's snapshots
/// evaluate only its steps, so their first finding is never about an import that has not
/// happened; the site server's after the import evaluates only the site server's.
#[test]
fn each_example_holds_the_evidence_of_one_machine() {
    let evaluated_steps = |example: &str| {
        let report = crate::json(&sitelint(&[
            "check",
            &format!("examples/snapshots/{example}"),
            "--no-config",
            "--format",
            "json",
        ]));
        let steps = [
            "connect-machine",
            "network",
            "download",
            "import",
            "console",
            "prerequisites",
            "backup",
            "upgrade",
            "post-upgrade",
        ];
        let mut evaluated: Vec<String> = report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "passed" || r["status"] == "failed")
            .filter_map(|r| {
                let tags = r["tags"].as_array().unwrap();
                tags.iter()
                    .filter_map(|t| t.as_str())
                    .find(|t| steps.contains(t))
                    .map(str::to_owned)
            })
            .collect();
        evaluated.sort_by_key(|s| steps.iter().position(|t| t == s));
        evaluated.dedup();
        evaluated
    };
    for example in ["failed-download", "clean"] {
        assert_eq!(
            evaluated_steps(example),
            ["connect-machine", "network", "download"],
            "{example}"
        );
    }
    assert_eq!(evaluated_steps("site-server-after-import"), ["import", "console"]);
}
