//! Registry exports (`.reg`): both formats, every value type, continuation lines, and the
//! merge of two exports with its conflicts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sitelint::readers::registry::parse("fuzz.reg", data, None);
    // The same bytes as two exports, the second cut in half: keys and values that agree,
    // and some that do not.
    let mut registry = sitelint::readers::registry::Registry::default();
    if registry.add("a.reg", data, None).is_ok() && registry.add("b.reg", &data[..data.len() / 2], None).is_ok() {
        let _ = registry.conflict().map(|c| c.to_string());
    }
});
