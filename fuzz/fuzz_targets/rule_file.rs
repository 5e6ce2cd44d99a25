//! Rule files: YAML of any shape, compiled with every problem collected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitelint::rules::{self, RuleSource};

fuzz_target!(|data: &[u8]| {
    let source = RuleSource {
        name: "fuzz.yaml".to_owned(),
        text: sitelint::document::text::decode(data),
    };
    let _ = rules::load(&[source], &[]);
});
