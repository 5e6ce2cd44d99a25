//! A listing's recorded signature examination (a snapshot from a stranger), judged with the
//! built-in roots: hex that is not hex, certificates that are not certificates, any JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitelint::authenticode::{self, Examined, MICROSOFT_ROOTS, Policy};

fuzz_target!(|data: &[u8]| {
    let Ok(examined) = serde_json::from_slice::<Examined>(data) else { return };
    let roots: Vec<Vec<u8>> = MICROSOFT_ROOTS.iter().map(|r| r.to_vec()).collect();
    let policy = Policy { roots: &roots, signer: None, now: 1_800_000_000 };
    let _ = authenticode::judge(&examined, &policy);
});
