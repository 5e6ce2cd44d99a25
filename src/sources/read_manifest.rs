//! A snapshot read from its `snapshot.yaml`: the manifest's own fields here, each source's
//! key as its shape reads it (`shape`, from the source's [`super::Declared`]), so a new
//! source adds no code here.

use std::path::Path;
use std::sync::Arc;

use super::{FromManifest, listing_order};
use crate::document::diag::{Problem, SetupError, SourceFile};
use crate::document::fields::mapping;
use crate::document::yaml::{self, Node};
use crate::finding::SnapshotInfo;
use crate::snapshot::manifest_file::{self, MANIFEST_NAME, ManifestReader};
use crate::snapshot::{Artifact, Snapshot};

/// The snapshot format this build reads.
const FORMAT_VERSION: i64 = 1;

/// Loads a snapshot from its directory or its manifest file.
pub fn load(given: &Path) -> Result<Snapshot, SetupError> {
    let opened = manifest_file::open(given)?;
    let mut snapshot = parse(&opened.root, &opened.display, opened.text)?;
    snapshot.held = Some(Arc::new(opened.held));
    Ok(snapshot)
}

/// Reads a manifest's text, named `display`, for the snapshot directory `root`.
pub fn parse(root: &Path, display: &str, text: String) -> Result<Snapshot, SetupError> {
    let file = SourceFile::new(display, text);
    let node = yaml::parse_file(&file).map_err(|p| vec![p])?;
    let mut reader = ManifestReader::new(&file, root);
    let snapshot = read(&mut reader, &node, display.to_owned());
    let problems = reader.problems();
    match snapshot {
        Some(snapshot) if problems.is_empty() => Ok(snapshot),
        _ => Err(SetupError::Problems(problems)),
    }
}

/// The manifest's own fields, then each source's keys, in listing order (the order of the
/// fields a misspelt key is told of, and of the problems).
fn read(reader: &mut ManifestReader<'_>, node: &Node, display: String) -> Option<Snapshot> {
    let file = reader.file();
    let entries = match mapping(file, node, "a snapshot manifest", "start with `sitelint_snapshot: 1`") {
        Ok(entries) => entries,
        Err(problem) => {
            reader.push(problem);
            return None;
        }
    };
    let mut f = reader.fields(entries, node.span.start..node.span.start);
    let version = f.count("sitelint_snapshot", "The snapshot format: 1.");
    let collected_at = f
        .string("collected_at", "When `collect` ran, in UTC (RFC 3339).")
        .map(|s| s.value);
    let host = f.string("host", "The machine `collect` ran on.").map(|s| s.value);
    let sections: Vec<FromManifest<'_>> = listing_order().map(|source| source.read_manifest(&mut f)).collect();
    // Written by `collect` for the people who read the snapshot; a check does not need them.
    let _ = f.string("sitelint_version", "The sitelint that wrote the snapshot.");
    let _ = f.map("collected_from", "Where each part was read from.");
    if version.is_none() {
        f.missing("sitelint_snapshot", "a manifest starts with `sitelint_snapshot: 1`");
    }
    let mut problems = f.finish("the snapshot manifest");
    if let Some(v) = &version
        && i64::try_from(v.value).ok() != Some(FORMAT_VERSION)
    {
        problems.push(
            Problem::new(
                file,
                v.span.clone(),
                format!("snapshot format {} is not supported", v.value),
                "unsupported",
            )
            .with_help(format!(
                "this sitelint reads format {FORMAT_VERSION}; use the sitelint that wrote the snapshot"
            )),
        );
    }
    reader.extend(problems);

    let mut snapshot = Snapshot {
        info: SnapshotInfo {
            path: Some(display),
            host,
            collected_at,
        },
        manifest: Some(Artifact {
            path: reader.root().join(MANIFEST_NAME),
            display: MANIFEST_NAME.to_owned(),
        }),
        ..Snapshot::default()
    };
    for section in sections {
        section(reader, &mut snapshot);
    }
    Some(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::TreeSource;

    /// Each problem as `line:column message`.
    fn problems(result: Result<Snapshot, SetupError>) -> Vec<String> {
        match result {
            Err(SetupError::Problems(problems)) => problems
                .iter()
                .map(|p| {
                    let (line, column) = p.file.line_column(p.span.start);
                    format!("{line}:{column} {}", p.message)
                })
                .collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn parts_are_named_relative_to_the_snapshot_whichever_separator_wrote_them() {
        let text = "sitelint_snapshot: 1
host: INETPC01
collected_at: 2024-12-17T20:12:00Z
trees:
  updatepack: {listing: trees/updatepack.jsonl}
logs:
  ServiceConnectionTool.log: logs\\ServiceConnectionTool.log
endpoints:
  allowlist: ./network/allowlist.txt
  probes: network/probes.json
";
        let root = Path::new("D-USB/snap");
        let snapshot = parse(root, "D-USB/snap/snapshot.yaml", text.to_owned()).unwrap();
        assert_eq!(snapshot.info.host.as_deref(), Some("INETPC01"));
        assert_eq!(snapshot.info.path.as_deref(), Some("D-USB/snap/snapshot.yaml"));
        let Some((_, TreeSource::Listing(listing))) = crate::sources::trees(&snapshot).next() else {
            panic!("a listing: {:?}", snapshot.parts);
        };
        assert_eq!(listing.display, "trees/updatepack.jsonl");
        assert_eq!(listing.path, root.join("trees/updatepack.jsonl"));
        let part = |source: &str, name: &str| snapshot.parts.of(source).and_then(|parts| parts.get(name));
        let log = part("logs", "serviceconnectiontool.log").expect("names match in any case");
        assert_eq!(log.display, "logs/ServiceConnectionTool.log");
        assert_eq!(part("endpoints", "allowlist").unwrap().display, "network/allowlist.txt");
        assert_eq!(part("endpoints", "probes").unwrap().display, "network/probes.json");
        assert_eq!(snapshot.manifest.as_ref().unwrap().display, MANIFEST_NAME);
    }

    #[test]
    fn every_mistake_is_reported_at_its_place_in_one_pass() {
        let text = "sitelint_snapshot: 2
trees:
  updatepack: {path: 'C:\\UpdatePacks'}
logs:
  ServiceConnectionTool.log: ../../Windows/System32/config/SAM
  ConfigMgrSetup.log: C:\\ConfigMgrSetup.log
consle:
  updates: console/updates.json
";
        assert_eq!(
            problems(parse(Path::new("snap"), "snap/snapshot.yaml", text.to_owned())),
            [
                "7:1 unknown field `consle` in the snapshot manifest",
                "1:20 snapshot format 2 is not supported",
                "3:16 tree `updatepack` names a live directory; a snapshot only holds listings",
                "5:30 path `../../Windows/System32/config/SAM` points outside the snapshot",
                "6:23 path `C:\\ConfigMgrSetup.log` is absolute; paths in a snapshot must be relative to it",
            ]
        );
    }

    #[test]
    fn a_manifest_that_is_not_a_mapping_says_how_one_starts() {
        let found = problems(parse(Path::new("snap"), "snap/snapshot.yaml", "- logs\n".to_owned()));
        assert_eq!(found, ["1:1 a snapshot manifest must be a mapping"]);
    }
}
