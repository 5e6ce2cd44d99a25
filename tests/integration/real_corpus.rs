//! The default ruleset on the corpus of real excerpts (`tests/real/`): sitelint's verdict on
//! each must be the one its source gives. The verdict comes from the source's own words,
//! recorded beside the excerpt, never from what sitelint said when the excerpt was added.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{root, sitelint};

/// One excerpt's record (`tests/real/README.md`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Record {
    excerpt: String,
    source: String,
    copied_from: String,
    language: String,
    step: String,
    verdict: Verdict,
    source_says: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
enum Verdict {
    Normal,
    Warning,
    Error,
}

/// An excerpt, and where the test puts it in a snapshot of its own.
struct Excerpt {
    /// `<input>/<slug>`, as the corpus names it.
    name: String,
    record: Record,
    /// The snapshot's line that names the excerpt, and the excerpt's path in the snapshot.
    manifest: String,
    path_in_snapshot: String,
    /// Lines the test puts before the excerpt (a registry fragment's header), which shift it.
    lines_before: u64,
    lines: u64,
}

/// What the folder of an input holds, as a snapshot names it.
fn place(input: &str, file: &str) -> Option<(String, String)> {
    let logs = [
        "ServiceConnectionTool",
        "ConfigMgrSetup",
        "dmpdownloader",
        "hman",
        "CMUpdate",
        "ConfigMgrPrereq",
        "smsbkup",
    ];
    if logs.contains(&input) {
        let path = format!("logs/{input}.log");
        return Some((format!("logs:\n  {input}.log: {path}\n"), path));
    }
    match input {
        "console" => Some((
            "console:\n  updates: console/updates.json\n".to_owned(),
            "console/updates.json".to_owned(),
        )),
        "registry" => Some((format!("registry:\n  - registry/{file}\n"), format!("registry/{file}"))),
        _ => None,
    }
}

fn corpus() -> Vec<Excerpt> {
    let real = root().join("tests/real");
    let mut excerpts = Vec::new();
    for input in fs::read_dir(&real)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
    {
        let input_name = input.file_name().unwrap().to_str().unwrap().to_owned();
        for file in fs::read_dir(&input).unwrap().map(|e| e.unwrap().path()) {
            if file.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let name = format!("{input_name}/{}", file.file_stem().unwrap().to_str().unwrap());
            let text = fs::read_to_string(&file).unwrap();
            let record: Record =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("tests/real/{name}.yaml: {e}"));
            for (field, value) in [
                ("source", &record.source),
                ("copied-from", &record.copied_from),
                ("language", &record.language),
                ("source-says", &record.source_says),
            ] {
                assert!(!value.trim().is_empty(), "tests/real/{name}.yaml: `{field}` is empty");
            }
            assert!(
                sitelint::report::steps::STEPS.iter().any(|s| s.tag == record.step),
                "tests/real/{name}.yaml: unknown step"
            );
            let bytes = fs::read(input.join(&record.excerpt))
                .unwrap_or_else(|e| panic!("tests/real/{name}.yaml names {}: {e}", record.excerpt));
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + u64::from(!bytes.ends_with(b"\n"));
            let lines_before = if needs_header(&input_name, &bytes) { 2 } else { 0 };
            let (manifest, path_in_snapshot) = place(&input_name, &record.excerpt)
                .unwrap_or_else(|| panic!("tests/real/{input_name}: not an input the corpus knows"));
            excerpts.push(Excerpt {
                name,
                record,
                manifest,
                path_in_snapshot,
                lines_before,
                lines,
            });
        }
    }
    excerpts.sort_by(|a, b| a.name.cmp(&b.name));
    excerpts
}

/// What regedit writes before the keys: a page that prints only the keys is judged as the
/// `.reg` file a reader pastes them into.
const REGEDIT_HEADER: &[u8] = b"Windows Registry Editor Version 5.00\r\n\r\n";

/// Whether a registry excerpt is a fragment without regedit's first line.
fn needs_header(input: &str, bytes: &[u8]) -> bool {
    input == "registry" && !bytes.starts_with(b"Windows Registry Editor") && !bytes.starts_with(b"REGEDIT4")
}

/// Lays each excerpt out as a snapshot of its own, in one folder per excerpt.
fn snapshots(excerpts: &[Excerpt], dir: &Path) -> Vec<PathBuf> {
    excerpts
        .iter()
        .map(|excerpt| {
            let snapshot = dir.join(excerpt.name.replace('/', "--"));
            let target = snapshot.join(&excerpt.path_in_snapshot);
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            let input = excerpt.name.split('/').next().unwrap();
            let bytes = fs::read(root().join("tests/real").join(input).join(&excerpt.record.excerpt)).unwrap();
            let header: &[u8] = if excerpt.lines_before > 0 { REGEDIT_HEADER } else { b"" };
            fs::write(&target, [header, &bytes].concat()).unwrap();
            fs::write(
                snapshot.join("snapshot.yaml"),
                format!("sitelint_snapshot: 1\n{}", excerpt.manifest),
            )
            .unwrap();
            snapshot
        })
        .collect()
}

#[test]
fn the_default_rulesets_verdict_on_every_real_excerpt_is_its_sources() {
    let excerpts = corpus();
    assert!(!excerpts.is_empty(), "tests/real holds no excerpt");
    let dir = tempfile::tempdir().unwrap();
    let snapshots = snapshots(&excerpts, dir.path());
    let mut args = vec!["check", "--format", "json"];
    args.extend(snapshots.iter().map(|p| p.to_str().unwrap()));
    let out = sitelint(&args);
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        report["errors"],
        serde_json::json!([]),
        "the corpus reads without errors"
    );
    // The snapshot of each finding, by the name the report gives it, in the order given.
    let names: Vec<&str> = report["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), excerpts.len());
    let mut worst: BTreeMap<&str, (Verdict, Vec<String>)> = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        let snapshot = finding["snapshot"]["name"].as_str().unwrap();
        let index = names.iter().position(|n| *n == snapshot).unwrap();
        let excerpt = &excerpts[index];
        let location = &finding["location"];
        let on_a_line = location["path"] == excerpt.path_in_snapshot.as_str()
            && location["line"]
                .as_u64()
                .is_some_and(|l| (1..=excerpt.lines).contains(&l));
        if finding["outcome"] != "fail" || !on_a_line {
            continue;
        }
        let verdict = match finding["severity"].as_str().unwrap() {
            "error" => Verdict::Error,
            "warning" => Verdict::Warning,
            _ => Verdict::Normal,
        };
        let entry = worst.entry(snapshot).or_insert((Verdict::Normal, Vec::new()));
        entry.0 = entry.0.max(verdict);
        entry.1.push(finding["rule_id"].as_str().unwrap().to_owned());
    }
    let mut mismatches = Vec::new();
    let mut counts: BTreeMap<(String, Verdict), u32> = BTreeMap::new();
    for (excerpt, name) in excerpts.iter().zip(&names) {
        let (verdict, rules) = worst.remove(name).unwrap_or((Verdict::Normal, Vec::new()));
        let input = excerpt.name.split('/').next().unwrap().to_owned();
        *counts.entry((input, excerpt.record.verdict)).or_default() += 1;
        if verdict != excerpt.record.verdict {
            mismatches.push(format!(
                "{}: the source says {:?}, sitelint {verdict:?} ({})",
                excerpt.name,
                excerpt.record.verdict,
                if rules.is_empty() {
                    "no finding".to_owned()
                } else {
                    rules.join(", ")
                }
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} excerpts disagree:\n{}\n\nexcerpts by input and verdict: {counts:?}",
        mismatches.len(),
        excerpts.len(),
        mismatches.join("\n")
    );
}

#[test]
fn the_readme_states_the_corpus_as_it_is() {
    let count = corpus().len();
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    // The README wraps its prose: compare with every run of spaces and line ends as one space.
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    for claim in [
        format!("{count} real excerpts"),
        format!("agrees with the source's on all {count}"),
    ] {
        assert!(
            readme.contains(&claim),
            "the README must say `{claim}`: tests/real holds {count} excerpts"
        );
    }
}
