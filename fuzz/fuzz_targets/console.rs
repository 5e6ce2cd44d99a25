//! Console exports (`Get-CMSiteUpdate | ConvertTo-Json`), in any encoding PowerShell writes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(updates) = sitelint::readers::console::parse(&sitelint::document::text::decode(data, None).text) {
        for update in &updates {
            let _ = update.is_version("2409");
            let _ = update.release();
            let _ = update.label();
        }
    }
});
