//! Globs of `zero-byte-files` and `required-files` rules, as an author writes them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitelint::rules::{self, RuleSource};

fuzz_target!(|data: &[u8]| {
    let Ok(glob) = std::str::from_utf8(data) else { return };
    // A JSON string is a YAML double-quoted scalar: the glob arrives exactly as fuzzed.
    let quoted = serde_json::Value::from(glob).to_string();
    let text = format!(
        "ruleset: fuzz\nrules:\n  - id: fuzz-glob\n    title: Fuzz\n    severity: error\n    kind: zero-byte-files\n    tree: updatepack\n    include: [{quoted}]\n    exclude: [{quoted}]\n"
    );
    let _ = rules::load(
        &[RuleSource {
            name: "glob.yaml".to_owned(),
            text,
        }],
        &[],
    );
});
