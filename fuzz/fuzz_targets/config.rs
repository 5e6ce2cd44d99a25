//! The `--config` file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = sitelint::document::text::decode_yaml(data) {
        let _ = sitelint::site_config::parse(std::path::Path::new("sitelint.yaml"), text);
    }
});
