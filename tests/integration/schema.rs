//! `sitelint schema`: the committed schemas are what the loader describes today, and an
//! independent validator (boon) accepts every shipped file against them and rejects the
//! rule files with mistakes.

use std::fs;
use std::path::Path;

use crate::{root, sitelint, stdout};

fn schema_of(what: &str) -> serde_json::Value {
    let out = sitelint(&["schema", what]);
    assert_eq!(out.status.code(), Some(0));
    let committed = fs::read_to_string(root().join(format!("schemas/{what}.schema.json"))).unwrap();
    assert_eq!(
        stdout(&out).replace("\r\n", "\n"),
        committed.replace("\r\n", "\n"),
        "schemas/{what}.schema.json is stale: run `sitelint schema {what} > schemas/{what}.schema.json`"
    );
    serde_json::from_str(&committed).unwrap()
}

/// Validates YAML files against a schema; returns each file's errors (empty when valid).
fn validate(schema: serde_json::Value, files: &[&Path]) -> Vec<(String, String)> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.set_default_draft(boon::Draft::V7);
    compiler.add_resource("urn:sitelint:schema", schema).unwrap();
    let index = compiler.compile("urn:sitelint:schema", &mut schemas).unwrap();
    files
        .iter()
        .map(|file| {
            let text = fs::read_to_string(file).unwrap();
            let instance: serde_json::Value =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let errors = match schemas.validate(&instance, index) {
                Ok(()) => String::new(),
                Err(e) => format!("{e:#}"),
            };
            (file.display().to_string(), errors)
        })
        .collect()
}

fn yaml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn shipped_rule_files_are_valid_and_the_bad_ones_are_not() {
    let schema = schema_of("rules");
    let mut shipped = yaml_files(&root().join("rules"));
    shipped.extend(yaml_files(&root().join("examples/site-rules")));
    // The built-in rule files and the example's site rules.
    assert_eq!(shipped.len(), crate::default_rule_files().len() + 1);
    let shipped: Vec<&Path> = shipped.iter().map(|p| p.as_path()).collect();
    for (file, errors) in validate(schema.clone(), &shipped) {
        assert_eq!(errors, "", "{file}");
    }
    let bad = yaml_files(&root().join("tests/fixtures/bad-rules"));
    assert!(!bad.is_empty());
    let bad: Vec<&Path> = bad.iter().map(|p| p.as_path()).collect();
    for (file, errors) in validate(schema, &bad) {
        assert_ne!(errors, "", "{file} has mistakes the schema must catch");
    }
}

#[test]
fn the_example_config_is_valid_and_a_misspelt_key_is_not() {
    let schema = schema_of("config");
    let example = root().join("examples/sitelint.yaml");
    let [(_, errors)] = &validate(schema.clone(), &[&example])[..] else {
        unreachable!()
    };
    assert_eq!(errors, "");
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("sitelint.yaml");
    fs::write(
        &typo,
        "fail-on: eror\nwaivers:\n  - rule: x\n    reason: y\n    owner: z\n",
    )
    .unwrap();
    let [(_, errors)] = &validate(schema, &[&typo])[..] else {
        unreachable!()
    };
    assert!(errors.contains("fail-on"), "{errors}");
    assert!(errors.contains("expires"), "a waiver without `expires`: {errors}");
}

#[test]
fn each_kind_has_its_own_fields_only() {
    let schema = schema_of("rules");
    let branch = |kind: &str| {
        let properties = schema["definitions"][kind]["properties"].as_object().unwrap();
        properties.keys().cloned().collect::<Vec<_>>()
    };
    assert!(branch("forbidden-log-pattern").contains(&"pattern".to_owned()));
    assert!(!branch("zero-byte-files").contains(&"pattern".to_owned()));
    assert!(branch("zero-byte-files").contains(&"include".to_owned()));
    assert_eq!(schema["definitions"]["zero-byte-files"]["additionalProperties"], false);
    let states = &schema["definitions"]["required-update-version"]["properties"]["states"];
    assert!(states.to_string().contains("ready-to-install"), "{states}");
    // Every field says what it is for.
    for (kind, branch) in schema["definitions"].as_object().unwrap() {
        for (name, field) in branch["properties"].as_object().into_iter().flatten() {
            assert!(
                field["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{kind}.{name}"
            );
        }
    }
}
