//! Sites exports (`Get-CMSite | ConvertTo-Json`), in any encoding PowerShell writes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sites) = sitelint::readers::sites::parse(&sitelint::document::text::decode(data, None).text) {
        for (position, site) in sites.iter().enumerate() {
            let _ = site.build();
            let _ = site.label(position);
        }
    }
});
