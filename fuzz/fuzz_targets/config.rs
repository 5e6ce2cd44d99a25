//! The `--config` file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sitelint::rules::config::parse(
        std::path::Path::new("sitelint.yaml"),
        sitelint::document::text::decode(data),
    );
});
