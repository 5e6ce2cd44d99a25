//! The `--config` file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sitelint::config::parse(std::path::Path::new("sitelint.yaml"), sitelint::text::decode(data));
});
