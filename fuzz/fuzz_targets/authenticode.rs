//! Untrusted files as `signed-files` reads them: PE and cabinet headers, MSI compound files
//! (FAT, directory, streams), certificate tables, PKCS#7, certificates and timestamps, each
//! failure a reason and never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitelint::authenticode::{self, MICROSOFT_ROOTS, Policy};

fuzz_target!(|data: &[u8]| {
    let examined = authenticode::examine(&mut std::io::Cursor::new(data), data.len() as u64);
    let roots: Vec<Vec<u8>> = MICROSOFT_ROOTS.iter().map(|r| r.to_vec()).collect();
    let policy = Policy { roots: &roots, signer: None, now: 1_800_000_000 };
    if let Err(failure) = authenticode::judge(&examined, &policy) {
        assert!(!failure.to_string().is_empty());
    }
});
