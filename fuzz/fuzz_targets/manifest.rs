//! `snapshot.yaml`, as a stranger may write it. The root does not exist, so no path in the
//! manifest can reach a real file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let root = Path::new("/nonexistent/sitelint-fuzz-snapshot");
    if let Ok(snapshot) =
        sitelint::sources::read_manifest::parse(root, "snapshot.yaml", sitelint::document::text::decode(data, None).text)
    {
        // Whatever it names stays inside the snapshot.
        for part in sitelint::sources::parts(&snapshot) {
            let artifact = part.artifact;
            assert!(
                artifact.path.starts_with(root),
                "{:?} leaves the snapshot",
                artifact.path
            );
            assert!(
                !artifact.display.split('/').any(|part| part == ".."),
                "{}",
                artifact.display
            );
        }
    }
});
