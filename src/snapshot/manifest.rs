//! Reads `snapshot.yaml`, the manifest of a snapshot directory, and resolves every path in it
//! against the directory, refusing paths that lead out of it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::tree::{relative_path, stays_inside};
use super::{Artifact, Snapshot, TreeSource};
use crate::document::diag::{Problem, SetupError, SourceFile};
use crate::document::fields::{Document, Fields, Sp, mapping};
use crate::document::yaml::{self, Node, Value};
use crate::finding::SnapshotInfo;

pub const MANIFEST_NAME: &str = "snapshot.yaml";

/// The snapshot format this build reads.
const FORMAT_VERSION: i64 = 1;

/// How long a reader waits for a snapshot that `collect --force` is moving into place (the
/// instant between its two renames, when the directory is not there).
const MOVING: std::time::Duration = std::time::Duration::from_millis(20);
const MOVING_TRIES: u32 = 50;

/// Opens the manifest at `path` and locks it, shared for a reader or exclusive for the
/// `collect --force` that replaces its snapshot, and makes sure the file locked is still the
/// one at `path` (a writer may have swapped the directory between the open and the lock). A
/// check holds its shared lock until it ends, so the snapshot it reads is not replaced under
/// it: it never reads one run's manifest with another's parts. A file system without locks is
/// read as it is.
pub fn lock(path: &Path, exclusive: bool) -> std::io::Result<fs::File> {
    let mut tries = 0;
    loop {
        let file = match fs::File::open(path) {
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && path.parent().is_some_and(being_replaced)
                    && tries < MOVING_TRIES =>
            {
                tries += 1;
                std::thread::sleep(MOVING);
                continue;
            }
            opened => opened?,
        };
        let locked = if exclusive { file.lock() } else { file.lock_shared() };
        if locked.is_err() {
            return Ok(file);
        }
        let still_there = fs::metadata(path)
            .is_ok_and(|at_path| file.metadata().is_ok_and(|held| identity(&held) == identity(&at_path)));
        if still_there || tries >= MOVING_TRIES {
            return Ok(file);
        }
        tries += 1;
    }
}

/// Whether a `collect` is at work on the snapshot `dir`: its files beside it
/// (`.NAME.sitelint-...`, see `collect`'s staging) are there.
fn being_replaced(dir: &Path) -> bool {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return false;
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let prefix = format!(".{}.sitelint-", name.to_string_lossy());
    fs::read_dir(parent).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
    })
}

/// What tells two files apart when both have the same name.
#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// What tells two files apart when both have the same name: std has no stable file index on
/// Windows, and two manifests written a moment apart differ in their creation time.
#[cfg(windows)]
fn identity(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::windows::fs::MetadataExt;
    (meta.creation_time(), meta.last_write_time())
}

/// Loads a snapshot from its directory or its manifest file.
pub fn load(given: &Path) -> Result<Snapshot, SetupError> {
    // A snapshot being moved into place by `collect --force` is there again in a moment.
    let mut tries = 0;
    let is_dir = loop {
        match fs::metadata(given) {
            Ok(meta) => break meta.is_dir(),
            Err(_) if tries < MOVING_TRIES && being_replaced(given) => {
                tries += 1;
                std::thread::sleep(MOVING);
            }
            Err(_) => break false,
        }
    };
    let manifest_path = if is_dir {
        given.join(MANIFEST_NAME)
    } else {
        given.to_owned()
    };
    let root = manifest_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    let help = "give a snapshot directory written by `sitelint collect`, or check live sources with --updatepack, --log, --console-updates and --endpoints-allowlist";
    // A file is a manifest only by its YAML name: a .cab or a log handed over as SNAPSHOT is
    // named as what it is, not parsed into a complaint about its first line.
    let yaml = |p: &Path| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
    };
    if given.is_file() && !yaml(given) {
        return Err(SetupError::with_help(
            format!("SNAPSHOT {} is a file, not a snapshot", given.display()),
            "SNAPSHOT wants the directory `sitelint collect` wrote (it holds snapshot.yaml); check an update pack with --updatepack DIR, a log with --log FILE",
        ));
    }
    if is_dir && fs::symlink_metadata(&manifest_path).is_err() && !being_replaced(given) {
        return Err(SetupError::with_help(
            format!("{} has no {MANIFEST_NAME}", given.display()),
            help,
        ));
    }
    // The manifest is a part like the others: a link to a file elsewhere is not read.
    if !stays_inside(&root, &manifest_path) {
        return Err(SetupError::with_help(
            format!(
                "{} is a link to a file outside the snapshot: not read",
                manifest_path.display()
            ),
            help,
        ));
    }
    let cannot_read = |e: std::io::Error| {
        SetupError::with_help(format!("cannot read snapshot {}: {e}", manifest_path.display()), help)
    };
    let held = lock(&manifest_path, false).map_err(cannot_read)?;
    let bytes = crate::files::read_limited(&manifest_path, crate::files::WHOLE_FILE_LIMIT).map_err(cannot_read)?;
    let mut snapshot = parse(
        &root,
        &manifest_path.display().to_string(),
        crate::document::text::decode(&bytes, None).text,
    )?;
    snapshot.held = Some(Arc::new(held));
    Ok(snapshot)
}

/// Reads a manifest's text, named `display`, for the snapshot directory `root`.
pub fn parse(root: &Path, display: &str, text: String) -> Result<Snapshot, SetupError> {
    let file = SourceFile::new(display, text);
    let node = yaml::parse_file(&file).map_err(|p| vec![p])?;
    let mut reader = ManifestReader {
        file: &file,
        root,
        problems: Vec::new(),
    };
    let snapshot = reader.read(&node, display.to_owned());
    match snapshot {
        Some(snapshot) if reader.problems.is_empty() => Ok(snapshot),
        _ => Err(SetupError::Problems(reader.problems)),
    }
}

struct ManifestReader<'a> {
    file: &'a Arc<SourceFile>,
    root: &'a Path,
    problems: Vec<Problem>,
}

impl ManifestReader<'_> {
    fn read(&mut self, node: &Node, display: String) -> Option<Snapshot> {
        let entries = match mapping(
            self.file,
            node,
            "a snapshot manifest",
            "start with `sitelint_snapshot: 1`",
        ) {
            Ok(entries) => entries,
            Err(problem) => {
                self.problems.push(problem);
                return None;
            }
        };
        let mut f = Fields::new(self.file, Document::Manifest, entries, node.span.start..node.span.start);
        let version = f.count("sitelint_snapshot", "The snapshot format: 1.");
        let collected_at = f
            .string("collected_at", "When `collect` ran, in UTC (RFC 3339).")
            .map(|s| s.value);
        let host = f.string("host", "The machine `collect` ran on.").map(|s| s.value);
        let trees = f
            .map("trees", "Directory trees by name, each `{listing: FILE}`.")
            .unwrap_or_default();
        let logs = f
            .map("logs", "Log files by name, each a path in the snapshot.")
            .unwrap_or_default();
        let console = f
            .map("console", "`updates`: the console's Updates and Servicing export.")
            .unwrap_or_default();
        let endpoints = f
            .map(
                "endpoints",
                "`allowlist` and `probes`: what the proxy allows and what probes reached.",
            )
            .unwrap_or_default();
        let registry = f
            .strings("registry", "Registry exports (`.reg`), paths in the snapshot, merged.")
            .unwrap_or_default();
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
                    self.file,
                    v.span.clone(),
                    format!("snapshot format {} is not supported", v.value),
                    "unsupported",
                )
                .with_help(format!(
                    "this sitelint reads format {FORMAT_VERSION}; use the sitelint that wrote the snapshot"
                )),
            );
        }
        self.problems.append(&mut problems);

        let mut snapshot = Snapshot {
            info: SnapshotInfo {
                path: Some(display),
                host,
                collected_at,
            },
            manifest: Some(Artifact {
                path: self.root.join(MANIFEST_NAME),
                display: MANIFEST_NAME.to_owned(),
            }),
            ..Snapshot::default()
        };
        for (key, value) in trees {
            let Some(name) = self.name(key) else { continue };
            if let Some(tree) = self.tree(&name, value) {
                snapshot.trees.push((name.value, tree));
            }
        }
        for (key, value) in logs {
            let Some(name) = self.name(key) else { continue };
            let path = match &value.value {
                Value::Str(s) => Some(Sp {
                    value: s.clone(),
                    span: value.span.clone(),
                }),
                other => {
                    self.problems.push(Problem::new(
                        self.file,
                        value.span.clone(),
                        format!("log `{}` must be a path relative to the snapshot", name.value),
                        format!("found {}", other.type_name()),
                    ));
                    None
                }
            };
            if let Some(artifact) = path.and_then(|p| self.resolve_inside(&p)) {
                snapshot.logs.push((name.value, artifact));
            }
        }
        let mut console = self.paths(
            console,
            "`console`",
            &[("updates", "The `Get-CMSiteUpdate -Fast | ConvertTo-Json` export.")],
        );
        snapshot.console = console.pop().flatten();
        let mut endpoints = self.paths(
            endpoints,
            "`endpoints`",
            &[
                ("allowlist", "The hosts the proxy or firewall allows, one per line."),
                ("probes", "What `collect --probe-endpoints` reached, as JSON."),
            ],
        );
        snapshot.probes = endpoints.pop().flatten();
        snapshot.allowlist = endpoints.pop().flatten();
        snapshot.registry = registry.iter().filter_map(|p| self.resolve_inside(p)).collect();
        Some(snapshot)
    }

    fn name(&mut self, key: &Node) -> Option<Sp<String>> {
        match &key.value {
            Value::Str(s) => Some(Sp {
                value: s.clone(),
                span: key.span.clone(),
            }),
            other => {
                self.problems.push(Problem::new(
                    self.file,
                    key.span.clone(),
                    "names must be strings",
                    format!("found {}", other.type_name()),
                ));
                None
            }
        }
    }

    /// `{listing: PATH}`, a listing inside the snapshot. A live directory (`{path: DIR}`) is
    /// refused: a snapshot that named one could walk any directory of the machine that checks
    /// it and name what it finds there.
    fn tree(&mut self, name: &Sp<String>, node: &Node) -> Option<TreeSource> {
        let Value::Map(entries) = &node.value else {
            self.problems.push(Problem::new(
                self.file,
                node.span.clone(),
                format!("tree `{}` must be `{{listing: FILE}}`", name.value),
                format!("found {}", node.value.type_name()),
            ));
            return None;
        };
        let live = entries
            .iter()
            .find(|(key, _)| matches!(&key.value, Value::Str(k) if k == "path"));
        if let Some((key, _)) = live {
            self.problems.push(
                Problem::new(
                    self.file,
                    key.span.clone(),
                    format!(
                        "tree `{}` names a live directory; a snapshot only holds listings",
                        name.value
                    ),
                    "refused",
                )
                .with_help(format!(
                    "check a live directory with --tree {}=DIR, or collect it into a snapshot with `sitelint collect`",
                    name.value
                )),
            );
            return None;
        }
        let mut f = Fields::new(self.file, Document::Manifest, entries, name.span.clone());
        let listing = f.string("listing", "The tree's listing: one JSON line per file.");
        self.problems.extend(f.finish(&format!("tree `{}`", name.value)));
        match listing {
            Some(listing) => self.resolve_inside(&listing).map(TreeSource::Listing),
            None => {
                self.problems.push(Problem::new(
                    self.file,
                    name.span.clone(),
                    format!("tree `{}` has no `listing`", name.value),
                    "this tree",
                ));
                None
            }
        }
    }

    /// A section of fixed keys (each with what it holds) that each name a file inside the
    /// snapshot, in `keys` order.
    fn paths(&mut self, entries: &[(Node, Node)], place: &str, keys: &[(&'static str, &str)]) -> Vec<Option<Artifact>> {
        let mut f = Fields::new(self.file, Document::Manifest, entries, 0..0);
        let values: Vec<Option<Sp<String>>> = keys.iter().map(|(k, doc)| f.string(k, doc)).collect();
        self.problems.extend(f.finish(place));
        values
            .into_iter()
            .map(|v| v.and_then(|v| self.resolve_inside(&v)))
            .collect()
    }

    fn resolve_inside(&mut self, text: &Sp<String>) -> Option<Artifact> {
        let relative = match relative_path(&text.value) {
            Ok(r) => r,
            Err(why) => {
                self.problems.push(
                    Problem::new(
                        self.file,
                        text.span.clone(),
                        format!("path `{}` {why}", text.value),
                        "refused",
                    )
                    .with_help("a snapshot only reads files inside its own directory"),
                );
                return None;
            }
        };
        let path = self.root.join(&relative);
        if !stays_inside(self.root, &path) {
            self.problems.push(
                Problem::new(
                    self.file,
                    text.span.clone(),
                    format!("path `{}` leads outside the snapshot through a link", text.value),
                    "refused",
                )
                .with_help("a snapshot only reads files inside its own directory"),
            );
            return None;
        }
        Some(Artifact {
            path,
            display: relative,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let TreeSource::Listing(listing) = &snapshot.trees[0].1 else {
            panic!("a listing: {:?}", snapshot.trees);
        };
        assert_eq!(listing.display, "trees/updatepack.jsonl");
        assert_eq!(listing.path, root.join("trees/updatepack.jsonl"));
        let log = snapshot
            .log("serviceconnectiontool.log")
            .expect("names match in any case");
        assert_eq!(log.display, "logs/ServiceConnectionTool.log");
        assert_eq!(snapshot.allowlist.as_ref().unwrap().display, "network/allowlist.txt");
        assert_eq!(snapshot.probes.as_ref().unwrap().display, "network/probes.json");
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
