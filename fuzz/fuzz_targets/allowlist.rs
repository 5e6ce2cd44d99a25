//! Proxy and firewall allowlists: hosts, URLs and wildcards, one per line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sitelint::readers::endpoints::parse_allowlist(&sitelint::document::text::decode(data, None).text);
});
