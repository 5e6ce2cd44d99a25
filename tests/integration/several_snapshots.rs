//! Several snapshots in one check keep what is each one's own (issue 36): a waiver that
//! matches one site's finding is not `waiver-unused` on the others, every path of the JSON
//! report is relative (the config's too), and the HTML report gives each snapshot its
//! provenance, rule files, params, site config, rules not evaluated and waivers.

use crate::{json, root, sitelint_in, stdout};

/// `check` of the two internet-machine examples from `examples/`, where Contoso's
/// sitelint.yaml (and its Watson waiver) applies, with the frozen rules and `args`.
fn both(args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "check",
        "snapshots/failed-download",
        "snapshots/clean",
        "--no-default-rules",
        "--rules",
        "../tests/fixtures/reports/examples-rules.yaml",
    ];
    all.extend_from_slice(args);
    sitelint_in(&root().join("examples"), &all)
}

#[test]
fn a_waiver_used_by_one_snapshot_is_not_unused_on_the_others() {
    let report = json(&both(&["--format", "json"]));
    let findings = report["findings"].as_array().unwrap();
    let unused: Vec<&serde_json::Value> = findings.iter().filter(|f| f["rule_id"] == "waiver-unused").collect();
    assert!(unused.is_empty(), "{unused:?}");
    let waived = findings.iter().filter(|f| f["outcome"] == "suppressed").count();
    assert_eq!(waived, 2, "{findings:?}");
}

#[test]
fn a_waiver_unused_everywhere_is_named_by_a_relative_path() {
    // The clean snapshot alone: the Watson waiver matches nothing there.
    let out = sitelint_in(
        &root().join("examples"),
        &[
            "check",
            "snapshots/clean",
            "--no-default-rules",
            "--rules",
            "../tests/fixtures/reports/examples-rules.yaml",
            "--format",
            "json",
        ],
    );
    let report = json(&out);
    let unused = crate::finding(&report, "waiver-unused");
    // Relative to the snapshot, as every path of the report is.
    assert_eq!(unused["location"]["path"], "../../sitelint.yaml", "{unused}");
    let text = stdout(&sitelint_in(
        &root().join("examples"),
        &[
            "check",
            "snapshots/clean",
            "--no-default-rules",
            "--rules",
            "../tests/fixtures/reports/examples-rules.yaml",
        ],
    ));
    // A person reads it from where sitelint ran.
    assert!(text.contains("at sitelint.yaml:11"), "{text}");
    assert!(!text.contains(&root().display().to_string()), "{text}");
}

#[test]
fn no_report_of_several_names_a_path_of_this_machine() {
    let here = root().display().to_string();
    for format in ["json", "sarif", "html", "markdown", "junit"] {
        let text = stdout(&both(&["--format", format]));
        // SARIF names the directory sitelint ran in as its base, and only there.
        let text = text.replace(&format!("file://{here}/examples/"), "");
        assert!(!text.contains(&here), "{format}: {text}");
    }
}

#[test]
fn html_of_several_gives_each_snapshot_its_provenance_and_reasons() {
    let html = stdout(&both(&["--format", "html"]));
    for snapshot in ["snapshot-1", "snapshot-2"] {
        let section = html
            .split(&format!("<section class=\"snapshot\" id=\"{snapshot}\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {snapshot}: {html}"));
        let section = section.split("<section class=\"snapshot\"").next().unwrap();
        for part in [
            "<dt>Site config</dt><dd><code>sitelint.yaml</code></dd>",
            "<strong>report-examples</strong> from <code>../tests/fixtures/reports/examples-rules.yaml</code>",
            "<code>target_version = 2409</code>",
            "<h3>Not evaluated</h3>",
        ] {
            assert!(section.contains(part), "{snapshot} lacks {part}: {section}");
        }
    }
    let first = html.split("id=\"snapshot-2\"").next().unwrap();
    assert!(first.contains("<h3>Suppressed</h3>"), "{first}");
    assert!(
        first.contains("Watson crash telemetry is blocked by policy SEC-112"),
        "{first}"
    );
}
