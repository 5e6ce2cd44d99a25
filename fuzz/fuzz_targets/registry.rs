//! Registry exports (`.reg`): both formats, every value type, continuation lines.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sitelint::snapshot::registry::parse("fuzz.reg", data, None);
});
