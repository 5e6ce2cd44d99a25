//! Rule files: YAML of any shape, compiled with every problem collected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitelint::rules::{self, RuleSource};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = sitelint::document::text::decode_yaml(data) else {
        return;
    };
    let source = RuleSource {
        name: "fuzz.yaml".to_owned(),
        text,
    };
    let _ = rules::load(&[source], &[]);
});
