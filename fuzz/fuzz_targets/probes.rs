//! `network/probes.json`, as `collect --probe-endpoints` writes it or a stranger edits it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sitelint::readers::endpoints::parse_probes(&sitelint::document::text::decode(data, None).text);
});
