//! Untrusted manifests as `manifest-hashes` and `collect` read them: a redist manifest
//! cabinet (the table walk before the `cab` crate, then the crate and the XML inside), the
//! XML alone, and `update.map`; each the same bytes, each a reason and never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitelint::pack_manifest::{self, Manifest};

fuzz_target!(|data: &[u8]| {
    for name in ["ConfigMgr.Manifest.cab", "ConfigMgr.Manifest.xml", "update.map"] {
        if let Manifest::Unreadable(why) = pack_manifest::parse(name, data) {
            assert!(!why.is_empty());
        }
    }
});
