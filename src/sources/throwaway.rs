//! A throwaway source, compiled only for the library's tests, that keeps the promise of
//! `CONTRIBUTING.md`: a new source is this one file and its line in `SOURCES`. A
//! `Get-Service | ConvertTo-Json` export (`--services FILE`, `services:`) gets its flag, its
//! `sitelint.yaml` key, its `snapshot.yaml` key, its `-v` line and its place in what
//! `collect` writes from the registry alone; the test below walks it through them.

use super::shape::{File, Shape};
use super::{ConfigKey, ConfigTakes, Declared, Flag, Loaded, NotLoaded, Reading, Source, Takes, WHOLE};
use crate::checks::SourceRef;
use crate::rules::Rule;
use crate::snapshot::Snapshot;

pub(super) struct Services;

static DECLARED: Declared = Declared {
    key: "services",
    noun: "services export",
    flags: &[Flag {
        long: "services",
        value_name: "FILE",
        help: "A `Get-Service | ConvertTo-Json` export",
        takes: Takes::Path,
        repeated: false,
    }],
    config: &[ConfigKey {
        key: "services",
        doc: "A `Get-Service | ConvertTo-Json` export.",
        takes: ConfigTakes::Path(None),
    }],
    manifest_doc: "`export`: the site server's services.",
    folder: "services",
    shape: Shape::One {
        files: &[File {
            key: "export",
            doc: "The `Get-Service | ConvertTo-Json` export.",
            name: "services.json",
            noun: "services export",
        }],
        collected_as: "services export",
    },
    size_limit: WHOLE,
    wants: Some("the file of Get-Service | ConvertTo-Json > services.json"),
};

impl Source for Services {
    fn declared(&self) -> &'static Declared {
        &DECLARED
    }

    /// No kind reads it: one that did would add its `SourceRef` and `Input` variants, the
    /// cost of the kind, not of the source.
    fn instance<'r>(&self, _: &SourceRef<'r>) -> Option<&'r str> {
        None
    }

    fn load(&self, _: &[&Rule], snapshot: &Snapshot, _: &mut Reading<'_>) -> Result<Box<dyn Loaded>, NotLoaded> {
        Err(DECLARED.absent(snapshot, DECLARED.noun))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::atomic::AtomicBool;

    use crate::collect::{self, Options, Silent};
    use crate::sources::{self, read_manifest};

    #[test]
    fn a_source_of_one_file_and_one_line_is_taken_listed_configured_and_collected() {
        let dir = tempfile::tempdir().unwrap();
        let export = dir.path().join("services.json");
        std::fs::write(&export, r#"[{"Name": "SMS_EXECUTIVE", "Status": 4}]"#).unwrap();

        // The flag, from the registry.
        let (source, flag) = sources::flags().find(|(_, flag)| flag.long == "services").unwrap();
        let mut live = crate::snapshot::live::LiveSources::default();
        source.take(flag.given(export.as_os_str()).unwrap(), &mut live);

        // `-v` and `sitelint config` name it, with its `sources:` key.
        let snapshot = sources::live_snapshot(&live);
        let part = sources::parts(&snapshot)
            .find(|p| p.label == "services export:")
            .unwrap();
        assert_eq!(part.setting.unwrap().name, "sources.services");

        // Its key of `sitelint.yaml`, relative to the file.
        let config = crate::site_config::parse(Path::new("ops/sitelint.yaml"), "sources:\n  services: s.json\n".into());
        let config = config.unwrap().sources.unwrap().value;
        let given = config.of("services").and_then(|parts| parts.get("export"));
        assert_eq!(given, Some(&Path::new("ops").join("s.json")));

        // `collect` writes it where its layout says, and a check reads it back from there.
        let out = dir.path().join("snap");
        let options = Options {
            out: &out,
            force: false,
            hash: false,
            acquisitions: Vec::new(),
            interrupted: &AtomicBool::new(false),
        };
        let summary = collect::collect(&snapshot, &options, &Silent).unwrap();
        assert_eq!(summary.parts, ["the services export"]);
        assert!(sources::in_collect_layout("services/services.json"));
        let collected = read_manifest::load(&out).unwrap();
        let part = sources::parts(&collected)
            .find(|p| p.label == "services export:")
            .unwrap();
        assert_eq!(part.artifact.display, "services/services.json");
    }
}
