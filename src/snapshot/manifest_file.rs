//! `snapshot.yaml`, the manifest of a snapshot directory, as a file: its name, its lock, and
//! the reader that resolves every path in it against the directory, refusing paths that lead
//! out of it. Which keys it has is each source's (`sources::read_manifest` reads it through the
//! registry).

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Artifact;
use crate::document::diag::{Problem, SetupError, SourceFile};
use crate::document::fields::{Document, Fields, Sp};
use crate::document::yaml::{Node, Value};
use crate::files::{relative_path, stays_inside};

pub const MANIFEST_NAME: &str = "snapshot.yaml";

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

/// A manifest found and share-locked, to be read.
pub struct Opened {
    /// The snapshot directory.
    pub root: PathBuf,
    /// The manifest's path, as reports name it.
    pub display: String,
    pub text: String,
    /// The lock ([`lock`]), held for as long as the snapshot is read.
    pub held: fs::File,
}

/// Finds the manifest of a snapshot directory, or the manifest file given, and locks it.
pub fn open(given: &Path) -> Result<Opened, SetupError> {
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
    Ok(Opened {
        display: manifest_path.display().to_string(),
        text: crate::document::text::decode(&bytes, None).text,
        root,
        held,
    })
}

/// Reads the parts a manifest names: what each source's keys hold, resolved inside the
/// snapshot, with every problem kept for one report.
pub struct ManifestReader<'a> {
    file: &'a Arc<SourceFile>,
    root: &'a Path,
    problems: Vec<Problem>,
}

impl<'a> ManifestReader<'a> {
    /// A reader of the manifest `file` of the snapshot directory `root`.
    pub fn new(file: &'a Arc<SourceFile>, root: &'a Path) -> Self {
        ManifestReader {
            file,
            root,
            problems: Vec::new(),
        }
    }

    pub fn file(&self) -> &'a Arc<SourceFile> {
        self.file
    }

    /// The snapshot directory.
    pub fn root(&self) -> &'a Path {
        self.root
    }

    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    pub fn extend(&mut self, problems: impl IntoIterator<Item = Problem>) {
        self.problems.extend(problems);
    }

    /// The problems found, in the order they were.
    pub fn problems(self) -> Vec<Problem> {
        self.problems
    }

    /// The fields of a mapping inside the manifest; `anchor` is where a missing one points.
    pub fn fields<'n>(&self, entries: &'n [(Node, Node)], anchor: Range<usize>) -> Fields<'n, 'a> {
        Fields::new(self.file, Document::Manifest, entries, anchor)
    }

    /// A key that names a part (a tree, a log).
    pub fn name(&mut self, key: &Node) -> Option<Sp<String>> {
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

    /// A section of fixed keys (each with what it holds) that each name a file inside the
    /// snapshot, in `keys` order.
    pub fn paths(
        &mut self,
        entries: &[(Node, Node)],
        place: &str,
        keys: &[(&'static str, &str)],
    ) -> Vec<Option<Artifact>> {
        let mut f = self.fields(entries, 0..0);
        let values: Vec<Option<Sp<String>>> = keys.iter().map(|(k, doc)| f.string(k, doc)).collect();
        self.problems.extend(f.finish(place));
        values
            .into_iter()
            .map(|v| v.and_then(|v| self.resolve_inside(&v)))
            .collect()
    }

    /// A path the manifest names, as an artifact inside the snapshot.
    pub fn resolve_inside(&mut self, text: &Sp<String>) -> Option<Artifact> {
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
