//! Tree listing lines (JSON Lines), with paths that must stay inside the tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((files, _)) = sitelint::readers::tree::parse_listing(data, "trees/updatepack.jsonl") {
        for file in files {
            assert!(!file.path.starts_with('/') && !file.path.split('/').any(|p| p == ".." || p.is_empty()));
        }
    }
});
