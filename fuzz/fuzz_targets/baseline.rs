//! `--baseline REPORT.json`: an earlier JSON report, from anyone, read back and matched
//! against a snapshot by name, host and path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitelint::finding::SnapshotInfo;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(mut baseline) = sitelint::baseline::Baseline::parse("fuzz.json", &text) {
        let this = SnapshotInfo {
            path: Some("snap/snapshot.yaml".to_owned()),
            host: Some("INETPC01".to_owned()),
            collected_at: None,
        };
        let _ = baseline.take("snap", false, &this);
        let _ = baseline.take("snap", true, &this);
    }
});
